"""The barometer pages: statistics with charts, their tables as CSV, monthly reports."""

import csv
import datetime

from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View

from . import counts, stats
from .filters import MIN_YEAR, IncidentFilter
from .models import MethodNote, current_language
from .views import public_incidents

DATE_KEYS = ("year", "month", "date_from", "date_to")
MAX_MONTHS = 240
MONTH_CARDS = 24
TABLES = ("months", "groups", "categories", "regions", "perpetrators")


def default_period(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    return stats.add_months(stats.month_start(today), -11), today


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
        end = stats.add_months(start, 1) - datetime.timedelta(days=1)
    elif year:
        start, end = datetime.date(int(year), 1, 1), datetime.date(int(year), 12, 31)
    if start and not end:
        end = max(start, today)
    if end and not start:
        start = stats.add_months(stats.month_start(end), -11)
    if not start:
        start, end = default_period(today)
    if start > end:
        start, end = end, start
    end = min(end, stats.add_months(stats.month_start(start), MAX_MONTHS) - datetime.timedelta(1))
    return start, end


def month_label(day: datetime.date) -> str:
    return date_format(day, "M Y")


def compute(filterset: IncidentFilter, today: datetime.date) -> dict:
    start, end = period_of(filterset, today)
    summary = compute_from_counts(filterset, start, end, today)
    if summary is not None:
        return summary
    incidents = filterset.qs
    monthly = stats.per_month_by_group(incidents, start, end)
    totals = stats.per_month_totals(incidents, start, end)
    # "This month / this year" ignore the visitor's dates but keep their other filters.
    undated = IncidentFilter(
        {k: v for k, v in filterset.data.items() if k not in DATE_KEYS},
        queryset=public_incidents(),
    )
    return {
        "start": start,
        "end": end,
        "total": incidents.count(),
        "months": [(month, total) for month, total in totals],
        "monthly_series": [(series["group"], series["counts"]) for series in monthly["series"]],
        "groups": stats.by_group(incidents),
        "categories": stats.by_category(incidents),
        "regions": stats.by_region(incidents),
        "perpetrators": stats.by_perpetrator(incidents),
        "comparisons": stats.comparisons(undated.qs, today),
    }


def compute_from_counts(filterset: IncidentFilter, start, end, today) -> dict | None:
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
    per_month = counts.per_month_totals(language, chart_start, chart_end)
    by_group = counts.per_month_by_dimension(language, counts.DIMENSIONS["group"], chart)
    monthly = stats.monthly_series(by_group, start, end)

    def by(name):
        return counts.by_dimension(language, counts.DIMENSIONS[name], everything)

    periods = stats.comparison_periods(today)
    return {
        "start": start,
        "end": end,
        "total": counts.total(language, low, high),
        "months": [(m, per_month.get(m, 0)) for m in stats.months_between(start, end)],
        "monthly_series": [(series["group"], series["counts"]) for series in monthly["series"]],
        "groups": stats.group_rows(by("group")),
        "categories": stats.category_rows(by("category")),
        "regions": stats.region_rows(by("region")),
        "perpetrators": stats.perpetrator_rows(by("perpetrator")),
        "comparisons": stats.comparison_figures(
            {name: counts.total(language, a, b) for name, (a, b) in periods.items()}, today
        ),
    }


def chart_data(data: dict) -> dict:
    """What the charts draw; the same numbers as the tables under them."""
    return {
        "months": {
            "type": "stacked",
            "labels": [month_label(m) for m, _total in data["months"]],
            "datasets": [
                {"label": str(group), "data": counts} for group, counts in data["monthly_series"]
            ],
        },
        "groups": _bar(data["groups"]),
        "categories": _bar(data["categories"]),
        "regions": _bar(data["regions"]),
        "perpetrators": _bar(data["perpetrators"]),
    }


def tables(data: dict) -> list[dict]:
    """Each chart's numbers as a table: shown under the chart and downloaded as CSV."""
    groups = [group for group, _counts in data["monthly_series"]]
    month_rows = []
    stats_url = reverse("stats")  # "<year>/<month>/" under it: one reverse, not one a row
    for index, (month, total) in enumerate(data["months"]):
        month_rows.append(
            {
                "label": month_label(month),
                "key": month.strftime("%Y-%m"),
                "url": f"{stats_url}{month.year}/{month.month}/",
                "values": [total, *[counts[index] for _g, counts in data["monthly_series"]]],
            }
        )
    result = [
        {
            "name": "months",
            "title": _("Incidents per month, by type of violation"),
            "header": [_("Month"), _("Total"), *[str(g) for g in groups]],
            "rows": month_rows,
        }
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


def stats_for(request):
    filterset = IncidentFilter(request.GET or None, queryset=public_incidents())
    today = timezone.localdate()
    # The date is part of the key: "this month so far" and open-ended periods depend on it.
    data = stats.cached(
        f"stats-page:{today}", request.GET, current_language(), lambda: compute(filterset, today)
    )
    return filterset, data


class StatsView(TemplateView):
    template_name = "incidents/stats.html"

    def get(self, request, *args, **kwargs):
        if not any(request.GET.get(key) for key in DATE_KEYS):
            # The default period is written into the address, so the same URL parameters
            # give the same incidents here, in the list and in the exports.
            start, end = default_period(timezone.localdate())
            params = request.GET.copy()
            params["date_from"], params["date_to"] = start.isoformat(), end.isoformat()
            return redirect(f"{request.path}?{params.urlencode()}")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        filterset, data = stats_for(self.request)
        query = self.request.GET.urlencode()
        context.update(
            filter=filterset,
            data=data,
            charts=chart_data(data),
            note=MethodNote.objects.first(),
            query=query,
            list_url=f"{reverse('incidents:list')}?{query}",
            tables=tables(data),
        )
        return context


class StatsTableCSVView(View):
    """One chart's table as CSV: exactly the numbers shown under the chart."""

    def get(self, request, name: str):
        if name not in TABLES:
            raise Http404
        _filterset, data = stats_for(request)
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="imi-stats-{name}-{timezone.localdate()}.csv"'
        )
        response.write("\ufeff")
        writer = csv.writer(response)
        writer.writerow(["# " + _("IMI Portal statistics"), name])
        writer.writerow(["# " + _("filters"), request.GET.urlencode() or "-"])
        table = next(t for t in tables(data) if t["name"] == name)
        writer.writerow(table["header"])
        for row in table["rows"]:
            writer.writerow([row["key"], *row["values"]])
        return response


class MonthlyReportView(TemplateView):
    template_name = "incidents/stats_month.html"

    def get_context_data(self, year: int, month: int, **kwargs):
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        if not 1 <= month <= 12 or not 1991 <= year <= today.year:
            raise Http404
        first = datetime.date(year, month, 1)
        if first > today:
            raise Http404
        params = {"year": str(year), "month": str(month)}
        filterset = IncidentFilter(params, queryset=public_incidents())
        language = current_language()

        def by(name):
            return counts.by_dimension(language, counts.DIMENSIONS[name], (first, first))

        # Read off the summary tables: a whole month is always exactly there.
        data = stats.cached(
            "month-report",
            params,
            language,
            lambda: {
                "total": counts.total(language, first, counts.month_end(first)),
                "groups": stats.group_rows(by("group")),
                "categories": stats.category_rows(by("category")),
                "regions": stats.region_rows(by("region")),
            },
        )
        previous = stats.add_months(first, -1)
        following = stats.add_months(first, 1)
        context.update(
            first=first,
            data=data,
            # The newest of the month: the whole month is one click away in the list.
            incidents=filterset.qs.with_card_data()[:MONTH_CARDS],
            previous=previous if previous.year >= 1991 else None,
            following=following if following <= today else None,
            list_url=f"{reverse('incidents:list')}?year={year}&month={month}",
            note=MethodNote.objects.first(),
        )
        return context
