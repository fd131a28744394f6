"""Hypothesis fuzzes the URL parameters of every page that takes them: the incident list,
the statistics page and its table CSVs, the CSV and JSON exports and the API list.

Every filter of incidents/filters.py, the list's `page`, the API's `lang`, `cursor` and
`format`, unknown names and repeated names get arbitrary unicode, megabyte values, control
characters, NUL bytes, invalid percent-encoding and values of the wrong type. The answer is
never a server error, and a streamed export is read to its end (an error while streaming
would otherwise go unnoticed).
"""

import base64
import json
from urllib.parse import quote, quote_from_bytes, urlencode

import pytest
from django.conf import settings as django_settings
from django.utils.http import MAX_URL_REDIRECT_LENGTH
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incidents.api import CountedCursorPagination
from tests.incidents.factories import IncidentFactory, TranslationFactory
from tests.shared_data import shared_data

from .hostile import MEGABYTE, small_hostile_value

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:Generating overly large repr"),
]

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

FILTERS = [
    "q",
    "group",
    "category",
    "region",
    "perpetrator",
    "year",
    "month",
    "date_from",
    "date_to",
]
OTHER_KNOWN = ["page", "lang", "cursor", "format", "ordering", "limit", "offset", "page_size"]

# Values that are understood, so the fuzzing also reaches the code behind valid filters
# (statistics periods, pagination, search) with the odd ones mixed in.
REAL_VALUES = st.sampled_from(
    [
        "kyiv",
        "abroad",
        "beating",
        "threats",
        "physical-aggression",
        "police",
        "uk",
        "en",
        "json",
        "api",
        "csv",
        "1",
        "2",
        "12",
        "1991",
        "2024",
        "2100",
        "0001-01-01",
        "9999-12-31",
        "9999-12-01",
        "31.12.9999",
        "01.01.0001",
        "1991-01-01",
    ]
)
value = st.one_of(REAL_VALUES, small_hostile_value, st.dates().map(lambda d: d.isoformat()))
name = st.one_of(st.sampled_from(FILTERS + OTHER_KNOWN), st.text(max_size=30))
# A list of pairs: names may repeat (region=a&region=b), order is kept.
pairs = st.lists(st.tuples(name, value), max_size=8)
# Bytes that are not UTF-8 and percent signs that encode nothing.
raw_query = st.one_of(
    st.lists(
        st.tuples(st.sampled_from(FILTERS + OTHER_KNOWN), st.binary(max_size=40)), max_size=4
    ).map(lambda items: "&".join(f"{k}={quote_from_bytes(v)}" for k, v in items)),
    st.sampled_from(["%", "%ZZ", "q=%", "q=%C3", "q=%C3%28", "=&=&&", "region", "&&&", "q=%00"]),
    st.text(max_size=60).map(lambda text: quote(text, safe="=&%+")),
)

ENDPOINTS = [
    "/incidents/",
    "/en/incidents/",
    "/stats/",
    "/en/stats/table/months.csv",
    "/stats/table/regions.csv",
    "/incidents/export.csv",
    "/en/incidents/export.json",
    "/api/incidents/",
]


@shared_data
def incidents():
    """A few public incidents in both languages, so lists, exports and charts have rows."""
    original = IncidentFactory(title="Побиття журналіста", perpetrator_type="police")
    TranslationFactory(translation_of=original, title="A journalist beaten")
    IncidentFactory(title="Погрози редакції", occurred_on="2024-03-01")
    IncidentFactory(draft=True, title="Draft, never listed")


def fetch(client, path: str, query: str):
    """GET path?query; a streamed response is read to its end. Returns (response, body)."""
    response = client.get(f"{path}?{query}" if query else path)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body


def too_many_fields(query: str) -> bool:
    return query.count("&") + 1 > django_settings.DATA_UPLOAD_MAX_NUMBER_FIELDS


