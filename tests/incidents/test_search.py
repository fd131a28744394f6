import datetime

import pytest
from django.db import connection
from django.utils import timezone

from incidents.models import Incident

from .factories import IncidentFactory, VictimFactory
from .pages import card_titles, result_count

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="ranked full-text search needs PostgreSQL"
)
sqlite_only = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the substring fallback is only used on SQLite"
)


def found(client, q, prefix=""):
    response = client.get(f"{prefix}/incidents/", {"q": q})
    assert response.status_code == 200
    titles = card_titles(response)
    assert result_count(response) == len(titles)
    return titles


@pytest.fixture
def stories(db):
    IncidentFactory(
        title="Напад на журналіста Ахмета",
        lead="Ввечері біля будинку.",
        body="Поліція відкрила провадження.",
    )
    IncidentFactory(
        title="Threats to an editor",
        lead="Anonymous calls at night.",
        body="The newsroom reported the calls to the cyberpolice.",
    )
    IncidentFactory(
        title="Court hearing",
        lead="A lawsuit against a newspaper.",
        body="The journalist Ахметом was mentioned in the hearing.",
    )
    IncidentFactory(title="Draft about Ахмет", draft=True, lead="Hidden.", body="Hidden.")


# --- Both databases: what a reader sees ----------------------------------------------------


@pytest.mark.django_db
def test_search_finds_words_in_title_lead_and_body(client, stories):
    assert found(client, "editor") == ["Threats to an editor"]
    assert found(client, "lawsuit") == ["Court hearing"]
    assert found(client, "newsroom") == ["Threats to an editor"]


@pytest.mark.django_db
def test_search_requires_every_word(client, stories):
    assert found(client, "anonymous calls") == ["Threats to an editor"]
    assert found(client, "anonymous lawsuit") == []


@pytest.mark.django_db
def test_search_finds_cyrillic_words_and_skips_drafts(client, stories):
    assert found(client, "журналіста") == ["Напад на журналіста Ахмета"]
    assert found(client, "провадження", prefix="/en") == ["Напад на журналіста Ахмета"]
    assert "Draft about Ахмет" not in found(client, "Ахмет")


@pytest.mark.django_db
def test_search_of_only_punctuation_shows_everything(client, stories):
    assert len(found(client, "?!—")) == 3


@pytest.mark.django_db
def test_search_ignores_tsquery_syntax(client, stories):
    assert found(client, "editor & | ! :* ('") == ["Threats to an editor"]


# --- SQLite: substring matching -------------------------------------------------------------


@sqlite_only
@pytest.mark.django_db
def test_sqlite_search_matches_substrings_case_insensitively(client, stories):
    assert found(client, "EDIT") == ["Threats to an editor"]
    assert found(client, "ditor") == ["Threats to an editor"]
    assert set(found(client, "Ахмет")) == {"Напад на журналіста Ахмета", "Court hearing"}


@pytest.mark.django_db
def test_victim_names_are_not_searchable(client):
    """A withheld name must not lead to its incident; the search covers the article text."""
    incident = IncidentFactory(title="Hidden victim case", lead="Lead.", body="Body.")
    VictimFactory(incident=incident, name="Zoryana Confidential", is_anonymous=True)
    VictimFactory(incident=incident, name="Taras Named", outlet="Open Outlet")
    assert found(client, "Confidential") == []
    assert found(client, "Zoryana") == []
    assert found(client, "Taras") == []
    assert found(client, "hidden victim") == ["Hidden victim case"]


# --- PostgreSQL: ranked full-text search ----------------------------------------------------


@postgres_only
@pytest.mark.django_db
def test_title_match_ranks_above_body_only_match(client):
    now = timezone.now()
    IncidentFactory(
        title="Lawsuit against a newspaper",
        lead="Lead.",
        body="Body.",
        published_at=now - datetime.timedelta(days=2),
    )
    # The body-only match is newer, so only the rank can put the title match first.
    IncidentFactory(
        title="Body mention",
        lead="Lead.",
        body="There was a lawsuit.",
        published_at=now - datetime.timedelta(days=1),
    )
    IncidentFactory(title="Unrelated", lead="Lead.", body="Body.")
    assert found(client, "lawsuit") == ["Lawsuit against a newspaper", "Body mention"]
    assert card_titles(client.get("/incidents/")) == [
        "Unrelated",
        "Body mention",
        "Lawsuit against a newspaper",
    ]


@postgres_only
@pytest.mark.django_db
def test_prefix_search_finds_inflected_forms(client, stories):
    # "Ахмет" is a prefix of "Ахмета" (title) and "Ахметом" (body): the title match first.
    assert found(client, "Ахмет") == ["Напад на журналіста Ахмета", "Court hearing"]
    assert found(client, "ахмет") == ["Напад на журналіста Ахмета", "Court hearing"]
    assert found(client, "журналіст") == ["Напад на журналіста Ахмета"]
    assert found(client, "Ахметом") == ["Court hearing"]


@postgres_only
@pytest.mark.django_db
def test_search_vector_follows_an_edited_title(client):
    incident = IncidentFactory(title="Original headline", lead="Lead.", body="Body.")
    assert found(client, "original") == ["Original headline"]
    incident.title = "Corrected headline"
    incident.save()
    assert found(client, "original") == []
    assert found(client, "corrected") == ["Corrected headline"]
    Incident.objects.filter(pk=incident.pk).update(lead="Updated with queryset update")
    assert found(client, "queryset") == ["Corrected headline"]


@postgres_only
@pytest.mark.django_db
def test_search_index_exists():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'incidents_incident' "
            "AND indexname = 'incidents_incident_search_gin'"
        )
        rows = cursor.fetchall()
    assert len(rows) == 1
    assert "gin" in rows[0][0].lower() and "search_vector" in rows[0][0]
