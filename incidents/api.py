"""The read-only public API: published incidents, and the categories and regions they use.

The incident list is filtered by the same IncidentFilter as the list page, the exports and
the statistics, so `/api/incidents/?region=kyiv&year=2024` counts the incidents that
`/incidents/?region=kyiv&year=2024` does. Unlike the list page, which shows a value it cannot
understand as an error and lists everything else, the API answers such a request with 400.
Only public facts are served: no author, nothing from the hotline, no staff-only note, and
of the people targeted only what may be published: a withheld name is null, withheld sex and
age are null, and a person is linked across incidents only if named in all of them.
"""

import json
import logging
from types import SimpleNamespace

from django.core.exceptions import SuspiciousOperation
from django.db import DatabaseError
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.decorators import method_decorator
from django.utils.translation import override
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from drf_spectacular.views import SpectacularAPIView
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from . import fragments, public_cache, selectors
from .barometer import counts
from .dates import DatePrecision, describe_incident
from .filters import MIN_YEAR, IncidentFilter
from .models import (
    VERIFICATION_SLUGS,
    Category,
    CriminalCase,
    Incident,
    IncidentUpdate,
    Language,
    Perpetrator,
    PerpetratorType,
    Person,
    Region,
    SourceLink,
    Victim,
)
from .public_cache import cached_page

logger = logging.getLogger(__name__)

LANGUAGES = [choice.value for choice in Language]
DEFAULT_LANGUAGE = Language.UK.value


class AcceptHeaderNegotiation(DefaultContentNegotiation):
    """The answer's format by the Accept header alone: `?format=` is no parameter of the API
    (the schema documents none), so it is ignored like any other unknown one."""

    settings = SimpleNamespace(URL_FORMAT_OVERRIDE=None)


class EncodedItem(str):
    """One item of a list, already written as JSON by ItemsJSONRenderer's rules."""


class ItemsJSONRenderer(JSONRenderer):
    """DRF's JSON, for a list whose items were written once and kept (the incident list's,
    per incident and mark: fragments.per_incident). A page of 50 is joined from them, not
    decoded from the cache and written again (a third of a miss), byte for byte what DRF
    writes (tests/incidents/test_api.py). Indented JSON and the browsable page (which asks
    for indented JSON) get the items decoded."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        results = data.get("results") if isinstance(data, dict) else None
        if not results or not isinstance(results[0], EncodedItem):
            return super().render(data, accepted_media_type, renderer_context)
        if self.get_indent(accepted_media_type, renderer_context or {}) is not None:
            decoded = [json.loads(item) for item in results]
            return super().render(
                {**data, "results": decoded}, accepted_media_type, renderer_context
            )
        head = super().render(
            {key: value for key, value in data.items() if key != "results"},
            accepted_media_type,
            renderer_context,
        )
        joined = ('"results":[' + ",".join(results) + "]}").encode()
        return head[:-1] + (b"," if len(head) > 2 else b"") + joined

    @classmethod
    def item(cls, data) -> str:
        """One item as ItemsJSONRenderer writes it within a list."""
        return cls().render(data).decode()


class JSONErrors:
    """Every error under /api/ is JSON, whatever the client accepts and whichever view it
    reached: the schema documents JSON errors, and a client must never parse an HTML page.
    The schema's own view would otherwise answer a 405 in YAML, the docs page in plain text."""

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return response


class PublicData(JSONErrors):
    """What every view of the API's data shares (the schema and docs views keep `?format=`,
    which drf-spectacular documents and Swagger UI uses)."""

    content_negotiation_class = AcceptHeaderNegotiation

    # Answers for anonymous clients come from the public page cache (they read only public
    # incidents; a change drops them as it drops the pages), one per Accept header. A cached
    # answer costs less than the throttle's own bookkeeping, so it is not throttled.
    @method_decorator(cached_page(vary=("HTTP_ACCEPT",)))
    def dispatch(self, request, *args, **kwargs):
        return super().dispatch(request, *args, **kwargs)