def check(client, path: str, query: str):
    response, body = fetch(client, path, query)
    if too_many_fields(query):
        # Django refuses more than DATA_UPLOAD_MAX_NUMBER_FIELDS parameters before any view.
        assert response.status_code == 400
        return
    assert response.status_code < 500, (path, query[:300], response.status_code)
    if path == "/stats/" and len(query) > MAX_URL_REDIRECT_LENGTH and response.status_code == 400:
        # Without dates the page redirects to its own address with the default period added;
        # Django refuses to redirect to an address this long (DisallowedRedirect, a 400).
        return
    if path.startswith("/stats/") and not path.endswith(".csv") and response.status_code == 302:
        # The page writes its default period into the address: the fuzzed parameters go along.
        query = response.url.partition("?")[2]
        response, body = fetch(client, response.url, "")
        assert response.status_code < 500, (response.url[:300], response.status_code)
        if too_many_fields(query):
            assert response.status_code == 400
            return
    status = response.status_code
    if path.startswith("/api/"):
        # 400 names a filter it did not understand; 404 is a cursor or format it never gave.
        assert status in {200, 400, 404}, status
        if status in {200, 400} and "format=api" not in query:
            json.loads(body)
    else:
        # The site's pages show what they did not understand as errors, never as a failure.
        assert status == 200, status
        if path.endswith(".json"):
            data = json.loads(body)
            assert data["count"] == len(data["incidents"])
            assert "Draft, never listed" not in body.decode()
        if path.endswith(".csv"):
            assert body.decode("utf-8-sig").startswith("#")
            assert "Draft, never listed" not in body.decode()


@pytest.mark.parametrize("path", ENDPOINTS)
def test_fuzzed_parameters_never_cause_a_server_error(client, incidents, path):
    @FUZZ
    @given(params=pairs)
    def run(params):
        check(client, path, urlencode(params))

    run()


@pytest.mark.parametrize("path", ENDPOINTS)
def test_malformed_query_strings_never_cause_a_server_error(client, incidents, path):
    @settings(FUZZ, max_examples=20)
    @given(query=raw_query)
    def run(query):
        check(client, path, query)

    run()


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize(
    "query",
    [
        # Every filter at once, each twice with conflicting values.
        urlencode(
            [(f, v) for f in FILTERS for v in ("kyiv", "\x00")] + [("page", "2"), ("page", "x")]
        ),
        # A megabyte in one parameter, and in the search.
        urlencode({"region": "A" * MEGABYTE, "q": "я" * (MEGABYTE // 2)}),
        urlencode({"date_from": "1" * MEGABYTE, "page": "9" * MEGABYTE}),
        urlencode({"cursor": "A" * MEGABYTE, "lang": "\x00" * MEGABYTE}),
        # A thousand unknown parameters, then one too many for Django.
        urlencode([(f"unknown{n}", n) for n in range(999)]),
        urlencode([(f"unknown{n}", n) for n in range(1001)]),
        # Dates at the ends of the calendar, where month arithmetic overflows.
        urlencode({"date_from": "9999-12-01"}),
        urlencode({"date_from": "0001-01-01", "date_to": "9999-12-31"}),
        urlencode({"year": "9999", "month": "12"}),
        urlencode({"date_to": "0001-01-31"}),
        urlencode({"page": "99999999999999999999999"}),
        urlencode({"page": "-1"}),
        urlencode({"page": "last"}),
        urlencode({"cursor": "cD0yMDI0LTAxLTAx"}),  # base64 of a made-up position
        urlencode({"lang": "\x00"}),
        urlencode({"format": "csv"}),
    ],
    ids=[
        "repeated-every-filter",
        "megabyte-region-q",
        "megabyte-date-page",
        "megabyte-cursor-lang",
        "999-unknown",
        "1001-unknown",
        "date-from-9999-12",
        "date-0001-to-9999",
        "year-9999",
        "date-to-0001",
        "page-huge",
        "page-negative",
        "page-last",
        "forged-cursor",
        "lang-nul",
        "format-csv",
    ],
)
def test_edge_queries_never_cause_a_server_error(client, incidents, path, query):
    check(client, path, query)


def forged_cursor(position: str) -> str:
    return base64.b64encode(urlencode({"p": position}).encode()).decode()


@pytest.mark.parametrize(
    "position",
    [
        "garbage",
        "\x00",
        "2024-13-45 99:99:99+00:00",
        "2024-01-01",  # no time zone
        "2024-01-01 00:00:00",
        "' OR 1=1 --",
        "9" * 1000,
    ],
)
def test_forged_api_cursor_is_not_found_not_an_error(client, incidents, position):
    """Found by this suite: a cursor made by hand with a malformed position was a 500."""
    response = client.get("/api/incidents/", {"cursor": forged_cursor(position)})
    assert response.status_code == 404
    assert response.json()["detail"] == str(CountedCursorPagination.invalid_cursor_message)


def test_a_cursor_the_api_gave_out_still_works(client, incidents):
    CountedCursorPagination.page_size, size = 1, CountedCursorPagination.page_size
    try:
        first = client.get("/api/incidents/").json()
        assert first["next"]
        second = client.get(first["next"])
    finally:
        CountedCursorPagination.page_size = size
    assert second.status_code == 200
    assert second.json()["results"]
    assert second.json()["results"][0]["url"] != first["results"][0]["url"]
