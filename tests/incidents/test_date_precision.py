"""Imprecise dates (issue 31): a day, a month, a season, a year or a range of them, said
honestly on the page and counted honestly by the list, the barometer and the exports."""

import datetime
import json
import re

import pytest
from django.db import transaction
from django.utils.translation import override
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incidents import dates, services
from incidents.archive.runs import parse_period
from incidents.barometer import counts
from incidents.dates import DatePrecision, describe
from incidents.filters import IncidentFilter
from incidents.models import Incident

from .factories import IncidentFactory
from .pages import ADMIN_INLINES_EMPTY, parse

D = datetime.date
DAY, MONTH, SEASON, YEAR = (
    DatePrecision.DAY,
    DatePrecision.MONTH,
    DatePrecision.SEASON,
    DatePrecision.YEAR,
)


# --- Saying it ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "precision, start, until, uk, en",
    [
        (DAY, D(2022, 3, 12), None, "12 березня 2022", "12 March 2022"),
        (MONTH, D(2022, 3, 1), None, "березень 2022", "March 2022"),
        (SEASON, D(2022, 3, 1), None, "весна 2022", "spring 2022"),
        (SEASON, D(2022, 12, 1), None, "зима 2022", "winter 2022"),
        (YEAR, D(2022, 1, 1), None, "2022", "2022"),
        (MONTH, D(2022, 3, 1), D(2022, 4, 30), "березень–квітень 2022", "March–April 2022"),
        (MONTH, D(2021, 11, 1), D(2022, 2, 1), "листопад 2021–лютий 2022", "November 2021–February 2022"),
        (DAY, D(2022, 3, 3), D(2022, 3, 8), "3–8 березня 2022", "3–8 March 2022"),
        (DAY, D(2022, 3, 30), D(2022, 4, 2), "30 березня–2 квітня 2022", "30 March–2 April 2022"),
        (SEASON, D(2022, 3, 1), D(2022, 8, 31), "весна 2022–літо 2022", "spring 2022–summer 2022"),
        (YEAR, D(2021, 1, 1), D(2022, 12, 31), "2021–2022", "2021–2022"),
        # The end of a single period is the period itself, not a range.
        (MONTH, D(2022, 3, 1), D(2022, 3, 31), "березень 2022", "March 2022"),
    ],
)  # fmt: skip
def test_describe_in_both_languages(precision, start, until, uk, en):
    with override("uk"):
        assert describe(precision, start, until) == uk
    with override("en"):
        assert describe(precision, start, until) == en


@pytest.mark.parametrize(
    "precision, typed, start, end",
    [
        (DAY, D(2022, 3, 12), D(2022, 3, 12), D(2022, 3, 12)),
        (MONTH, D(2022, 2, 17), D(2022, 2, 1), D(2022, 2, 28)),
        (SEASON, D(2022, 4, 20), D(2022, 3, 1), D(2022, 5, 31)),
        (SEASON, D(2024, 1, 15), D(2023, 12, 1), D(2024, 2, 29)),  # winter: its December's
        (YEAR, D(2022, 7, 7), D(2022, 1, 1), D(2022, 12, 31)),
    ],
)
def test_a_period_runs_from_its_first_to_its_last_day(precision, typed, start, end):
    assert dates.period_start(precision, typed) == start
    assert dates.period_end(precision, typed) == end


@pytest.mark.django_db
@pytest.mark.parametrize(
    "precision, prefix, expected",
    [
        (MONTH, "", "березень 2022"),
        (MONTH, "/en", "March 2022"),
        (SEASON, "", "весна 2022"),
        (SEASON, "/en", "spring 2022"),
    ],
)
def test_the_incident_page_says_what_is_known(client, precision, prefix, expected):
    incident = IncidentFactory(occurred_on=D(2022, 3, 17), occurred_precision=precision)
    incident.refresh_from_db()
    assert incident.occurred_on == dates.period_start(precision, D(2022, 3, 17))
    response = client.get(f"{prefix}/incidents/{incident.slug}/")
    dd = parse(response).find("dl").find_all("dd")[0]
    assert dd.text.startswith(expected)
    assert "17" not in dd.text


# --- Counting it --------------------------------------------------------------------------


@pytest.fixture
def mixed(db):
    """One incident of each precision in 2022, and a day and a month in March."""
    made = {
        "day": IncidentFactory(occurred_on=D(2022, 3, 12)),
        "month": IncidentFactory(occurred_on=D(2022, 3, 1), occurred_precision=MONTH),
        "spring": IncidentFactory(occurred_on=D(2022, 3, 1), occurred_precision=SEASON),
        "year": IncidentFactory(occurred_on=D(2022, 1, 1), occurred_precision=YEAR),
        "range": IncidentFactory(
            occurred_on=D(2022, 3, 1), occurred_precision=MONTH, occurred_until=D(2022, 4, 1)
        ),
    }
    return made


