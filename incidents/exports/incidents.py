"""CSV and JSON exports of the incident list, exactly as filtered on the list page.

Both take the list page's URL parameters (`page` is ignored) and count the same incidents as
its "N incidents match" line: the queryset comes from the shared `IncidentFilter.public`. Rows are
streamed from a values() query read in chunks, so a large export never sits in memory, and
each chunk's categories are fetched in one query. Only published incidents are exported (the
queryset is the public one) and only public facts about them: no author, no victims' names,
nothing from the hotline. (Victims, one row each, are in the SDG 16.10.1 export, sdg.py.)
"""

import json
from collections import defaultdict
from itertools import islice
from urllib.parse import urlencode

from django.core.exceptions import EmptyResultSet
from django.core.serializers.json import DjangoJSONEncoder
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from .. import selectors
from ..filters import IncidentFilter, applied_filters
from ..models import VERIFICATION_SLUGS, Category, Incident, current_language
from . import csvfile, pgcopy

CHUNK_SIZE = 1000

# How the barometer counts these rows, said in every export (issue 16).
COUNTING_RULE = (
    "Each incident counts once, under its most severe category (counted_under; category "
    "severity ranks are set by IMI). Attempts (is_attempt) count with completed acts. "
    "The categories column lists every category the incident fits."
)

FIELDS = [
    "id",
    "url",
    "title",
    "language",
    "published_at",
    "occurred_on",
    "occurred_until",
    "date_precision",
    "categories",
    "category_groups",
    "counted_under",
    "is_attempt",
    "region",
    "region_name",
    "country",
    "perpetrator_type",
    "perpetrator_categories",
    "motive",
    "verification",
    "case_status",
    "impunity",
    "last_update_on",
    "lead",
]

VALUES = [
    "id",
    "slug",
    "title",
    "language",
    "published_at",
    "occurred_on",
    "occurred_until",
    "occurred_precision",
    "primary_category__slug",
    "is_attempt",
    "region__slug",
    "region__name_uk",
    "region__name_en",
    "country",
    "perpetrator_type",
    "motive",
    "verification",
    "last_update_on",
    "lead",
]

SLUG_PLACEHOLDER = "--slug--"


