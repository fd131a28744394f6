"""The read-only API: it counts what the list counts, pages by cursor, throttles strangers,
documents itself with a valid schema and serves nothing but published incidents."""

import itertools
import json
import re
import time
import urllib.parse

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.contrib.staticfiles import finders
from django.core import signals
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections, connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from drf_spectacular.validation import validate_schema
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rest_framework import serializers

from incidents import api, services
from incidents.models import (
    Category,
    CriminalCase,
    Incident,
    IncidentUpdate,
    Perpetrator,
    Person,
    Region,
    Victim,
)
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
from .factories import IncidentFactory, SourceLinkFactory, TranslationFactory, VictimFactory

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
        "occurred_precision",
        "occurred_until",
        "occurred_text",
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


def test_the_list_reads_only_its_page_not_every_listed_incident(client, db, beating):
    """Issue 30: an aggregate over the join of incidents and updates made the database group
    every listed incident (78,732 at 100,000) before the LIMIT: 1.5 requests a second, and four
    clients kept every worker busy. The page's query has no GROUP BY; each incident's count of
    public updates is a subquery, run for the rows of the page only."""
    for _ in range(3):
        incident = IncidentFactory(categories=[beating])
        for public in (True, False):
            IncidentUpdate.objects.create(
                incident=incident,
                on=incident.occurred_on,
                text="Справу відкрито.",
                is_public=public,
            )
    with CaptureQueriesContext(connection) as captured:
        response = client.get(API)
    assert response.status_code == 200
    reads = [q["sql"] for q in captured if 'FROM "incidents_incident" ' in q["sql"]]
    assert any("LIMIT" in sql for sql in reads)  # the page is chosen in the database
    for sql in reads:
        outer = sql.rsplit('FROM "incidents_incident" ', 1)[1]  # after the SELECT list
        assert "GROUP BY" not in outer.upper()
    assert {row["updates_count"] for row in response.json()["results"]} == {1}


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


# --- Every value the API serves is one the schema lists ---------------------------------------


EXAMPLE_SLUGS = {"incidents": "every-choice", "categories": "beating", "regions": "kyiv"}


def every_choice():
    """Two published incidents whose people, cases, perpetrators and updates take every value
    of every enum the API serves, and one whose optional choices are all left blank (with a
    withheld name, so sex and age group are withheld too). Returns their slugs."""
    full = IncidentFactory(slug="every-choice", perpetrator_type="police", motive="confirmed")
    blank = IncidentFactory(slug="blank-choices", is_attempt=True)
    SourceLinkFactory(incident=full, publisher="One")
    SourceLinkFactory(incident=full, publisher="Two")
    values = itertools.zip_longest(
        Victim.Occupation.values,
        Victim.Employment.values,
        Victim.Origin.values,
        Victim.Injury.values,
        Victim.Equipment.values,
        Person.Sex.values,
        Person.AgeGroup.values,
        fillvalue="",
    )
    for occupation, employment, origin, injury, equipment, sex, age_group in values:
        victim = VictimFactory(
            incident=full,
            occupation=occupation,
            employment=employment,
            origin=origin,
            injury=injury,
            equipment=equipment,
        )
        victim.refresh_from_db()
        Person.objects.filter(pk=victim.person_id).update(sex=sex, age_group=age_group)
    VictimFactory(incident=blank, is_anonymous=True)
    VictimFactory(incident=blank, name="")
    opened = full.occurred_on
    for status, impunity in itertools.zip_longest(
        CriminalCase.Status.values, CriminalCase.Impunity.values, fillvalue=""
    ):
        CriminalCase.objects.create(
            incident=full,
            status=status,
            impunity=impunity,
            opened_on=None if status == "not_opened" else opened,
            verdict_on=opened if status == "verdict" else None,
        )
    CriminalCase.objects.create(incident=blank, status="investigating", opened_on=opened)
    for category in Perpetrator.Category.values:
        Perpetrator.objects.create(incident=full, category=category)
    for kind in IncidentUpdate.Kind.values:
        IncidentUpdate.objects.create(incident=full, on=opened, kind=kind, text=f"A {kind}.")
    services.incidents_refresh(ids=[full.pk, blank.pk])
    return [full.slug, blank.slug]


