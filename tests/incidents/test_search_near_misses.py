"""What a reader sees around a search, on both databases: the matched words marked in the
card, "Did you mean" for a misspelling, and how many match in the other language."""

from urllib.parse import parse_qs

import pytest

from .factories import IncidentFactory
from .pages import card_titles, parse, result_count

pytestmark = pytest.mark.django_db


@pytest.fixture
def kharkiv(db):
    IncidentFactory(
        title="У Харкові пошкодили автомобіль редакції",
        lead="Невідомі розбили вікна службового автомобіля.",
        body="Поліція відкрила провадження.",
    )
    IncidentFactory(
        language="en",
        title="A newsroom car damaged in Kharkiv",
        lead="Unknown people smashed the windows.",
        body="The police opened proceedings.",
    )


def did_you_mean(response):
    box = parse(response).by_id("did-you-mean")
    if box is None:
        return None
    link = box.find("a")
    return box.find("strong").text, parse_qs(link.attrs["href"].lstrip("?"))


def test_the_typed_word_is_marked_in_the_card_in_any_of_its_forms(client, kharkiv):
    response = client.get("/incidents/", {"q": "Харків"})
    assert card_titles(response) == ["У Харкові пошкодили автомобіль редакції"]
    assert "<mark>Харкові</mark>" in response.content.decode()


def test_a_misspelt_word_gets_a_suggestion_that_finds_the_incident(client, kharkiv):
    response = client.get("/incidents/", {"q": "Харкві", "region": "kyiv"})
    assert result_count(response) == 0
    suggestion, query = did_you_mean(response)
    # A known spelling close to it (which one the database's similarity picks), the capital kept.
    assert suggestion in ("Харкові", "Харків")
    assert query == {"q": [suggestion], "region": ["kyiv"]}  # the other filters kept
    followed = client.get("/incidents/", {k: v[0] for k, v in query.items()})
    assert card_titles(followed) == ["У Харкові пошкодили автомобіль редакції"]

    lower = did_you_mean(client.get("/incidents/", {"q": "харкві"}))
    assert lower[0] == suggestion.lower()


def test_no_suggestion_when_no_spelling_would_find_anything(client, kharkiv):
    response = client.get("/incidents/", {"q": "qwxyzt"})
    assert result_count(response) == 0
    assert did_you_mean(response) is None


def test_a_word_only_in_the_other_language_points_there(client, kharkiv):
    response = client.get("/incidents/", {"q": "smashed"})
    assert result_count(response) == 0
    total = parse(response).by_id("other-language-total")
    assert total is not None and "1" in total.text
    switch = client.get("/incidents/", {"q": "smashed", "languages": "all"})
    assert card_titles(switch) == ["A newsroom car damaged in Kharkiv"]
