"""The barometer: what a reader of /stats/, its CSV tables and the monthly reports notices.

The numbers are read from the rendered pages (the tables under the charts and the lead),
never from the view's context, and compared with the incident list for the same URL
parameters: the list is the reference for "which incidents".
"""

import csv
import datetime
import io
import random
import re
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incidents.models import Category, MethodNote, PerpetratorType, Region
from incidents.services import (
    incident_delete,
    incident_publish,
    incident_unpublish,
    incidents_refresh,
)
from tests.shared_data import shared_data

from .factories import IncidentFactory, TranslationFactory
from .pages import card_titles, parse, result_count

STATS = "/stats/"
LIST = "/incidents/"
TABLES = ["months", "russia", "groups", "categories", "regions", "perpetrators"]
YEAR_2019 = {"date_from": "2019-01-01", "date_to": "2019-12-31"}


# --- Reading the pages ------------------------------------------------------------------


def stats_table(response, name) -> dict:
    """One table under a chart: its header and its rows (label, link, numbers)."""
    table = parse(response).by_id(f"table-{name}")
    assert table is not None, f"no table {name}"
    header = [th.text for th in table.find("thead").find_all("th")]
    rows = []
    for tr in table.find("tbody").find_all("tr"):
        th = tr.find("th")
        if th is None:  # "No incidents."
            continue
        link = th.find("a")
        rows.append(
            {
                "label": th.text,
                "href": link.attrs["href"] if link else None,
                "values": [int(td.text) for td in tr.find_all("td")],
            }
        )
    return {"header": header, "rows": rows}


def by_label(response, name) -> dict[str, int]:
    return {row["label"]: row["values"][0] for row in stats_table(response, name)["rows"]}


def lead_total(response) -> int:
    """The N of "N incidents from … to …"."""
    lead = parse(response).find("p", class_="lead")
    numbers = re.findall(r"\d+", lead.text)
    return int(numbers[0])


def months_sum(response) -> int:
    """The sum of the "Total" column of the per-month table."""
    return sum(row["values"][0] for row in stats_table(response, "months")["rows"])


def stats(client, params, prefix=""):
    response = client.get(f"{prefix}{STATS}", params)
    assert response.status_code == 200, response.status_code
    return response


def list_count(client, params, prefix=""):
    """The list's count of every story, as the barometer counts (languages=all)."""
    response = client.get(f"{prefix}{LIST}", {**params, "languages": "all"})
    assert response.status_code == 200
    return result_count(response)


def report_table(response, section) -> dict[str, int]:
    """A table of the monthly report: {name: count}."""
    node = parse(response).find("section", **{"aria-labelledby": section})
    rows = {}
    for tr in node.find_all("tr"):
        th, td = tr.find("th"), tr.find("td")
        if th is not None:
            rows[th.text] = int(td.text)
    return rows


def has_filter_warning(response) -> bool:
    return parse(response).find("div", class_="filter-errors") is not None


def categories(*slugs):
    return [Category.objects.get(slug=slug) for slug in slugs]


def add_months(day, months):
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


# --- 1. The default period is written into the address ----------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("prefix", ["", "/en"])
def test_stats_without_dates_redirects_to_the_last_12_months(client, prefix):
    today = timezone.localdate()
    response = client.get(f"{prefix}{STATS}", {"region": "kyiv", "q": "суд"})
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert target.path == f"{prefix}{STATS}"
    query = parse_qs(target.query)
    first = add_months(today.replace(day=1), -11)
    assert query == {
        "region": ["kyiv"],
        "q": ["суд"],
        "date_from": [first.isoformat()],
        "date_to": [today.isoformat()],
    }
    # Twelve calendar months, the current one included.
    assert (today.year - first.year) * 12 + today.month - first.month == 11
    followed = client.get(response["Location"])
    assert followed.status_code == 200
    assert len(stats_table(followed, "months")["rows"]) == 12


