import datetime

import pytest
from django.db import connection
from django.utils import timezone

from incidents import services
from incidents.models import Incident, Region

from .factories import IncidentFactory, VictimFactory
from .pages import card_titles, result_count

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="ranked full-text search needs PostgreSQL"
)
sqlite_only = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the substring fallback is only used on SQLite"
)


def found(client, q, prefix=""):
    response = client.get(f"{prefix}/incidents/", {"q": q, "languages": "all"})
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


# --- Both databases: word forms, names, ranking --------------------------------------------


@pytest.mark.django_db
def test_search_is_case_insensitive_for_cyrillic_and_latin(client, stories):
    assert found(client, "EDIT") == ["Threats to an editor"]
    assert found(client, "поліція") == found(client, "ПОЛІЦІЯ") == ["Напад на журналіста Ахмета"]
    assert set(found(client, "ахмет")) == {"Напад на журналіста Ахмета", "Court hearing"}


@pytest.mark.django_db
def test_search_matches_word_starts_not_the_middle_of_words(client, stories):
    """The same rule on both databases: "ditor" is not a word anyone types for "editor"."""
    assert found(client, "edi") == ["Threats to an editor"]
    assert found(client, "ditor") == []


@pytest.mark.django_db
def test_withheld_names_are_never_searchable_but_outlets_and_public_names_are(client):
    incident = IncidentFactory(
        title="Hidden victim case", lead="Lead.", body="Body.", place="Бровари"
    )
    VictimFactory(incident=incident, name="Zoryana Confidential", is_anonymous=True)
    VictimFactory(incident=incident, name="Taras Named", outlet="Open Outlet")
    assert found(client, "Confidential") == []
    assert found(client, "Zoryana") == []
    assert found(client, "Taras") == ["Hidden victim case"]
    assert found(client, "outlet") == ["Hidden victim case"]
    assert found(client, "Броварах") == ["Hidden victim case"]
    assert found(client, "hidden victim") == ["Hidden victim case"]


@pytest.mark.django_db
def test_a_name_withheld_later_stops_finding_its_incident(client):
    incident = IncidentFactory(title="Case", lead="Lead.", body="Body.")
    victim = VictimFactory(incident=incident, name="Ostap Example", outlet="X")
    assert found(client, "Ostap") == ["Case"]
    victim.is_anonymous = True
    victim.save()
    services.incidents_refresh(ids=[incident.pk])
    assert found(client, "Ostap") == []


@pytest.mark.django_db
def test_a_region_is_found_by_its_name_in_either_language(client, stories):
    IncidentFactory(
        title="Обшук", lead="Лід.", body="Текст.", region=Region.objects.get(slug="lviv")
    )
    assert found(client, "Львівська") == ["Обшук"]
    assert found(client, "Lviv") == ["Обшук"]


# --- PostgreSQL: ranked full-text search ----------------------------------------------------


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


@pytest.mark.django_db
def test_prefix_search_finds_inflected_forms(client, stories):
    # "Ахмета" (title) and "Ахметом" (body) are both forms of "Ахмет": the title match first.
    assert found(client, "Ахмет") == ["Напад на журналіста Ахмета", "Court hearing"]
    assert found(client, "ахмет") == ["Напад на журналіста Ахмета", "Court hearing"]
    assert found(client, "журналіст") == ["Напад на журналіста Ахмета"]
    assert found(client, "Ахметом") == ["Напад на журналіста Ахмета", "Court hearing"]


@pytest.mark.django_db
def test_search_vector_follows_an_edited_title(client):
    incident = IncidentFactory(title="Original headline", lead="Lead.", body="Body.")
    assert found(client, "original") == ["Original headline"]
    incident.title = "Corrected headline"
    incident.save()
    services.incidents_refresh(ids=[incident.pk])  # what every writer does
    assert found(client, "original") == []
    assert found(client, "corrected") == ["Corrected headline"]
    Incident.objects.filter(pk=incident.pk).update(lead="Updated with queryset update")
    services.incidents_refresh(ids=[incident.pk])
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


@postgres_only
@pytest.mark.django_db
def test_the_search_index_with_the_listing_flags_exists():
    """A word of one language searched on the other's list is answered from this index
    without reading the other language's rows (migration 0016)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'incidents_incident' "
            "AND indexname = 'incidents_incident_search_listed_gin'"
        )
        (definition,) = cursor.fetchone()
    assert "search_vector, listed_uk, listed_en, language" in definition