class CountedCursorPagination(CursorPagination):
    """Cursor pages (stable while incidents are published), plus the total in "count"."""

    ordering = ("-published_at", "-pk")
    page_size = 50

    def decode_cursor(self, request):
        cursor = super().decode_cursor(request)
        # The position is the publication time this API wrote into the cursor; a cursor made
        # by hand may hold anything, and the database must not be asked to compare with it
        # (a malformed time was a 500, a naive one a warning).
        if cursor is not None and cursor.position is not None:
            try:
                position = parse_datetime(cursor.position)
            except ValueError:
                position = None
            if position is None or timezone.is_naive(position):
                raise NotFound(self.invalid_cursor_message)
        return cursor

    def paginate_queryset(self, queryset, request, view=None):
        # The total from the summary tables where they answer it exactly (as the list page
        # does): counting 75,000 listed rows took a quarter of a second (issue 13).
        known = None
        if view is not None and getattr(view, "action", None) == "list":
            # The filter backend's own (LanguageFilterBackend): building a second one cost
            # as much as the page's query.
            filterset = getattr(view, "filterset", None) or IncidentFilter(
                request.query_params or None, queryset=queryset, language=view.language()
            )
            known = counts.filtered_total(filterset, view.language())
        self.count = known if known is not None else queryset.count()
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data):
        return Response(
            {
                "count": self.count,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        response["properties"] = {
            "count": {
                "type": "integer",
                "example": 123,
                "description": "All the incidents that match, on every page.",
            },
            **response["properties"],
        }
        response["required"] = ["count", "next", "previous", "results"]
        return response


class UpdatesPagination(PageNumberPagination):
    page_size = 50


class BlankAsNullChoiceField(serializers.ChoiceField):
    """A choice left blank is null, not "": "" is none of the values the schema's enum lists,
    and a client reads null as "not known" without a special case."""

    def to_representation(self, value):
        if value in ("", None) and self.allow_null:
            return None
        return super().to_representation(value)


class PublicSerializer(serializers.ModelSerializer):
    """What every serializer of the API shares: a choice field that may be left blank is
    served as a nullable enum (drf-spectacular documents it so), never as ""."""

    serializer_choice_field = BlankAsNullChoiceField

    def build_standard_field(self, field_name, model_field):
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if model_field.choices and model_field.blank:
            kwargs["allow_null"] = True
        return field_class, kwargs


class CategoryRefSerializer(PublicSerializer):
    group = serializers.SlugRelatedField(
        source="parent", slug_field="slug", read_only=True, help_text="The group's slug."
    )

    class Meta:
        model = Category
        fields = ["slug", "name_uk", "name_en", "group"]


class RegionRefSerializer(PublicSerializer):
    class Meta:
        model = Region
        fields = ["slug", "name_uk", "name_en"]


class CategorySerializer(PublicSerializer):
    group = serializers.SlugRelatedField(
        source="parent",
        slug_field="slug",
        read_only=True,
        allow_null=True,
        help_text="The slug of the category's group; null for a group.",
    )
    is_group = serializers.BooleanField(read_only=True)

    class Meta:
        model = Category
        fields = ["slug", "name_uk", "name_en", "group", "is_group", "is_wartime", "position"]


class RegionSerializer(PublicSerializer):
    class Meta:
        model = Region
        fields = ["slug", "name_uk", "name_en", "kind", "iso_code", "position"]


LATEST_UPDATES = 5


class VictimSerializer(PublicSerializer):
    name = serializers.CharField(
        source="name_for_public",
        allow_null=True,
        read_only=True,
        help_text="Null when the name is withheld (name_withheld) or unknown.",
    )
    name_withheld = serializers.BooleanField(source="is_anonymous", read_only=True)
    person = serializers.SerializerMethodField(
        help_text=(
            "The same number in several incidents is the same person. Null when the person's "
            "name is withheld in any incident: linking would identify them."
        )
    )
    sex = BlankAsNullChoiceField(
        source="public_sex",
        choices=Person.Sex.choices,
        allow_null=True,
        read_only=True,
        help_text="Null: withheld (so for every withheld name) or unknown.",
    )
    age_group = BlankAsNullChoiceField(
        source="public_age_group",
        choices=Person.AgeGroup.choices,
        allow_null=True,
        read_only=True,
        help_text="Null: withheld or unknown.",
    )

    class Meta:
        model = Victim
        fields = [
            "name",
            "name_withheld",
            "person",
            "occupation",
            "role",
            "employment",
            "origin",
            "outlet",
            "sex",
            "age_group",
            "injury",
            "detained_from",
            "detained_until",
            "equipment",
            "killed",
        ]
        read_only_fields = fields

    def get_person(self, victim) -> int | None:
        if victim.is_anonymous or getattr(victim, "person_withheld", True):
            return None
        return victim.person_id


class SourceSerializer(PublicSerializer):
    url = serializers.CharField(
        source="web_url", read_only=True, help_text="The web page; empty for a source with none."
    )

    class Meta:
        model = SourceLink
        fields = [
            "url",
            "title",
            "publisher",
            "published_on",
            "is_independent",
            "is_victim_account",
        ]
        read_only_fields = fields


class PerpetratorSerializer(PublicSerializer):
    class Meta:
        model = Perpetrator
        fields = ["category", "body"]
        read_only_fields = fields


class CriminalCaseSerializer(PublicSerializer):
    class Meta:
        model = CriminalCase
        fields = ["number", "article", "opened_on", "status", "verdict_on", "verdict", "impunity"]
        read_only_fields = fields


class UpdateSerializer(PublicSerializer):
    class Meta:
        model = IncidentUpdate
        fields = ["on", "kind", "authority", "text"]
        read_only_fields = fields


class IncidentSerializer(PublicSerializer):
    url = serializers.SerializerMethodField(help_text="The incident's page on the site.")
    categories = CategoryRefSerializer(many=True, read_only=True)
    region = RegionRefSerializer(read_only=True)
    verification = serializers.SerializerMethodField(
        help_text=(
            "reported (no source yet), one_source, confirmed (two or more independent "
            "publishers), confirmed_by_victim (the victim's own account)."
        )
    )
    victims = VictimSerializer(many=True, read_only=True)
    sources = SourceSerializer(many=True, read_only=True)
    perpetrators = PerpetratorSerializer(many=True, read_only=True)
    criminal_cases = CriminalCaseSerializer(source="cases", many=True, read_only=True)
    latest_updates = UpdateSerializer(
        many=True,
        read_only=True,
        help_text=f"The {LATEST_UPDATES} latest public dated updates, newest first.",
    )
    updates_count = serializers.IntegerField(
        source="public_updates", read_only=True, help_text="All its public dated updates."
    )
    updates_url = serializers.SerializerMethodField(
        help_text="Every public dated update, oldest first, in pages."
    )
    occurred_on = serializers.DateField(
        read_only=True,
        help_text=(
            "The first day of the period the incident is known to have happened in (see"
            " occurred_precision): the day itself, or the first of its month, season or year."
        ),
    )
    occurred_precision = serializers.ChoiceField(
        choices=DatePrecision.values,
        read_only=True,
        help_text=(
            "How precisely the date is known: day, month, season (spring from 1 March, summer"
            " 1 June, autumn 1 September, winter 1 December) or year. It replaces the former"
            " occurred_on_approximate, which was true for what is now month."
        ),
    )
    occurred_until = serializers.DateField(
        read_only=True,
        help_text=(
            "The last day of that period (occurred_on itself for a known day); later than the"
            ' period occurred_on starts for a range ("March–April 2022").'
        ),
    )
    occurred_text = serializers.SerializerMethodField(
        help_text=(
            "The date as precisely as it is known, in the article's language: \"12 March"
            ' 2022", "March 2022", "spring 2022", "2022", "March–April 2022".'
        )
    )

    class Meta:
        model = Incident
        fields = [
            "id",
            "slug",
            "url",
            "title",
            "lead",
            "language",
            "published_at",
            "occurred_on",
            "occurred_precision",
            "occurred_until",
            "occurred_text",
            "categories",
            "region",
            "country",
            "perpetrator_type",
            "perpetrators",
            "is_attempt",
            "motive",
            "verification",
            "sources",
            "victims",
            "criminal_cases",
            "last_update_on",
            "updates_count",
            "latest_updates",
            "updates_url",
            "body_html",
        ]
        read_only_fields = fields

    def get_occurred_text(self, incident) -> str:
        with override(incident.language):
            return describe_incident(incident)

    @extend_schema_field(serializers.ChoiceField(choices=list(VERIFICATION_SLUGS.values())))
    def get_verification(self, incident) -> str:
        return VERIFICATION_SLUGS[incident.verification]

    @extend_schema_field(OpenApiTypes.URI)
    def get_updates_url(self, incident) -> str:
        path = f"/api/incidents/{incident.slug}/updates/"
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, incident) -> str:
        # The page in the incident's own language (Ukrainian at the root, English under /en/).
        with override(incident.language):
            path = incident.get_absolute_url()
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


LANG_PARAMETER = OpenApiParameter(
    "lang",
    OpenApiTypes.STR,
    enum=LANGUAGES,
    default=DEFAULT_LANGUAGE,
    description=(
        "Reader's language: the list shows the incidents written in it, as the site's list "
        "in that language does. With languages=all, one row per story, in this language "
        "where it has been published, otherwise in the other one."
    ),
)

# The list page's parameters, described in English (the generated descriptions would be the
# form labels, in whatever language is active, and would call `year` and `month` dates).
FILTER_PARAMETERS = [
    OpenApiParameter(
        "q",
        str,
        description=(
            "Words to find in any of their forms (Ukrainian: «Харків» finds «у Харкові»; "
            "English: stems) in the title, lead, text, place, outlets and public names; the "
            "best match first."
        ),
    ),
    OpenApiParameter(
        "languages",
        str,
        enum=["all"],
        description="`all`: incidents written in every language, not only in `lang`.",
    ),
    OpenApiParameter("group", str, description="A group's slug (see /api/categories/)."),
    OpenApiParameter("category", str, description="A category's slug (see /api/categories/)."),
    OpenApiParameter("region", str, description="A region's slug (see /api/regions/)."),
    OpenApiParameter(
        "perpetrator",
        str,
        enum=PerpetratorType.values,
        description="Who violated the journalist's rights.",
    ),
    OpenApiParameter(
        "year",
        str,
        pattern=r"^[0-9]{4}$",
        description=f"The year of the incident, {MIN_YEAR} to this year.",
    ),
    OpenApiParameter(
        "month",
        str,
        enum=[str(number) for number in range(1, 13)],
        description="The month of the incident, 1 to 12.",
    ),
    OpenApiParameter(
        "date_from",
        OpenApiTypes.DATE,
        description="Incidents on or after this day (YYYY-MM-DD).",
    ),
    OpenApiParameter(
        "date_to", OpenApiTypes.DATE, description="Incidents on or before this day (YYYY-MM-DD)."
    ),
    OpenApiParameter(
        "verification",
        str,
        enum=["sourced", "confirmed", "victim"],
        description=(
            "The lowest verification level: `sourced` one source or more, `confirmed` two "
            "independent publishers or the victim's own account, `victim` the victim's account."
        ),
    ),
    OpenApiParameter(
        "updated",
        str,
        enum=["7", "30", "90", "365"],
        description="Incidents with a public dated update in the last 7, 30, 90 or 365 days.",
    ),
    OpenApiParameter(
        "no_verdict",
        str,
        enum=["6", "12", "24", "60"],
        description=(
            "Incidents at least this many months old with no verdict in a criminal case "
            "(none opened, or none decided)."
        ),
    ),
]

THROTTLED = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description="Too many requests from this address: wait the seconds in Retry-After.",
)
BAD_CURSOR = OpenApiResponse(
    OpenApiTypes.OBJECT, description="The cursor is not one that this API gave out."
)
NOT_FOUND = OpenApiResponse(OpenApiTypes.OBJECT, description="No such published item.")
BAD_FILTER = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description="A parameter was not understood: each one named with what is wrong with it.",
)


