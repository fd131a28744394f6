"""What the statistics page shows, computed: the period asked for, the figures over it (from
the monthly counts when the filters allow, else from the incidents), its summaries, chart data
and tables; `stats_for(request)` caches the lot per data version. The views only present it."""

import datetime
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..filters import MIN_YEAR, IncidentFilter, applied_filters
from ..models import (
    Category,
    PerpetratorType,
    current_language,
)
from . import counts, figures

DATE_KEYS = ("year", "month", "date_from", "date_to")
# Longer charts are grouped: by quarter up to ten years, by year beyond (never cut).
MONTHLY_UP_TO = 36
QUARTERLY_UP_TO = 120
MONTH_CARDS = 24
TABLES = ("months", "russia", "groups", "categories", "regions", "perpetrators")
RUSSIA = PerpetratorType.RUSSIAN_FORCES.value


def default_period(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    return figures.add_months(figures.month_start(today), -11), today


def period_of(filterset: IncidentFilter, today: datetime.date):
    """The months the per-month chart covers, from the filters the visitor chose."""
    # The values that were understood, as filterset.qs applies them (an invalid one is left
    # out there, and must not drop the valid dates here).
    data = filterset.chosen()
    year, month = data.get("year"), data.get("month")
    # The filters take any calendar date, but nothing in the record is older than MIN_YEAR
    # or newer than this year: the chart goes no further, and the month arithmetic below
    # stays inside the calendar (date_from=9999-12-01 or date_to=0001-01-01 was a 500).
    lowest, highest = datetime.date(MIN_YEAR, 1, 1), datetime.date(today.year, 12, 31)
    start, end = (
        None if day is None else min(max(day, lowest), highest)
        for day in (data.get("date_from"), data.get("date_to"))
    )
    if year and month:
        start = datetime.date(int(year), int(month), 1)
        end = figures.add_months(start, 1) - datetime.timedelta(days=1)
    elif year:
        start, end = datetime.date(int(year), 1, 1), datetime.date(int(year), 12, 31)
    if start and not end:
        end = max(start, today)
    if end and not start:
        start = figures.add_months(figures.month_start(end), -11)
    if not start:
        start, end = default_period(today)
    if start > end:
        start, end = end, start
    return start, end


def month_label(day: datetime.date) -> str:
    return date_format(day, "M Y")


def trimmed_start(start: datetime.date, end: datetime.date, first: datetime.date | None):
    """A chart asked to start years before the record does (1991) starts in January of the
    record's first year: no decades of empty bars. Within that year nothing is cut."""
    if first is not None and start < first.replace(month=1, day=1) <= end:
        return first.replace(month=1, day=1)
    return start


def compute(filterset: IncidentFilter, today: datetime.date, rule: str = figures.SEVEREST) -> dict:
    start, end = period_of(filterset, today)
    first = counts.first_day(current_language())
    chart_start = trimmed_start(start, end, first)
    summary = compute_from_counts(filterset, chart_start, end, today, rule)
    if summary is None:
        summary = compute_from_incidents(filterset, chart_start, end, today, rule)
    summary.update(asked_start=start, record_starts=first, rule=rule)
    return summary


def compute_from_incidents(filterset, start, end, today, rule) -> dict:
    incidents = filterset.qs
    monthly = figures.per_month_by_group(incidents, start, end, rule)
    totals = figures.per_month_totals(incidents, start, end)
    russia = figures.per_month_by_perpetrator(incidents, start, end, RUSSIA)
    # "This month / this year" ignore the visitor's dates but keep their other filters.
    undated = IncidentFilter.public(
        {k: v for k, v in filterset.data.items() if k not in DATE_KEYS}, every_language=True
    )
    return {
        "start": start,
        "end": end,
        "total": incidents.count(),
        "months": [(month, total) for month, total in totals],
        "russia": [russia.get(month, 0) for month, _total in totals],
        "monthly_series": [(series["group"], series["counts"]) for series in monthly["series"]],
        "groups": figures.by_group(incidents, rule),
        "categories": figures.by_category(incidents, rule),
        "regions": figures.by_region(incidents),
        "perpetrators": figures.by_perpetrator(incidents),
        "comparisons": figures.comparisons(undated.qs, today),
        "yearly_only": figures.yearly_only(incidents),
    }


def compute_from_counts(filterset: IncidentFilter, start, end, today, rule=figures.SEVEREST):
    """compute(), read off the summary tables: for filters by date only (the default page,
    this year, all time, a month). None when the tables can't answer exactly."""
    language = current_language()
    cleaned = filterset.chosen()
    if set(cleaned) - set(DATE_KEYS):
        return None
    period = counts.date_range(cleaned)
    if period is False:
        return None
    low, high = period
    if low is not None and high is not None and low > high:
        return None
    chart_start = start if low is None else max(start, low)
    chart_end = end if high is None else min(end, high)
    everything = counts.whole_months(language, low, high)
    chart = counts.whole_months(language, chart_start, chart_end)
    if everything is None or chart is None:
        return None
    group, category = (
        ("primary_group", "primary_category") if rule == figures.SEVEREST else ("group", "category")
    )
    # One query a table: the days, the months by two dimensions, the period by four, and
    # every total (the period's and the comparisons') at once.
    dimension = counts.DIMENSIONS
    per_month = counts.per_month_totals(language, chart_start, chart_end)
    monthly_by = counts.per_month_by_dimensions(
        language, [dimension[group], dimension["perpetrator"]], chart
    )
    taxonomy = list(Category.objects.select_related("parent"))
    monthly = figures.monthly_series(monthly_by[dimension[group]], start, end, taxonomy)
    months = figures.months_between(start, end)
    by = counts.by_dimensions(
        language,
        [dimension[name] for name in (group, category, "region", "perpetrator")],
        everything,
    )
    periods = {"total": (low, high), **figures.comparison_periods(today)}
    sums = counts.totals(language, periods)
    by_perpetrator = monthly_by[dimension["perpetrator"]]
    return {
        "start": start,
        "end": end,
        "total": sums.pop("total"),
        "months": [(m, per_month.get(m, 0)) for m in months],
        "russia": [by_perpetrator.get((m, RUSSIA), 0) for m in months],
        "monthly_series": [(series["group"], series["counts"]) for series in monthly["series"]],
        "groups": figures.group_rows(by[dimension[group]], taxonomy),
        "categories": figures.category_rows(by[dimension[category]], taxonomy),
        "regions": figures.region_rows(by[dimension["region"]]),
        "perpetrators": figures.perpetrator_rows(by[dimension["perpetrator"]]),
        "comparisons": figures.comparison_figures(sums, today),
        "yearly_only": counts.yearly_only(language, low, high),
    }


def granularity(data: dict) -> str:
    months = len(data["months"])
    if months <= MONTHLY_UP_TO:
        return "month"
    return "quarter" if months <= QUARTERLY_UP_TO else "year"


def periods(data: dict) -> list[dict]:
    """The chart's bars: months, or quarters or years for a long range, each with its
    total, its value per group and the Russian Federation's share, and where it leads."""
    unit = granularity(data)
    stats_url = reverse("stats")  # "<year>/<month>/" under it: one reverse, not one a row
    rows: list[dict] = []
    for index, (month, total) in enumerate(data["months"]):
        if unit == "month":
            key, label = month.strftime("%Y-%m"), month_label(month)
        elif unit == "quarter":
            quarter = (month.month - 1) // 3 + 1
            key = f"{month.year}-Q{quarter}"
            label = _("Q%(quarter)s %(year)s") % {"quarter": quarter, "year": month.year}
        else:
            key = label = str(month.year)
        if not rows or rows[-1]["key"] != key:
            rows.append(
                {
                    "key": key,
                    "label": label,
                    "start": month,
                    "end": month,
                    "total": 0,
                    "russia": 0,
                    "groups": [0] * len(data["monthly_series"]),
                }
            )
        row = rows[-1]
        row["end"] = month
        row["total"] += total
        row["russia"] += data["russia"][index]
        for position, (_group, values) in enumerate(data["monthly_series"]):
            row["groups"][position] += values[index]
    for row in rows:
        if unit == "month":
            row["url"] = f"{stats_url}{row['start'].year}/{row['start'].month}/"
        else:
            last_day = counts.month_end(row["end"])
            row["url"] = (
                f"{stats_url}?date_from={row['start'].isoformat()}&date_to={last_day.isoformat()}"
            )
    return rows


def summaries(data: dict, bars: list[dict]) -> dict:
    """One sentence a chart: what a sighted reader takes from it at a glance."""
    total = data["total"]
    if not total or not bars:
        empty = _("No incidents match in this period.")
        return dict.fromkeys(TABLES, empty)
    result = {}
    peak = max(bars, key=lambda row: row["total"])
    result["months"] = ngettext(
        "%(total)s incident from %(first)s to %(last)s; the most in %(peak)s (%(count)s).",
        "%(total)s incidents from %(first)s to %(last)s; the most in %(peak)s (%(count)s).",
        total,
    ) % {
        "total": total,
        "first": bars[0]["label"],
        "last": bars[-1]["label"],
        "peak": peak["label"],
        "count": peak["total"],
    }
    russia = sum(row["russia"] for row in bars)
    # "of the N incidents": the noun follows the total (Ukrainian: з 21 інциденту, з 22 інцидентів).
    result["russia"] = ngettext(
        "The Russian Federation committed %(russia)s of the %(total)s incident (%(share)s%%).",
        "The Russian Federation committed %(russia)s of the %(total)s incidents (%(share)s%%).",
        total,
    ) % {"russia": russia, "total": total, "share": round(russia * 100 / total)}
    for name in ("groups", "categories", "regions", "perpetrators"):
        rows = [row for row in data[name] if row[1]]
        if not rows:
            result[name] = _("No incidents.")
            continue
        label, count = max(rows, key=lambda row: row[1])
        result[name] = ngettext(
            "The most: %(label)s, %(count)s of %(total)s incident.",
            "The most: %(label)s, %(count)s of %(total)s incidents.",
            total,
        ) % {
            "label": label,
            "count": count,
            "total": total,
        }
    return result


def chart_data(data: dict) -> dict:
    """What the charts draw; the same numbers as the tables under them."""
    bars = periods(data)
    groups = [group for group, _counts in data["monthly_series"]]
    return {
        "months": {
            "type": "stacked",
            "labels": [row["label"] for row in bars],
            "datasets": [
                {"label": str(group), "data": [row["groups"][i] for row in bars]}
                for i, group in enumerate(groups)
            ],
        },
        "russia": {
            "type": "stacked",
            "labels": [row["label"] for row in bars],
            "datasets": [
                {"label": _("Russian Federation"), "data": [row["russia"] for row in bars]},
                {"label": _("Others"), "data": [row["total"] - row["russia"] for row in bars]},
            ],
        },
        "groups": _bar(data["groups"]),
        "categories": _bar(data["categories"]),
        "regions": _bar(data["regions"]),
        "perpetrators": _bar(data["perpetrators"]),
    }


def tables(data: dict) -> list[dict]:
    """Each chart's numbers as a table: shown under the chart and downloaded as CSV."""
    bars = periods(data)
    unit = granularity(data)
    groups = [group for group, _counts in data["monthly_series"]]
    unit_title = {"month": _("Month"), "quarter": _("Quarter"), "year": _("Year")}[unit]
    per_unit = {
        "month": _("Incidents per month, by type of violation"),
        "quarter": _("Incidents per quarter, by type of violation"),
        "year": _("Incidents per year, by type of violation"),
    }
    text = summaries(data, bars)
    result = [
        {
            "name": "months",
            "title": per_unit[unit],
            "summary": text["months"],
            "header": [unit_title, _("Total"), *[str(g) for g in groups]],
            "rows": [
                {
                    "label": row["label"],
                    "key": row["key"],
                    "url": row["url"],
                    "values": [row["total"], *row["groups"]],
                }
                for row in bars
            ],
        },
        {
            "name": "russia",
            "title": _("Violations by the Russian Federation"),
            "summary": text["russia"],
            "header": [unit_title, _("Russian Federation"), _("Others"), _("Total")],
            "rows": [
                {
                    "label": row["label"],
                    "key": row["key"],
                    "url": row["url"],
                    "values": [row["russia"], row["total"] - row["russia"], row["total"]],
                }
                for row in bars
            ],
        },
    ]
    titles = {
        "groups": _("By type of violation"),
        "categories": _("By violation"),
        "regions": _("By region"),
        "perpetrators": _("By perpetrator"),
    }
    for name, title in titles.items():
        result.append(
            {
                "name": name,
                "title": title,
                "summary": text[name],
                "header": [_("Name"), _("Incidents")],
                "rows": [
                    {"label": str(label), "key": str(label), "url": None, "values": [count]}
                    for label, count in data[name]
                ],
            }
        )
    return result


def _bar(rows) -> dict:
    return {
        "type": "bar",
        "labels": [str(label) for label, _n in rows],
        "datasets": [{"label": _("Incidents"), "data": [n for _label, n in rows]}],
    }


# What the top of the statistics page says of its figures (the rest is in the body).
SUMMARY = ("total", "start", "end", "asked_start", "record_starts", "yearly_only", "rule")


def stats_for(request, filterset: IncidentFilter):
    """The statistics page's data for `filterset` (the request's filters over every public
    story, in whichever language it was written), cached per data version and per the
    filters understood (`query`): the order of the parameters, empty and unknown ones do
    not count them again."""
    today = timezone.localdate()
    rule = figures.rule_of(request.GET)
    # The date is part of the key: "this month so far" and open-ended periods depend on it.
    data = figures.cached(
        f"stats-page:{today}",
        {"query": query(filterset, rule)},
        current_language(),
        lambda: compute(filterset, today, rule),
    )
    return data


def query(filterset: IncidentFilter, rule: str) -> str:
    """The filters understood and the counting rule, as the query of the page's links."""
    params = applied_filters(filterset)
    if rule != figures.SEVEREST:
        params["rule"] = rule
    return urlencode(params)
