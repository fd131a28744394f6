"""The record as UNESCO's SDG indicator 16.10.1 asks for it: one row per person targeted.

Indicator 16.10.1 counts verified killings, kidnappings, enforced disappearances, arbitrary
detentions, torture and other harmful acts against journalists and associated media
personnel, with a minimum set of facts about each (name or alias, sex, age group, status,
date, place, act, perpetrator category, motive) and the judicial follow-up. IMI's categories
map onto its acts by `Category.sdg_act`, which staff edit in the admin; an incident with no
mapped category is not in the export.

FIELDS is the one description of the export: the CSV's columns, the JSON's records, the
JSON Schema (`schema()`) and the documentation page are all made from it. Withheld names,
and withheld sex and age, never reach it.
"""

import json
from collections import defaultdict
from itertools import islice

from django.core.exceptions import EmptyResultSet
from django.db.models import Exists, F, OuterRef, Value
from django.db.models.functions import Coalesce, NullIf
from django.http import JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET
from django.views.generic import TemplateView

from .. import selectors
from ..dates import DatePrecision
from ..filters import IncidentFilter, applied_filters
from ..models import (
    VERIFICATION_SLUGS,
    Category,
    CriminalCase,
    Incident,
    Person,
    SdgAct,
    Victim,
)
from . import csvfile, pgcopy
from .incidents import SLUG_PLACEHOLDER, streamed

CHUNK_SIZE = 500
SEVERITY = list(SdgAct.values)  # from the most severe

# The status UNESCO records for the person, from the victim's occupation.
STATUS = {
    Victim.Occupation.JOURNALIST: "journalist",
    Victim.Occupation.EDITOR: "journalist",
    Victim.Occupation.PHOTOGRAPHER: "journalist",
    Victim.Occupation.CAMERA_OPERATOR: "media_worker",
    Victim.Occupation.MEDIA_WORKER: "media_worker",
    Victim.Occupation.BLOGGER: "social_media_producer",
    Victim.Occupation.MEDIA_OUTLET: "media_outlet",
}
JUDICIAL = ["none", *CriminalCase.Status.values]


def _field(name, kind, description, enum=None, nullable=False):
    return {
        "name": name,
        "type": kind,
        "description": description,
        "enum": enum,
        "nullable": nullable,
    }