# Left empty, these mean "any", as on the site's list page, whose form sends them empty.
BLANK_MEANS_ANY = {parameter.name for parameter in FILTER_PARAMETERS} | {"page"}


class BlankMeansAnySchema(AutoSchema):
    """Says so in the schema: `allowEmptyValue` on the parameters an empty value leaves out."""

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        for parameter in (operation or {}).get("parameters", []):
            if parameter["in"] == "query" and parameter["name"] in BLANK_MEANS_ANY:
                parameter["allowEmptyValue"] = True
        return operation


class LanguageFilterBackend(DjangoFilterBackend):
    """The filters of the list page, for the reader's language as `lang` gives it."""

    def get_filterset_kwargs(self, request, queryset, view):
        return {
            **super().get_filterset_kwargs(request, queryset, view),
            "language": view.language(),
        }

    def get_filterset(self, request, queryset, view):
        # Kept on the view: the pagination counts from the same one (CountedCursorPagination).
        view.filterset = super().get_filterset(request, queryset, view)
        return view.filterset


def _public_update_count():
    counted = (
        IncidentUpdate.objects.filter(incident=OuterRef("pk"), is_public=True)
        .order_by()
        .values("incident")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


@extend_schema_view(
    list=extend_schema(
        summary="Published incidents",
        description=(
            "Filtered as the site's incident list, with the same parameters; newest first. "
            "`count` is the number of all matching incidents."
        ),
        parameters=[LANG_PARAMETER, *FILTER_PARAMETERS],
        responses={200: IncidentSerializer, 400: BAD_FILTER, 404: BAD_CURSOR, 429: THROTTLED},
    ),
    retrieve=extend_schema(
        summary="One published incident, by slug",
        description="Any published incident, in whichever language it was written.",
        responses={200: IncidentSerializer, 404: NOT_FOUND, 429: THROTTLED},
    ),
)
class IncidentViewSet(PublicData, viewsets.ReadOnlyModelViewSet):
    schema = BlankMeansAnySchema()
    renderer_classes = [ItemsJSONRenderer, BrowsableAPIRenderer]
    serializer_class = IncidentSerializer
    lookup_field = "slug"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"
    filter_backends = [LanguageFilterBackend]
    filterset_class = IncidentFilter
    pagination_class = CountedCursorPagination

    def get_queryset(self):
        incidents = Incident.objects.published()
        if self.action == "list":
            # The list's page is chosen on the rows alone; what each one says comes from
            # the cache or from detailed() (list below).
            return incidents.for_language(self.language()).only("pk", "published_at")
        return self.detailed(incidents)

    def detailed(self, incidents):
        """Everything the serializer reads, in a fixed number of queries."""
        # The API gives the article's text too; only the search vector stays unread. The
        # record's rows come in one query each, however many incidents are on the page.
        public_updates = IncidentUpdate.objects.filter(is_public=True)
        return (
            incidents.with_card_data()
            .defer(None)
            .defer("search_vector")
            # A count per row in a subquery, not an aggregate over the join: GROUP BY made the
            # database read and group every listed incident (78,732 of them) with the updates
            # before the LIMIT (issue 30: 1.5 requests a second); the subquery runs for the
            # 50 rows of the page only.
            .annotate(public_updates=_public_update_count())
            .prefetch_related(
                Prefetch("victims", queryset=selectors.victims_for_public()),
                "sources",
                "perpetrators",
                "cases",
                Prefetch(
                    "updates",
                    queryset=public_updates.order_by("-on", "-pk")[:LATEST_UPDATES],
                    to_attr="latest_updates",
                ),
            )
        )

    def list(self, request, *args, **kwargs):
        """The page's rows, each incident as the serializer gives it: from the cache where
        it was given before at its current mark (fragments.per_incident), the others from
        one detailed query. 50 incidents through the serializer were 90% of a miss."""
        # Only the keys and the cursor's date, as plain rows: 51 model instances were a
        # tenth of a miss. The page depends on each incident as if it had loaded it (what
        # Incident.from_db records for an instance): a change to one drops the cached page.
        rows = self.filter_queryset(self.get_queryset()).values("pk", "published_at")
        pks = [row["pk"] for row in self.paginate_queryset(rows)]
        for pk in pks:
            public_cache.read(pk)

        def serialized(missing):
            rows = self.detailed(Incident.objects.filter(pk__in=missing))
            data = self.get_serializer(rows, many=True).data
            return {item["id"]: ItemsJSONRenderer.item(item) for item in data}

        scope = request.build_absolute_uri("/")
        items = fragments.per_incident("api-json", pks, serialized, scope=scope)
        if items is None:
            items = serialized(pks)
        return self.get_paginated_response([EncodedItem(items[pk]) for pk in pks])

    def language(self) -> str:
        if getattr(self, "swagger_fake_view", False):
            return DEFAULT_LANGUAGE
        lang = self.request.query_params.get("lang", DEFAULT_LANGUAGE)
        if lang not in LANGUAGES:
            raise ValidationError({"lang": [f"Choose one of: {', '.join(LANGUAGES)}."]})
        return lang

    def filter_queryset(self, queryset):
        # The filters only apply to the list: a slug names one incident whatever they say.
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)

    @extend_schema(
        summary="An incident's public dated updates",
        description=(
            "Every public update of a published incident (news, steps of the criminal case, "
            "authorities' replies), oldest first, 50 a page."
        ),
        parameters=[OpenApiParameter("page", int, description="The page, from 1.")],
        responses={200: UpdateSerializer(many=True), 404: NOT_FOUND, 429: THROTTLED},
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=UpdatesPagination)
    def updates(self, request, slug=None):
        incident = self.get_object()
        rows = IncidentUpdate.objects.filter(incident=incident, is_public=True).order_by("on", "pk")
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(UpdateSerializer(page, many=True).data)


