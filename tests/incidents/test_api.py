"""The read-only API: it counts what the list counts, pages by cursor, throttles strangers,
documents itself with a valid schema and serves nothing but published incidents."""

import json
import re
import urllib.parse

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.contrib.staticfiles import finders
from django.core import signals
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext
from drf_spectacular.validation import validate_schema
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from incidents import api
from incidents.models import Category, Incident, Region
from tests.hotline.factories import CallbackRequestFactory, ComplaintFactory
from tests.shared_data import shared_data
from tests.test_no_third_party import ResourceCollector, foreign_resources

from .barometer import (
    API,
    COMBINATIONS,
    HIDDEN_TITLE,
    api_count,
    api_pages,
    build_dataset,
    csv_export,
    filter_params,
    json_export,
    list_count,
)
from .factories import IncidentFactory, TranslationFactory, VictimFactory

pytestmark = pytest.mark.django_db

PRIVATE_WORDS = [
    "complaint",
    "callback",
    "hotline",
    "phone",
    "email",
    "e-mail",
    "tracking",
    "reporter",
    "author",
    "perpetrator_detail",
    "submission",
]


@pytest.fixture(autouse=True)
def generous_throttle(settings):
    """Room for the many requests these tests make; the throttle test sets its own rate."""
    settings.REST_FRAMEWORK = {
        **django_settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "100000/min"},
    }


@shared_data
def dataset():
    build_dataset()


def all_four_counts(client, params):
    """The list's "N incidents match", the CSV's rows, the JSON's count and items, the API's
    count and items over every page: all must be the same number."""
    expected = list_count(client, params)
    _, _, rows = csv_export(client, params)
    document = json_export(client, params)
    counts, results = api_pages(client, params)
    assert len(rows) == expected
    assert document["count"] == len(document["incidents"]) == expected
    assert set(counts) == {expected}
    assert len(results) == expected
    assert {item["id"] for item in results} == {item["id"] for item in document["incidents"]}
    assert not any(item["title"].startswith(HIDDEN_TITLE) for item in results)
    return results


# --- The same incidents as the list ---------------------------------------------------------


@pytest.mark.parametrize("params", COMBINATIONS, ids=lambda p: urllib.parse.urlencode(p) or "all")
def test_api_counts_what_the_list_and_exports_count(client, dataset, params):
    all_four_counts(client, params)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(params=filter_params)
def test_random_filters_count_alike_everywhere(client, dataset, params):
    all_four_counts(client, params)


@pytest.mark.parametrize("params", [{}, {"q": "zebra"}, {"region": "abroad", "year": "2021"}])
def test_lang_en_counts_what_the_english_list_counts(client, dataset, params):
    expected = list_count(client, params, prefix="/en")
    counts, results = api_pages(client, {**params, "lang": "en"})
    assert set(counts) == {expected}
    assert len(results) == expected
    titles = {item["title"] for item in results}
    if not params:
        assert "Case 0 zebra english" in titles
        assert "Case 0 plain" not in titles
    # Ukrainian is the default.
    assert api_count(client, params) == api_count(client, {**params, "lang": "uk"})
    assert api_count(client, params) == list_count(client, params)


def test_invalid_parameters_are_refused_with_their_names(client, dataset):
    response = client.get(API, {"year": "1800", "region": "nowhere", "region_extra": "x"})
    assert response.status_code == 400
    assert set(response.json()) == {"year", "region"}
    response = client.get(API, {"lang": "de"})
    assert response.status_code == 400
    assert "lang" in response.json()


def test_unpublished_incidents_never_appear(client, db):
    IncidentFactory(title="Public one", slug="public-one")
    IncidentFactory(title="Draft one", slug="draft-one", draft=True)
    IncidentFactory(title="Archived one", slug="archived-one", archived=True)
    IncidentFactory(title="Scheduled one", slug="scheduled-one", scheduled=True)
    page = client.get(API).json()
    assert page["count"] == 1
    assert [item["title"] for item in page["results"]] == ["Public one"]
    assert client.get(API + "public-one/").status_code == 200
    for slug in ("draft-one", "archived-one", "scheduled-one", "no-such-one"):
        response = client.get(f"{API}{slug}/")
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"


