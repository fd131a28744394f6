"""One dataset and the readers for every view that counts incidents: the list page, the CSV and
JSON exports and the API. Shared by test_exports.py and test_api.py."""

import codecs
import csv
import datetime
import io
import json

from django.utils import timezone
from hypothesis import strategies as st

from incidents.models import Category, Incident, Region

from .factories import IncidentFactory, TranslationFactory
from .pages import result_count

LIST = "/incidents/"
CSV = "/incidents/export.csv"
JSON = "/incidents/export.json"
API = "/api/incidents/"

GROUPS = ["physical-aggression", "censorship-access", "legal-pressure"]
LEAVES = ["beating", "threats", "detention", "censorship", "obstruction", "prosecution"]
REGIONS = ["kyiv", "lviv", "odesa", "abroad"]
PERPETRATORS = ["police", "officials", "unknown", "russian_forces"]
WORDS = ["zebra", "quartz", "yacht"]
HIDDEN_TITLE = "Hidden"


def make(title, categories, region, perpetrator, occurred_on, **kwargs):
    kwargs.setdefault("lead", "Короткий лід про журналістку з Києва.")
    kwargs.setdefault("body", "The body of the article.")
    if region == "abroad":
        kwargs.setdefault("country", "Poland")
    return IncidentFactory(
        title=title,
        categories=[Category.objects.get(slug=slug) for slug in categories],
        region=Region.objects.get(slug=region),
        perpetrator_type=perpetrator,
        occurred_on=occurred_on,
        **kwargs,
    )


def build_dataset():
    """Thirty public incidents spread over every filtered fact, one translated story, and
    unpublished ones (draft, archived, scheduled) that match the same filters and must never
    be shown or counted."""
    for n in range(30):
        categories = sorted({LEAVES[n % 6]} | ({LEAVES[(n * 5 + 1) % 6]} if n % 3 == 0 else set()))
        word = WORDS[n % 3] if n % 2 else "plain"
        make(
            f"Case {n} {word}",
            categories,
            REGIONS[n % 4],
            PERPETRATORS[n % 5 % 4],
            datetime.date(2019, 1, 1) + datetime.timedelta(days=n * 47),
            language="en" if n % 7 == 3 else "uk",
            # Several share a publication time, as an import would: pages must still hold.
            published_at=timezone.now() - datetime.timedelta(hours=1 + n // 3),
        )
    TranslationFactory(
        translation_of=Incident.objects.get(title="Case 0 plain"), title="Case 0 zebra english"
    )
    for n, state in enumerate(["draft", "archived", "scheduled"]):
        make(
            f"{HIDDEN_TITLE} {state} zebra",
            ["beating", "threats"],
            REGIONS[n],
            "police",
            datetime.date(2020, 3, 15),
            **{state: True},
        )


dates = st.dates(datetime.date(2018, 6, 1), datetime.date(2023, 6, 1)).map(str)
filter_params = st.fixed_dictionaries(
    {},
    optional={
        "q": st.sampled_from(WORDS),
        "group": st.sampled_from(GROUPS),
        "category": st.sampled_from(LEAVES),
        "region": st.sampled_from(REGIONS),
        "perpetrator": st.sampled_from(PERPETRATORS),
        "year": st.integers(2019, 2023).map(str),
        "month": st.integers(1, 12).map(str),
        "date_from": dates,
        "date_to": dates,
    },
)

COMBINATIONS = [
    {},
    {"region": "kyiv"},
    {"category": "threats"},
    {"group": "physical-aggression"},
    {"group": "legal-pressure", "region": "lviv"},
    {"perpetrator": "police", "year": "2020"},
    {"q": "zebra"},
    {"q": "zebra", "category": "beating"},
    {"date_from": "2020-01-01", "date_to": "2021-06-30"},
    {"date_from": "01.01.2020"},
    {"month": "3"},
    {"year": "2023", "region": "abroad"},
    {"region": "kyiv", "page": "2"},
]


def list_count(client, params, prefix=""):
    response = client.get(prefix + LIST, params)
    assert response.status_code == 200
    return result_count(response)


def read_csv(response):
    """(metadata {name: value}, header, rows as dicts) of a CSV export, checked as it goes."""
    assert response.status_code == 200
    assert response.streaming
    raw = b"".join(response.streaming_content)
    assert raw.startswith(codecs.BOM_UTF8)
    lines = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    metadata = {}
    while lines and lines[0][0].startswith("# "):
        line = lines.pop(0)
        metadata[line[0][2:]] = line[1] if len(line) > 1 else ""
    header, *rows = lines
    return metadata, header, [dict(zip(header, row, strict=True)) for row in rows]


def csv_export(client, params, prefix=""):
    return read_csv(client.get(prefix + CSV, params))


def json_export(client, params, prefix=""):
    response = client.get(prefix + JSON, params)
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "application/json"
    return json.loads(b"".join(response.streaming_content))


def api_pages(client, params):
    """Every page of the API's incident list: (the counts each page gave, all the results)."""
    counts, results = [], []
    url, data = API, params
    while url:
        response = client.get(url, data)
        assert response.status_code == 200, response.content
        page = response.json()
        counts.append(page["count"])
        results.extend(page["results"])
        url, data = page["next"], None
    return counts, results


def api_count(client, params):
    response = client.get(API, params)
    assert response.status_code == 200, response.content
    return response.json()["count"]