@pytest.mark.django_db
def test_any_date_parameter_is_enough_not_to_redirect(client):
    for params in ({"year": "2020"}, {"date_to": "2020-05-01"}, {"month": "3"}):
        assert client.get(STATS, params).status_code == 200


# --- 2. The same parameters count the same incidents as the list --------------------------

LEAVES = ["beating", "threats", "censorship", "cyberattack", "lawsuit-against-media", "killing"]
GROUPS = ["physical-aggression", "censorship-access", "cybercrimes", "legal-pressure"]
REGIONS = ["kyiv", "lviv", "odesa", "kharkiv"]
PERPETRATORS = ["police", "officials", "unknown", "russian_forces"]
WORDS = ["zebra", "walrus"]


@shared_data
def dataset():
    """About forty incidents over 2019–2020, with drafts and a translation around them."""
    rng = random.Random(20190227)
    start = datetime.date(2019, 1, 1)
    for n in range(40):
        IncidentFactory(
            title=f"Case {n} {WORDS[n % 2]}",
            occurred_on=start + datetime.timedelta(days=rng.randint(0, 729)),
            categories=categories(*rng.sample(LEAVES, rng.choice([1, 1, 2, 3]))),
            region=Region.objects.get(slug=rng.choice(REGIONS)),
            perpetrator_type=rng.choice(PERPETRATORS),
            status="published" if n % 9 else "draft",
            published_at=timezone.now() - datetime.timedelta(hours=1) if n % 9 else None,
        )
    TranslationFactory(
        translation_of=IncidentFactory(
            title="Case 40 zebra", occurred_on=datetime.date(2019, 7, 1)
        ),
        title="Case 40 zebra english",
    )


CONSISTENCY_CASES = [
    YEAR_2019,
    {"date_from": "2019-03-10", "date_to": "2020-02-20"},
    {**YEAR_2019, "group": "physical-aggression"},
    {"date_from": "2019-06-01", "date_to": "2020-12-31", "category": "beating"},
    {"date_from": "2019-01-01", "date_to": "2020-12-31", "region": "lviv"},
    {"date_from": "2019-01-01", "date_to": "2020-12-31", "perpetrator": "police"},
    {"date_from": "2019-01-01", "date_to": "2020-12-31", "q": "zebra"},
    {"date_from": "2020-01-01", "group": "cybercrimes", "region": "kyiv", "q": "walrus"},
    {"year": "2020", "category": "threats"},
    {"year": "2019", "month": "7"},
    {"date_from": "2020-12-31", "date_to": "2019-01-01"},  # the wrong way round: nothing
]


@pytest.mark.parametrize("params", CONSISTENCY_CASES, ids=lambda p: urlencode(p))
@pytest.mark.parametrize("prefix", ["", "/en"])
def test_stats_total_is_the_list_count(client, dataset, params, prefix):
    response = stats(client, params, prefix)
    expected = list_count(client, params, prefix)
    assert lead_total(response) == expected
    assert months_sum(response) == expected


@pytest.mark.django_db
def test_each_group_and_category_row_is_the_list_count_for_it(client, dataset):
    """With the rule "every category it fits", a row is what the list filtered by it counts."""
    response = stats(client, {**YEAR_2019, "rule": "every"})
    groups = by_label(response, "groups")
    for group in Category.objects.groups():
        assert groups[group.name_uk] == list_count(client, {**YEAR_2019, "group": group.slug})
    leaves = by_label(response, "categories")
    for leaf in Category.objects.leaves():
        expected = list_count(client, {**YEAR_2019, "category": leaf.slug})
        assert leaves.get(leaf.name_uk, 0) == expected
    regions = by_label(response, "regions")
    for region in Region.objects.filter(slug__in=REGIONS):
        assert regions.get(region.name_uk, 0) == list_count(
            client, {**YEAR_2019, "region": region.slug}
        )