def test_blank_choices_are_null_and_the_schema_allows_null(client, db):
    every_choice()
    item = client.get(API + "blank-choices/").json()
    case = item["criminal_cases"][0]
    assert case["impunity"] is None
    for victim in item["victims"]:
        for name in ("occupation", "employment", "origin", "injury", "equipment"):
            assert victim[name] is None, name
        assert (victim["sex"], victim["age_group"]) == (None, None)
    full = client.get(API + "every-choice/").json()
    served = {name: {v[name] for v in full["victims"]} for name in ("injury", "sex")}
    assert served["injury"] == {*Victim.Injury.values, None}
    assert served["sex"] == {*Person.Sex.values, None}
    assert {c["impunity"] for c in full["criminal_cases"]} == {*CriminalCase.Impunity.values, None}

    components = client.get("/api/schema/", {"format": "json"}).json()["components"]["schemas"]
    for component, name, values in [
        ("CriminalCase", "impunity", CriminalCase.Impunity.values),
        ("Victim", "injury", Victim.Injury.values),
        ("Victim", "equipment", Victim.Equipment.values),
        ("Victim", "employment", Victim.Employment.values),
        ("Victim", "sex", Person.Sex.values),
        ("Victim", "age_group", Person.AgeGroup.values),
    ]:
        listed = enum_values(components, components[component]["properties"][name])
        assert listed == {*values, None}, (component, name)
    verification = components["Incident"]["properties"]["verification"]
    assert enum_values(components, verification) == {
        "reported", "one_source", "confirmed", "confirmed_by_victim",
    }  # fmt: skip


def enum_values(components, schema) -> set:
    """Every value an OpenAPI property allows, following $ref, allOf and oneOf."""
    if "$ref" in schema:
        return enum_values(components, components[schema["$ref"].rpartition("/")[2]])
    values = set(schema.get("enum", []))
    if schema.get("nullable"):
        values.add(None)
    for part in schema.get("allOf", []) + schema.get("oneOf", []):
        values |= enum_values(components, part)
    return values


def serializer_fields(serializer, seen=()):
    """(serializer class, field name, field) for every field the API's serializers serve."""
    for name, field in serializer.fields.items():
        child = getattr(field, "child", field)
        if isinstance(child, serializers.BaseSerializer):
            if type(child) not in seen:
                yield from serializer_fields(child, (*seen, type(serializer)))
        else:
            yield type(serializer), name, field


def test_every_choice_that_may_be_blank_is_served_as_null():
    """Found from the serializers, not listed: a choice added to a model later is covered. A
    choice read from a model field that may be blank, or derived (sex and age group, blank
    when withheld), must be served as null; one that may not be blank stays a plain enum."""
    nullable, plain = set(), set()
    for root in (api.IncidentSerializer, api.CategorySerializer, api.RegionSerializer):
        for owner, name, field in serializer_fields(root()):
            if not isinstance(field, serializers.ChoiceField):
                continue
            model = owner.Meta.model
            fields = {f.name: f for f in model._meta.get_fields()}
            model_field = fields.get(field.source)
            if model_field is None or model_field.blank:
                assert field.allow_null, (owner.__name__, name)
                assert field.to_representation("") is None, (owner.__name__, name)
                nullable.add(name)
            else:
                assert not field.allow_null, (owner.__name__, name)
                plain.add(name)
    assert {"impunity", "injury", "equipment", "employment", "sex", "age_group"} <= nullable
    assert {"status", "kind", "category", "language", "perpetrator_type"} <= plain


# --- Every parameter an operation reads is documented --------------------------------------


class RecordingQueryDict(QueryDict):
    """A query string that notes every name the code looks up in it."""

    read: set[str] = set()
    parsed = False  # parsing the query string looks names up too: not a read

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.parsed = True

    def note(self, key):
        if self.parsed and key is not None:
            self.read.add(key)

    def __getitem__(self, key):
        self.note(key)
        return super().__getitem__(key)

    def get(self, key, default=None):
        self.note(key)
        return super().get(key, default)

    def getlist(self, key, default=None):
        self.note(key)
        return super().getlist(key, default)

    def __contains__(self, key):
        self.note(key)
        return super().__contains__(key)


def test_every_query_parameter_an_operation_reads_is_documented(client, db, monkeypatch, openapi):
    """Each operation is called, through the whole stack, with a query string that records the
    names looked up in it (the filters, the pagination, the language, DRF's own `format`...):
    each must be one of the operation's documented parameters."""
    every_choice()
    monkeypatch.setattr("django.core.handlers.wsgi.QueryDict", RecordingQueryDict)
    monkeypatch.setattr("django.http.request.QueryDict", RecordingQueryDict)
    everything_read = set()
    for path, operations in openapi["paths"].items():
        documented = {
            p["name"] for p in operations["get"].get("parameters", []) if p["in"] == "query"
        }
        address = path.replace("{slug}", EXAMPLE_SLUGS[path.split("/")[2]])
        for query in ("", "unknown=1&page=1&format=api"):
            RecordingQueryDict.read = set()
            response = client.get(f"{address}?{query}" if query else address)
            assert response.status_code == 200, (path, response.content[:200])
            read = RecordingQueryDict.read
            assert read <= documented | {"unknown"}, (path, read - documented)
            everything_read |= read
    # The recorder does see the lookups: the list's filters and pages, the updates' pages.
    assert {"lang", "cursor", "q", "region", "no_verdict", "page"} <= everything_read