# --- Fields -----------------------------------------------------------------------------------


def test_incident_detail_by_slug(client, db, kyiv, beating, threats):
    incident = IncidentFactory(
        slug="beaten-in-kyiv",
        title="Журналістку побили в Києві",
        body="A **bold** report. <script>alert(1)</script>",
        categories=[beating, threats],
        region=kyiv,
        perpetrator_type="police",
    )
    response = client.get(API + "beaten-in-kyiv/")
    assert response.status_code == 200
    item = response.json()
    assert list(item) == [
        "id",
        "slug",
        "url",
        "title",
        "lead",
        "language",
        "published_at",
        "occurred_on",
        "occurred_on_approximate",
        "categories",
        "region",
        "country",
        "perpetrator_type",
        "perpetrators",
        "is_attempt",
        "motive",
        "verification",
        "sources",
        "victims",
        "criminal_cases",
        "last_update_on",
        "updates_count",
        "latest_updates",
        "updates_url",
        "body_html",
    ]
    assert item["id"] == incident.pk
    assert item["is_attempt"] is False
    assert item["url"] == "http://testserver/incidents/beaten-in-kyiv/"
    assert item["title"] == "Журналістку побили в Києві"
    assert item["categories"] == [
        {"slug": "beating", "name_uk": beating.name_uk, "name_en": beating.name_en,
         "group": "physical-aggression"},
        {"slug": "threats", "name_uk": threats.name_uk, "name_en": threats.name_en,
         "group": "physical-aggression"},
    ]  # fmt: skip
    assert item["region"] == {"slug": "kyiv", "name_uk": "Київ", "name_en": "Kyiv"}
    assert item["perpetrator_type"] == "police"
    assert "<strong>bold</strong>" in item["body_html"]
    assert "<script" not in item["body_html"]
    # The list serves the same item.
    assert client.get(API).json()["results"] == [item]


def test_english_incident_links_to_its_english_page(client, db):
    translation = TranslationFactory(slug="in-english")
    item = client.get(API + "in-english/").json()
    assert item["language"] == "en"
    assert item["url"] == "http://testserver/en/incidents/in-english/"
    # A slug names one incident whatever ?lang says.
    original = translation.translation_of
    assert client.get(f"{API}{original.slug}/", {"lang": "en"}).status_code == 200


def test_no_private_data_in_any_response(client, db):
    incident = IncidentFactory(slug="reported-case", perpetrator_detail="Officer Secretname")
    VictimFactory(incident=incident, name="Victim Privatename", is_anonymous=True)
    ComplaintFactory(incident=incident, reporter_name="Reporter Hiddenname")
    CallbackRequestFactory(name="Caller Hiddenname")
    texts = [
        client.get(API).content.decode(),
        client.get(API + "reported-case/").content.decode(),
        client.get("/api/categories/").content.decode(),
        client.get("/api/regions/").content.decode(),
    ]
    for text in texts:
        for secret in ("Secretname", "Privatename", "Hiddenname", "+380", "@example.org"):
            assert secret not in text
        lowered = text.lower()
        assert "complaint" not in lowered
        assert "callback" not in lowered


# --- Cursor pages ---------------------------------------------------------------------------