dates = st.dates(datetime.date(2018, 10, 1), datetime.date(2021, 3, 1)).map(str)
stats_params = st.fixed_dictionaries(
    {},
    optional={
        "date_from": dates,
        "date_to": dates,
        "group": st.sampled_from(GROUPS),
        "category": st.sampled_from(LEAVES),
        "region": st.sampled_from(REGIONS),
        "perpetrator": st.sampled_from(PERPETRATORS),
    },
)


@pytest.mark.django_db
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(params=stats_params)
def test_stats_and_list_agree_for_any_filters(client, dataset, params):
    response = client.get(STATS, params, follow=True)
    assert response.status_code == 200
    # The parameters after the redirect (the default period filled in) go to the list.
    final = {k: v[0] for k, v in parse_qs(response.request["QUERY_STRING"]).items()}
    assert "date_from" in final or "date_to" in final
    total = lead_total(response)
    assert total == list_count(client, final)
    if "date_from" in final:
        assert months_sum(response) == total
    else:
        # Only an end date: the chart shows the twelve months up to it, the total all before.
        assert months_sum(response) <= total
    assert sum(by_label(response, "regions").values()) == total
    assert sum(by_label(response, "perpetrators").values()) == total
    assert all(n <= total for n in by_label(response, "groups").values())


# --- 3. The counting rule ---------------------------------------------------------------


@pytest.mark.django_db
def test_an_incident_in_two_groups_counts_once_in_the_total_and_once_per_row(client):
    IncidentFactory(
        occurred_on=datetime.date(2019, 4, 3), categories=categories("beating", "censorship")
    )
    IncidentFactory(
        occurred_on=datetime.date(2019, 4, 20), categories=categories("beating", "threats")
    )
    beating, threats, censorship = categories("beating", "threats", "censorship")
    physical, access = beating.parent, censorship.parent

    response = stats(client, {**YEAR_2019, "rule": "every"})
    assert lead_total(response) == 2
    months = stats_table(response, "months")
    april = next(row for row in months["rows"] if row["href"] == "/stats/2019/4/")
    columns = dict(zip(months["header"][1:], april["values"], strict=True))
    assert april["values"][0] == 2
    # Per group in the month: both are physical aggression (once each), one is censorship.
    assert columns[physical.name_uk] == 2
    assert columns[access.name_uk] == 1

    leaves = by_label(response, "categories")
    assert leaves == {beating.name_uk: 2, threats.name_uk: 1, censorship.name_uk: 1}
    assert sum(leaves.values()) == 4 > lead_total(response)

    groups = by_label(response, "groups")
    # Two categories of the same group: once for that group.
    assert groups[physical.name_uk] == 2
    assert groups[access.name_uk] == 1
    assert sum(groups.values()) == 3
    assert by_label(response, "regions") == {"Київ": 2}


# --- 4. What is never counted; translations ------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("prefix", ["", "/en"])
def test_drafts_archived_and_scheduled_incidents_are_never_counted(client, prefix):
    today = timezone.localdate()
    for day in (datetime.date(2019, 5, 5), today):
        IncidentFactory(occurred_on=day, draft=True)
        IncidentFactory(occurred_on=day, archived=True)
        IncidentFactory(occurred_on=day, scheduled=True)
    IncidentFactory(occurred_on=datetime.date(2019, 5, 6))
    params = {"date_from": "2019-01-01", "date_to": today.isoformat()}
    response = stats(client, params, prefix)
    assert lead_total(response) == 1
    assert months_sum(response) == 1
    assert sum(by_label(response, "groups").values()) == 1
    page = parse(response)
    assert page.by_id("this-month").text == "0"
    assert page.by_id("this-year").text == "0"
    month = client.get(f"{prefix}/stats/{today.year}/{today.month}/")
    assert "0" in parse(month).by_id("month-total").text
    assert card_titles(month) == []