def listed(params) -> set[str]:
    qs = IncidentFilter.public(params, every_language=True).qs
    return set(qs.values_list("slug", flat=True))


def test_filters_hold_what_is_known_to_lie_inside(mixed):
    slug = {name: incident.slug for name, incident in mixed.items()}
    assert listed({"year": "2022"}) == set(slug.values())
    assert listed({"year": "2022", "month": "3"}) == {slug["day"], slug["month"]}
    assert listed({"month": "3"}) == {slug["day"], slug["month"]}
    assert listed({"date_from": "2022-03-01", "date_to": "2022-03-31"}) == {
        slug["day"],
        slug["month"],
    }
    # Half of March is not "March 2022".
    assert listed({"date_from": "2022-03-01", "date_to": "2022-03-15"}) == {slug["day"]}
    assert listed({"date_from": "2022-03-01", "date_to": "2022-05-31"}) == {
        slug["day"],
        slug["month"],
        slug["spring"],
        slug["range"],
    }
    assert listed({"year": "2021"}) == set()


def test_the_barometer_counts_months_and_years_as_the_list_does(mixed, client):
    language = "uk"
    march = (D(2022, 3, 1), D(2022, 3, 31))
    assert counts.total(language, *march) == 2
    assert counts.total(language, D(2022, 1, 1), D(2022, 12, 31)) == 5
    assert counts.per_month_totals(language, D(2022, 1, 1), D(2022, 12, 31)) == {D(2022, 3, 1): 2}
    assert counts.yearly_only(language, D(2022, 1, 1), D(2022, 12, 31)) == 3
    assert {row["year"]: row["count"] for row in counts.per_year(language)} == {2022: 5}
    figures = services.month_figures(D(2022, 3, 1))
    assert figures["total"] == 2
    assert sum(figures["regions"].values()) == 2
    # The monthly report and the statistics page say where the rest went.
    page = client.get("/stats/2022/3/").content.decode()
    assert 'id="yearly-only"' in page
    assert "3 інциденти, відомі лише з точністю до пори року чи року" in page
    assert "показниках 2022 року" in page
    english = client.get("/en/stats/", {"year": "2022"}, follow=True).content.decode()
    assert "counted in the year's figures only" in english
    assert "3 incidents known only to the season or year" in english


def test_an_edited_precision_moves_the_incident_out_of_the_month(mixed):
    incident = mixed["day"]
    services.incident_save_record(
        slug=incident.slug, fields={"occurred_precision": YEAR}, categories=[c.pk for c in incident.categories.all()], status="published", published_at=incident.published_at
    )  # fmt: skip
    incident.refresh_from_db()
    assert (incident.occurred_on, incident.occurred_until) == (D(2022, 1, 1), D(2022, 12, 31))
    assert counts.total("uk", D(2022, 3, 1), D(2022, 3, 31)) == 1
    # Read again, the same record writes nothing.
    _, state = services.incident_save_record(
        slug=incident.slug, fields={"occurred_precision": YEAR, "occurred_on": D(2022, 6, 5)}, categories=[c.pk for c in incident.categories.all()], status="published", published_at=incident.published_at
    )  # fmt: skip
    assert state == "unchanged"


def test_exports_and_the_api_carry_the_precision(mixed, client):
    response = client.get("/incidents/export.json", {"languages": "all", "year": "2022"})
    document = json.loads(b"".join(response.streaming_content))
    by_slug = {row["url"].rstrip("/").rsplit("/", 1)[1]: row for row in document["incidents"]}
    spring = by_slug[mixed["spring"].slug]
    assert (spring["occurred_on"], spring["occurred_until"], spring["date_precision"]) == (
        "2022-03-01",
        "2022-05-31",
        "season",
    )
    api = client.get("/api/incidents/", {"year": "2022", "month": "3"}).json()
    rows = {row["slug"]: row for row in api["results"]}
    assert set(rows) == {mixed["day"].slug, mixed["month"].slug}
    month = rows[mixed["month"].slug]
    assert month["occurred_precision"] == "month"
    assert month["occurred_until"] == "2022-03-31"
    assert month["occurred_text"] == "березень 2022"
    assert "occurred_on_approximate" not in month


precisions = st.sampled_from(DatePrecision.values)
incident_dates = st.tuples(
    precisions,
    st.dates(D(2021, 11, 1), D(2023, 2, 28)),
    st.sampled_from([None, None, None, 20, 70]),  # a range, now and then
)


