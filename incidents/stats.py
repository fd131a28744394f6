"""The barometer's numbers: one aggregate query per chart, cached per data version.

Every function takes the incidents already narrowed by IncidentFilter, so the list, the
charts and the exports count the same incidents for the same URL parameters.

Counting rule (also in the method note): an incident counts once in every total; in the
"by category" and "by group" figures it counts once in each of its categories / groups, so
those figures can add up to more than the total.
"""

import datetime
import hashlib
import json

from django.core.cache import cache
from django.db.models import Count, Max, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from .models import Category, Incident, PerpetratorType, Region

CACHE_SECONDS = 60 * 60


def _ids(incidents):
    return incidents.order_by().values("pk")


def _through(incidents):
    return Incident.categories.through.objects.filter(incident__in=_ids(incidents))


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def add_months(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def months_between(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    months, current = [], month_start(start)
    while current <= end and len(months) < 600:
        months.append(current)
        current = add_months(current, 1)
    return months


def _as_date(value) -> datetime.date:
    return value.date() if isinstance(value, datetime.datetime) else value


def per_month_by_group(incidents, start: datetime.date, end: datetime.date) -> dict:
    """Incidents per month, stacked by category group (one query)."""
    rows = (
        _through(incidents)
        .filter(incident__occurred_on__gte=start, incident__occurred_on__lte=end)
        .annotate(month=TruncMonth("incident__occurred_on"))
        .values("month", "category__parent")
        .annotate(n=Count("incident", distinct=True))
        .order_by()
    )
    counts = {(_as_date(r["month"]), r["category__parent"]): r["n"] for r in rows}
    months = months_between(start, end)
    groups = list(Category.objects.groups())
    return {
        "months": months,
        "series": [
            {"group": g, "counts": [counts.get((m, g.pk), 0) for m in months]} for g in groups
        ],
    }


def per_month_totals(incidents, start, end) -> list[tuple[datetime.date, int]]:
    rows = (
        incidents.filter(occurred_on__gte=start, occurred_on__lte=end)
        .annotate(month=TruncMonth("occurred_on"))
        .values("month")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts = {_as_date(r["month"]): r["n"] for r in rows}
    return [(m, counts.get(m, 0)) for m in months_between(start, end)]


def by_category(incidents) -> list[tuple[Category, int]]:
    counts = dict(
        _through(incidents)
        .values_list("category")
        .annotate(n=Count("incident", distinct=True))
        .order_by()
    )
    categories = Category.objects.leaves().select_related("parent")
    return sorted(
        ((c, counts[c.pk]) for c in categories if counts.get(c.pk)), key=lambda row: -row[1]
    )


def by_group(incidents) -> list[tuple[Category, int]]:
    counts = dict(
        _through(incidents)
        .values_list("category__parent")
        .annotate(n=Count("incident", distinct=True))
        .order_by()
    )
    return [(g, counts.get(g.pk, 0)) for g in Category.objects.groups()]


def by_region(incidents) -> list[tuple[Region, int]]:
    counts = dict(incidents.order_by().values_list("region").annotate(n=Count("pk")))
    return sorted(
        ((r, counts[r.pk]) for r in Region.objects.all() if counts.get(r.pk)),
        key=lambda row: -row[1],
    )


def by_perpetrator(incidents) -> list[tuple[str, int]]:
    counts = dict(incidents.order_by().values_list("perpetrator_type").annotate(n=Count("pk")))
    return sorted(
        ((label, counts[value]) for value, label in PerpetratorType.choices if counts.get(value)),
        key=lambda row: -row[1],
    )


def comparisons(incidents, today: datetime.date) -> dict:
    """This month against last month, this year against last year, in one query."""
    this_month = month_start(today)
    last_month = add_months(this_month, -1)
    this_year = datetime.date(today.year, 1, 1)
    last_year = datetime.date(today.year - 1, 1, 1)
    same_day_last_year = _same_day(today, today.year - 1)
    same_day_last_month = min(
        _same_day_of_month(last_month, today.day), this_month - datetime.timedelta(days=1)
    )
    result = incidents.order_by().aggregate(
        this_month=Count("pk", filter=Q(occurred_on__gte=this_month, occurred_on__lte=today)),
        last_month=Count(
            "pk", filter=Q(occurred_on__gte=last_month, occurred_on__lte=same_day_last_month)
        ),
        last_month_full=Count(
            "pk", filter=Q(occurred_on__gte=last_month, occurred_on__lt=this_month)
        ),
        this_year=Count("pk", filter=Q(occurred_on__gte=this_year, occurred_on__lte=today)),
        last_year=Count(
            "pk", filter=Q(occurred_on__gte=last_year, occurred_on__lte=same_day_last_year)
        ),
    )
    return {
        "month": _change(result["this_month"], result["last_month"]),
        "last_month_full": result["last_month_full"],
        "year": _change(result["this_year"], result["last_year"]),
        "this_month_start": this_month,
        "last_month_start": last_month,
        "same_day_last_month": same_day_last_month,
        "same_day_last_year": same_day_last_year,
    }


def _same_day(day: datetime.date, year: int) -> datetime.date:
    try:
        return day.replace(year=year)
    except ValueError:  # 29 February
        return day.replace(year=year, day=28)


def _same_day_of_month(first: datetime.date, day: int) -> datetime.date:
    for candidate in (day, 30, 29, 28):
        try:
            return first.replace(day=min(day, candidate))
        except ValueError:
            continue
    return first


def _change(current: int, previous: int) -> dict:
    percent = None if previous == 0 else round((current - previous) * 100 / previous)
    return {
        "current": current,
        "previous": previous,
        "delta": current - previous,
        "percent": percent,
    }


def data_version() -> str:
    """Changes whenever what the public can see changes: an edit, a (un)publication, a
    scheduled article going live, a deletion."""
    now = timezone.now()
    result = Incident.objects.aggregate(
        last=Max("updated_at"),
        live=Count("pk", filter=Q(status=Incident.Status.PUBLISHED, published_at__lte=now)),
        total=Count("pk"),
    )
    # Scheduled articles: the next one to go live also moves the version when it does.
    return f"{result['last']}:{result['live']}:{result['total']}"


def cached(name: str, params, language: str, compute):
    """Memoise a computation per (name, parameters, language, data version)."""
    key_source = json.dumps(
        [name, sorted((k, v) for k, v in params.items() if k != "page"), language, data_version()],
        default=str,
    )
    key = "stats:" + hashlib.sha256(key_source.encode()).hexdigest()
    return cache.get_or_set(key, compute, CACHE_SECONDS)