@pytest.mark.django_db
def test_a_translated_story_counts_once_in_each_language(client):
    translated = TranslationFactory(
        translation_of=IncidentFactory(occurred_on=datetime.date(2019, 3, 1))
    )
    # A Ukrainian story whose English version is still a draft: English readers count the
    # Ukrainian one instead.
    TranslationFactory(
        translation_of=IncidentFactory(occurred_on=datetime.date(2019, 3, 2)), draft=True
    )
    for prefix in ("", "/en"):
        response = stats(client, YEAR_2019, prefix)
        assert lead_total(response) == 2, prefix
        assert months_sum(response) == 2
        assert sum(by_label(response, "regions").values()) == 2
        report = client.get(f"{prefix}/stats/2019/3/")
        assert len(card_titles(report)) == 2
    english = card_titles(client.get("/en/stats/2019/3/"))
    assert translated.title in english


# --- 5. The per-month table ---------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("prefix", ["", "/en"])
def test_one_row_per_month_with_zeros_and_links_to_the_monthly_report(client, prefix):
    IncidentFactory(occurred_on=datetime.date(2019, 2, 14))
    IncidentFactory(occurred_on=datetime.date(2019, 5, 31))
    IncidentFactory(occurred_on=datetime.date(2019, 5, 1))
    IncidentFactory(occurred_on=datetime.date(2019, 7, 1))  # after the period
    response = stats(client, {"date_from": "2019-01-15", "date_to": "2019-06-10"}, prefix)
    rows = stats_table(response, "months")["rows"]
    assert [row["href"] for row in rows] == [f"{prefix}/stats/2019/{m}/" for m in range(1, 7)]
    assert [row["values"][0] for row in rows] == [0, 1, 0, 0, 2, 0]
    # Every row has a number for every column, group columns included.
    width = len(stats_table(response, "months")["header"]) - 1
    assert all(len(row["values"]) == width for row in rows)
    assert width == 1 + Category.objects.groups().count()
    assert client.get(rows[1]["href"]).status_code == 200


# --- 6. This month / this year so far ------------------------------------------------------


def _same_day_last_month(today):
    last_month = add_months(today.replace(day=1), -1)
    last_day = today.replace(day=1) - datetime.timedelta(days=1)
    return last_month.replace(day=min(today.day, last_day.day))


def _same_day_last_year(today):
    try:
        return today.replace(year=today.year - 1)
    except ValueError:
        return today.replace(year=today.year - 1, day=28)


@pytest.mark.django_db
def test_this_month_and_this_year_ignore_the_chosen_dates(client, kyiv, lviv):
    today = timezone.localdate()
    this_month = today.replace(day=1)
    last_month = add_months(this_month, -1)
    last_year = datetime.date(today.year - 1, 1, 1)
    days = [
        today,
        this_month,
        last_month,
        this_month - datetime.timedelta(days=1),  # the last day of last month
        datetime.date(today.year, 1, 1),
        last_year,
        _same_day_last_year(today),
        _same_day_last_year(today) + datetime.timedelta(days=1),
        datetime.date(2019, 6, 1),
    ]
    for day in days:
        IncidentFactory(occurred_on=day, region=kyiv)
    IncidentFactory(occurred_on=today, region=lviv)

    def expected(region_days):
        same_month = _same_day_last_month(today)
        same_year = _same_day_last_year(today)
        return {
            "month": sum(this_month <= d <= today for d in region_days),
            "month_before": sum(last_month <= d <= same_month for d in region_days),
            "year": sum(datetime.date(today.year, 1, 1) <= d <= today for d in region_days),
            "year_before": sum(last_year <= d <= same_year for d in region_days),
        }

    for params, region_days in (
        (YEAR_2019, [*days, today]),
        ({"date_from": "2019-06-01", "date_to": "2019-06-01", "region": "kyiv"}, days),
        ({"year": "2019", "month": "6", "region": "lviv"}, [today]),
    ):
        response = stats(client, params)
        page = parse(response)
        want = expected(region_days)
        assert page.by_id("this-month").text == str(want["month"]), params
        assert page.by_id("this-year").text == str(want["year"]), params
        month_note = page.by_id("this-month").parent.find("p", class_="small").text
        year_note = page.by_id("this-year").parent.find("p", class_="small").text
        assert month_note.startswith(f"{want['month_before']} "), month_note
        assert _same_day_last_month(today).strftime("%d.%m") in month_note
        assert year_note.startswith(f"{want['year_before']} "), year_note
        assert _same_day_last_year(today).strftime("%d.%m.%Y") in year_note


