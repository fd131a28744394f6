"""The public lists read a page, not the archive: PostgreSQL's plan of every query the public
list addresses run, checked for a sort or an aggregate over (nearly) every listed incident
under a LIMIT that keeps a page of them.

Such a plan is what made pages slow at 100,000 incidents (the API's GROUP BY before its LIMIT,
issue 30): the database reads and sorts or groups the whole list to return 20 rows. The plan's
shape shows it on a few thousand rows already, so the test needs no large archive: the rows
are bulk-created, ANALYZE gives the planner real statistics, and the SQL checked is the SQL
the real views run (captured around a request to each address).
"""

import datetime
import json
import random

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents import services
from incidents.models import (
    Category,
    Incident,
    IncidentUpdate,
    PerpetratorType,
    Region,
    SourceLink,
)
from tests.shared_data import shared_data

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the plans checked are PostgreSQL's"
    ),
]

SIZE = 3000
# A sort or aggregate under a LIMIT is a full read when it takes in more than this share of
# the listed incidents and the LIMIT keeps less than half of what it takes in.
SHARE = 0.5
FULL_READ_NODES = {"Sort", "Aggregate", "WindowAgg", "SetOp", "Unique"}
# Tables with a row (or more) per incident: a full read of one of them is a full read of the
# list. The summary tables (daily and monthly counts), categories and regions are small.
LISTED_TABLES = {
    "incidents_incident",
    "incidents_incident_categories",
    "incidents_victim",
    "incidents_sourcelink",
    "incidents_perpetrator",
    "incidents_criminalcase",
    "incidents_incidentupdate",
}


