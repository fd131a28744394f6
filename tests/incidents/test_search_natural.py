"""Searches typed as a new reader types them, as properties, on whichever database the suite
runs on: any form of a word, any letter case, joining words sprinkled in, a place after a
preposition. And, on PostgreSQL, that however a search is answered (search_hits' four
ways) it lists the newest matches and says "more" only when there are more.

The strategies are beside the tests that use them. Word forms come from the same
dictionary search uses (pymorphy3), so a form it knows is never left out.
"""

import datetime
import functools

import pymorphy3
import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incidents import search
from incidents.models import Category, Incident, Region

from .factories import IncidentFactory
from .pages import card_titles, parse, result_count

pytestmark = pytest.mark.django_db

HYPOTHESIS = settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@functools.cache
def lexeme(word: str) -> tuple[str, ...]:
    """Every form of `word` the dictionary knows (its first reading's)."""
    morph = pymorphy3.MorphAnalyzer(lang="uk")
    return tuple(dict.fromkeys(form.word for form in morph.parse(word)[0].lexeme))


def form_of(word: str):
    return st.sampled_from(lexeme(word))


def any_case(strategy):
    """The word as typed: lower, upper, or with a capital."""
    return st.tuples(strategy, st.sampled_from([str.lower, str.upper, str.capitalize])).map(
        lambda pair: pair[1](pair[0])
    )


JOINING = ["на", "в", "у", "і", "та", "з", "до", "про", "за", "від", "що", "біля", "під"]
joining = any_case(st.sampled_from(JOINING))


def sprinkled(words: list[str]):
    """The words in order, with joining words (any case) before, between and after them."""
    gaps = st.lists(st.lists(joining, max_size=2), min_size=len(words) + 1, max_size=len(words) + 1)
    return gaps.map(
        lambda between: " ".join(
            word for index, gap in enumerate(between) for word in [*gap, *words[index : index + 1]]
        )
    )


def found(client, q) -> list[str]:
    response = client.get("/incidents/", {"q": q, "languages": "all"})
    assert response.status_code == 200
    return sorted(card_titles(response))


@pytest.fixture
def beaten(db):
    """An article telling with a verb what its category names with a noun; one that only
    its category says; and one about something else in another city."""
    told = IncidentFactory(
        title="Невідомі побили журналістку біля редакції",
        lead="На журналістку напали, коли вона знімала.",
        body="Поліція відкрила провадження.",
        place="Суми",
        region=Region.objects.get(slug="sumy"),
        categories=[Category.objects.get(slug="threats")],
    )
    filed = IncidentFactory(
        title="Інцидент на мітингу",
        lead="Оператора вдарили по камері.",
        body="Редакція вимагає розслідування.",
        place="Харків",
        region=Region.objects.get(slug="kharkiv"),
        categories=[Category.objects.get(slug="beating")],
    )
    other = IncidentFactory(
        title="Суд обмежив доступ до засідання",
        lead="Журналістам заборонили знімати.",
        body="Редакція оскаржить рішення.",
        place="",
        region=Region.objects.get(slug="lviv"),
        categories=[Category.objects.get(slug="obstruction")],
    )
    return told.title, filed.title, other.title


@HYPOTHESIS
@given(typed=any_case(form_of("побиття")))
def test_any_form_of_a_noun_finds_the_verb_and_the_category(client, beaten, typed):
    told, filed, _other = beaten
    assert found(client, typed) == sorted([told, filed])


@HYPOTHESIS
@given(typed=st.data())
def test_joining_words_change_nothing(client, beaten, typed):
    words = [typed.draw(any_case(form_of("напад"))), typed.draw(form_of("журналістка"))]
    query = typed.draw(sprinkled(words))
    told, _filed, _other = beaten
    assert found(client, query) == found(client, " ".join(words)) == [told]


PLACES = [("Харків", "kharkiv"), ("Львів", "lviv"), ("Суми", "sumy"), ("Київ", "kyiv")]


@pytest.fixture
def by_region(db):
    """One article per region that never names its city: only the region knows it."""
    titles = {}
    for _city, slug in PLACES:
        incident = IncidentFactory(
            title=f"Обшук у редакції {slug}",
            lead="Слідчі вилучили техніку.",
            body="Редакція вважає обшук тиском.",
            place="",
            region=Region.objects.get(slug=slug),
        )
        titles[slug] = incident.title
    return titles


@HYPOTHESIS
@given(data=st.data(), place=st.sampled_from(PLACES))
def test_a_city_in_any_case_after_any_preposition_finds_its_region(client, by_region, data, place):
    city, slug = place
    typed = data.draw(any_case(form_of(city)))
    preposition = data.draw(st.sampled_from(["", "у ", "в ", "з ", "до ", "біля ", "У "]))
    assert found(client, preposition + typed) == [by_region[slug]]


@HYPOTHESIS
@given(query=st.lists(joining | st.sampled_from(list("abxyzфщ")), min_size=1, max_size=4))
def test_only_joining_words_and_letters_search_for_nothing_and_say_so(client, beaten, query):
    text = " ".join(query)
    response = client.get("/incidents/", {"q": text})
    assert result_count(response) == Incident.objects.public().filter(language="uk").count()
    hint = parse(response).by_id("search-ignored")
    assert hint is not None and all(f"«{word.lower()}»" in hint.text for word in query)