FIELDS = [
    _field(
        "record_id",
        "string",
        _("This row's identifier: IMI-<incident>-<victim>, 0 when no person is named."),
    ),
    _field("incident_id", "integer", _("The incident's number in this record.")),
    _field("incident_url", "string", _("The incident's page.")),
    _field(
        "date",
        "date",
        _(
            "The day of the incident (YYYY-MM-DD), or the first day of the month, season or"
            " year it is known to."
        ),
    ),
    _field(
        "date_precision",
        "string",
        _(
            "How precisely the date is known: day, month, season (spring from 1 March, summer"
            " 1 June, autumn 1 September, winter 1 December) or year."
        ),
        DatePrecision.values,
    ),
    _field(
        "date_until",
        "date",
        _("The last day the incident may have happened: the date itself for a known day."),
    ),
    _field("country", "string", _("UA for Ukraine; otherwise the country as recorded.")),
    _field("region", "string", _("The ISO 3166-2 code of the region in Ukraine; empty abroad.")),
    _field("place", "string", _("The place, as written in the article.")),
    _field("act", "string", _("The act, in the indicator's categories."), SdgAct.values),
    _field(
        "imi_categories",
        "string",
        _("IMI's categories of the incident, separated by |; the first is the one counted."),
    ),
    _field(
        "name_or_alias",
        "string",
        _("The person's name as published; empty when withheld or unknown."),
    ),
    _field("name_withheld", "boolean", _("True when the name is withheld (never exported).")),
    _field(
        "person_id",
        "integer",
        _("The same number in several rows is the same person; empty when withheld anywhere."),
        nullable=True,
    ),
    _field(
        "sex",
        "string",
        _("female, male or other; empty when withheld (always for a withheld name) or unknown."),
        ["", *Person.Sex.values],
    ),
    _field(
        "age_group",
        "string",
        _("The age group; empty when withheld or unknown."),
        ["", *Person.AgeGroup.values],
    ),
    _field(
        "status",
        "string",
        _(
            "journalist, media_worker (associated media personnel), social_media_producer, "
            "media_outlet; empty when unknown."
        ),
        ["", *sorted(set(STATUS.values()))],
    ),
    _field("employment", "string", _("staff or freelance."), ["", *Victim.Employment.values]),
    _field("origin", "string", _("local or foreign journalist."), ["", *Victim.Origin.values]),
    _field("killed", "boolean", _("The person was killed.")),
    _field("injury", "string", _("How badly the person was injured."), ["", *Victim.Injury.values]),
    _field("detained_from", "date", _("The first day of detention."), nullable=True),
    _field(
        "detained_until",
        "date",
        _("The last day of detention; empty while detained."),
        nullable=True,
    ),
    _field(
        "equipment",
        "string",
        _("What became of the equipment."),
        ["", *Victim.Equipment.values],
    ),
    _field(
        "perpetrator_category",
        "string",
        _("state, non_state, foreign_state or unknown; several separated by |."),
    ),
    _field(
        "motive",
        "string",
        _("confirmed: the act answered the person's journalism; else unconfirmed."),
        ["confirmed", "unconfirmed"],
    ),
    _field(
        "verification",
        "string",
        _("How the incident is confirmed (see the method)."),
        list(VERIFICATION_SLUGS.values()),
    ),
    _field(
        "judicial_status",
        "string",
        _("The stage of the criminal case: none recorded, or its status."),
        JUDICIAL,
    ),
    _field(
        "impunity",
        "string",
        _("complete, partial or justice (full justice); empty until assessed."),
        ["", *CriminalCase.Impunity.values],
    ),
]
NAMES = [field["name"] for field in FIELDS]


def schema(request=None) -> dict:
    """The JSON export's JSON Schema (draft 2020-12), made from FIELDS."""
    properties = {}
    for field in FIELDS:
        if field["type"] == "date":
            spec = {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
        else:
            spec = {"type": field["type"]}
        if field["enum"] is not None:
            spec["enum"] = field["enum"]
        if field["nullable"]:
            spec = {"anyOf": [spec, {"type": "null"}]}
        spec["description"] = str(field["description"])
        properties[field["name"]] = spec
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "IMI Portal: SDG 16.10.1 export",
        "type": "object",
        "required": ["indicator", "generated_at", "filters", "count", "mapping", "records"],
        "additionalProperties": False,
        "properties": {
            "indicator": {"const": "SDG 16.10.1"},
            "generated_at": {"type": "string", "format": "date-time"},
            "filters": {"type": "object", "additionalProperties": {"type": "string"}},
            "count": {"type": "integer", "minimum": 0, "description": "Rows in records."},
            "mapping": {
                "type": "array",
                "description": "IMI's categories and the act each counts as.",
                "items": {
                    "type": "object",
                    "required": ["imi_category", "name_uk", "name_en", "act"],
                    "additionalProperties": False,
                    "properties": {
                        "imi_category": {"type": "string"},
                        "name_uk": {"type": "string"},
                        "name_en": {"type": "string"},
                        "act": {"enum": SdgAct.values},
                    },
                },
            },
            "records": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": NAMES,
                    "additionalProperties": False,
                    "properties": properties,
                },
            },
        },
    }


def mapping() -> list[Category]:
    """IMI's categories that the indicator counts, in the taxonomy's order."""
    return list(Category.objects.leaves().exclude(sdg_act="").select_related("parent"))


