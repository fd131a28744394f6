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

from django.core.serializers.json import DjangoJSONEncoder
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from .. import selectors
from ..filters import IncidentFilter, applied_filters
from ..models import VERIFICATION_SLUGS, Incident, current_language
from . import csvfile

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
    "occurred_on_approximate",
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
    "occurred_on_approximate",
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
                    "occurred_on_approximate": row["occurred_on_approximate"],
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


def csv_lines(export: Export):
    line = csvfile.line_writer()

    yield "\ufeff" + line(["# IMI Portal incidents export"])
    yield line(["# generated_at", export.generated_at.isoformat(timespec="seconds")])
    yield line(["# filters", urlencode(export.filters) or "none"])
    yield line(["# count", export.count])
    yield line(["# counting_rule", COUNTING_RULE])
    yield line(FIELDS)
    batch = []
    for row in export.rows():
        row = dict(
            row,
            categories="|".join(row["categories"]),
            category_groups="|".join(row["category_groups"]),
            perpetrator_categories="|".join(row["perpetrator_categories"]),
            occurred_on_approximate="true" if row["occurred_on_approximate"] else "false",
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


def streamed(chunks, content_type, filename):
    response = StreamingHttpResponse(
        (chunk.encode() for chunk in chunks), content_type=content_type
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
def export_csv(request):
    export = Export(request)
    return streamed(csv_lines(export), "text/csv; charset=utf-8", export.filename("csv"))


@require_GET
def export_json(request):
    export = Export(request)
    return streamed(json_chunks(export), "application/json", export.filename("json"))
