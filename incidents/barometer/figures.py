"""The barometer's numbers: one aggregate query per chart, cached per data version.

Every function takes the incidents already narrowed by IncidentFilter, so the list, the
charts and the exports count the same incidents for the same URL parameters.

Counting rules (also in the method note), IMI's method by default: an incident counts once
in every total, and once in the "by violation" and "by type" figures too, under its most
severe category (Category.severity_rank; Incident.primary_category). Attempts count with
completed acts. With the rule EVERY, it counts once in each of its categories and groups
instead, so those figures can add up to more than the total.
"""

import datetime
import hashlib
import json

from django.db.models import Count, F, Q
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext

from .. import public_cache
from ..models import Category, Incident, PerpetratorType, Region

CACHE_SECONDS = 60 * 60

SEVEREST = "severest"
EVERY = "every"
RULES = (SEVEREST, EVERY)


def rule_of(params) -> str:
    """The counting rule a request asks for (?rule=every), IMI's by default."""
    return EVERY if params.get("rule") == EVERY else SEVEREST


def rule_label(rule: str) -> str:
    if rule == EVERY:
        return gettext("every category it fits: an incident counts once in each")
    return gettext("each incident once, under its most severe category (IMI's method)")


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


def _months_of(rows, start, end, path: str = ""):
    """Rows of incidents known to one month between start and end, with that month: a
    season, a year or a period across months counts in the year's figures only."""
    return (
        rows.filter(**{f"{path}occurred_on__gte": start, f"{path}occurred_until__lte": end})
        .annotate(
            month=TruncMonth(f"{path}occurred_on"), last_month=TruncMonth(f"{path}occurred_until")
        )
        .filter(month=F("last_month"))
    )


def yearly_only(incidents) -> int:
    """Of these incidents, those no month's figure holds (a season, a year, a period across
    months): counts.yearly_only, counted from the incidents."""
    return (
        incidents.order_by()
        .annotate(month=TruncMonth("occurred_on"), last_month=TruncMonth("occurred_until"))
        .exclude(month=F("last_month"))
        .count()
    )


def per_month_by_group(incidents, start: datetime.date, end: datetime.date, rule=SEVEREST):
    """Incidents per month, stacked by category group (one query)."""
    if rule == SEVEREST:
        rows = (
            _months_of(incidents, start, end)
            .values("month", "primary_category__parent")
            .annotate(n=Count("pk"))
            .order_by()
        )
        counts = {(_as_date(r["month"]), r["primary_category__parent"]): r["n"] for r in rows}
        return monthly_series(counts, start, end)
    rows = (
        _months_of(_through(incidents), start, end, "incident__")
        .values("month", "category__parent")
        .annotate(n=Count("incident", distinct=True))
        .order_by()
    )
    counts = {(_as_date(r["month"]), r["category__parent"]): r["n"] for r in rows}
    return monthly_series(counts, start, end)