# --- 7. Each table as CSV -----------------------------------------------------------------


def read_csv(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    assert not text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize("name", TABLES)
@pytest.mark.parametrize("prefix", ["", "/en"])
def test_each_csv_has_exactly_the_rows_and_numbers_of_its_table(client, dataset, name, prefix):
    params = {"date_from": "2019-02-10", "date_to": "2020-03-01", "region": "kyiv"}
    html = stats_table(stats(client, params, prefix), name)
    query = urlencode(params)
    lines = read_csv(client.get(f"{prefix}/stats/table/{name}.csv?{query}"))
    # The first lines name the table and the filters.
    assert lines[0][0].startswith("# ") and name in lines[0]
    assert lines[1][0].startswith("# ")
    assert "region=kyiv" in lines[1][1] and "date_from=2019-02-10" in lines[1][1]
    # The counting rule the numbers were counted with (issue 16).
    assert lines[2][0].startswith("# ")
    assert ("most severe" in lines[2][1]) or ("найтяжч" in lines[2][1])
    header, rows = lines[3], lines[4:]
    assert header == html["header"]
    assert len(rows) == len(html["rows"])
    for csv_row, html_row in zip(rows, html["rows"], strict=True):
        if name in ("months", "russia"):
            year, month = csv_row[0].split("-")
            assert html_row["href"] == f"{prefix}/stats/{int(year)}/{int(month)}/"
        else:
            assert csv_row[0] == html_row["label"]
        assert [int(v) for v in csv_row[1:]] == html_row["values"]
    if name not in ("months", "russia"):
        assert rows, "the dataset should give every table some rows"


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["unknown", "month", "months.json", "MONTHS"])
def test_unknown_table_is_404(client, name):
    assert client.get(f"/stats/table/{name}.csv", YEAR_2019).status_code == 404


# --- 8. The monthly report -----------------------------------------------------------------


@pytest.mark.django_db
def test_monthly_report(client, kyiv, lviv):
    first = IncidentFactory(
        title="February one",
        occurred_on=datetime.date(2019, 2, 1),
        categories=categories("beating", "censorship"),
        region=kyiv,
    )
    second = IncidentFactory(
        title="February two",
        occurred_on=datetime.date(2019, 2, 28),
        categories=categories("beating", "threats"),
        region=lviv,
    )
    IncidentFactory(title="January", occurred_on=datetime.date(2019, 1, 31))
    IncidentFactory(title="March", occurred_on=datetime.date(2019, 3, 1))
    IncidentFactory(title="Draft", occurred_on=datetime.date(2019, 2, 10), draft=True)
    beating, threats, censorship = categories("beating", "threats", "censorship")

    for path in ("/stats/2019/2/", "/stats/2019/02/"):
        response = client.get(path)
        assert response.status_code == 200
        page = parse(response)
        assert re.findall(r"\d+", page.by_id("month-total").text) == ["2"]
        # IMI's rule: each counts once, under its most severe category (beating, both).
        groups = report_table(response, "m-groups")
        assert groups[beating.parent.name_uk] == 2
        assert groups[censorship.parent.name_uk] == 0
        assert sum(groups.values()) == 2
        assert report_table(response, "m-categories") == {beating.name_uk: 2}
        assert threats and censorship
        assert report_table(response, "m-regions") == {kyiv.name_uk: 1, lviv.name_uk: 1}
        assert sorted(card_titles(response)) == sorted([first.title, second.title])
        assert page.find("a", rel="prev").attrs["href"] == "/stats/2019/1/"
        assert page.find("a", rel="next").attrs["href"] == "/stats/2019/3/"
    english = client.get("/en/stats/2019/2/")
    assert parse(english).find("a", rel="next").attrs["href"] == "/en/stats/2019/3/"
    assert report_table(english, "m-regions") == {kyiv.name_en: 1, lviv.name_en: 1}