def build_archive(size: int, seed: int = 5) -> None:
    """`size` published incidents over ten years, in bulk: regions, perpetrators, one to three
    categories, a quarter written in English, some translated, some featured, a few with
    sources and updates; then the listing flags and counts (the service) and ANALYZE."""
    rng = random.Random(seed)
    leaves = list(Category.objects.leaves())
    regions = list(Region.objects.all())
    perpetrators = PerpetratorType.values
    now = timezone.now()
    start = datetime.date(2016, 1, 1)
    span = (timezone.localdate() - start).days
    rows = []
    for n in range(size):
        day = start + datetime.timedelta(days=rng.randrange(span))
        published = datetime.datetime.combine(day, datetime.time(12), tzinfo=datetime.UTC)
        region = rng.choice(regions)
        rows.append(
            Incident(
                title=f"Plan incident {n}",
                slug=f"plan-{n}",
                lead="A reporter was attacked while filming.",
                body="A reporter was attacked while filming.",
                body_html="<p>A reporter was attacked while filming.</p>",
                # Indexed already: the search's text is not what is checked here.
                search_document=" a reporter was attacked while filming ",
                language="en" if n % 4 == 3 else "uk",
                status=Incident.Status.PUBLISHED,
                published_at=min(published + datetime.timedelta(hours=rng.randint(1, 300)), now),
                occurred_on=day,
                occurred_until=day,  # bulk_create skips save(), which derives it
                region=region,
                country="Poland" if region.kind == Region.Kind.ABROAD else "",
                perpetrator_type=rng.choice(perpetrators),
                is_featured=n % 97 == 0,
            )
        )
    Incident.objects.bulk_create(rows, batch_size=1000)
    originals = [row for row in rows if row.language == "uk"]
    translations = []
    for n, original in enumerate(originals[: size // 10]):
        translations.append(
            Incident(
                title=f"Plan translation {n}",
                slug=f"plan-translation-{n}",
                lead="Translated.",
                body="Translated.",
                body_html="<p>Translated.</p>",
                search_document=" translated ",
                language="en",
                translation_of=original,
                status=Incident.Status.PUBLISHED,
                published_at=original.published_at,
                occurred_on=original.occurred_on,
                occurred_until=original.occurred_on,
                region=original.region,
                country=original.country,
                perpetrator_type=original.perpetrator_type,
            )
        )
    Incident.objects.bulk_create(translations, batch_size=1000)
    through = Incident.categories.through
    links, sources, updates = [], [], []
    for incident in rows:
        picked = rng.sample(leaves, rng.choice([1, 1, 2, 3]))
        links += [through(incident_id=incident.pk, category_id=c.pk) for c in picked]
    for translation in translations:
        links += [
            through(incident_id=translation.pk, category_id=link.category_id)
            for link in links
            if link.incident_id == translation.translation_of_id
        ]
    for incident in rows[::5]:
        sources.append(SourceLink(incident=incident, url=f"https://example.org/{incident.slug}"))
        updates.append(
            IncidentUpdate(
                incident=incident,
                on=incident.occurred_on,
                kind=IncidentUpdate.Kind.UPDATE,
                text="Police opened a case.",
                is_public=True,
            )
        )
    through.objects.bulk_create(links, batch_size=2000)
    SourceLink.objects.bulk_create(sources, batch_size=2000)
    IncidentUpdate.objects.bulk_create(updates, batch_size=2000)
    services.incidents_rebuild()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def addresses(today: datetime.date) -> list[str]:
    """Every public address that lists incidents or counts them."""
    group = Category.objects.groups().order_by("position", "pk").first().slug
    category = Category.objects.leaves().order_by("position", "pk").first().slug
    year = str(today.year - 1)
    filters = [
        {},
        {"region": "kyiv"},
        {"year": year},
        {"group": group},
        {"category": category},
        {"perpetrator": "police"},
        {"languages": "all"},
        {"date_from": f"{year}-02-10", "date_to": f"{year}-11-20"},
        {"group": group, "perpetrator": "police"},
        {"region": "kyiv", "year": year},
    ]
    result = []
    for params in filters:
        query = "&".join(f"{key}={value}" for key, value in params.items())
        result += [f"/incidents/?{query}", f"/en/incidents/?{query}"]
        for lang in ("uk", "en"):
            api_query = "&".join([f"lang={lang}", *query.split("&")]).strip("&")
            result.append(f"/api/incidents/?{api_query}")
    result += [
        "/",
        "/en/",
        "/incidents/feed/rss/",
        "/incidents/feed/atom/",
        f"/incidents/feed/{group}/rss/",
        f"/en/incidents/feed/{category}/atom/",
        f"/incidents/export/sdg-16-10-1.json?year={year}",
        f"/incidents/export/sdg-16-10-1.csv?region=kyiv&year={year}",
        f"/stats/?year={today.year}",
        f"/stats/?date_from=1991-01-01&date_to={today.isoformat()}",
        f"/stats/?year={year}&region=kyiv",
        f"/stats/?year={year}&rule=every&group={group}",
        f"/stats/{year}/3/",
        f"/en/stats/{year}/3/",
        "/sitemap.xml",
    ]
    return result


def captured_selects(client, address: str) -> list[tuple[str, tuple]]:
    caches["pages"].clear()
    caches["default"].clear()
    with CaptureQueriesContext(connection) as context:
        response = client.get(address, HTTP_ACCEPT="*/*")
        if response.streaming:  # the exports read their rows while they are sent
            b"".join(response.streaming_content)
    assert response.status_code == 200, (address, response.status_code)
    return [
        query["sql"]
        for query in context.captured_queries
        if query["sql"].lstrip().upper().startswith(("SELECT", "WITH"))
    ]


def plan_of(sql: str) -> dict:
    # The captured SQL has its parameters in place (the database's own quoting).
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
        (row,) = cursor.fetchone()
    plan = row if isinstance(row, list) else json.loads(row)
    return plan[0]["Plan"]


def children(node: dict) -> list[dict]:
    return node.get("Plans", [])


def relations(node: dict) -> set[str]:
    found = {node["Relation Name"]} if "Relation Name" in node else set()
    for child in children(node):
        found |= relations(child)
    return found


def full_reads(node: dict, listed: int, limit: dict | None = None):
    """(Limit node, offending node, rows it takes in) for every sort or aggregate under a
    LIMIT that takes in more than SHARE of the listed incidents from a table with a row per
    incident, while the LIMIT keeps less than half of that."""
    if node["Node Type"] == "Limit":
        limit = node
    elif limit is not None and node["Node Type"] in FULL_READ_NODES:
        taken = sum(
            child["Plan Rows"]
            for child in children(node)
            if child.get("Parent Relationship") in ("Outer", "Inner", "Member")
        )
        if (
            taken > SHARE * listed
            and limit["Plan Rows"] < taken / 2
            and relations(node) & LISTED_TABLES
        ):
            yield limit, node, taken
    for child in children(node):
        yield from full_reads(child, listed, limit)


def describe(node: dict) -> str:
    keys = ("Node Type", "Strategy", "Sort Key", "Group Key", "Relation Name", "Plan Rows")
    return ", ".join(f"{key}: {node[key]}" for key in keys if key in node)


def check_plans(client, addresses_: list[str], listed: int) -> list[str]:
    problems = []
    for address in addresses_:
        for sql in captured_selects(client, address):
            if " LIMIT " not in sql.upper():
                continue
            for limit, node, taken in full_reads(plan_of(sql), listed):
                problems.append(
                    f"{address}: a {node['Node Type']} takes in {taken:.0f} rows (of {listed} "
                    f"listed) before a LIMIT that keeps {limit['Plan Rows']}\n"
                    f"  node: {describe(node)}\n  SQL: {sql}"
                )
    return problems


@shared_data
def archive():
    """SIZE incidents, as build_archive makes them; the number listed in Ukrainian."""
    build_archive(SIZE)
    return Incident.objects.published().filter(listed_uk=True).count()


def test_no_public_list_sorts_or_groups_every_incident_before_its_limit(client, archive):
    assert archive > SIZE * 0.9
    urls = addresses(timezone.localdate())
    problems = check_plans(client, urls, archive)
    assert not problems, "\n\n".join(problems)


def test_the_check_finds_a_group_by_before_the_limit(client, archive, monkeypatch):
    """The shape the API list had before issue 30: a count of public updates as an aggregate
    over the join of the page's query, so the database grouped every listed incident before
    taking 50."""
    from django.db.models import Count, Q

    from incidents import api

    choose_page = api.IncidentViewSet.get_queryset
    monkeypatch.setattr(
        api.IncidentViewSet,
        "get_queryset",
        lambda view: choose_page(view).annotate(
            n=Count("updates", filter=Q(updates__is_public=True))
        ),
    )
    problems = check_plans(client, ["/api/incidents/?lang=uk"], archive)
    assert problems and "GROUP BY" in problems[0], problems
