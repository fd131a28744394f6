import dataclasses
import functools
import re

from django.conf import settings
from django.contrib.postgres.search import (
    SearchQuery,
    SearchVectorField,
    TrigramSimilarity,
)
from django.core.exceptions import EmptyResultSet, ValidationError
from django.db import connections, models
from django.db.models import (
    BooleanField,
    Case,
    Exists,
    F,
    Func,
    OuterRef,
    Prefetch,
    Q,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Length
from django.urls import get_script_prefix, reverse
from django.utils import timezone, translation
from django.utils.translation import get_language, override
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from . import public_cache, search
from .dates import (
    DatePrecision,
    describe_incident,
    is_range,
    machine_readable,
    period_end,
    period_start,
)
from .text import render_markdown, shortcode_problems


class Language(models.TextChoices):
    UK = "uk", _("Ukrainian")
    EN = "en", _("English")


def current_language() -> str:
    return "en" if (get_language() or "").startswith("en") else "uk"


def list_url() -> str:
    """The incident list's address in the active language: every card, badge and link to an
    article starts with it, and reverse() per link was a tenth of a list page (issue 13)."""
    return _list_url(get_language() or "", get_script_prefix(), settings.ROOT_URLCONF)


@functools.lru_cache(maxsize=32)
def _list_url(language: str, script_prefix: str, urlconf: str) -> str:
    return reverse("incidents:list")


class BilingualNameModel(models.Model):
    """Reference data named in both interface languages; `name` follows the active one."""

    name_uk = models.CharField(_("name in Ukrainian"), max_length=200)
    name_en = models.CharField(_("name in English"), max_length=200)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if current_language() == "en" else self.name_uk


class SdgAct(models.TextChoices):
    """The acts SDG indicator 16.10.1 counts, from the most severe."""

    KILLING = "killing", _("Killing")
    ENFORCED_DISAPPEARANCE = "enforced_disappearance", _("Enforced disappearance")
    KIDNAPPING = "kidnapping", _("Kidnapping")
    ARBITRARY_DETENTION = "arbitrary_detention", _("Arbitrary detention")
    TORTURE = "torture", _("Torture")
    OTHER_HARMFUL_ACT = "other_harmful_act", _("Other harmful act")


class CategoryQuerySet(models.QuerySet):
    def groups(self):
        return self.filter(parent__isnull=True)

    def leaves(self):
        return self.filter(parent__isnull=False)


class Category(BilingualNameModel):
    """The violation taxonomy of IMI's barometer: groups, and the categories under them."""

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("group"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        limit_choices_to={"parent__isnull": True},
        help_text=_("Leave empty for a group. A category belongs to exactly one group."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    severity_rank = models.PositiveSmallIntegerField(
        _("severity rank"),
        default=50,
        help_text=_(
            "1 is the most severe. The barometer counts an incident that fits several "
            "categories once, under its most severe one (IMI's method)."
        ),
    )
    is_wartime = models.BooleanField(
        _("wartime category"),
        default=False,
        help_text=_("Recorded since the full-scale invasion of 24 February 2022."),
    )
    sdg_act = models.CharField(
        _("SDG 16.10.1 act"),
        max_length=30,
        blank=True,
        choices=SdgAct.choices,
        help_text=_(
            "What UNESCO's indicator 16.10.1 counts an incident of this category as; empty: "
            "not counted by the indicator (the SDG export leaves it out)."
        ),
    )

    objects = CategoryQuerySet.as_manager()

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["position", "slug"]
        constraints = [
            models.CheckConstraint(condition=~Q(parent=F("pk")), name="category_not_own_group"),
        ]

    def get_absolute_url(self) -> str:
        key = "group" if self.is_group else "category"
        return f"{list_url()}?{key}={self.slug}"

    def clean(self):
        if self.parent is not None and self.parent.parent_id is not None:
            raise ValidationError(
                {"parent": _("Only two levels: a group cannot sit under a category.")}
            )
        if self.parent is not None and self.pk and self.children.exists():
            raise ValidationError(
                {"parent": _("Only two levels: a group with categories cannot sit under a group.")}
            )

    @property
    def is_group(self) -> bool:
        return self.parent_id is None


class Region(BilingualNameModel):
    class Kind(models.TextChoices):
        OBLAST = "oblast", _("Oblast")
        CITY = "city", _("City with special status")
        AUTONOMY = "autonomy", _("Autonomous republic")
        ABROAD = "abroad", _("Abroad")

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    iso_code = models.CharField(
        _("ISO 3166-2 code"), max_length=6, blank=True, help_text=_("For example UA-30 for Kyiv.")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["position", "slug"]

    def get_absolute_url(self) -> str:
        return f"{list_url()}?region={self.slug}"


class Verification(models.IntegerChoices):
    """How sure the record is, computed from the incident's sources (verification_level)."""

    REPORTED = 0, _("Reported, not yet confirmed")
    ONE_SOURCE = 1, _("One source")
    CONFIRMED = 2, _("Confirmed by two or more independent sources")
    VICTIM = 3, _("Confirmed by the victim")


# How exports and the API name the levels.
VERIFICATION_SLUGS = {
    Verification.REPORTED: "reported",
    Verification.ONE_SOURCE: "one_source",
    Verification.CONFIRMED: "confirmed",
    Verification.VICTIM: "confirmed_by_victim",
}


def verification_level(sources) -> int:
    """The level the sources give: the victim's own account; else two or more independent
    publishers (the same publisher twice is one source); else any source; else reported."""
    sources = list(sources)
    if any(source.is_victim_account for source in sources):
        return Verification.VICTIM
    independent = {source.publisher_key for source in sources if source.is_independent}
    if len(independent - {""}) >= 2:
        return Verification.CONFIRMED
    return Verification.ONE_SOURCE if sources else Verification.REPORTED


class PerpetratorType(models.TextChoices):
    POLICE = "police", _("Police")
    SECURITY_SERVICES = "security_services", _("Security services")
    OFFICIALS = "officials", _("State officials")
    POLITICIANS = "politicians", _("Politicians and MPs")
    COURTS = "courts", _("Courts and prosecutors")
    MILITARY = "military", _("Military")
    RUSSIAN_FORCES = (
        "russian_forces",
        _("Russian Federation (armed forces, occupation bodies)"),
    )
    FOREIGN_STATE = "foreign_state", _("Foreign state bodies")
    BUSINESS = "business", _("Business")
    PRIVATE_PERSONS = "private_persons", _("Private persons")
    UNKNOWN = "unknown", _("Unknown persons")


def listed_field(language: str) -> str:
    """The column that marks the rows listed in an interface language."""
    if language not in Language.values:
        raise ValueError(f"unknown language {language!r}")
    return f"listed_{language}"


@dataclasses.dataclass(frozen=True)
class SearchHits:
    """What a search found: the matching incidents' ids, best first, and whether they are
    every match (else more match: these are the newest of them). On SQLite `ranked` is the
    search as a queryset, which the ids were read from."""

    ids: list[int]
    complete: bool
    ranked: "models.QuerySet | None" = None

    @classmethod
    def of(cls, ranked) -> "SearchHits":
        return cls(ids=list(ranked.values_list("pk", flat=True)), complete=True, ranked=ranked)


class IncidentQuerySet(models.QuerySet):
    def published(self):
        """Live to the public: published, and its publication time has come."""
        return self.filter(status=Incident.Status.PUBLISHED, published_at__lte=timezone.now())

    def public(self, language: str | None = None):
        """What a visitor sees in `language` (the interface's, when not given): published,
        its time come, one row per story. Every public page, feed, export and count starts
        here."""
        return self.published().for_language(language or current_language())

    def occurred_within(self, start=None, end=None):
        """Incidents known to have happened between start and end (inclusive; None: open):
        their whole period lies inside, so "March 2022" is in March and in 2022, but "2022"
        is not in March. The list's date filters, the counts and the exports all use it."""
        condition = Q()
        if start is not None:
            condition &= Q(occurred_on__gte=start)
        if end is not None:
            condition &= Q(occurred_until__lte=end)
        return self.filter(condition)

    def in_categories(self, *, categories=None, group=None):
        """Incidents in any of these categories, or in any category of `group`: each once
        (a subquery, not a join, which would list an incident in two categories twice)."""
        links = Incident.categories.through.objects.filter(incident=OuterRef("pk"))
        if categories is not None:
            links = links.filter(category__in=categories)
        if group is not None:
            links = links.filter(category__parent=group)
        return self.filter(Exists(links))

    def for_language(self, language: str):
        """One row per story: its version in `language` if published, otherwise the other one.

        A story is an original and its translations. Which version is listed in each language
        is stored on the rows (`listed_uk`, `listed_en`) by `services.incidents_refresh`, so
        this is an indexed column, not a subquery per row (issue 13).
        """
        return self.filter(**{listed_field(language): True})

    def search(self, text: str):
        """The incidents matching every typed word in one of its forms, best match first.

        Both databases match the same prepared text (search.py). On PostgreSQL these are
        the newest matches, at most SEARCH_MAX_RESULTS, found by `search_hits` in one query.
        Apply it after every other filter.
        """
        return self.matching(self.search_hits(text))

    def matching(self, hits: "SearchHits | None"):
        """These incidents narrowed to a search's hits, in their order (None: no search)."""
        if hits is None:
            return self
        if hits.ranked is not None:
            return hits.ranked
        order = Func(Value(hits.ids), F("pk"), function="array_position")
        return self.filter(pk__in=hits.ids).order_by(order)

    def search_hits(self, text: str) -> "SearchHits | None":
        """What a search for `text` finds among these incidents, best first; None when the
        text has no word to search for (only joining words, single letters, punctuation).

        PostgreSQL, in one query: the search index gives up to SEARCH_MAX_RESULTS + 1
        matches; if that is all of them, they are the answer, every one (a rarer word).
        Otherwise the newest incidents are read in date order until SEARCH_RANKED match,
        the newest of all (a word in many articles); only if the newest SEARCH_SCAN_ROWS
        hold fewer does the index give every match to sort by date. Sorting
        every match of a frequent word by date, or walking the whole archive for a rare one,
        was each a quarter of a second at 100,000 incidents. The newest SEARCH_RANKED
        matches are ranked (title, then lead, then text), best first; the rest follow,
        newest first.
        """
        terms = search.parse(text)
        if not terms:
            return None
        if connections[self.db].vendor != "postgresql":
            return SearchHits.of(self._sqlite_search(terms))
        return self._postgres_hits(terms)

    def _sqlite_search(self, terms: "list[search.Term]"):
        rank = Value(0)
        for term in terms:
            rank = rank + Case(
                When(_matching("search_title", term), then=Value(4)),
                When(_matching("search_lead", term), then=Value(2)),
                default=Value(1),
            )
        ranked = self._matching_all(terms).annotate(rank=rank)
        return ranked.order_by("-rank", "-published_at", "-pk")

    def _postgres_hits(self, terms: "list[search.Term]") -> "SearchHits":
        try:
            return self._postgres_hits_of(terms)
        except EmptyResultSet:  # filtered to nothing before the search (`none()`)
            return SearchHits(ids=[], complete=True)

    def _postgres_hits_of(self, terms: "list[search.Term]") -> "SearchHits":
        table = connections[self.db].ops.quote_name(Incident._meta.db_table)
        most = settings.SEARCH_MAX_RESULTS
        ranked = min(settings.SEARCH_RANKED, most)  # never more listed than the most
        first = max(settings.SEARCH_SCAN_ROWS // 6, ranked)
        scan = max(settings.SEARCH_SCAN_ROWS, first + 1)
        # The index is asked for the longest INDEXED_TERMS words only (the rarest, mostly),
        # and every word is checked on the rows it gives: each word asked of the index costs
        # about as much as a common word's whole search, so a pasted sentence cost ten.
        # The words are parameters, parsed once (not per row); the planner, not knowing
        # them, plans the index scan a rare word needs. Only the table's quoted name and
        # Django's compiled SQL are put into the text.
        matches = RawSQL(  # noqa: S611
            f"{table}.search_vector @@ (SELECT probe FROM typed)"  # noqa: S608
            f" AND ts_match_vq({table}.search_vector, (SELECT q FROM typed))",
            [],
            BooleanField(),
        )
        longest = sorted(terms, key=lambda term: -len(term.prefix))[: search.INDEXED_TERMS]
        newest = self.order_by("-published_at", "-pk")
        rows_sql, rows_params = newest.values_list("pk", "published_at", "search_vector")[
            :first
        ].query.sql_with_params()
        more_sql, more_params = newest.values_list("pk", "published_at", "search_vector")[
            first:scan
        ].query.sql_with_params()
        count_sql, count_params = newest.values_list("pk")[:scan].query.sql_with_params()
        index_sql, index_params = (
            self.order_by().filter(matches).values_list("pk", "published_at").query
        ).sql_with_params()
        # Four ways, each tried only if the one before did not answer (a CTE is read only
        # when a condition that needs it is evaluated):
        # 1. the newest `first` incidents hold `ranked` matches: a common word;
        # 2. unless they hold so many that the newest `scan` likely hold `ranked`: the index
        #    has at most `most` matches: all of them (the only complete answer);
        # 3. the newest `scan` incidents hold a quarter of `ranked` matches: those, the newest;
        # 4. every match from the index, the newest `most` kept.
        sql = f"""
            WITH typed AS MATERIALIZED (
                SELECT to_tsquery('simple', %s) AS q, to_tsquery('simple', %s) AS probe
            ),
            newest AS MATERIALIZED (
                SELECT n.id, n.published_at FROM ({rows_sql}) n (id, published_at, v)
                WHERE n.v @@ (SELECT q FROM typed) LIMIT %s
            ),
            common AS MATERIALIZED (SELECT count(*) >= %s AS yes FROM newest),
            likely AS MATERIALIZED (SELECT count(*) >= %s AS yes FROM newest),
            probe AS MATERIALIZED (
                SELECT id, published_at FROM ({index_sql} OFFSET 0) g (id, published_at)
                LIMIT %s
            ),
            few AS MATERIALIZED (SELECT count(*) <= %s AS yes FROM probe),
            older AS MATERIALIZED (
                SELECT n.id, n.published_at FROM ({more_sql}) n (id, published_at, v)
                WHERE n.v @@ (SELECT q FROM typed)
                LIMIT %s - (SELECT count(*) FROM newest)
            ),
            exhausted AS MATERIALIZED (
                SELECT count(*) < %s AS yes FROM ({count_sql}) c
            ),
            enough AS MATERIALIZED (
                SELECT (SELECT count(*) FROM newest) + (SELECT count(*) FROM older) >= %s
                    OR (SELECT yes FROM exhausted) AS yes
            ),
            hits AS (
                SELECT id, published_at FROM newest WHERE (SELECT yes FROM common)
                UNION ALL
                SELECT id, published_at FROM probe
                WHERE NOT (SELECT yes FROM common) AND NOT (SELECT yes FROM likely)
                    AND (SELECT yes FROM few)
                UNION ALL
                SELECT id, published_at FROM (
                    SELECT id, published_at FROM newest UNION ALL
                    SELECT id, published_at FROM older
                ) w
                WHERE NOT (SELECT yes FROM common)
                    AND ((SELECT yes FROM likely) OR NOT (SELECT yes FROM few))
                    AND (SELECT yes FROM enough)
                UNION ALL
                (SELECT i.id, i.published_at FROM ({index_sql} OFFSET 0) i (id, published_at)
                 WHERE NOT (SELECT yes FROM common)
                    AND ((SELECT yes FROM likely) OR NOT (SELECT yes FROM few))
                    AND NOT (SELECT yes FROM enough)
                 ORDER BY i.published_at DESC, i.id DESC LIMIT %s)
            ),
            numbered AS (
                SELECT id, row_number() OVER (ORDER BY published_at DESC, id DESC) AS n
                FROM hits
            )
            SELECT id, CASE WHEN n <= %s THEN (
                       SELECT ts_rank(r.search_vector, (SELECT q FROM typed))
                       FROM {table} r WHERE r.id = numbered.id) END,
                   NOT (SELECT yes FROM common) AND NOT (SELECT yes FROM likely)
                       AND (SELECT yes FROM few)
                   OR (SELECT count(*) FROM hits) < %s AND (SELECT yes FROM exhausted)
            FROM numbered ORDER BY n
        """  # noqa: S608
        params = [
            search.tsquery(terms),
            search.tsquery(longest),
            *rows_params,
            ranked,
            ranked,
            -(-ranked * first // scan),
            *index_params,
            most + 1,
            most,
            *more_params,
            ranked,
            scan,
            *count_params,
            ranked // 4,
            *index_params,
            most,
            ranked,
            ranked,
        ]
        with connections[self.db].cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        best = sorted((row for row in rows if row[1] is not None), key=lambda row: -row[1])
        ids = [row[0] for row in best] + [row[0] for row in rows if row[1] is None]
        # Every match when the index gave them all (way 2), when there are none, or when
        # reading in date order saw every incident (a small archive) and fewer than `ranked`
        # matched.
        return SearchHits(ids=ids, complete=not rows or bool(rows[0][2]))

    def suggestion(self, text: str, *, found: "SearchHits | None" = None) -> str | None:
        """ "Did you mean": the typed text with each word that finds nothing here replaced by
        the closest known word that does, if the whole then finds something; else None.

        In a fixed number of queries whatever the words: which typed words find something
        (one query; none when `found`, the search itself, shows a one-word text found
        nothing), the close spellings of the others (one), which of those find something
        (one), and whether the whole finds something (one)."""
        terms = search.parse(text)
        if not terms or len(terms) > 6:
            return None
        if found is not None and not found.ids and len(terms) == 1:
            finds = [False]
        else:
            finds = self._each_finds([term.typed for term in terms])
        missing = [term for term, ok in zip(terms, finds, strict=True) if not ok]
        if not missing:
            return None
        close = SearchWord.objects.close_to_each([term.typed for term in missing])
        candidates = list(dict.fromkeys(word for words in close.values() for word in words))
        usable = dict(zip(candidates, self._each_finds(candidates), strict=True))
        words = []
        for term in terms:
            if term not in missing:
                words.append(term.typed)
                continue
            spelt = close.get(term.typed.lower(), [])
            word = next((w for w in spelt if usable[w]), None)
            if word is None:
                return None
            words.append(word.capitalize() if term.typed[:1].isupper() else word)
        suggested = " ".join(words)
        return suggested if self._each_finds([suggested]) == [True] else None

    def each_finds(self, texts: list[str]) -> list[bool]:
        """For each text, whether searching for it among these incidents finds anything."""
        return self._each_finds(texts)

    def _each_finds(self, texts: list[str]) -> list[bool]:
        """For each text, whether searching for it here finds anything: one query."""
        if not texts:
            return []
        checks = {
            f"t{index}": Exists(self._matching_all(search.parse(text)).values("pk")[:1])
            for index, text in enumerate(texts)
        }
        # A one-row table to ask from: the incidents themselves, any one of them.
        row = Incident.objects.order_by().annotate(**checks).values_list(*checks)[:1]
        answer = next(iter(row), None)
        return list(answer) if answer else [False] * len(texts)

    def _matching_all(self, terms: "list[search.Term]"):
        """Every match, unordered and unranked, through the search index: for "is there any"."""
        if not terms:
            return self.order_by()
        if connections[self.db].vendor == "postgresql":
            query = SearchQuery(search.tsquery(terms), search_type="raw", config="simple")
            return self.order_by().filter(search_vector=query)
        condition = Q()
        for term in terms:
            condition &= _matching("search_document", term)
        return self.order_by().filter(condition)

    def count_up_to(self, most: int) -> tuple[int, bool]:
        """(how many, but at most `most`; whether there are more): a count that reads at most
        `most` + 1 rows, never the whole archive, for filters the count tables cannot
        answer (INCIDENTS_COUNT_MAX)."""
        found = self.order_by()[: most + 1].count()
        return min(found, most), found > most

    def with_card_data(self):
        """What a list card shows, in a fixed number of queries; not the article's body
        nor its search vector, which were most of the bytes a list page read."""
        return (
            self.select_related("region")
            .defer(*Incident.HEAVY_FIELDS)
            .prefetch_related(
                Prefetch("categories", queryset=Category.objects.select_related("parent"))
            )
        )


def _matching(field: str, term: search.Term) -> Q:
    """SQLite's form of the tsquery (search.tsquery): a stored word starting with the typed
    one, or equal to one of its dictionary forms. The stored text is " word word ", lower
    case, so a space marks where a word starts and ends."""
    prefix = f" {term.prefix}" if len(term.prefix) >= search.PREFIX_MIN else f" {term.prefix} "
    condition = Q(**{f"{field}__contains": prefix})
    for lemma in term.lemmas:
        condition |= Q(**{f"{field}__contains": f" {lemma} "})
    return condition


class Incident(models.Model):
    """A published article about a violation of journalists' rights, and its facts."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        ARCHIVED = "archived", _("Archived")

    title = models.CharField(_("title"), max_length=300)
    slug = models.SlugField(
        _("slug"), max_length=140, unique=True, help_text=_("The last part of the address.")
    )
    lead = models.TextField(
        _("lead"), help_text=_("One or two sentences shown in lists and feeds.")
    )
    body = models.TextField(
        _("body"),
        help_text=_(
            "Markdown. Links are allowed; images and scripts are removed when the article is saved."
        ),
    )
    body_html = models.TextField(editable=False, default="")
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.UK
    )
    translation_of = models.ForeignKey(
        "self",
        verbose_name=_("translation of"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="translations",
        limit_choices_to={"translation_of__isnull": True},
        help_text=_("Set on a translation: the original article it translates."),
    )
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=Status.choices,
        default=Status.DRAFT,
        help_text=_(
            "Only published incidents whose publication time has come are shown to the public "
            "and counted; drafts and archived ones are not."
        ),
    )
    published_at = models.DateTimeField(
        _("published at"),
        null=True,
        blank=True,
        help_text=_(
            "Date and time of publication (Kyiv time), set by “Save and publish now” or “Save"
            " and schedule”; a future one is a scheduled publication."
        ),
    )
    is_featured = models.BooleanField(
        _("featured"), default=False, help_text=_("Shown at the top of the home page while public.")
    )
    occurred_on = models.DateField(
        _("date of the incident"),
        help_text=_(
            "The first day of what is known: the day, or the first of the month, of the season"
            " (spring 1 March, summer 1 June, autumn 1 September, winter 1 December) or of the"
            " year."
        ),
    )
    occurred_precision = models.CharField(
        _("the date is known to"),
        max_length=6,
        choices=DatePrecision.choices,
        default=DatePrecision.DAY,
        help_text=_(
            "Month, season or year when the exact day is not known: the public page says"
            " “March 2022” or “spring 2022”, and the barometer counts a season or a year only"
            " in the year's figures."
        ),
    )
    occurred_until = models.DateField(
        _("until"),
        blank=True,
        help_text=_(
            "For a period (“March–April 2022”): its last day, or any day of the last month,"
            " season or year it spans. Left empty: the period the date names. Stored as the"
            " last day the incident may have happened."
        ),
    )
    categories = models.ManyToManyField(
        Category,
        verbose_name=_("categories"),
        related_name="incidents",
        limit_choices_to={"parent__isnull": False},
    )
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="incidents"
    )
    place = models.CharField(_("place"), max_length=200, blank=True)
    country = models.CharField(
        _("country"), max_length=100, blank=True, help_text=_("Only for incidents abroad.")
    )
    perpetrator_type = models.CharField(
        _("perpetrator"),
        max_length=20,
        choices=PerpetratorType.choices,
        default=PerpetratorType.UNKNOWN,
    )
    perpetrator_detail = models.CharField(_("perpetrator details"), max_length=300, blank=True)
    motive = models.CharField(
        _("motive"),
        max_length=12,
        choices=[
            ("confirmed", _("Confirmed: because of their journalism")),
            ("unconfirmed", _("Unconfirmed")),
        ],
        default="unconfirmed",
        help_text=_("Whether the act is known to be a response to the victim's work."),
    )
    is_attempt = models.BooleanField(
        _("attempt"),
        default=False,
        help_text=_(
            "An attempt that did not succeed (an attempted attack or hacking). Counted with "
            "completed acts, as IMI counts them."
        ),
    )
    # The category the barometer counts the incident under: its most severe one. Kept by
    # services.incidents_refresh (and for every incident when ranks change), never by hand.
    primary_category = models.ForeignKey(
        Category,
        verbose_name=_("counted under"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Computed from the sources and the dated updates by services.incidents_refresh.
    verification = models.PositiveSmallIntegerField(
        _("verification"),
        choices=Verification.choices,
        default=Verification.REPORTED,
        editable=False,
    )
    last_update_on = models.DateField(_("last update"), null=True, blank=True, editable=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # What search matches, prepared by services.incidents_index (see search.py): the forms
    # of the title's words, of the lead's and the details' (place, outlets, public names,
    # region), and of every word. Never a withheld victim's name.
    search_title = models.TextField(default="", editable=False)
    search_lead = models.TextField(default="", editable=False)
    search_document = models.TextField(default="", editable=False)
    # Filled from the three by a database trigger on PostgreSQL (migrations 0003, 0008).
    search_vector = SearchVectorField(null=True, editable=False)
    # Which row of a story each interface language lists: the published version in that
    # language, or else the other one. Kept by services.incidents_refresh, never by hand.
    listed_uk = models.BooleanField(default=False, editable=False)
    listed_en = models.BooleanField(default=False, editable=False)

    objects = IncidentQuerySet.as_manager()
    history = HistoricalRecords(
        excluded_fields=[
            "body_html",
            "search_title",
            "search_lead",
            "search_document",
            "search_vector",
            "listed_uk",
            "listed_en",
            "primary_category",
            "verification",
            "last_update_on",
        ]
    )

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-published_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "-published_at"], name="incident_status_pub_idx"),
            models.Index(fields=["occurred_on"], name="incident_occurred_idx"),
            models.Index(fields=["occurred_until"], name="incident_occurred_until_idx"),
            models.Index(fields=["perpetrator_type"], name="incident_perpetrator_idx"),
            models.Index(fields=["language"], name="incident_language_idx"),
            # The public list in each language, newest first: the page is read off the index.
            models.Index(
                fields=["-published_at", "-id"],
                condition=Q(listed_uk=True),
                name="incident_listed_uk_idx",
            ),
            models.Index(
                fields=["-published_at", "-id"],
                condition=Q(listed_en=True),
                name="incident_listed_en_idx",
            ),
            models.Index(fields=["region", "-published_at"], name="incident_region_pub_idx"),
            # The record's filters ("updated in the last N days", "confirmed"): without them
            # a filter that matches few incidents, or none, counted the whole table twice
            # (the total and the other languages' total), 300-700 ms at 100,000 incidents.
            models.Index(
                fields=["last_update_on"],
                condition=Q(last_update_on__isnull=False),
                name="incident_last_update_idx",
            ),
            models.Index(fields=["verification"], name="incident_verification_idx"),
            models.Index(
                fields=["-published_at"],
                condition=Q(is_featured=True),
                name="incident_featured_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False),
                name="incident_published_has_time",
            ),
            models.UniqueConstraint(
                fields=["translation_of", "language"], name="incident_one_translation_per_language"
            ),
            models.CheckConstraint(
                condition=Q(occurred_until__gte=F("occurred_on")),
                name="incident_occurred_until_not_before",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    # Written only by services.incidents_refresh: a save() of an instance loaded before the
    # refresh must not write its stale copy of them back.
    REFRESHED_FIELDS = (
        "listed_uk",
        "listed_en",
        "search_title",
        "search_lead",
        "search_document",
        "primary_category",
        "verification",
        "last_update_on",
    )
    # Never read for a list card: the article's text and what search prepared of it.
    HEAVY_FIELDS = (
        "body",
        "body_html",
        "search_title",
        "search_lead",
        "search_document",
        "search_vector",
    )

    def save(self, *args, **kwargs):
        # Derived; a barometer shortcode is counted here, a read (text.render_markdown), in
        # the article's language, its date beside it.
        with translation.override(self.language or None):
            self.body_html = render_markdown(self.body, shortcodes=True)
        self.normalise_dates()
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name not in self.REFRESHED_FIELDS
            ]
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        # incidents/urls.py: "<slug:slug>/" under the list's address.
        return f"{list_url()}{self.slug}/"

    def normalise_dates(self) -> None:
        """Derived fields: the date moved to its period's first day, `occurred_until` to the
        last day of the period it names (the date's own period when empty). An end that was
        derived when the incident was read follows a changed date or precision; a range's end
        stays what it was."""
        if self.occurred_on is None:
            return
        precision = self.occurred_precision or DatePrecision.DAY
        until = self.occurred_until
        if until is not None and until == getattr(self, "_derived_until", None):
            until = None
        self.occurred_on = period_start(precision, self.occurred_on)
        self.occurred_until = period_end(precision, until or self.occurred_on)
        self._remember_derived_until()

    def _remember_derived_until(self) -> None:
        loaded = self.__dict__
        if all(name in loaded for name in ("occurred_on", "occurred_precision", "occurred_until")):
            single = self.occurred_on is not None and not is_range(
                self.occurred_precision, self.occurred_on, self.occurred_until
            )
            self._derived_until = self.occurred_until if single else None

    @property
    def occurred_text(self) -> str:
        """The date as precisely as it is known, in the active language (dates.describe)."""
        return describe_incident(self)

    @property
    def occurred_machine(self) -> str:
        """The date for <time datetime>, or "" for a season or a range."""
        return machine_readable(self.occurred_precision, self.occurred_on, self.occurred_until)

    def clean(self):
        errors = {}
        if (
            self.occurred_on
            and self.occurred_until
            and period_end(self.occurred_precision, self.occurred_until) < self.occurred_on
        ):
            errors["occurred_until"] = _("The end of the period cannot precede its start.")
        found = shortcode_problems(self.body)
        if found:
            errors["body"] = _("A barometer shortcode cannot be drawn: %(problems)s") % {
                "problems": "; ".join(found)
            }
        if self.status == self.Status.PUBLISHED and not self.published_at:
            errors["published_at"] = _("A published incident needs its publication time.")
        if self.region_id:
            abroad = self.region.kind == Region.Kind.ABROAD
            if abroad and not self.country:
                errors["country"] = _("Name the country of an incident abroad.")
            if not abroad and self.country:
                errors["country"] = _("A country is only given for incidents abroad.")
        if self.translation_of_id:
            original = self.translation_of
            if original.pk == self.pk or original.translation_of_id:
                errors["translation_of"] = _("Choose the original article, not a translation.")
            elif original.language == self.language:
                errors["language"] = _("A translation must be in the other language.")
            elif self.pk and self.translations.exists():
                errors["translation_of"] = _(
                    "This article has translations of its own: it is an original."
                )
        if errors:
            raise ValidationError(errors)

    @classmethod
    def from_db(cls, db, field_names, values):
        # A cached public page depends on every incident it read (public_cache.reading):
        # the marks of those incidents drop it when they change.
        instance = super().from_db(db, field_names, values)
        public_cache.read(instance.pk)
        instance._remember_derived_until()
        return instance

    @property
    def is_public(self) -> bool:
        return (
            self.status == self.Status.PUBLISHED
            and self.published_at is not None
            and self.published_at <= timezone.now()
        )

    @property
    def lead_opens_body(self) -> bool:
        """True when the body already starts with the lead (the page then shows it once)."""
        lead = " ".join(self.lead.split())
        return bool(lead) and " ".join(self.body.split()).startswith(lead)

    def story_versions(self):
        """The published versions of this story in other languages."""
        story_id = self.translation_of_id or self.pk
        return (
            Incident.objects.published()
            .filter(Q(pk=story_id) | Q(translation_of_id=story_id))
            .exclude(pk=self.pk)
        )


def _not_in_future(value, field: str, errors: dict) -> None:
    if value and value > timezone.localdate():
        errors[field] = _("This date has not come yet.")


def _not_before_incident(incident, value, field: str, errors: dict) -> None:
    """A date of what followed the incident cannot precede it (its month, when the day is
    unknown)."""
    occurred = getattr(incident, "occurred_on", None) if incident is not None else None
    if value and occurred:
        precision = getattr(incident, "occurred_precision", None) or DatePrecision.DAY
        earliest = period_start(precision, occurred)
        if value < earliest:
            errors[field] = _("This is before the incident happened (%(date)s).") % {
                "date": earliest.strftime("%d.%m.%Y")
            }


class Person(models.Model):
    """Someone targeted in one incident or several: what links their incidents.

    Names stay on each incident's victim row (in the article's language, withheld or not);
    a person holds what is theirs whatever the incident. services.victims_link_people gives
    every victim a person; staff merge duplicates in the admin (services.people_merge).
    """

    class Sex(models.TextChoices):
        FEMALE = "female", _("Female")
        MALE = "male", _("Male")
        OTHER = "other", _("Other")

    class AgeGroup(models.TextChoices):
        MINOR = "0-17", _("Under 18")
        YOUNG = "18-29", _("18–29")
        ADULT = "30-44", _("30–44")
        MIDDLE = "45-59", _("45–59")
        OLDER = "60+", _("60 and over")

    sex = models.CharField(_("sex"), max_length=8, choices=Sex.choices, blank=True)
    age_group = models.CharField(_("age group"), max_length=8, choices=AgeGroup.choices, blank=True)
    details_withheld = models.BooleanField(
        _("sex and age withheld"),
        default=False,
        help_text=_(
            "Kept for staff; never shown on the site, in the API or in an export. They are "
            "never shown for someone whose name is withheld either."
        ),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["pk"]

    def __str__(self) -> str:
        names = sorted({victim.name for victim in self.victims.all() if victim.name})
        return f"#{self.pk} " + (" / ".join(names) or str(_("no name")))


class Victim(models.Model):
    """A person targeted in this incident, and what happened to them in it."""

    class Occupation(models.TextChoices):
        JOURNALIST = "journalist", _("Journalist")
        CAMERA_OPERATOR = "camera_operator", _("Camera operator")
        PHOTOGRAPHER = "photographer", _("Photographer")
        EDITOR = "editor", _("Editor")
        BLOGGER = "blogger", _("Blogger")
        MEDIA_WORKER = "media_worker", _("Other media worker")
        MEDIA_OUTLET = "media_outlet", _("Media outlet (the organisation)")

    class Employment(models.TextChoices):
        STAFF = "staff", _("Staff")
        FREELANCE = "freelance", _("Freelance")

    class Origin(models.TextChoices):
        LOCAL = "local", _("Local")
        FOREIGN = "foreign", _("Foreign")

    class Injury(models.TextChoices):
        MINOR = "minor", _("Minor injuries")
        SERIOUS = "serious", _("Serious injuries")
        CRITICAL = "critical", _("Life-threatening injuries")

    class Equipment(models.TextChoices):
        SEIZED = "seized", _("Equipment seized")
        DAMAGED = "damaged", _("Equipment damaged")
        DESTROYED = "destroyed", _("Equipment destroyed")

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="victims")
    person = models.ForeignKey(
        Person,
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="victims",
        help_text=_(
            "The same person in other incidents. Leave empty for someone new: a record is "
            "made for them on saving."
        ),
    )
    name = models.CharField(_("name"), max_length=200, blank=True)
    is_anonymous = models.BooleanField(
        _("name withheld"), default=False, help_text=_("The name is never shown to the public.")
    )
    occupation = models.CharField(
        _("occupation"), max_length=20, choices=Occupation.choices, blank=True
    )
    role = models.CharField(
        _("role as written"),
        max_length=100,
        blank=True,
        help_text=_("In the article's language: journalist, camera operator, editor…"),
    )
    employment = models.CharField(
        _("staff or freelance"), max_length=10, choices=Employment.choices, blank=True
    )
    origin = models.CharField(
        _("local or foreign"), max_length=10, choices=Origin.choices, blank=True
    )
    outlet = models.CharField(_("media outlet"), max_length=200, blank=True)
    injury = models.CharField(_("injured"), max_length=10, choices=Injury.choices, blank=True)
    detained_from = models.DateField(_("detained from"), null=True, blank=True)
    detained_until = models.DateField(
        _("detained until"), null=True, blank=True, help_text=_("Empty while still detained.")
    )
    equipment = models.CharField(
        _("equipment"), max_length=10, choices=Equipment.choices, blank=True
    )
    killed = models.BooleanField(_("killed"), default=False)

    class Meta:
        verbose_name = _("victim")
        verbose_name_plural = _("victims")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(detained_until__isnull=True)
                | Q(detained_from__isnull=False, detained_until__gte=F("detained_from")),
                name="victim_detention_dates_in_order",
            ),
        ]

    def __str__(self) -> str:
        return str(self.public_name)

    @property
    def public_name(self):
        if self.is_anonymous or not self.name:
            return _("Name withheld")
        return self.name

    @property
    def name_for_public(self) -> str | None:
        """The name where the public may read it (API, exports): None when withheld."""
        return None if self.is_anonymous or not self.name else self.name

    @property
    def details_public(self) -> bool:
        """Sex and age group may be published: recorded, not withheld, and the name is not
        withheld either (with the outlet, they could tell who it is)."""
        return (
            self.person is not None and not self.is_anonymous and not self.person.details_withheld
        )

    @property
    def public_sex(self) -> str:
        return self.person.sex if self.details_public else ""

    @property
    def public_age_group(self) -> str:
        return self.person.age_group if self.details_public else ""

    def get_public_sex_display(self) -> str:
        return str(dict(Person.Sex.choices).get(self.public_sex, ""))

    def get_public_age_group_display(self) -> str:
        return str(dict(Person.AgeGroup.choices).get(self.public_age_group, ""))

    @property
    def outcomes(self) -> list[str]:
        """What happened to this person, as the page says it."""
        said = []
        if self.killed:
            said.append(str(_("killed")))
        if self.injury:
            said.append(str(self.get_injury_display()))
        if self.detained_from:
            if self.detained_until:
                said.append(
                    str(_("detained from %(start)s to %(end)s"))
                    % {
                        "start": self.detained_from.strftime("%d.%m.%Y"),
                        "end": self.detained_until.strftime("%d.%m.%Y"),
                    }
                )
            else:
                said.append(
                    str(_("detained since %(start)s"))
                    % {"start": self.detained_from.strftime("%d.%m.%Y")}
                )
        if self.equipment:
            said.append(str(self.get_equipment_display()))
        return said

    def clean(self):
        errors = {}
        if self.detained_until and not self.detained_from:
            errors["detained_from"] = _("Give the day the detention began.")
        elif self.detained_until and self.detained_until < self.detained_from:
            errors["detained_until"] = _("The detention cannot end before it began.")
        _not_in_future(self.detained_from, "detained_from", errors)
        _not_in_future(self.detained_until, "detained_until", errors)
        if "detained_from" not in errors and self.incident_id:
            _not_before_incident(self.incident, self.detained_from, "detained_from", errors)
        if errors:
            raise ValidationError(errors)


class SourceLink(models.Model):
    """Where the incident is reported: what its verification level is computed from."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="sources")
    url = models.URLField(
        _("address"),
        max_length=500,
        blank=True,
        help_text=_("Empty for a source with no page: a statement to IMI, a call."),
    )
    title = models.CharField(_("title"), max_length=300, blank=True)
    publisher = models.CharField(
        _("publisher"),
        max_length=200,
        blank=True,
        help_text=_("Who published it: the outlet, the body, the person."),
    )
    published_on = models.DateField(_("date"), null=True, blank=True)
    is_independent = models.BooleanField(
        _("independent"),
        default=True,
        help_text=_(
            "Independent of the victim, the perpetrator and the other sources: two of these "
            "from different publishers confirm the incident."
        ),
    )
    is_victim_account = models.BooleanField(
        _("the victim's own account"),
        default=False,
        help_text=_("The victim confirmed it: a statement, an interview, a post of theirs."),
    )
    archived_on = models.DateField(
        _("archived on"),
        null=True,
        blank=True,
        editable=False,
        help_text=_(
            "The day of the copy of this page IMI holds (the public sees that a copy exists, "
            "never the copy). Written by the source archive only (source_archived)."
        ),
    )

    # The archive's date is no editorial change: the source archive keeps its own record.
    history = HistoricalRecords(excluded_fields=["archived_on"])

    class Meta:
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.title or self.publisher or self.url

    @property
    def web_url(self) -> str:
        """The address if it is a web page (http or https), else "": the page links only
        to these. The admin validates addresses, but a row written another way (a shell, an
        import) must not turn a "javascript:" address into a link that runs script."""
        return self.url if re.match(r"\s*https?://", self.url, re.IGNORECASE) else ""

    @property
    def publisher_key(self) -> str:
        """Who published it, for telling sources apart: the publisher as typed (any case),
        else the address's host without "www."."""
        if self.publisher.strip():
            return " ".join(self.publisher.casefold().split())
        host = re.match(r"\s*[a-z][a-z0-9+.-]*://([^/?#:]+)", self.url, re.IGNORECASE)
        return host.group(1).lower().removeprefix("www.") if host else ""

    def clean(self):
        errors = {}
        if not self.url and not self.publisher.strip():
            errors["publisher"] = _("Give the address or, for a source with none, its publisher.")
        _not_in_future(self.published_on, "published_on", errors)
        if errors:
            raise ValidationError(errors)


class Perpetrator(models.Model):
    """One of those who committed the act: an incident may have several."""

    class Category(models.TextChoices):
        STATE = "state", _("State actor")
        NON_STATE = "non_state", _("Non-state actor")
        FOREIGN_STATE = "foreign_state", _("Foreign state")
        UNKNOWN = "unknown", _("Unknown")

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="perpetrators")
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    body = models.CharField(
        _("named body"),
        max_length=300,
        blank=True,
        help_text=_("Optional: the unit, office or group, as far as it is known."),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("perpetrator")
        verbose_name_plural = _("perpetrators")
        ordering = ["pk"]

    def __str__(self) -> str:
        label = self.get_category_display()
        return f"{label}: {self.body}" if self.body else str(label)


# The perpetrator types the barometer counts by, as the categories of UNESCO and CPJ.
PERPETRATOR_CATEGORY = {
    PerpetratorType.POLICE: Perpetrator.Category.STATE,
    PerpetratorType.SECURITY_SERVICES: Perpetrator.Category.STATE,
    PerpetratorType.OFFICIALS: Perpetrator.Category.STATE,
    PerpetratorType.POLITICIANS: Perpetrator.Category.STATE,
    PerpetratorType.COURTS: Perpetrator.Category.STATE,
    PerpetratorType.MILITARY: Perpetrator.Category.STATE,
    PerpetratorType.RUSSIAN_FORCES: Perpetrator.Category.FOREIGN_STATE,
    PerpetratorType.FOREIGN_STATE: Perpetrator.Category.FOREIGN_STATE,
    PerpetratorType.BUSINESS: Perpetrator.Category.NON_STATE,
    PerpetratorType.PRIVATE_PERSONS: Perpetrator.Category.NON_STATE,
    PerpetratorType.UNKNOWN: Perpetrator.Category.UNKNOWN,
}


class CriminalCase(models.Model):
    """The criminal proceedings opened (or refused) over an incident, to their end."""

    class Status(models.TextChoices):
        NOT_OPENED = "not_opened", _("Not opened")
        INVESTIGATING = "investigating", _("Under investigation")
        IN_COURT = "in_court", _("In court")
        VERDICT = "verdict", _("Verdict")
        CLOSED = "closed", _("Closed without result")

    class Impunity(models.TextChoices):
        COMPLETE = "complete", _("Complete impunity: nobody convicted")
        PARTIAL = "partial", _("Partial impunity: some convicted, not all (not who ordered it)")
        JUSTICE = "justice", _("Full justice: all convicted, who ordered it too")

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="cases")
    number = models.CharField(
        _("case number"),
        max_length=60,
        blank=True,
        help_text=_("The number in the Unified Register of Pre-trial Investigations."),
    )
    article = models.CharField(
        _("article of the Criminal Code"),
        max_length=60,
        blank=True,
        help_text=_("For example 171 (obstruction of journalists' work) or 345-1 (threats)."),
    )
    opened_on = models.DateField(_("opened on"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.INVESTIGATING
    )
    verdict_on = models.DateField(_("verdict on"), null=True, blank=True)
    verdict = models.TextField(_("verdict"), blank=True)
    impunity = models.CharField(_("impunity"), max_length=10, choices=Impunity.choices, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("criminal case")
        verbose_name_plural = _("criminal cases")
        ordering = ["opened_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(verdict_on__isnull=True) | Q(status="verdict"),
                name="case_verdict_needs_verdict_status",
            ),
        ]

    def __str__(self) -> str:
        return self.number or str(self.get_status_display())

    def clean(self):
        errors = {}
        opened = self.status != self.Status.NOT_OPENED
        if not opened and (self.number or self.opened_on):
            errors["status"] = _("A case with a number or an opening date has been opened.")
        if opened and not self.opened_on:
            errors["opened_on"] = _("Give the day the case was opened.")
        if self.status == self.Status.VERDICT and not self.verdict_on:
            errors["verdict_on"] = _("Give the day of the verdict.")
        if self.status != self.Status.VERDICT and (self.verdict_on or self.verdict.strip()):
            errors["verdict"] = _(
                "A verdict is recorded only for a case whose status is “Verdict”."
            )
        if self.verdict_on and self.opened_on and self.verdict_on < self.opened_on:
            errors["verdict_on"] = _("The verdict cannot come before the case was opened.")
        for field in ("opened_on", "verdict_on"):
            _not_in_future(getattr(self, field), field, errors)
        if "opened_on" not in errors and self.incident_id:
            _not_before_incident(self.incident, self.opened_on, "opened_on", errors)
        if errors:
            raise ValidationError(errors)


class IncidentUpdate(models.Model):
    """A dated entry after publication: news, a step in the case, an authority's reply.

    Added without rewriting the article; the public ones form its "what happened next"
    timeline, in the feeds and the API.
    """

    class Kind(models.TextChoices):
        UPDATE = "update", _("Update")
        CASE = "case", _("Criminal case")
        REPLY = "reply", _("Authorities' reply")

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="updates")
    on = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.UPDATE)
    authority = models.CharField(
        _("authority"),
        max_length=200,
        blank=True,
        help_text=_("For a reply: who answered (the police, the prosecutor's office…)."),
    )
    text = models.TextField(_("text"))
    is_public = models.BooleanField(
        _("public"), default=True, help_text=_("Untick for a note only staff see.")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("dated update")
        verbose_name_plural = _("dated updates")
        ordering = ["on", "pk"]
        indexes = [models.Index(fields=["incident", "on"], name="update_incident_on_idx")]

    def __str__(self) -> str:
        return f"{self.on:%d.%m.%Y} {self.get_kind_display()}"

    def clean(self):
        errors = {}
        if self.kind == self.Kind.REPLY and not self.authority.strip():
            errors["authority"] = _("Name the authority that replied.")
        _not_in_future(self.on, "on", errors)
        if "on" not in errors and self.incident_id:
            _not_before_incident(self.incident, self.on, "on", errors)
        if errors:
            raise ValidationError(errors)


class MethodNote(models.Model):
    """How the barometer counts: shown beside the statistics, edited by staff."""

    text_uk = models.TextField(_("text in Ukrainian"), help_text=_("Markdown."))
    text_en = models.TextField(_("text in English"), help_text=_("Markdown."))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("method note")
        verbose_name_plural = _("method note")

    def __str__(self) -> str:
        return str(_("Method note"))

    def get_absolute_url(self) -> str:
        return reverse("stats")

    @property
    def html(self) -> str:
        return render_markdown(self.text_en if current_language() == "en" else self.text_uk)


class DailyCount(models.Model):
    """Public incidents that occurred on a day, as listed in one interface language.

    A summary of the incident table, rebuilt per month by services.incidents_refresh: the
    barometer, the home page and the list's totals read it instead of counting 100,000 rows.
    """

    language = models.CharField(max_length=2, choices=Language.choices)
    day = models.DateField()
    # The last day of their period (the day itself when the day is known): a period of days
    # counts them when it holds both ends (IncidentQuerySet.occurred_within), as the list does.
    until = models.DateField()
    count = models.PositiveIntegerField()
    # Of these, the ones written in `language`: what its lists show by default (issue 16).
    own = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["language", "day", "until"], name="dailycount_day_until_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.language} {self.day}: {self.count}"


class MonthlyCount(models.Model):
    """Public incidents per month and interface language, by one dimension or two.

    An incident counts once under its region and its perpetrator, and once under each of its
    categories and each of their groups (as the barometer counts them). Under two dimensions
    ("group+perpetrator", key "3:police") it counts once under each pair of its values: what
    the list filtered by both shows, counted without reading the incidents.
    """

    class Dimension(models.TextChoices):
        REGION = "region"
        PERPETRATOR = "perpetrator"
        CATEGORY = "category"
        GROUP = "group"
        # Each incident once, under its most severe category and that category's group.
        PRIMARY_CATEGORY = "primary_category"
        PRIMARY_GROUP = "primary_group"
        # Two of the list's filters at once, named in the order of counts.FILTER_DIMENSIONS.
        REGION_PERPETRATOR = "region+perpetrator"
        REGION_CATEGORY = "region+category"
        REGION_GROUP = "region+group"
        PERPETRATOR_CATEGORY = "perpetrator+category"
        PERPETRATOR_GROUP = "perpetrator+group"
        CATEGORY_GROUP = "category+group"

    language = models.CharField(max_length=2, choices=Language.choices)
    month = models.DateField(help_text="The first day of the month.")
    # The first day of the month their period ends in: `month` for a day or a month; later
    # for a season, a year or a range, which a month's figures leave to the year's.
    last_month = models.DateField()
    dimension = models.CharField(max_length=20, choices=Dimension.choices)
    key = models.CharField(max_length=40)
    count = models.PositiveIntegerField()
    own = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["language", "dimension", "month", "last_month", "key"],
                name="monthlycount_month_last_unique",
            ),
        ]
        indexes = [
            # One key's months (a list's total over years): read off the index, not every key.
            models.Index(
                fields=["language", "dimension", "key", "month"], name="monthlycount_key_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.language} {self.month:%Y-%m} {self.dimension}={self.key}: {self.count}"


class SearchWordQuerySet(models.QuerySet):
    def close_to(self, word: str, limit: int = 3) -> list[str]:
        """Known words spelt like `word`, closest first: trigram similarity on PostgreSQL
        (its GIN index, migration 0008), difflib over words of a similar length on SQLite."""
        word = word.lower()
        if connections[self.db].vendor == "postgresql":
            return list(
                self.filter(word__trigram_similar=word)
                .exclude(word=word)
                .annotate(similarity=TrigramSimilarity("word", word))
                .order_by("-similarity", "word")
                .values_list("word", flat=True)[:limit]
            )
        candidates = list(
            self.annotate(length=Length("word"))
            .filter(length__gte=len(word) - 2, length__lte=len(word) + 2)
            .exclude(word=word)
            .values_list("word", flat=True)
        )
        return search.close_words(word, candidates, limit)

    def close_to_each(self, words: list[str], limit: int = 3) -> dict[str, list[str]]:
        """`close_to` for several words (lower-cased, the keys), in one query on PostgreSQL."""
        words = list(dict.fromkeys(word.lower() for word in words))
        if connections[self.db].vendor != "postgresql" or not words:
            return {word: self.close_to(word, limit) for word in words}
        table = connections[self.db].ops.quote_name(self.model._meta.db_table)
        found: dict[str, list[str]] = {word: [] for word in words}
        with connections[self.db].cursor() as cursor:
            cursor.execute(
                f"""SELECT t.typed, w.word FROM unnest(%s::text[]) WITH ORDINALITY t (typed, i)
                CROSS JOIN LATERAL (
                    SELECT word, similarity(word, t.typed) AS closeness FROM {table}
                    WHERE word %% t.typed AND word <> t.typed
                    ORDER BY closeness DESC, word LIMIT %s
                ) w ORDER BY t.i, w.closeness DESC, w.word""",  # noqa: S608 -- the table name
                [words, limit],
            )
            for typed, word in cursor.fetchall():
                found[typed].append(word)
        return found


class SearchWord(models.Model):
    """A word seen in a public incident: what "did you mean" suggests from.

    Kept by services.incidents_index; a suggestion is only offered if searching for it finds
    public incidents, so a word of an article since withdrawn is never shown.
    """

    word = models.CharField(max_length=64, unique=True)

    objects = SearchWordQuerySet.as_manager()

    def __str__(self) -> str:
        return self.word


class MonthlyReport(models.Model):
    """A month's barometer as IMI published it: frozen, citable, never recounted.

    `figures` are the numbers at publication (IMI's rule: each incident once, under its most
    severe category), keyed by slug so a renamed category keeps its numbers. `current` and
    `revised_at` are kept by services.incidents_refresh: when later corrections change the
    month, the page shows them beside the frozen figures ("revised on … (+2 …)").
    """

    month = models.DateField(_("month"), unique=True, help_text=_("The first day of the month."))
    published_at = models.DateTimeField(_("published at"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    figures = models.JSONField(_("figures as published"), editable=False)
    current = models.JSONField(_("figures now"), editable=False)
    revised_at = models.DateTimeField(_("revised at"), null=True, blank=True, editable=False)
    notable = models.ManyToManyField(
        Incident,
        verbose_name=_("notable incidents"),
        blank=True,
        related_name="+",
        help_text=_(
            "Linked from the month's article. Picked at publication from the month's most "
            "severe incidents (selectors.notable_incidents); change the pick, then redraft."
        ),
    )

    class Meta:
        verbose_name = _("monthly report")
        verbose_name_plural = _("monthly reports")
        ordering = ["-month"]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"

    def get_absolute_url(self) -> str:
        return reverse("stats-month", kwargs={"year": self.month.year, "month": self.month.month})


class MonthlyArticle(models.Model):
    """The month's barometer as a text, one per language: drafted from the report's frozen
    figures (barometer/article.py, services.monthly_article_draft), edited by staff, and
    shown above the figures on the month's page once published
    (services.monthly_article_publish). Later corrections of the month show on it as a
    revision computed from the report, never by rewriting the text."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    report = models.ForeignKey(
        MonthlyReport,
        verbose_name=_("monthly report"),
        on_delete=models.PROTECT,
        related_name="articles",
    )
    language = models.CharField(_("language"), max_length=2, choices=Language.choices)
    title = models.CharField(_("title"), max_length=300)
    lead = models.TextField(_("lead"))
    body = models.TextField(
        _("body"),
        help_text=_(
            "Markdown. Drafted from the frozen figures: a number changed here no longer "
            "matches the table under it."
        ),
    )
    body_html = models.TextField(editable=False, default="")
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=Status.choices,
        default=Status.DRAFT,
        help_text=_("Only a published article is shown on the month's page."),
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    drafted_at = models.DateTimeField(_("drafted at"))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("monthly article")
        verbose_name_plural = _("monthly articles")
        ordering = ["-report__month", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "language"], name="monthlyarticle_one_per_language"
            ),
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False),
                name="monthlyarticle_published_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        self.body_html = render_markdown(self.body)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        with override(self.language):
            return self.report.get_absolute_url()


# --- Archive import (issue 31): a newsroom's archive becomes draft incidents ----------------


class ImportRun(models.Model):
    """One reading of an archive file (or feed): what it was, how far it got, what it found.
    Its items are the report; written only by incidents/archive/runs.py."""

    class Format(models.TextChoices):
        WXR = "wxr", _("WordPress export (WXR)")
        FEED = "feed", _("RSS or Atom feed")
        CSV = "csv", _("CSV with a column mapping")

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        RUNNING = "running", _("Running")
        FINISHED = "finished", _("Finished")
        FAILED = "failed", _("Stopped by an error")

    format = models.CharField(_("format"), max_length=8, choices=Format.choices)
    source_name = models.CharField(
        _("file or address"),
        max_length=500,
        help_text=_("The uploaded file's name or the feed's address."),
    )
    file = models.CharField(max_length=300, blank=True, editable=False)
    sha256 = models.CharField(
        _("SHA-256"),
        max_length=64,
        blank=True,
        db_index=True,
        help_text=_("Of the file read: the same file again continues the run it started."),
    )
    language = models.CharField(
        _("language"),
        max_length=4,
        blank=True,
        help_text=_("Empty: each item's language is told from its alphabet."),
    )
    csv_mapping = models.JSONField(_("CSV columns"), default=dict, blank=True)
    default_region = models.ForeignKey(
        Region,
        verbose_name=_("region when none is found"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    dry_run = models.BooleanField(
        _("dry run"), default=False, help_text=_("Only report what would be created.")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.WAITING
    )
    position = models.PositiveIntegerField(
        _("items read"), default=0, help_text=_("The last item processed: a rerun starts after it.")
    )
    bytes_total = models.PositiveBigIntegerField(default=0, editable=False)
    bytes_done = models.PositiveBigIntegerField(default=0, editable=False)
    message = models.TextField(_("error"), blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # The seconds spent reading items, over every sitting of the run (the rate's denominator).
    seconds = models.FloatField(default=0, editable=False)

    class Meta:
        verbose_name = _("archive import")
        verbose_name_plural = _("archive imports")
        ordering = ["-created_at", "-pk"]
        permissions = [("import_archive", _("Can import an archive"))]

    def __str__(self) -> str:
        return f"#{self.pk} {self.source_name}"

    @property
    def rate(self) -> float | None:
        """Items per second so far."""
        return self.position / self.seconds if self.seconds > 0 and self.position else None

    @property
    def fraction_done(self) -> float | None:
        if self.status == self.Status.FINISHED:
            return 1.0
        return self.bytes_done / self.bytes_total if self.bytes_total else None

    @property
    def seconds_left(self) -> float | None:
        """Time left, from the share of the file read so far (items differ in size)."""
        done = self.fraction_done
        if self.status != self.Status.RUNNING or not done or not self.seconds:
            return None
        return self.seconds * (1 - done) / done


class ImportItem(models.Model):
    """One item of an archive and what became of it: a line of the run's report, and in the
    review queue the draft or the duplicate staff decide on."""

    class Status(models.TextChoices):
        CREATED = "created", _("Created as a draft")
        DUPLICATE = "duplicate", _("Duplicate")
        SKIPPED = "skipped", _("Skipped")
        ERROR = "error", _("Error")

    class Resolution(models.TextChoices):
        OPEN = "open", _("To resolve")
        MERGED = "merged", _("Merged into the existing incident")
        DISMISSED = "dismissed", _("Dismissed")
        KEPT = "kept", _("Kept as a new draft")

    class Confidence(models.TextChoices):
        HIGH = "high", _("High: from the archive's own categories or tags")
        MEDIUM = "medium", _("Medium: from words in the text")
        LOW = "low", _("Low: nothing found, defaults used")

    run = models.ForeignKey(
        ImportRun, verbose_name=_("import"), on_delete=models.CASCADE, related_name="items"
    )
    position = models.PositiveIntegerField(
        _("position"), help_text=_("The item's number in the file, from 1.")
    )
    key = models.CharField(
        _("key"),
        max_length=500,
        blank=True,
        db_index=True,
        help_text=_("The archive's id for the item (WXR guid, feed id) or its address."),
    )
    status = models.CharField(_("outcome"), max_length=10, choices=Status.choices)
    resolution = models.CharField(
        _("resolution"), max_length=10, choices=Resolution.choices, blank=True
    )
    title = models.CharField(_("title"), max_length=300, blank=True)
    occurred_on = models.DateField(_("date"), null=True, blank=True)
    language = models.CharField(_("language"), max_length=2, blank=True)
    source_url = models.URLField(_("original address"), max_length=500, blank=True)
    message = models.TextField(_("report"), blank=True)
    confidence = models.CharField(
        _("confidence of the guesses"), max_length=8, choices=Confidence.choices, blank=True
    )
    similarity = models.FloatField(_("similarity"), null=True, blank=True)
    incident = models.ForeignKey(
        Incident,
        verbose_name=_("draft"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    duplicate_of = models.ForeignKey(
        Incident,
        verbose_name=_("duplicate of"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # What a duplicate kept as a new draft is made from (the item's record), and a dry run
    # would have written.
    record = models.JSONField(default=dict, blank=True, editable=False)

    class Meta:
        verbose_name = _("imported item")
        verbose_name_plural = _("imported items")
        ordering = ["run", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "position"], name="import_item_one_per_position"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "resolution"], name="import_item_queue_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.run_id}:{self.position} {self.title}"