def test_cursor_pages_cover_everything_once_in_order(client, dataset, monkeypatch):
    monkeypatch.setattr(api.CountedCursorPagination, "page_size", 7)
    expected = list_count(client, {})
    first = client.get(API).json()
    assert len(first["results"]) == 7
    assert first["previous"] is None
    assert "cursor=" in first["next"]
    counts, results = api_pages(client, {})
    assert len(counts) == -(-expected // 7)
    assert set(counts) == {expected}
    ids = [item["id"] for item in results]
    assert len(ids) == len(set(ids)) == expected
    public = Incident.objects.filter(pk__in=ids)
    ordered = list(public.order_by("-published_at", "-pk").values_list("pk", flat=True))
    assert ids == ordered
    # Going back from page two gives page one again; filters survive in the links.
    second = client.get(first["next"]).json()
    assert client.get(second["previous"]).json()["results"] == first["results"]
    filtered = client.get(API, {"region": "kyiv"}).json()
    assert "region=kyiv" in (filtered["next"] or "region=kyiv")


def test_a_garbled_cursor_is_refused(client, db):
    response = client.get(API, {"cursor": "not-a-cursor"})
    assert response.status_code == 404


def test_list_query_count_does_not_grow_with_the_incidents(client, db, beating, threats):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(API, {"region": "kyiv"})
            assert response.status_code == 200
        return len(captured), response.json()

    for _ in range(5):
        IncidentFactory(categories=[beating, threats])
    few, _ = queries()
    for _ in range(45):
        IncidentFactory(categories=[beating])
    many, page = queries()
    assert len(page["results"]) == 50
    assert many == few


# --- Categories and regions ---------------------------------------------------------------


def test_categories_endpoint(client, db):
    response = client.get("/api/categories/")
    assert response.status_code == 200
    items = response.json()
    assert len(items) == Category.objects.count()
    by_slug = {item["slug"]: item for item in items}
    assert by_slug["beating"]["group"] == "physical-aggression"
    assert by_slug["beating"]["is_group"] is False
    assert by_slug["physical-aggression"]["group"] is None
    assert by_slug["physical-aggression"]["is_group"] is True
    assert set(by_slug["beating"]) == {
        "slug", "name_uk", "name_en", "group", "is_group", "is_wartime", "position",
    }  # fmt: skip
    assert client.get("/api/categories/beating/").json() == by_slug["beating"]
    assert client.get("/api/categories/no-such/").status_code == 404


def test_regions_endpoint(client, db):
    items = client.get("/api/regions/").json()
    assert len(items) == Region.objects.count()
    kyiv = next(item for item in items if item["slug"] == "kyiv")
    assert kyiv["name_uk"] == "Київ"
    assert kyiv["name_en"] == "Kyiv"
    assert client.get("/api/regions/kyiv/").json() == kyiv


def test_the_api_is_read_only(client, db):
    IncidentFactory(slug="read-only")
    for path in (API, API + "read-only/", "/api/categories/", "/api/regions/kyiv/"):
        assert client.post(path, {}, content_type="application/json").status_code == 405
        assert client.delete(path).status_code == 405
    assert client.put(API + "read-only/", {}, content_type="application/json").status_code == 405


# --- Throttling -----------------------------------------------------------------------------


def test_anonymous_clients_are_throttled(client, db, settings):
    settings.REST_FRAMEWORK = {
        **django_settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "3/min"},
    }
    cache.clear()
    for _ in range(3):
        assert client.get("/api/regions/").status_code == 200
    response = client.get(API)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    # Another address has its own allowance; a forged X-Forwarded-For does not make one.
    assert client.get(API, REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get(API, HTTP_X_FORWARDED_FOR="10.9.9.9").status_code == 429


def test_the_configured_rate_comes_from_the_environment():
    rates = django_settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    assert rates["anon"]  # API_ANON_RATE, 120/min unless set
    assert django_settings.REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"] == []


# --- Schema and documentation ---------------------------------------------------------------


@pytest.fixture
def openapi(client, db):
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


def test_schema_is_valid_openapi(openapi):
    validate_schema(openapi)  # drf-spectacular's own OpenAPI 3 validator
    loaded = schemathesis.openapi.from_dict(openapi)
    operations = {
        (result.ok().method.upper(), result.ok().path) for result in loaded.get_all_operations()
    }
    assert operations == {
        ("GET", "/api/incidents/"),
        ("GET", "/api/incidents/{slug}/"),
        ("GET", "/api/incidents/{slug}/updates/"),
        ("GET", "/api/categories/"),
        ("GET", "/api/categories/{slug}/"),
        ("GET", "/api/regions/"),
        ("GET", "/api/regions/{slug}/"),
    }


def test_schema_documents_the_list_parameters_and_count(openapi):
    parameters = {p["name"] for p in openapi["paths"]["/api/incidents/"]["get"]["parameters"]}
    assert parameters == {
        "q", "group", "category", "region", "perpetrator", "year", "month", "date_from",
        "date_to", "lang", "languages", "cursor", "verification", "updated", "no_verdict",
    }  # fmt: skip
    page = openapi["components"]["schemas"]["PaginatedIncidentList"]
    assert "count" in page["properties"]
    assert "count" in page["required"]


def test_schema_holds_no_hotline_data(openapi):
    text = json.dumps(openapi).lower()
    for word in PRIVATE_WORDS:
        # As a word: "authority" (who replied to a case) is public, the article's author not.
        assert not re.search(rf"\b{re.escape(word)}\b", text), word


def test_schema_is_in_english_unless_asked(client, db):
    english = client.get("/api/schema/", {"format": "json"}).content.decode()
    ukrainian = client.get("/api/schema/", {"format": "json", "lang": "uk"}).content.decode()
    assert "Київ" not in english
    assert "Region" in english or "region" in english
    assert json.loads(ukrainian)["paths"].keys() == json.loads(english)["paths"].keys()


def static_path(address):
    assert address.startswith(django_settings.STATIC_URL), address
    return finders.find(address[len(django_settings.STATIC_URL) :])


def test_docs_page_is_self_hosted(client, db):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert foreign_resources(html) == []
    collector = ResourceCollector()
    collector.feed(html)
    addresses = [address for _, address in collector.resources]
    assert any(address.endswith("swagger-ui-bundle.js") for address in addresses)
    for address in addresses:
        if address.startswith("/api/docs/"):
            continue  # the page's own settings script, checked below
        assert static_path(address), f"{address} is not one of the site's static files"
    # The settings travel in a script of the page's own (no inline script under the CSP).
    [script] = [a for a in addresses if a.startswith("/api/docs/")]
    assert "<script>" not in html and "<style>" not in html
    js = client.get(script).content.decode()
    assert '"validatorUrl": null' in js  # no badge fetched from validator.swagger.io
    assert "/api/schema/" in js
    assert "cdn.jsdelivr" not in html + js


def test_browsable_api_is_self_hosted(client, db):
    IncidentFactory()
    response = client.get(API, HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert foreign_resources(html) == []
    collector = ResourceCollector()
    collector.feed(html)
    for _, address in collector.resources:
        assert static_path(address), address


def test_json_is_the_default(client, db):
    response = client.get("/api/regions/")
    assert response["Content-Type"] == "application/json"


# --- The API against its own schema -------------------------------------------------------


CONFORMANCE_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def wsgi_app(db):
    """The project's WSGI app, called in this test's transaction. Like Django's test client,
    it must not close the connection at the end of each request (that would end the test's
    transaction on PostgreSQL)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def test_api_conforms_to_its_schema(dataset, wsgi_app):
    """Schemathesis sends what the schema allows to every operation, through the WSGI app, and
    checks each answer: no server error, a documented status and body. (Driven by hand rather
    than by schemathesis' pytest loader, whose lazy fixtures do not run under pytest 9.)"""
    loaded = schemathesis.openapi.from_wsgi("/api/schema/?format=json", wsgi_app)
    operations = [result.ok() for result in loaded.get_all_operations()]
    assert len(operations) == 7
    for operation in operations:

        @settings(
            max_examples=12,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def conforms(case):
            case.call_and_validate(checks=CONFORMANCE_CHECKS)

        conforms()