class SdgExport:
    """The people targeted in the filtered public incidents, one row each."""

    def __init__(self, request):
        params = request.GET.copy()
        params.pop("page", None)
        # Every story once, whatever language it is written in: the barometer's rule.
        self.filterset = IncidentFilter.public(params, every_language=True)
        queryset = self.filterset.qs
        self.filters = applied_filters(self.filterset)
        self.generated_at = timezone.localtime()
        self.acts = {c.pk: c.sdg_act for c in Category.objects.exclude(sdg_act="")}
        mapped = Incident.categories.through.objects.filter(
            incident=OuterRef("pk"), category__sdg_act__gt=""
        )
        self.queryset = queryset.filter(Exists(mapped)).order_by("occurred_on", "pk")
        self.incidents = self.queryset.select_related("region", "primary_category").only(
            "pk",
            "slug",
            "occurred_on",
            "occurred_precision",
            "occurred_until",
            "country",
            "place",
            "motive",
            "verification",
            "region__iso_code",
            "primary_category__slug",
        )
        self.url_template = request.build_absolute_uri(
            reverse("incidents:detail", kwargs={"slug": SLUG_PLACEHOLDER})
        )

    def filename(self, extension: str) -> str:
        return f"sdg-16-10-1-{self.generated_at.date().isoformat()}.{extension}"

    def rows(self):
        iterator = self.incidents.iterator(chunk_size=CHUNK_SIZE)
        while chunk := list(islice(iterator, CHUNK_SIZE)):
            ids = [incident.pk for incident in chunk]
            facts = self._facts(ids)
            for incident in chunk:
                victims = facts["victims"].get(incident.pk) or [None]
                for victim in victims:
                    yield self._row(incident, victim, facts)

    def _facts(self, ids) -> dict:
        """A chunk's categories, victims (with their people), perpetrators and cases: four
        queries whatever its size."""
        categories = defaultdict(list)
        links = (
            Incident.categories.through.objects.filter(incident_id__in=ids)
            .order_by("category__severity_rank", "category__position", "category__slug")
            .values_list("incident_id", "category_id", "category__slug")
        )
        for incident_id, category_id, slug in links:
            categories[incident_id].append((category_id, slug))
        victims = defaultdict(list)
        for victim in selectors.victims_for_public().filter(incident_id__in=ids):
            victims[victim.incident_id].append(victim)
        record = selectors.perpetrators_and_cases(ids)
        return {
            "categories": categories,
            "victims": victims,
            **record,
        }

    def _row(self, incident, victim, facts) -> dict:
        categories = facts["categories"].get(incident.pk, [])
        acts = [self.acts[pk] for pk, _slug in categories if pk in self.acts]
        act = min(acts, key=SEVERITY.index)
        counted = incident.primary_category.slug if incident.primary_category else ""
        slugs = [counted] + [slug for _pk, slug in categories if slug != counted]
        status, impunity = facts["cases"].get(incident.pk, ("none", ""))
        row = {
            "record_id": f"IMI-{incident.pk}-{victim.pk if victim else 0}",
            "incident_id": incident.pk,
            "incident_url": self.url_template.replace(SLUG_PLACEHOLDER, incident.slug),
            "date": incident.occurred_on.isoformat(),
            "date_precision": incident.occurred_precision,
            "date_until": incident.occurred_until.isoformat(),
            "country": incident.country or "UA",
            "region": incident.region.iso_code,
            "place": incident.place,
            "act": act,
            "imi_categories": "|".join(slug for slug in slugs if slug),
            "name_or_alias": "",
            "name_withheld": False,
            "person_id": None,
            "sex": "",
            "age_group": "",
            "status": "",
            "employment": "",
            "origin": "",
            "killed": False,
            "injury": "",
            "detained_from": None,
            "detained_until": None,
            "equipment": "",
            "perpetrator_category": "|".join(facts["perpetrators"].get(incident.pk, [])),
            "motive": incident.motive,
            "verification": VERIFICATION_SLUGS[incident.verification],
            "judicial_status": status,
            "impunity": impunity,
        }
        if victim is not None:
            row.update(
                name_or_alias=victim.name_for_public or "",
                name_withheld=victim.is_anonymous,
                person_id=None
                if victim.is_anonymous or victim.person_withheld
                else victim.person_id,
                sex=victim.public_sex,
                age_group=victim.public_age_group,
                status=STATUS.get(victim.occupation, ""),
                employment=victim.employment,
                origin=victim.origin,
                killed=victim.killed,
                injury=victim.injury,
                detained_from=victim.detained_from.isoformat() if victim.detained_from else None,
                detained_until=victim.detained_until.isoformat() if victim.detained_until else None,
                equipment=victim.equipment,
            )
            if victim.killed:
                row["act"] = SdgAct.KILLING.value
        return row