@pytest.mark.django_db
def test_the_current_month_has_no_next_link_and_other_months_do(client):
    today = timezone.localdate()
    current = parse(client.get(f"/stats/{today.year}/{today.month}/"))
    assert current.find("a", rel="next") is None
    assert current.find("a", rel="prev") is not None
    last = add_months(today.replace(day=1), -1)
    previous = parse(client.get(f"/stats/{last.year}/{last.month}/"))
    assert previous.find("a", rel="next").attrs["href"] == f"/stats/{today.year}/{today.month}/"


@pytest.mark.django_db
def test_impossible_months_are_404(client):
    today = timezone.localdate()
    following = add_months(today.replace(day=1), 1)
    for path in (
        "/stats/2019/13/",
        "/stats/2019/0/",
        "/stats/1980/1/",
        "/stats/1990/12/",
        f"/stats/{following.year}/{following.month}/",
        f"/stats/{today.year + 1}/1/",
        "/en/stats/2019/13/",
    ):
        assert client.get(path).status_code == 404, path
    assert client.get("/stats/1991/1/").status_code == 200


# --- 9. No stale numbers after a change -------------------------------------------------------


@pytest.mark.django_db
def test_changes_show_on_the_next_request(client, lviv, settings):
    settings.PUBLIC_PAGE_CACHE = True  # whole pages and computed numbers are cached
    assert "DummyCache" not in django_settings.CACHES["default"]["BACKEND"]
    IncidentFactory(title="Court case", occurred_on=datetime.date(2019, 3, 3))
    edited = IncidentFactory(title="Court case two", occurred_on=datetime.date(2019, 3, 4))
    draft = IncidentFactory(title="Zebra draft", occurred_on=datetime.date(2019, 3, 5), draft=True)
    searched = {**YEAR_2019, "q": "zebra"}

    def numbers():
        whole = stats(client, YEAR_2019)
        return (
            lead_total(whole),
            lead_total(stats(client, searched)),
            by_label(whole, "regions").get(lviv.name_uk, 0),
            re.findall(r"\d+", parse(client.get("/stats/2019/3/")).by_id("month-total").text),
        )

    assert numbers() == (2, 0, 0, ["2"])
    assert numbers() == (2, 0, 0, ["2"])  # from the cache

    incident_publish(incident=draft)
    assert numbers() == (3, 1, 0, ["3"])

    # An edit, as the admin makes it: saved, then the listing and the counts refreshed.
    edited.title = "Zebra court case"
    edited.save()
    incidents_refresh(ids=[edited.pk])
    assert numbers() == (3, 2, 0, ["3"])

    edited.region = lviv
    edited.save()
    incidents_refresh(ids=[edited.pk])
    assert numbers() == (3, 2, 1, ["3"])

    incident_unpublish(incident=edited)
    assert numbers() == (2, 1, 0, ["2"])

    incident_delete(incident=draft)
    assert numbers() == (1, 0, 0, ["1"])


@pytest.mark.django_db
def test_a_new_day_is_not_served_from_yesterdays_cache(client, monkeypatch):
    """ "This month so far" depends on the date, not only on the data and the parameters."""
    today = timezone.localdate()
    IncidentFactory(occurred_on=today)
    assert parse(stats(client, YEAR_2019)).by_id("this-month").text == "1"
    next_month = add_months(today.replace(day=1), 1)
    real = timezone.localdate
    monkeypatch.setattr(
        timezone, "localdate", lambda value=None, tz=None: real(value, tz) if value else next_month
    )
    assert parse(stats(client, YEAR_2019)).by_id("this-month").text == "0"


# --- 10. Queries -------------------------------------------------------------------------------


