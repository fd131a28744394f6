"""How precisely an incident's date is known, and how to say it (issue 31).

An incident happened somewhere in a period: a day, a month, a season or a year, or a range
of these ("March–April 2022"). `occurred_on` is the period's first day and `occurred_until`
its last, so every date filter is one pair of comparisons and nothing claims a day more
precise than known. This module imports no model: models, forms, exports and the hotline
share it.
"""

import calendar
import datetime

from django.db import models
from django.utils import formats, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class DatePrecision(models.TextChoices):
    DAY = "day", _("the day")
    MONTH = "month", _("the month")
    SEASON = "season", _("the season")
    YEAR = "year", _("the year only")


# A season by the month it starts in; winter belongs to the year of its December.
SEASONS = {
    3: pgettext_lazy("season", "spring"),
    6: pgettext_lazy("season", "summer"),
    9: pgettext_lazy("season", "autumn"),
    12: pgettext_lazy("season", "winter"),
}
# Coarser than a month: counted in a year's figures only, never in a month's.
YEARLY_ONLY = (DatePrecision.SEASON, DatePrecision.YEAR)


def season_start(day: datetime.date) -> datetime.date:
    """The first day of the season `day` is in (January and February: last December's)."""
    if day.month < 3:
        return datetime.date(day.year - 1, 12, 1)
    return datetime.date(day.year, day.month - (day.month % 3), 1)


def period_start(precision: str, day: datetime.date) -> datetime.date:
    """The first day of the period of this precision that `day` falls in."""
    if precision == DatePrecision.MONTH:
        return day.replace(day=1)
    if precision == DatePrecision.SEASON:
        return season_start(day)
    if precision == DatePrecision.YEAR:
        return day.replace(month=1, day=1)
    return day


def _add_months(day: datetime.date, months: int) -> datetime.date:
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return datetime.date(year, month + 1, 1)


def period_end(precision: str, day: datetime.date) -> datetime.date:
    """The last day of the period of this precision that `day` falls in."""
    start = period_start(precision, day)
    if precision == DatePrecision.MONTH:
        return start.replace(day=calendar.monthrange(start.year, start.month)[1])
    if precision == DatePrecision.SEASON:
        if start.year == datetime.MAXYEAR and start.month == 12:
            return datetime.date.max
        return _add_months(start, 3) - datetime.timedelta(days=1)
    if precision == DatePrecision.YEAR:
        return start.replace(month=12, day=31)
    return start


def is_range(precision: str, start: datetime.date, until: datetime.date | None) -> bool:
    """Whether `until` reaches past the period `start` begins."""
    return until is not None and until > period_end(precision, start)


def in_one_month(start: datetime.date, until: datetime.date | None) -> bool:
    """Whether a period lies within one calendar month: what a month's figures count."""
    until = until or start
    return (start.year, start.month) == (until.year, until.month)


def _uk() -> bool:
    return (translation.get_language() or "").startswith("uk")


def _month(day: datetime.date) -> str:
    """A month's name standing alone: "March", "березень" (nominative, lower case)."""
    name = formats.date_format(day, "F")
    return name.lower() if _uk() else name


def _part(precision: str, day: datetime.date, *, year: bool = True) -> str:
    if precision == DatePrecision.DAY:
        # "12 March 2022" / "12 березня 2022": Django's "E" is the genitive month in
        # Ukrainian, what a day's date takes.
        text = f"{day.day} {formats.date_format(day, 'E' if _uk() else 'F')}"
        text = text.lower() if _uk() else text
    elif precision == DatePrecision.MONTH:
        text = _month(day)
    elif precision == DatePrecision.SEASON:
        text = str(SEASONS[season_start(day).month])
        day = season_start(day)
    else:
        return str(day.year)
    return f"{text} {day.year}" if year else text


def describe(precision: str, start: datetime.date, until: datetime.date | None = None) -> str:
    """The date as precisely as it is known, in the active language: "12 березня 2022",
    "березень 2022", "весна 2022", "2022", "березень–квітень 2022" (a range)."""
    precision = precision or DatePrecision.DAY
    if not is_range(precision, start, until):
        return _part(precision, start)
    last = period_start(precision, until)
    if precision == DatePrecision.YEAR:
        return f"{start.year}–{last.year}"
    same_year = precision != DatePrecision.SEASON and start.year == last.year
    if precision == DatePrecision.DAY and same_year and start.month == last.month:
        return f"{start.day}–{_part(precision, last)}"
    return f"{_part(precision, start, year=not same_year)}–{_part(precision, last)}"


def describe_incident(incident) -> str:
    return describe(incident.occurred_precision, incident.occurred_on, incident.occurred_until)


def machine_readable(precision: str, start: datetime.date, until: datetime.date | None) -> str:
    """The date for HTML's <time datetime>: "2022-03-12", "2022-03" or "2022"; empty for a
    season or a range, which HTML has no form for."""
    if is_range(precision, start, until) or precision == DatePrecision.SEASON:
        return ""
    shape = {DatePrecision.MONTH: "%Y-%m", DatePrecision.YEAR: "%Y"}.get(precision, "%Y-%m-%d")
    return f"{start.year:04d}" + start.strftime(shape)[4:]