def copy_statement(export: SdgExport) -> tuple[str, list]:
    """The COPY statement that writes the rows csv_lines() writes (pgcopy.py): the victims
    (and their people) joined to each incident, its categories aggregated once for all."""
    prefix, _placeholder, suffix = export.url_template.partition(SLUG_PLACEHOLDER)
    cells = {
        "incident_url": pgcopy.SafeCell(pgcopy.url(prefix, "slug", suffix)),
        "date": pgcopy.iso_date("occurred_on"),
        "date_precision": pgcopy.SafeCell("occurred_precision"),
        "date_until": pgcopy.iso_date("occurred_until"),
        "country": pgcopy.SafeCell(Coalesce(NullIf("country", Value("")), Value("UA"))),
        "region": pgcopy.SafeCell("region__iso_code"),
        "place": pgcopy.SafeCell("place"),
        "motive": pgcopy.SafeCell("motive"),
        "verification": pgcopy.Choice("verification", VERIFICATION_SLUGS),
        "counted": F("primary_category__slug"),
    }
    record = selectors.perpetrators_and_cases_joins()
    counted = pgcopy.column("counted")
    act = pgcopy.safe("CASE WHEN v.killed THEN %s ELSE sdg.act END")
    act = pgcopy.Piece(act, [SdgAct.KILLING.value] * act.count("%s"))
    columns = {
        "record_id": "'IMI-' || q.\"_pk\" || '-' || COALESCE(v.id, 0)",
        "incident_id": 'q."_pk"',
        "act": act,
        "imi_categories": pgcopy.safe(
            f"array_to_string(array_remove(ARRAY[{counted}]"
            f" || array_remove(sdg.slugs, {counted}), ''), '|')"
        ),
        "name_or_alias": pgcopy.safe("CASE WHEN NOT v.is_anonymous THEN v.name END"),
        "name_withheld": "CASE WHEN v.is_anonymous THEN 'true' ELSE 'false' END",
        "person_id": "CASE WHEN v.is_anonymous OR withheld.person_id IS NOT NULL THEN NULL"
        " ELSE v.person_id END",
        "sex": pgcopy.safe(f"CASE WHEN {DETAILS_PUBLIC} THEN p.sex END"),
        "age_group": pgcopy.safe(f"CASE WHEN {DETAILS_PUBLIC} THEN p.age_group END"),
        "status": pgcopy.choice("v.occupation", STATUS),
        "employment": pgcopy.safe("v.employment"),
        "origin": pgcopy.safe("v.origin"),
        "killed": "CASE WHEN v.killed THEN 'true' ELSE 'false' END",
        "injury": pgcopy.safe("v.injury"),
        "detained_from": "to_char(v.detained_from, 'YYYY-MM-DD')",
        "detained_until": "to_char(v.detained_until, 'YYYY-MM-DD')",
        "equipment": pgcopy.safe("v.equipment"),
        "perpetrator_category": pgcopy.safe(record.perpetrators),
        "judicial_status": pgcopy.safe(record.case_status),
        "impunity": pgcopy.safe(record.impunity),
    }
    tables = {
        "links": Incident.categories.through,
        "category": Category,
        "victim": Victim,
        "person": Person,
    }
    categories = pgcopy.Piece(pgcopy.with_tables(CATEGORIES_JOIN, **tables), [SEVERITY])
    return pgcopy.statement(
        export.queryset,
        cells=cells,
        columns=[columns.get(name) or pgcopy.column(name) for name in NAMES],
        joins=[pgcopy.with_tables(VICTIMS_JOIN, **tables), categories, *record.joins],
        then_by="v.id",
        count=export.queryset.count(),
    )