# A spreadsheet runs a cell that starts with one of these as a formula.
class Export:
    """One export: the filtered incidents, their count and the rows to write."""

    def __init__(self, request):
        params = request.GET.copy()
        params.pop("page", None)
        self.filterset = IncidentFilter.public(params)
        queryset = self.filterset.qs
        self.filters = applied_filters(self.filterset)
        self.language = current_language()
        self.generated_at = timezone.localtime()
        self.filtered = queryset
        self.queryset = queryset.values(*VALUES)
        self.count = queryset.count()
        # One reverse() for the whole export; every row fills in its slug.
        self.url_template = request.build_absolute_uri(
            reverse("incidents:detail", kwargs={"slug": SLUG_PLACEHOLDER})
        )

    def filename(self, extension: str) -> str:
        return f"incidents-{self.generated_at.date().isoformat()}.{extension}"

    def rows(self):
        """Dicts of FIELDS, one per incident, in the list's order."""
        iterator = self.queryset.iterator(chunk_size=CHUNK_SIZE)
        while chunk := list(islice(iterator, CHUNK_SIZE)):
            ids = [row["id"] for row in chunk]
            categories = self._categories(ids)
            record = selectors.perpetrators_and_cases(ids)
            for row in chunk:
                slugs, groups = categories.get(row["id"], ([], []))
                yield {
                    "id": row["id"],
                    "url": self.url_template.replace(SLUG_PLACEHOLDER, row["slug"]),
                    "title": row["title"],
                    "language": row["language"],
                    "published_at": timezone.localtime(row["published_at"]).isoformat(),
                    "occurred_on": row["occurred_on"].isoformat(),
                    "occurred_until": row["occurred_until"].isoformat(),
                    "date_precision": row["occurred_precision"],
                    "categories": slugs,
                    "category_groups": groups,
                    "counted_under": row["primary_category__slug"] or "",
                    "is_attempt": row["is_attempt"],
                    "region": row["region__slug"],
                    "region_name": row[f"region__name_{self.language}"],
                    "country": row["country"],
                    "perpetrator_type": row["perpetrator_type"],
                    "perpetrator_categories": record["perpetrators"].get(row["id"], []),
                    "motive": row["motive"],
                    "verification": VERIFICATION_SLUGS[row["verification"]],
                    "case_status": record["cases"].get(row["id"], ("none", ""))[0],
                    "impunity": record["cases"].get(row["id"], ("none", ""))[1],
                    "last_update_on": row["last_update_on"].isoformat()
                    if row["last_update_on"]
                    else "",
                    "lead": row["lead"],
                }

    @staticmethod
    def _categories(ids):
        """{incident id: (category slugs, group slugs)} for a chunk, in one query."""
        links = (
            Incident.categories.through.objects.filter(incident_id__in=ids)
            .order_by("category__position", "category__slug")
            .values_list("incident_id", "category__slug", "category__parent__slug")
        )
        found = defaultdict(lambda: ([], []))
        for incident_id, slug, group in links:
            slugs, groups = found[incident_id]
            slugs.append(slug)
            if group and group not in groups:
                groups.append(group)
        return found

    def copy_statement(self) -> tuple[str, list]:
        """The COPY statement that writes rows() as csv_lines() writes them (pgcopy.py)."""
        prefix, _placeholder, suffix = self.url_template.partition(SLUG_PLACEHOLDER)
        cells = {
            "url": pgcopy.SafeCell(pgcopy.url(prefix, "slug", suffix)),
            "title": pgcopy.SafeCell("title"),
            "language": pgcopy.SafeCell("language"),
            "published_at": pgcopy.iso_datetime(
                "published_at", timezone.get_current_timezone_name()
            ),
            "occurred_on": pgcopy.iso_date("occurred_on"),
            "occurred_until": pgcopy.iso_date("occurred_until"),
            "date_precision": pgcopy.SafeCell("occurred_precision"),
            "counted_under": pgcopy.SafeCell("primary_category__slug"),
            "is_attempt": pgcopy.Boolean("is_attempt"),
            "region": pgcopy.SafeCell("region__slug"),
            "region_name": pgcopy.SafeCell(f"region__name_{self.language}"),
            "country": pgcopy.SafeCell("country"),
            "perpetrator_type": pgcopy.SafeCell("perpetrator_type"),
            "motive": pgcopy.SafeCell("motive"),
            "verification": pgcopy.Choice("verification", VERIFICATION_SLUGS),
            "last_update_on": pgcopy.iso_date("last_update_on"),
            "lead": pgcopy.SafeCell("lead"),
        }
        record = selectors.perpetrators_and_cases_joins()
        categories_join, categories, groups = self._categories_join()
        joined = {
            "id": 'q."_pk"',
            "categories": categories,
            "category_groups": groups,
            "perpetrator_categories": pgcopy.safe(record.perpetrators),
            "case_status": pgcopy.safe(record.case_status),
            "impunity": pgcopy.safe(record.impunity),
        }
        return pgcopy.statement(
            self.filtered,
            cells=cells,
            columns=[joined.get(name) or pgcopy.column(name) for name in FIELDS],
            joins=[categories_join, *record.joins],
            count=self.count,
        )

    @staticmethod
    def _categories_join() -> tuple[pgcopy.Piece, pgcopy.Piece, pgcopy.Piece]:
        """_categories in SQL, for every exported incident at once: (the join, the
        categories' cell, the groups' cell).

        Each incident's categories are aggregated into a bit mask (bit i: the i-th category
        in the order _categories reads them, ranked here by one query), and each cell is
        written from its mask by a CASE per category: an ordered string_agg sorted every
        incident's few links apart, and finding each group's first category took a window
        over all the links; this costs half as much. A group is written at its first
        category present: the categories before it in the same group are absent.
        """
        ranked = list(
            Category.objects.order_by("position", "slug").values_list("pk", "slug", "parent__slug")
        )
        words = max(1, -(-len(ranked) // MASK_BITS))

        def present(i):
            return f"categories.m{i // MASK_BITS} & {1 << i % MASK_BITS} <> 0"

        def cell(cases, labels):
            sql = f"NULLIF(concat_ws('|', {', '.join(cases) or 'NULL'}), '')"
            special = csvfile.STRIPPED_BEFORE_A_FORMULA + csvfile.FORMULA_STARTS
            if not any(label.startswith(special) for label in labels):
                # A joined cell starts as its first label does: none starts like a formula.
                return pgcopy.Piece(sql, labels)
            escaped = pgcopy.safe(sql)
            return pgcopy.Piece(escaped, labels * (escaped.count("%s") // max(1, len(labels))))

        slugs = [slug for _pk, slug, _group in ranked]
        slug_cases = [f"CASE WHEN {present(i)} THEN %s END" for i in range(len(ranked))]
        group_cases, groups = [], []
        for i, (_pk, _slug, group) in enumerate(ranked):
            if not group:
                continue
            earlier = [j for j in range(i) if ranked[j][2] == group]
            absent = "".join(f" AND NOT ({present(j)})" for j in earlier)
            group_cases.append(f"CASE WHEN {present(i)}{absent} THEN %s END")
            groups.append(group)
        values = (
            ", ".join("(%s" + ", %s::bigint" * words + ")" for _ in ranked)
            or "(NULL" + ", NULL::bigint" * words + ")"
        )
        params = []
        for i, (pk, _slug, _group) in enumerate(ranked):
            params.append(pk)
            params += [1 << i % MASK_BITS if i // MASK_BITS == w else 0 for w in range(words)]
        masks = ", ".join(f"bit_or(v.w{w}) AS m{w}" for w in range(words))
        columns = ", ".join(f"w{w}" for w in range(words))
        join = pgcopy.with_tables(CATEGORIES_JOIN, links=Incident.categories.through)
        for name, sql in (("masks", masks), ("values", values), ("columns", columns)):
            join = join.replace(f"{{{name}}}", sql)
        return pgcopy.Piece(join, params), cell(slug_cases, slugs), cell(group_cases, groups)


# The bits of each word of a category mask (a bigint; its sign bit left alone).
MASK_BITS = 62
# Each exported incident's category mask (Export._categories_join).
CATEGORIES_JOIN = (
    " LEFT JOIN (SELECT l.incident_id, {masks} FROM {links} l"
    " JOIN (VALUES {values}) v (id, {columns}) ON v.id = l.category_id"
    " WHERE l.incident_id {in_ids} GROUP BY l.incident_id) categories"
    ' ON categories.incident_id = q."_pk"'
)


def csv_head(export: Export) -> str:
    line = csvfile.line_writer()
    return "".join(
        [
            "\ufeff" + line(["# IMI Portal incidents export"]),
            line(["# generated_at", export.generated_at.isoformat(timespec="seconds")]),
            line(["# filters", urlencode(export.filters) or "none"]),
            line(["# count", export.count]),
            line(["# counting_rule", COUNTING_RULE]),
            line(FIELDS),
        ]
    )


def csv_lines(export: Export):
    """The CSV built row by row in Python (SQLite; and the reference for COPY's)."""
    line = csvfile.line_writer()
    yield csv_head(export)
    batch = []
    for row in export.rows():
        row = dict(
            row,
            categories="|".join(row["categories"]),
            category_groups="|".join(row["category_groups"]),
            perpetrator_categories="|".join(row["perpetrator_categories"]),
            is_attempt="true" if row["is_attempt"] else "false",
        )
        batch.append(line([row[field] for field in FIELDS]))
        if len(batch) >= 500:
            yield "".join(batch)
            batch = []
    if batch:
        yield "".join(batch)


def json_chunks(export: Export):
    head = {
        "generated_at": export.generated_at.isoformat(timespec="seconds"),
        "filters": export.filters,
        "count": export.count,
        "counting_rule": COUNTING_RULE,
    }
    yield json.dumps(head, ensure_ascii=False)[:-1] + ', "incidents": ['
    separator = ""
    batch = []
    for row in export.rows():
        batch.append(separator + json.dumps(row, ensure_ascii=False, cls=DjangoJSONEncoder))
        separator = ", "
        if len(batch) >= 500:
            yield "".join(batch)
            batch = []
    yield "".join(batch) + "]}\n"


def csv_blocks(export: Export):
    """The CSV export in blocks of bytes: written by PostgreSQL's COPY where it can be
    (pgcopy.py), else by csv_lines(); the same bytes either way."""
    if pgcopy.available(export.filtered):
        try:
            sql, params = export.copy_statement()
        except EmptyResultSet:  # nothing can match (a search that found nothing): no COPY
            pass
        else:
            return pgcopy.stream(export.filtered.db, sql, params, head=csv_head(export))
    return (chunk.encode() for chunk in csv_lines(export))


def streamed(chunks, content_type, filename):
    """A streamed download of `chunks` (str, encoded here, or bytes)."""
    response = StreamingHttpResponse(
        (chunk.encode() if isinstance(chunk, str) else chunk for chunk in chunks),
        content_type=content_type,
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
def export_csv(request):
    export = Export(request)
    return streamed(csv_blocks(export), "text/csv; charset=utf-8", export.filename("csv"))


@require_GET
def export_json(request):
    export = Export(request)
    return streamed(json_chunks(export), "application/json", export.filename("json"))