def _stats_queries(client, params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(STATS, params)
    assert response.status_code == 200
    return len(queries), response


@pytest.mark.django_db
def test_the_number_of_queries_does_not_grow_with_the_incidents(client, settings):
    settings.PUBLIC_PAGE_CACHE = True  # the warm request below reads the computed numbers
    pairs = [("beating", "censorship"), ("threats", "cyberattack"), ("killing", "prosecution")]
    regions = list(Region.objects.all()[:10])
    perpetrators = [value for value, _label in PerpetratorType.choices]

    def add(count, start):
        for n in range(start, start + count):
            IncidentFactory(
                occurred_on=datetime.date(2019, 1 + n % 12, 1 + n % 28),
                categories=categories(*pairs[n % len(pairs)]),
                region=regions[n % len(regions)],
                perpetrator_type=perpetrators[n % len(perpetrators)],
            )

    add(5, 0)
    cache.clear()
    few, response = _stats_queries(client, YEAR_2019)
    assert lead_total(response) == 5
    add(45, 5)
    cache.clear()
    many, response = _stats_queries(client, YEAR_2019)
    assert lead_total(response) == 50
    assert few == many

    warm, response = _stats_queries(client, YEAR_2019)
    assert lead_total(response) == 50
    assert warm < many


# --- 11. Parameters that are not understood --------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params",
    [
        {"year": "abc"},
        {"date_from": "notadate"},
        {"date_from": "2019-01-01", "date_to": "2019-02-31"},
        {**YEAR_2019, "region": "<script>alert(1)</script>"},
        {**YEAR_2019, "group": "unknown"},
        {**YEAR_2019, "category": "physical-aggression"},  # a group is not a category
        {**YEAR_2019, "perpetrator": "aliens"},
        {"month": "13"},
        {"year": "1800", "month": "0"},
        {**YEAR_2019, "q": "x" * 500},
    ],
    ids=lambda p: urlencode(p)[:40],
)
@pytest.mark.parametrize("prefix", ["", "/en"])
def test_bad_parameters_warn_and_never_fail(client, params, prefix):
    IncidentFactory(occurred_on=datetime.date(2019, 6, 1))
    response = client.get(f"{prefix}{STATS}", params)
    assert response.status_code == 200
    assert has_filter_warning(response)
    assert b"<script>alert" not in response.content
    assert lead_total(response) == list_count(client, params, prefix)
    for name in TABLES:
        assert client.get(f"{prefix}/stats/table/{name}.csv", params).status_code == 200


@pytest.mark.django_db
def test_a_bad_date_is_left_out_and_the_good_one_still_sets_the_period(client):
    IncidentFactory(occurred_on=datetime.date(2019, 6, 1))
    IncidentFactory(occurred_on=datetime.date(2018, 6, 1))
    response = stats(client, {"date_from": "2019-01-01", "date_to": "notadate"})
    assert has_filter_warning(response)
    assert lead_total(response) == 1 == list_count(client, {"date_from": "2019-01-01"})
    rows = stats_table(response, "months")["rows"]
    # 2019 to today is longer than three years: one row a quarter, linking to it.
    assert rows[0]["href"] == "/stats/?date_from=2019-01-01&date_to=2019-03-31"
    assert rows[0]["label"] == "1 кв. 2019"
    assert months_sum(response) == 1


# --- 12. The method note --------------------------------------------------------------------


@pytest.mark.django_db
def test_the_method_note_shows_in_the_interface_language(client):
    MethodNote.objects.all().delete()
    MethodNote.objects.create(
        text_uk="Ми рахуємо **кожен випадок** один раз.", text_en="We count **each case** once."
    )
    uk = parse(stats(client, YEAR_2019)).find("section", class_="method-note")
    assert "<strong>" not in uk.text
    assert "Ми рахуємо кожен випадок один раз." in uk.text
    assert uk.find("strong").text == "кожен випадок"
    assert "We count" not in uk.text
    en = parse(stats(client, YEAR_2019, "/en")).find("section", class_="method-note")
    assert "We count each case once." in en.text
    assert "Ми рахуємо" not in en.text
    month = parse(client.get("/en/stats/2019/2/")).find("section", class_="method-note")
    assert "We count each case once." in month.text