@extend_schema_view(
    list=extend_schema(
        summary="Violation categories and their groups",
        responses={200: CategorySerializer(many=True), 429: THROTTLED},
    ),
    retrieve=extend_schema(
        summary="One category or group, by slug",
        responses={200: CategorySerializer, 404: NOT_FOUND, 429: THROTTLED},
    ),
)
class CategoryViewSet(PublicData, viewsets.ReadOnlyModelViewSet):
    queryset = Category.objects.select_related("parent")
    serializer_class = CategorySerializer
    lookup_field = "slug"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"
    pagination_class = None


@extend_schema_view(
    list=extend_schema(
        summary="Regions of Ukraine, and abroad",
        responses={200: RegionSerializer(many=True), 429: THROTTLED},
    ),
    retrieve=extend_schema(
        summary="One region, by slug",
        responses={200: RegionSerializer, 404: NOT_FOUND, 429: THROTTLED},
    ),
)
class RegionViewSet(PublicData, viewsets.ReadOnlyModelViewSet):
    queryset = Region.objects.all()
    serializer_class = RegionSerializer
    lookup_field = "slug"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"
    pagination_class = None


class SchemaView(JSONErrors, SpectacularAPIView):
    """The OpenAPI schema, in English unless ?lang=uk asks for the Ukrainian labels."""

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        with override(request.GET.get("lang") or "en"):
            return super().get(request, *args, **kwargs)


@extend_schema(exclude=True)
class NotFoundView(PublicData, APIView):
    """Any other address under /api/, with any method: a JSON 404."""

    throttle_classes = []

    def get(self, request, *args, **kwargs):
        raise NotFound()

    head = options = post = put = patch = delete = trace = get


def exception_handler(exc, context):
    """DRF's handler, plus JSON for what it leaves to Django's HTML pages: a database that is
    down (503, so clients retry) and any other error (500)."""
    response = drf_exception_handler(exc, context)
    if response is not None:
        return response
    if isinstance(exc, SuspiciousOperation):  # e.g. more query parameters than allowed
        return Response({"detail": "Bad request."}, status=400)
    if isinstance(exc, DatabaseError):
        logger.warning("api: database unavailable: %s", type(exc).__name__)
        return Response(
            {"detail": "The service is temporarily unavailable. Try again shortly."},
            status=503,
            headers={"Retry-After": "30"},
        )
    logger.exception("api: unhandled error", exc_info=exc)
    return Response({"detail": "Server error."}, status=500)