def per_month_by_perpetrator(incidents, start, end, perpetrator: str) -> dict:
    """{month: incidents by this perpetrator} (the Russian Federation's series)."""
    rows = (
        _months_of(incidents.filter(perpetrator_type=perpetrator), start, end)
        .values("month")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {_as_date(r["month"]): r["n"] for r in rows}


def _groups(taxonomy=None) -> list[Category]:
    """The groups, in order: from `taxonomy` (every category, read once by the caller) or
    from the database."""
    if taxonomy is None:
        return list(Category.objects.groups())
    return [c for c in taxonomy if c.parent_id is None]


def _leaves(taxonomy=None) -> list[Category]:
    if taxonomy is None:
        return list(Category.objects.leaves().select_related("parent"))
    return [c for c in taxonomy if c.parent_id is not None]


def monthly_series(counts: dict, start, end, taxonomy=None) -> dict:
    """{(month, group id): n} as the chart's series, a zero for every month without any."""
    months = months_between(start, end)
    groups = _groups(taxonomy)
    return {
        "months": months,
        "series": [
            {"group": g, "counts": [counts.get((m, g.pk), 0) for m in months]} for g in groups
        ],
    }


def per_month_totals(incidents, start, end) -> list[tuple[datetime.date, int]]:
    rows = _months_of(incidents, start, end).values("month").annotate(n=Count("pk")).order_by()
    counts = {_as_date(r["month"]): r["n"] for r in rows}
    return [(m, counts.get(m, 0)) for m in months_between(start, end)]


def _counts_under(incidents, rule: str, path: str = "") -> dict:
    """Incidents per category (`path` "") or per group ("__parent") under `rule`: once,
    under the primary (most severe) category, or once in each category it has."""
    if rule == SEVEREST:
        return dict(
            incidents.order_by()
            .filter(primary_category__isnull=False)
            .values_list(f"primary_category{path}")
            .annotate(n=Count("pk"))
        )
    return dict(
        _through(incidents)
        .values_list(f"category{path}")
        .annotate(n=Count("incident", distinct=True))
        .order_by()
    )


def by_category(incidents, rule=SEVEREST) -> list[tuple[Category, int]]:
    return category_rows(_counts_under(incidents, rule))


def category_rows(counts: dict, taxonomy=None) -> list[tuple[Category, int]]:
    categories = _leaves(taxonomy)
    return sorted(
        ((c, counts[c.pk]) for c in categories if counts.get(c.pk)), key=lambda row: -row[1]
    )


def by_group(incidents, rule=SEVEREST) -> list[tuple[Category, int]]:
    return group_rows(_counts_under(incidents, rule, "__parent"))


def group_rows(counts: dict, taxonomy=None) -> list[tuple[Category, int]]:
    return [(g, counts.get(g.pk, 0)) for g in _groups(taxonomy)]


def by_region(incidents) -> list[tuple[Region, int]]:
    counts = dict(incidents.order_by().values_list("region").annotate(n=Count("pk")))
    return region_rows(counts)


def region_rows(counts: dict) -> list[tuple[Region, int]]:
    return sorted(
        ((r, counts[r.pk]) for r in Region.objects.all() if counts.get(r.pk)),
        key=lambda row: -row[1],
    )


def by_perpetrator(incidents) -> list[tuple[str, int]]:
    counts = dict(incidents.order_by().values_list("perpetrator_type").annotate(n=Count("pk")))
    return perpetrator_rows(counts)


def perpetrator_rows(counts: dict) -> list[tuple[str, int]]:
    return sorted(
        ((label, counts[value]) for value, label in PerpetratorType.choices if counts.get(value)),
        key=lambda row: -row[1],
    )


def comparison_periods(today: datetime.date) -> dict:
    """The periods compared: this month so far against last month to the same day, and so
    on (inclusive start and end dates)."""
    this_month = month_start(today)
    last_month = add_months(this_month, -1)
    this_year = datetime.date(today.year, 1, 1)
    last_year = datetime.date(today.year - 1, 1, 1)
    same_day_last_year = _same_day(today, today.year - 1)
    same_day_last_month = min(
        _same_day_of_month(last_month, today.day), this_month - datetime.timedelta(days=1)
    )
    return {
        "this_month": (this_month, today),
        "last_month": (last_month, same_day_last_month),
        "last_month_full": (last_month, this_month - datetime.timedelta(days=1)),
        "this_year": (this_year, today),
        "last_year": (last_year, same_day_last_year),
    }


def comparisons(incidents, today: datetime.date) -> dict:
    """This month against last month, this year against last year, in one query."""
    periods = comparison_periods(today)
    result = incidents.order_by().aggregate(
        **{
            name: Count("pk", filter=Q(occurred_on__gte=start, occurred_until__lte=end))
            for name, (start, end) in periods.items()
        }
    )
    return comparison_figures(result, today)


def comparison_figures(result: dict, today: datetime.date) -> dict:
    periods = comparison_periods(today)
    return {
        "month": change(result["this_month"], result["last_month"]),
        "last_month_full": result["last_month_full"],
        "year": change(result["this_year"], result["last_year"]),
        "this_month_start": periods["this_month"][0],
        "last_month_start": periods["last_month"][0],
        "same_day_last_month": periods["last_month"][1],
        "same_day_last_year": periods["last_year"][1],
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


def change(current: int, previous: int) -> dict:
    """`current` against `previous`: the difference, and the percent when `previous` is not
    zero (a change from nothing has no percent)."""
    percent = None if previous == 0 else round((current - previous) * 100 / previous)
    return {
        "current": current,
        "previous": previous,
        "delta": current - previous,
        "percent": percent,
    }


def data_version() -> str:
    """Changes whenever what the public can see changes: the services bump it on every
    edit, (un)publication, deletion and scheduled article going live."""
    return public_cache.version()


def cached(name: str, params, language: str, compute):
    """Memoise a computation per (name, parameters, language, data version)."""
    if not public_cache.enabled():
        return compute()
    key_source = json.dumps(
        [name, sorted((k, v) for k, v in params.items() if k != "page"), language, data_version()],
        default=str,
    )
    key = "stats:" + hashlib.sha256(key_source.encode()).hexdigest()
    return public_cache.page_cache().get_or_set(key, compute, CACHE_SECONDS)


# --- Published monthly reports: the frozen figures, and what changed since -------------------


def report_rows(figures: dict) -> dict:
    """A report's frozen figures (keyed by slug) as the page's rows, today's names."""
    categories = {c.slug: c for c in Category.objects.select_related("parent")}
    regions = {r.slug: r for r in Region.objects.all()}
    return {
        "total": figures.get("total", 0),
        "groups": [
            (group, figures["groups"].get(group.slug, 0)) for group in Category.objects.groups()
        ],
        "categories": sorted(
            (
                (categories[slug], n)
                for slug, n in figures["categories"].items()
                if n and slug in categories
            ),
            key=lambda row: -row[1],
        ),
        "regions": sorted(
            ((regions[slug], n) for slug, n in figures["regions"].items() if n and slug in regions),
            key=lambda row: -row[1],
        ),
        "russia": figures["perpetrators"].get(PerpetratorType.RUSSIAN_FORCES.value, 0),
    }


def revisions(published: dict, now: dict) -> list[tuple[int, str]]:
    """What changed since publication, as (difference, what): the total first, then each
    category whose count moved (by IMI's rule)."""
    return [(after - before, what) for what, before, after in revision_rows(published, now)]


def revision_rows(published: dict, now: dict) -> list[tuple[str, int, int]]:
    """What changed since publication, as (what, as published, now): the total first
    ("in all"), then each category whose count moved. Against the published figures, so a
    month revised twice shows the whole difference, not the last step."""
    names = {c.slug: c.name for c in Category.objects.all()}
    rows = []
    if now.get("total", 0) != published.get("total", 0):
        rows.append((gettext("in all"), published.get("total", 0), now.get("total", 0)))
    for slug in sorted(set(published["categories"]) | set(now["categories"])):
        before = published["categories"].get(slug, 0)
        after = now["categories"].get(slug, 0)
        if before != after:
            rows.append((str(names.get(slug, slug)), before, after))
    return rows
