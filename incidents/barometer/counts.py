"""Selectors over the summary tables (DailyCount, MonthlyCount): counts without a scan.

services.incidents_refresh keeps the tables exact, so every function here answers what
counting the public incidents would answer, or None where the question falls outside what
the tables hold (a text search, three dimensions at once, a month in every year, a range that
cuts a month in which incidents happened); the caller then counts the incidents instead.
"""

import datetime

from django.db.models import F, Q, Sum
from django.db.models.functions import ExtractYear, TruncMonth

from .. import fragments, public_cache, search
from ..dates import in_one_month
from ..models import DailyCount, MonthlyCount

DIMENSIONS = {
    "region": MonthlyCount.Dimension.REGION,
    "perpetrator": MonthlyCount.Dimension.PERPETRATOR,
    "category": MonthlyCount.Dimension.CATEGORY,
    "group": MonthlyCount.Dimension.GROUP,
    "primary_category": MonthlyCount.Dimension.PRIMARY_CATEGORY,
    "primary_group": MonthlyCount.Dimension.PRIMARY_GROUP,
}
# The list's filters by dimension (the others are how the barometer counts, not filters);
# two of them at once are counted too, named in this order ("region+group").
FILTER_DIMENSIONS = ("region", "perpetrator", "category", "group")
DIMENSIONS.update(
    {
        f"{first}+{second}": MonthlyCount.Dimension(f"{first}+{second}")
        for index, first in enumerate(FILTER_DIMENSIONS)
        for second in FILTER_DIMENSIONS[index + 1 :]
    }
)
DATE_FILTERS = {"year", "month", "date_from", "date_to"}