@pytest.mark.django_db
def test_without_a_method_note_the_page_still_works(client):
    MethodNote.objects.all().delete()
    response = stats(client, YEAR_2019)
    assert parse(response).find("section", class_="method-note") is None


@pytest.mark.django_db
def test_staff_edit_the_method_note_in_the_admin(admin_client):
    note = MethodNote.objects.first() or MethodNote.objects.create(text_uk="а", text_en="a")
    assert admin_client.get("/admin/incidents/methodnote/").status_code == 200
    assert admin_client.get(f"/admin/incidents/methodnote/{note.pk}/change/").status_code == 200


# --- IMI's counting rule: once, under the most severe category --------------------------------


@pytest.fixture
def severity_case(db):
    """Five incidents of March 2019, counted by hand under IMI's rule:
    1. beating + threats            -> beating (rank 4 beats 9)
    2. threats + obstruction        -> threats
    3. obstruction + censorship     -> obstruction
    4. beating + killing            -> killing
    5. threats, an attempt          -> threats (attempts count with completed acts)
    Under "every category": beating 2, threats 3, obstruction 2, censorship 1, killing 1."""
    cases = [
        ["beating", "threats"],
        ["threats", "obstruction"],
        ["obstruction", "censorship"],
        ["beating", "killing"],
        ["threats"],
    ]
    for number, slugs in enumerate(cases, start=1):
        IncidentFactory(
            title=f"Case {number}",
            occurred_on=datetime.date(2019, 3, 5 + number),
            categories=[Category.objects.get(slug=slug) for slug in slugs],
            is_attempt=number == 5,
        )


MARCH_2019 = {"date_from": "2019-03-01", "date_to": "2019-03-31"}


def english_rows(response, section):
    return {label: count for label, count in by_label(response, section).items() if count}


@pytest.mark.django_db
def test_the_barometer_counts_each_incident_once_under_its_most_severe_category(
    client, severity_case
):
    response = stats(client, MARCH_2019, "/en")
    assert lead_total(response) == 5
    assert english_rows(response, "categories") == {
        "Beating, attack": 1,
        "Threats, intimidation": 2,
        "Obstruction of lawful professional activity": 1,
        "Killing": 1,
    }
    # The groups then add up to the total, as IMI's reports do.
    groups = english_rows(response, "groups")
    assert groups == {"Physical aggression": 4, "Censorship and access to information": 1}
    assert sum(groups.values()) == 5


@pytest.mark.django_db
def test_the_switch_counts_every_category_an_incident_fits(client, severity_case):
    response = stats(client, {**MARCH_2019, "rule": "every"}, "/en")
    assert lead_total(response) == 5
    assert english_rows(response, "categories") == {
        "Beating, attack": 2,
        "Threats, intimidation": 3,
        "Obstruction of lawful professional activity": 2,
        "Censorship": 1,
        "Killing": 1,
    }


@pytest.mark.django_db
def test_a_new_severity_rank_in_the_admin_recounts_the_barometer(
    admin_client, client, severity_case
):
    threats = Category.objects.get(slug="threats")
    response = admin_client.post(
        f"/admin/incidents/category/{threats.pk}/change/",
        {
            "name_uk": threats.name_uk,
            "name_en": threats.name_en,
            "slug": threats.slug,
            "parent": threats.parent_id,
            "position": threats.position,
            "severity_rank": 1,  # now above killing and beating
        },
    )
    assert response.status_code == 302
    rows = english_rows(stats(client, MARCH_2019, "/en"), "categories")
    # Cases 1, 2 and 5 now count under threats; 3 keeps obstruction, 4 killing (no threats).
    assert rows == {
        "Threats, intimidation": 3,
        "Obstruction of lawful professional activity": 1,
        "Killing": 1,
    }
