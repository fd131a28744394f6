"""Reads for the record's depth (issue 17): the timeline of an incident, and where else the
people targeted in it were targeted; the month's notable incidents (issue 32)."""

import datetime
from collections import defaultdict
from typing import NamedTuple

from django.core.paginator import Paginator
from django.db.models import Case, Exists, OuterRef, Value, When
from django.db.models.functions import Coalesce

from .exports.pgcopy import with_tables
from .models import (
    CriminalCase,
    Incident,
    IncidentUpdate,
    Perpetrator,
    Victim,
    current_language,
)

TIMELINE_PAGE = 20


def timeline_page(incident: Incident, number):
    """One page of the incident's public dated updates, oldest first ("what happened
    next"): two queries however many there are (the count and the page)."""
    updates = IncidentUpdate.objects.filter(incident=incident, is_public=True).order_by("on", "pk")
    return Paginator(updates, TIMELINE_PAGE).get_page(number)


def withheld_people():
    """People withheld in any incident: their incidents are never linked in public, or the
    link would name them."""
    return Victim.objects.filter(person=OuterRef("person"), is_anonymous=True)


def victims_for_public():
    """Victims with whether their person may be linked across incidents in public
    (`person_withheld`), for a prefetch."""
    return (
        Victim.objects.select_related("person")
        .annotate(person_withheld=Exists(withheld_people()))
        .order_by("pk")
    )


def people_elsewhere(victims) -> dict[int, list[Incident]]:
    """{victim pk: the other public incidents of the same person}, in the reader's
    language, one row per story; only for people whose name is public everywhere. One
    query for all the victims."""
    linkable = {
        victim.person_id: victim
        for victim in victims
        if victim.person_id and not victim.is_anonymous and not victim.person_withheld
    }
    if not linkable:
        return {}
    result: dict[int, list[Incident]] = {}
    own = {victim.incident_id for victim in victims}
    seen: set[tuple[int, int]] = set()
    rows = (
        Victim.objects.filter(person_id__in=list(linkable))
        .exclude(incident_id__in=own)
        .filter(incident__in=Incident.objects.published().for_language(current_language()))
        .select_related("incident")
        .only(
            "person_id",
            "incident__slug",
            "incident__title",
            "incident__language",
            "incident__occurred_on",
            "incident__occurred_precision",
            "incident__occurred_until",
            "incident__translation_of_id",
        )
        .order_by("-incident__occurred_on")
    )
    stories = {victim.incident.translation_of_id or victim.incident_id for victim in victims}
    for row in rows:
        story = row.incident.translation_of_id or row.incident_id
        if story in stories or (row.person_id, story) in seen:
            continue
        seen.add((row.person_id, story))
        victim = linkable[row.person_id]
        result.setdefault(victim.pk, []).append(row.incident)
    return result


def perpetrators_and_cases(ids) -> dict:
    """For a chunk of incidents (the exports): their perpetrator categories, and the status
    and impunity of their latest criminal case. Two queries whatever the chunk's size.
    The same in SQL, for the exports' COPY: perpetrators_and_cases_joins()."""
    perpetrators: dict[int, list[str]] = defaultdict(list)
    for incident_id, category in Perpetrator.objects.filter(incident_id__in=ids).values_list(
        "incident_id", "category"
    ):
        if category not in perpetrators[incident_id]:
            perpetrators[incident_id].append(category)
    cases = {
        incident_id: (status, impunity)
        for incident_id, status, impunity in CriminalCase.objects.filter(incident_id__in=ids)
        .order_by("opened_on", "pk")
        .values_list("incident_id", "status", "impunity")
    }
    return {"perpetrators": perpetrators, "cases": cases}


class RecordJoins(NamedTuple):
    """perpetrators_and_cases in SQL: `joins` (LEFT JOINs on q."_pk" of an export's COPY
    statement, exports/pgcopy.statement, which decides what {in_ids} reads) and the SQL of
    what they give each incident."""

    joins: list[str]
    perpetrators: str
    case_status: str
    impunity: str


def perpetrators_and_cases_joins() -> RecordJoins:
    """perpetrators_and_cases for every exported incident at once, in SQL: the categories
    in the order of their first perpetrator, the latest case (by opened_on, then pk, an
    unknown date last as in the ORDER BY of the Python version) or "none"."""
    tables = {"perpetrator": Perpetrator, "case": CriminalCase}
    return RecordJoins(
        joins=[with_tables(PERPETRATORS_JOIN, **tables), with_tables(LATEST_CASE_JOIN, **tables)],
        perpetrators="perpetrators.categories",
        case_status="COALESCE(latest_case.status, 'none')",
        impunity="latest_case.impunity",
    )


PERPETRATORS_JOIN = (
    " LEFT JOIN (SELECT f.incident_id, string_agg(f.category, '|' ORDER BY f.first)"
    " AS categories FROM (SELECT incident_id, category, min(id) AS first"
    " FROM {perpetrator} WHERE incident_id {in_ids}"
    " GROUP BY incident_id, category) f GROUP BY f.incident_id) perpetrators"
    ' ON perpetrators.incident_id = q."_pk"'
)
LATEST_CASE_JOIN = (
    " LEFT JOIN (SELECT DISTINCT ON (incident_id) incident_id, status, impunity"
    " FROM {case} WHERE incident_id {in_ids}"
    " ORDER BY incident_id, opened_on DESC NULLS FIRST, id DESC) latest_case"
    ' ON latest_case.incident_id = q."_pk"'
)


def notable_incidents(month, n: int = 5) -> list[Incident]:
    """The month's most severe public incidents, one row per story (the Ukrainian listing;
    the article links each story in its own language): what the monthly article names.

    IMI's ranking, the barometer's own: the severity rank of the category the incident is
    counted under (Category.severity_rank: a killing before a beating before a threat); then
    a victim killed, then the worst injury; then the better confirmed; then the earlier.
    """
    month = month.replace(day=1)
    following = (month + datetime.timedelta(days=32)).replace(day=1)
    injuries = Victim.objects.filter(incident=OuterRef("pk"))
    injury = Case(
        *(
            When(Exists(injuries.filter(injury=value)), then=Value(rank))
            for rank, value in enumerate(
                (Victim.Injury.CRITICAL, Victim.Injury.SERIOUS, Victim.Injury.MINOR)
            )
        ),
        default=Value(3),
    )
    return list(
        Incident.objects.published()
        .for_language("uk")
        .filter(occurred_on__gte=month, occurred_on__lt=following)
        .annotate(
            severity=Coalesce("primary_category__severity_rank", Value(32767)),
            killed=Exists(injuries.filter(killed=True)),
            injury=injury,
        )
        .order_by("severity", "-killed", "injury", "-verification", "occurred_on", "pk")[:n]
    )