def month_end(day: datetime.date) -> datetime.date:
    """The last day of the month `day` is in."""
    if (day.year, day.month) == (datetime.MAXYEAR, 12):
        return datetime.date.max
    following = (day.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
    return following - datetime.timedelta(days=1)


def _days(language: str, start=None, end=None):
    """The daily rows of incidents known to have happened between start and end: their
    whole period inside (IncidentQuerySet.occurred_within, what the list's filters do)."""
    return DailyCount.objects.filter(_inside(start, end), language=language)


def _inside(start, end, first="day", last="until") -> Q:
    condition = Q()
    if start is not None:
        condition &= Q(**{f"{first}__gte": start})
    if end is not None:
        condition &= Q(**{f"{last}__lte": end})
    return condition


def total(language: str, start=None, end=None, *, own: bool = False) -> int:
    """Public incidents that occurred between start and end (inclusive; None: open): every
    story listed in `language`, or with `own` only those written in it."""
    return _days(language, start, end).aggregate(n=Sum("own" if own else "count"))["n"] or 0


def totals(language: str, periods: dict, *, own: bool = False) -> dict:
    """{name: total(language, start, end)} for each named (start, end), in one query."""
    field = "own" if own else "count"
    sums = {
        name: Sum(field, filter=_inside(start, end), default=0)
        for name, (start, end) in periods.items()
    }
    return DailyCount.objects.filter(language=language).aggregate(**sums)


def first_day(language: str) -> datetime.date | None:
    """The day of the oldest public incident: where "all time" starts."""
    return _days(language).order_by("day").values_list("day", flat=True).first()


def per_year(language: str) -> list[dict]:
    """Incidents per year: a season or a year counts in its year, a range across two years in
    neither (the list filtered by that year shows neither)."""
    rows = (
        _days(language)
        .annotate(year=ExtractYear("day"), last_year=ExtractYear("until"))
        .filter(year=F("last_year"))
        .values("year")
        .annotate(count=Sum("count"))
        .order_by("-year")
    )
    return list(rows)


def per_month_totals(language: str, start, end) -> dict[datetime.date, int]:
    """Incidents per month: only those known to one month (the others count in the year)."""
    counts: dict[datetime.date, int] = {}
    for day, until, n in _days(language, start, end).values_list("day", "until", "count"):
        if in_one_month(day, until):
            month = day.replace(day=1)
            counts[month] = counts.get(month, 0) + n
    return counts


def yearly_only(language: str, start=None, end=None) -> int:
    """Incidents between start and end known only to a season, a year or a period across
    months: the period's total holds them, no month's figure does."""
    rows = (
        _days(language, start, end)
        .annotate(first=TruncMonth("day"), last=TruncMonth("until"))
        .exclude(first=F("last"))
    )
    return rows.aggregate(n=Sum("count"))["n"] or 0


def whole_months(language: str, start=None, end=None):
    """(first month, last month) whose monthly counts are exactly [start, end], or None.

    A range that starts or ends inside a month is exact only if nothing starts in the cut-off
    part of its first month, and nothing ends in the cut-off part of its last (a month known
    only as a month ends on its last day): the daily counts tell.
    """
    first = last = None
    rows = DailyCount.objects.filter(language=language)
    if start is not None:
        first = start.replace(day=1)
        if start != first and rows.filter(day__gte=first, day__lt=start).exists():
            return None
    if end is not None:
        last = end.replace(day=1)
        last_day = month_end(end)
        if end != last_day and rows.filter(until__gt=end, until__lte=last_day).exists():
            return None
    return first, last


def _typed(dimension: str, key: str):
    """The stored key as the value it stands for: a primary key, or a perpetrator value."""
    return key if dimension == MonthlyCount.Dimension.PERPETRATOR else int(key)


def by_dimension(language: str, dimension: str, months, *, own: bool = False) -> dict:
    """{key: incidents} over the months returned by whole_months (or one month: (m, m));
    keys are primary keys of regions, categories and groups, or perpetrator values."""
    rows = (
        _months(language, dimension, months)
        .values("key")
        .annotate(n=Sum("own" if own else "count"))
    )
    return {_typed(dimension, row["key"]): row["n"] for row in rows}


def by_dimensions(language: str, dimensions, months) -> dict:
    """{dimension: by_dimension(language, dimension, months)} for several, in one query."""
    first, last = months
    rows = MonthlyCount.objects.filter(
        _inside(first, last, "month", "last_month"),
        language=language,
        dimension__in=list(dimensions),
    )
    result: dict = {dimension: {} for dimension in dimensions}
    for dimension, key, n in (
        rows.values_list("dimension", "key").annotate(n=Sum("count")).order_by()
    ):
        result[dimension][_typed(dimension, key)] = n
    return result


def per_month_by_dimensions(language: str, dimensions, months) -> dict:
    """{dimension: per_month_by_dimension(language, dimension, months)}, in one query."""
    first, last = months
    rows = MonthlyCount.objects.filter(
        _inside(first, last, "month", "last_month"),
        language=language,
        dimension__in=list(dimensions),
        month=F("last_month"),
    )
    result: dict = {dimension: {} for dimension in dimensions}
    for dimension, month, key, n in rows.values_list("dimension", "month", "key", "count"):
        result[dimension][(month, _typed(dimension, key))] = n
    return result


def count_of(language: str, dimension: str, key: str, months, *, own: bool = False) -> int:
    """Incidents under one key of a dimension over the months returned by whole_months (one
    index range, however many keys the dimension has)."""
    rows = _months(language, dimension, months).filter(key=key)
    return rows.aggregate(n=Sum("own" if own else "count"))["n"] or 0


def per_month_by_dimension(language: str, dimension: str, months) -> dict:
    """{(month, key): incidents} over the months returned by whole_months (those known to
    one month: a season or a year counts in the year's figures only)."""
    rows = (
        _months(language, dimension, months)
        .filter(month=F("last_month"))
        .values_list("month", "key", "count")
    )
    return {(month, _typed(dimension, key)): n for month, key, n in rows}


def _months(language, dimension, months):
    first, last = months
    return MonthlyCount.objects.filter(
        _inside(first, last, "month", "last_month"), language=language, dimension=dimension
    )


def date_range(cleaned: dict):
    """The period the date filters select, as (start, end) with None for open; or False for
    a selection that is no single period (a month in every year)."""
    year, month = cleaned.get("year"), cleaned.get("month")
    if month and not year:
        return False
    start, end = cleaned.get("date_from"), cleaned.get("date_to")
    if year:
        first = datetime.date(int(year), int(month) if month else 1, 1)
        last = month_end(first) if month else datetime.date(int(year), 12, 31)
        start = first if start is None else max(start, first)
        end = last if end is None else min(end, last)
    return start, end


def filtered_total(filterset, language: str):
    """What `filterset.qs.count()` answers, from the summary tables; None if they can't."""
    cleaned = filterset.chosen()
    if search.parse(cleaned.pop("q", "")):
        return None  # a text search; only joining words or letters search for nothing
    own = not filterset.every_language
    if filterset.language != language:
        return None
    period = date_range(cleaned)
    if period is False:
        return None
    start, end = period
    if start is not None and end is not None and start > end:
        return 0
    if set(cleaned) - {"q", "languages", *DATE_FILTERS, *FILTER_DIMENSIONS}:
        return None  # a filter the tables do not count by (verification, updates, cases)
    dimensions = [name for name in FILTER_DIMENSIONS if name in cleaned]
    if len(dimensions) > 2:
        return None
    # A region or category by its primary key, a perpetrator by its value; two joined by ":".
    key = ":".join(str(getattr(cleaned[name], "pk", cleaned[name])) for name in dimensions)

    def count():
        if not dimensions:
            return total(language, start, end, own=own)
        months = whole_months(language, start, end)
        if months is None:
            return None
        return count_of(language, DIMENSIONS["+".join(dimensions)], key, months, own=own)

    if not fragments.caching():
        return count()
    # Kept per data version (the list, the home page and the API ask the same totals on
    # every miss: a query each; one round trip to the cache instead).
    version = public_cache.version()
    return fragments.kept(
        ["filtered-total", language, own, start, end, dimensions, key, version], count
    )