# --- Every address under /api/ answers JSON ---------------------------------------------------


UNROUTED = [
    "/api/%0A",
    "/api/nope/",
    "/api/incidents/%0A/",
    "/api/incidents/every-choice%0A/",
    "/api/incidents/%0D%0A/updates/",
    "/api/incidents/every-choice/updates/%0A",
    "/api/schema/%0A",
    "/api/docs/%0A",
    "/api/%00",
    "/api/%C0%AF/",
    "/api/incidents/%2e%2e/",
]
MISSING = ["/api/incidents/no-such-one/", "/api/incidents/no-such-one/updates/",
           "/api/categories/no-such/", "/api/regions/no-such/"]  # fmt: skip
DOCUMENTED = ["/api/incidents/", "/api/incidents/every-choice/", "/api/incidents/every-choice/updates/",
              "/api/categories/", "/api/categories/beating/", "/api/regions/", "/api/regions/kyiv/",
              "/api/schema/", "/api/docs/"]  # fmt: skip


def json_error(response):
    assert response["Content-Type"] == "application/json", response.content[:200]
    if response.request["REQUEST_METHOD"] != "HEAD":
        assert set(json.loads(response.content)) == {"detail"}


@pytest.mark.parametrize("accept", ["application/json", "text/html", "*/*"])
def test_every_path_under_api_answers_json(client, db, accept):
    """A 404 for any odd address, a 405 for any method but GET (with Allow), whatever the client
    says it accepts: never the site's HTML page, nor YAML, nor plain text."""
    every_choice()
    for path in UNROUTED:
        for method in ("get", "head", "post", "put", "patch", "delete", "options", "trace"):
            response = getattr(client, method)(path, HTTP_ACCEPT=accept)
            assert response.status_code == 404, (method, path)
            json_error(response)
    for path in MISSING:
        for method in ("get", "head"):
            response = getattr(client, method)(path, HTTP_ACCEPT=accept)
            assert response.status_code == 404, (method, path)
            json_error(response)
    for path in DOCUMENTED + MISSING:
        for method in ("post", "put", "patch", "delete", "trace"):
            response = getattr(client, method)(path, HTTP_ACCEPT=accept)
            json_error(response)
            if response.status_code == 406:
                # The schema and the docs page first ask whether they can answer in the
                # format asked for (YAML/JSON, HTML): that refusal is JSON too.
                assert path in ("/api/schema/", "/api/docs/"), (method, path)
                continue
            assert response.status_code == 405, (method, path)
            assert "GET" in response["Allow"]
    # Content negotiation stays for what succeeds: the browsable API for a browser.
    assert client.get(API, HTTP_ACCEPT=accept)["Content-Type"].startswith(
        "text/html" if accept == "text/html" else "application/json"
    )
    # Asking for a format nobody serves: 406, in JSON.
    response = client.get(API, HTTP_ACCEPT="application/xml")
    assert response.status_code == 406
    json_error(response)


# --- The API against its own schema -------------------------------------------------------


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


# `st run --checks all`, as configuration: every check schemathesis has (response schema, status
# codes, content types, headers, data that must be accepted or rejected, response time...).
# A schema-valid filter may still be refused with a 400 the schema documents: a category or
# region slug that does not exist (they come from the database), a year before 2000 or after
# this one, a date range whose end comes before its start.
SCHEMATHESIS_CONFIG = {
    "operations": [
        {
            "include-name": "GET /api/incidents/",
            "checks": {
                "positive_data_acceptance": {"expected-statuses": ["2xx", "400", "404", "429"]}
            },
        }
    ]
}
EXAMPLES_PER_OPERATION = 25  # in each of the two modes: schema-valid data and invalid data