# The victim's sex and age group may be published (Victim.details_public).
DETAILS_PUBLIC = "p.id IS NOT NULL AND NOT v.is_anonymous AND NOT p.details_withheld"
# Each incident's victims (none: one row of NULLs), their people, and whether the person is
# withheld anywhere (selectors.victims_for_public's person_withheld).
VICTIMS_JOIN = (
    ' LEFT JOIN {victim} v ON v.incident_id = q."_pk"'
    " LEFT JOIN {person} p ON p.id = v.person_id"
    " LEFT JOIN (SELECT DISTINCT person_id FROM {victim} WHERE is_anonymous"
    " AND person_id IS NOT NULL) withheld ON withheld.person_id = v.person_id"
)
# SdgExport._facts's categories and _row's act, for every exported incident at once: the
# most severe act of its mapped categories, its slugs by severity.
CATEGORIES_JOIN = (
    " LEFT JOIN (SELECT l.incident_id,"
    " (array_agg(c.sdg_act ORDER BY array_position(%s::text[], c.sdg_act::text))"
    " FILTER (WHERE c.sdg_act <> ''))[1] AS act,"
    " array_agg(c.slug ORDER BY c.severity_rank, c.position, c.slug) AS slugs"
    " FROM {links} l JOIN {category} c ON c.id = l.category_id"
    " WHERE l.incident_id {in_ids} GROUP BY l.incident_id) sdg"
    ' ON sdg.incident_id = q."_pk"'
)


def csv_head(export: SdgExport) -> str:
    line = csvfile.line_writer()
    filters = "&".join(f"{k}={v}" for k, v in export.filters.items()) or "none"
    return "".join(
        [
            "\ufeff" + line(["# IMI Portal: SDG 16.10.1 export, one row per person targeted"]),
            line(["# generated_at", export.generated_at.isoformat(timespec="seconds")]),
            line(["# filters", filters]),
            line(["# schema", reverse("incidents:sdg-schema")]),
            line(NAMES),
        ]
    )


def csv_lines(export: SdgExport):
    """The CSV built row by row in Python (SQLite; and the reference for COPY's)."""
    line = csvfile.line_writer()

    def cell(value):
        if isinstance(value, bool):
            return "true" if value else "false"
        return "" if value is None else value

    yield csv_head(export)
    for row in export.rows():
        yield line([cell(row[name]) for name in NAMES])


def json_chunks(export: SdgExport):
    head = {
        "indicator": "SDG 16.10.1",
        "generated_at": export.generated_at.isoformat(timespec="seconds"),
        "filters": export.filters,
        "mapping": [
            {
                "imi_category": category.slug,
                "name_uk": category.name_uk,
                "name_en": category.name_en,
                "act": category.sdg_act,
            }
            for category in mapping()
        ],
    }
    yield json.dumps(head, ensure_ascii=False)[:-1] + ', "records": ['
    count, batch = 0, []
    for row in export.rows():
        batch.append(("" if count == 0 else ", ") + json.dumps(row, ensure_ascii=False))
        count += 1
        if len(batch) >= 500:
            yield "".join(batch)
            batch = []
    # The count goes last: the rows are streamed, not counted before.
    yield "".join(batch) + f'], "count": {count}}}\n'


@require_GET
def export_csv(request):
    export = SdgExport(request)
    blocks = None
    if pgcopy.available(export.queryset):
        try:
            sql, params = copy_statement(export)
        except EmptyResultSet:  # nothing can match (a search that found nothing): no COPY
            pass
        else:
            blocks = pgcopy.stream(export.queryset.db, sql, params, head=csv_head(export))
    if blocks is None:
        blocks = csv_lines(export)
    return streamed(blocks, "text/csv; charset=utf-8", export.filename("csv"))


@require_GET
def export_json(request):
    export = SdgExport(request)
    return streamed(json_chunks(export), "application/json", export.filename("json"))


@require_GET
def schema_view(request):
    return JsonResponse(schema(), json_dumps_params={"ensure_ascii": False, "indent": 1})


class SdgAboutView(TemplateView):
    """The export documented field by field, with the mapping from IMI's categories."""

    template_name = "incidents/sdg.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            fields=FIELDS,
            mapping=mapping(),
            unmapped=list(Category.objects.leaves().filter(sdg_act="").select_related("parent")),
            query=self.request.GET.urlencode(),
        )
        return context