@pytest.mark.django_db
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    specs=st.lists(incident_dates, min_size=1, max_size=6),
    year=st.sampled_from([2021, 2022, 2023]),
    month=st.integers(1, 12),
)
def test_list_and_barometer_agree_whatever_the_precision(specs, year, month):
    with transaction.atomic():
        made = []
        for n, (precision, day, days) in enumerate(specs):
            until = None if days is None else day + datetime.timedelta(days=days)
            made.append(
                IncidentFactory(
                    slug=f"p-{n}",
                    occurred_on=day,
                    occurred_precision=precision,
                    occurred_until=until,
                )
            )
        first = D(year, month, 1)
        for params, start, end in (
            ({"year": str(year)}, D(year, 1, 1), D(year, 12, 31)),
            ({"year": str(year), "month": str(month)}, first, counts.month_end(first)),
        ):
            filterset = IncidentFilter.public(params, every_language=True)
            expected = filterset.qs.count()
            assert counts.total("uk", start, end) == expected
            assert counts.filtered_total(filterset, "uk") == expected
        # A year's months and what they leave to the year make the year.
        months = counts.per_month_totals("uk", D(year, 1, 1), D(year, 12, 31))
        year_total = counts.total("uk", D(year, 1, 1), D(year, 12, 31))
        assert sum(months.values()) + counts.yearly_only("uk", D(year, 1, 1), D(year, 12, 31)) == (
            year_total
        )
        assert months.get(first, 0) == services.month_figures(first)["total"]
        # Never a day more precise than known: no day's number unless the day is known.
        for incident in made:
            for language in ("uk", "en"):
                with override(language):
                    text = incident.occurred_text
                without_years = re.sub(r"\b(19|20)\d\d\b", "", text)
                has_day = bool(re.search(r"\d", without_years))
                assert has_day == (incident.occurred_precision == DAY), text
        transaction.set_rollback(True)


# --- Writing it ---------------------------------------------------------------------------


def admin_post(admin_client, kyiv, beating, **dates):
    return admin_client.post(
        "/admin/incidents/incident/add/",
        {
            "title": "Added in admin",
            "slug": "added-in-admin",
            "lead": "Lead.",
            "body": "Body.",
            "language": "uk",
            "categories": [beating.pk],
            "region": kyiv.pk,
            "perpetrator_type": "unknown",
            **dates,
            **ADMIN_INLINES_EMPTY,
        },
    )


def test_the_admin_stores_the_periods_first_day(admin_client, kyiv, beating):
    response = admin_post(
        admin_client, kyiv, beating, occurred_precision="season", occurred_on="2022-04-20"
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    incident = Incident.objects.get(slug="added-in-admin")
    assert (incident.occurred_on, incident.occurred_until) == (D(2022, 3, 1), D(2022, 5, 31))
    # Its change page leaves "until" empty: a single period's end is derived.
    page = admin_client.get(f"/admin/incidents/incident/{incident.pk}/change/").content.decode()
    assert 'name="occurred_until" value="' not in page or 'name="occurred_until" value=""' in page


def test_the_admin_refuses_an_end_before_the_start_and_keeps_what_was_typed(
    admin_client, kyiv, beating
):
    response = admin_post(
        admin_client,
        kyiv,
        beating,
        occurred_precision="month",
        occurred_on="2022-04-20",
        occurred_until="2022-02-10",
    )
    assert response.status_code == 200
    assert not Incident.objects.filter(slug="added-in-admin").exists()
    page = response.content.decode()
    assert "cannot precede its start" in page or "не може" in page
    assert "2022-02-10" in page or "10.02.2022" in page


@pytest.mark.parametrize(
    "cell, expected",
    [
        ("2022-03", (D(2022, 3, 1), MONTH)),
        ("03.2022", (D(2022, 3, 1), MONTH)),
        ("2022", (D(2022, 1, 1), YEAR)),
        ("2022-03-12", (D(2022, 3, 12), DAY)),
        ("12.03.2022", (D(2022, 3, 12), DAY)),
        ("2022-13", None),
    ],
)
def test_the_archive_import_reads_months_and_years(cell, expected):
    assert parse_period(cell) == expected


def test_a_changed_date_takes_its_period_along_and_a_range_keeps_its_end(db):
    day = IncidentFactory(occurred_on=D(2024, 3, 3))
    day = Incident.objects.get(pk=day.pk)
    day.occurred_on = D(2024, 4, 2)
    day.save()
    assert day.occurred_until == D(2024, 4, 2)
    day.occurred_precision = MONTH
    day.save()
    assert (day.occurred_on, day.occurred_until) == (D(2024, 4, 1), D(2024, 4, 30))
    span = IncidentFactory(
        occurred_on=D(2024, 3, 1), occurred_precision=MONTH, occurred_until=D(2024, 5, 9)
    )
    span = Incident.objects.get(pk=span.pk)
    assert span.occurred_until == D(2024, 5, 31)
    span.occurred_on = D(2024, 2, 10)
    span.save()
    assert (span.occurred_on, span.occurred_until) == (D(2024, 2, 1), D(2024, 5, 31))
    with override("en"):
        assert span.occurred_text == "February–May 2024"