def test_api_conforms_to_its_schema(dataset, wsgi_app):
    """Schemathesis, with all its checks, against the schema the app serves, through the WSGI app,
    in the phases `st run` has for this schema: coverage (the deterministic edge cases of every
    parameter, and every method the schema does not declare) and fuzzing (data the schema allows
    and data it does not, for every operation). Examples and stateful have nothing to run: the
    schema holds no examples and no links. Driven by hand rather than by schemathesis' pytest
    loader, whose lazy fixtures do not run under pytest 9, and in this thread rather than by its
    engine, whose worker threads could not see this test's rows."""
    slugs = every_choice() + ["case-0-plain"]
    config = schemathesis.Config.from_dict(SCHEMATHESIS_CONFIG)
    config.projects.override.checks.update(included_check_names=["all"], max_response_time=10.0)
    loaded = schemathesis.openapi.from_wsgi("/api/schema/?format=json", wsgi_app, config=config)
    operations = [result.ok() for result in loaded.get_all_operations()]
    assert len(operations) == 7
    known_slugs = {
        "incidents": st.sampled_from(slugs),
        "categories": st.sampled_from(["beating", "physical-aggression", "censorship"]),
        "regions": st.sampled_from(["kyiv", "abroad", "crimea"]),
    }
    started = time.monotonic()
    covered = []
    for operation in operations:
        cases = loaded.iter_coverage_cases(
            operation,
            generation_modes=list(schemathesis.GenerationMode),
            generation_config=loaded.config.generation_for(operation=operation, phase="coverage"),
        )
        for case in cases:
            response = case.call_and_validate()
            covered.append((operation.label, case.method.upper(), response.status_code))
    fuzzed = []
    for operation, mode in itertools.product(operations, schemathesis.GenerationMode):
        if mode is schemathesis.GenerationMode.NEGATIVE and not operation_has_parameters(operation):
            continue  # nothing to make invalid
        fuzzed += run_schemathesis(operation, mode, known_slugs[operation.path.split("/")[2]])
    elapsed = time.monotonic() - started
    print(f"schemathesis: {len(covered)} + {len(fuzzed)} requests in {elapsed:.1f}s")
    # Every undeclared method was tried on every path (and answered 405 with Allow).
    assert {(label, method) for label, method, _ in covered if method != "GET"} >= {
        (operation.label, method) for operation in operations for method in ("POST", "DELETE")
    }
    # The answers were not all 404s and 400s: every operation answered 200 some of the time.
    assert {label for label, status in fuzzed if status == 200} == {op.label for op in operations}


def run_schemathesis(operation, mode, known_slug) -> list[tuple[str, int]]:
    """Cases of one operation in one mode, each answer checked; (operation, status) of each.
    A schema-valid case asks for a real slug half the time, so answers carry the records."""
    sent = []
    positive = mode is schemathesis.GenerationMode.POSITIVE

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode), slug=known_slug | st.none())
    def conforms(case, slug):
        if slug is not None and positive and "slug" in (case.path_parameters or {}):
            case.path_parameters["slug"] = slug
        response = case.call_and_validate()
        sent.append((operation.label, response.status_code))

    conforms()
    return sent


def operation_has_parameters(operation) -> bool:
    return bool(operation.definition.raw.get("parameters"))


# --- A page joined from items written once is DRF's own JSON ----------------------------------

# Titles as people write them: any alphabet, quotes, backslashes, emoji, and the two line
# separators JSON leaves alone but JavaScript does not (DRF escapes them).
any_title = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"))
    | st.sampled_from('\u2028\u2029"\\'),
    min_size=1,
    max_size=60,
).filter(str.strip)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(titles=st.lists(any_title, min_size=1, max_size=3))
@example(titles=['Напад\u2028на «журналістку» "Ю"\\', "Threats 🙂\u2029"])
@pytest.mark.django_db
def test_the_list_joined_from_kept_items_is_what_drf_writes(client, page_cache, titles):
    """The incident list joins each incident's JSON, written once and kept, into the page
    (ItemsJSONRenderer). Read from the cache or written now, the bytes are DRF's own
    rendering of the same data, and indented JSON and the browsable page say the same."""
    from rest_framework.renderers import JSONRenderer

    Incident.objects.all().delete()
    for title in titles:
        IncidentFactory(title=title)
    for _ in range(2):  # items written now, then joined from the kept ones (a page miss each)
        response = client.get(API, {"lang": "uk", "n": next(REQUESTS)})
        data = json.loads(response.content)
        assert response.content == JSONRenderer().render(data)
        assert sorted(item["title"] for item in data["results"]) == sorted(titles)
        assert b"\xe2\x80\xa8" not in response.content  # U+2028 is escaped, as DRF does
    params = {"lang": "uk", "n": next(REQUESTS)}
    indented = client.get(API, params, HTTP_ACCEPT="application/json; indent=2")
    assert json.loads(indented.content) == data
    assert indented.content.startswith(b'{\n  "count"')
    browsable = client.get(API, params, HTTP_ACCEPT="text/html")
    assert browsable.status_code == 200
    assert browsable["Content-Type"].startswith("text/html")
    assert f"&quot;count&quot;: {len(titles)}" in browsable.content.decode()


REQUESTS = itertools.count()