def test_a_left_out_joining_word_is_named_beside_the_results(client, beaten):
    response = client.get("/incidents/", {"q": "напад на журналістку"})
    assert result_count(response) == 1
    assert "«на»" in parse(response).by_id("search-ignored").text


# --- PostgreSQL: however search_hits answers, it lists the newest matches -----------------

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="search_hits' ways are PostgreSQL's"
)
# Words in a share of the articles each, from every one to a single one.
SHARES = {"редакція": 1, "поліція": 2, "обшук": 3, "погроза": 5, "хакер": 9, "щедрик": 40}


@pytest.fixture
def archive(db):
    now = timezone.now()
    for number in range(40):
        words = [word for word, every in SHARES.items() if number % every == 0]
        IncidentFactory(
            title=f"Випадок {number}",
            lead="Подія.",
            body=" ".join(words) + ".",
            # Dates not in the order of creation, so "newest" is not "last made".
            published_at=now - datetime.timedelta(hours=1 + (number * 7919) % 40),
        )


@postgres_only
@settings(HYPOTHESIS, max_examples=40)
@given(
    words=st.lists(st.sampled_from(list(SHARES)), min_size=1, max_size=2, unique=True),
    scan=st.integers(min_value=1, max_value=45),
    ranked=st.integers(min_value=1, max_value=30),
    most=st.integers(min_value=1, max_value=30),
)
def test_the_newest_matches_whichever_way_the_search_answers(archive, words, scan, ranked, most):
    text = " ".join(words)
    public = Incident.objects.public().filter(language="uk")
    every = public._matching_all(search.parse(text)).order_by("-published_at", "-pk")
    everything = list(every.values_list("pk", flat=True))
    with override_settings(SEARCH_SCAN_ROWS=scan, SEARCH_RANKED=ranked, SEARCH_MAX_RESULTS=most):
        hits = public.search_hits(text)
    assert len(hits.ids) == len(set(hits.ids)) <= most
    # The newest n matches, whatever n is, in some order (the best first).
    assert set(hits.ids) == set(everything[: len(hits.ids)])
    if hits.complete:
        assert set(hits.ids) == set(everything)
    if everything:
        assert hits.ids, "a search with matches lists some"


# --- Queries: a fixed number, whatever the archive holds ----------------------------------


@pytest.mark.parametrize(
    ("q", "queries"),
    [
        # the search, the page's incidents, their categories, the form's three lists
        ("побиття", 6),
        # and: the other language's search, close spellings, which of them find something,
        # whether the suggestion does
        ("побитя", 8),
    ],
)
def test_a_search_page_runs_the_same_queries_for_few_incidents_and_many(
    client, beaten, django_assert_num_queries, q, queries
):
    with django_assert_num_queries(queries):
        client.get("/incidents/", {"q": q})
    for number in range(30):
        IncidentFactory(title=f"Побиття номер {number}", lead="Лід.", body="Текст.")
    with django_assert_num_queries(queries):
        client.get("/incidents/", {"q": q})


@pytest.mark.django_db
def test_words_that_are_never_together_are_offered_one_by_one(client):
    """ "напад на журналістку" where no article has both words: not a bare zero, but each
    word that finds something, as a link that searches for it."""
    threats = [Category.objects.get(slug="threats")]
    IncidentFactory(
        title="Напад на редакцію у Києві", lead="Невідомі напали на редакцію.", categories=threats
    )
    IncidentFactory(title="Погрози журналістці", lead="Журналістку залякували.", categories=threats)
    response = client.get("/incidents/", {"q": "напад на журналістку"})
    page = parse(response)
    offered = page.find(id="each-word")
    assert offered is not None, card_titles(response)
    links = {a.text: a.attrs["href"] for a in offered.find_all("a")}
    assert set(links) == {"напад", "журналістку"}
    for word, href in links.items():
        found = client.get("/incidents/" + href)
        assert card_titles(found), word


@pytest.mark.parametrize("renamed", ["category", "region"])
def test_a_name_changed_in_the_admin_is_found_by_the_search_at_once(admin_client, renamed):
    """The search text holds the names of an incident's categories and region: a name
    staff change in the admin is searchable at once, the old one no longer."""
    threats = Category.objects.get(slug="threats")
    lviv = Region.objects.get(slug="lviv")
    IncidentFactory(title="Історія без цих слів", categories=[threats], region=lviv)
    named = threats if renamed == "category" else lviv
    url = f"/admin/{named._meta.app_label}/{named._meta.model_name}/{named.pk}/change/"
    form = parse(admin_client.get(url)).find("form", id=f"{named._meta.model_name}_form")
    data = {
        field.attrs["name"]: field.attrs.get("value", "")
        for field in form.find_all("input")
        if field.attrs.get("name") and field.attrs.get("type") not in ("checkbox", "submit")
    }
    for select in form.find_all("select"):
        chosen = [o for o in select.find_all("option") if "selected" in o.attrs]
        data[select.attrs["name"]] = chosen[0].attrs["value"] if chosen else ""
    for checkbox in form.find_all("input", type="checkbox"):
        if "checked" in checkbox.attrs:
            data[checkbox.attrs["name"]] = "on"
    data["name_uk"] = "Кулебякування"
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[-2000:]
    admin_client.logout()  # as a reader
    found = admin_client.get("/incidents/", {"q": "кулебякування"})
    assert card_titles(found) == ["Історія без цих слів"]
