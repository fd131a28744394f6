import functools
import re

from django.conf import settings
from django.contrib.postgres.search import (
    SearchQuery,
    SearchRank,
    SearchVectorField,
    TrigramSimilarity,
)
from django.core.exceptions import ValidationError
from django.db import connections, models
from django.db.models import Case, F, Prefetch, Q, Value, When
from django.db.models.functions import Length
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from . import search
from .text import render_markdown


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


class IncidentQuerySet(models.QuerySet):
    def published(self):
        """Live to the public: published, and its publication time has come."""
        return self.filter(status=Incident.Status.PUBLISHED, published_at__lte=timezone.now())

    def for_language(self, language: str):
        """One row per story: its version in `language` if published, otherwise the other one.

        A story is an original and its translations. Which version is listed in each language
        is stored on the rows (`listed_uk`, `listed_en`) by `services.incidents_refresh`, so
        this is an indexed column, not a subquery per row (issue 13).
        """
        return self.filter(**{listed_field(language): True})

    def search(self, text: str):
        """The incidents matching every typed word in one of its forms, best match first.

        Both databases match the same prepared text (search.py). On PostgreSQL the results
        are the newest SEARCH_MAX_RESULTS matches, ranked: ranking every match of a word
        found in most articles was a second per search at 100,000 incidents (issue 13).
        Apply it after every other filter.
        """
        terms = search.parse(text)
        if not terms:
            return self
        if connections[self.db].vendor == "postgresql":
            query = SearchQuery(search.tsquery(terms), search_type="raw", config="simple")
            newest = (
                self.filter(search_vector=query)
                .order_by("-published_at", "-pk")
                .values("pk")[: settings.SEARCH_MAX_RESULTS]
            )
            return (
                self.filter(pk__in=newest)
                .annotate(rank=SearchRank(F("search_vector"), query))
                .order_by("-rank", "-published_at", "-pk")
            )
        condition, rank = Q(), Value(0)
        for term in terms:
            condition &= _matching("search_document", term)
            rank = rank + Case(
                When(_matching("search_title", term), then=Value(4)),
                When(_matching("search_lead", term), then=Value(2)),
                default=Value(1),
            )
        return self.filter(condition).annotate(rank=rank).order_by("-rank", "-published_at", "-pk")

    def suggestion(self, text: str) -> str | None:
        """ "Did you mean": the typed text with each word that finds nothing here replaced by
        the closest known word that does, if the whole then finds something; else None."""
        terms = search.parse(text)
        if not terms or len(terms) > 6:
            return None
        words, changed = [], False
        for term in terms:
            if self.search(term.typed).exists():
                words.append(term.typed)
                continue
            found = next(
                (
                    word
                    for word in SearchWord.objects.close_to(term.typed)
                    if self.search(word).exists()
                ),
                None,
            )
            if found is None:
                return None
            words.append(found.capitalize() if term.typed[:1].isupper() else found)
            changed = True
        suggested = " ".join(words)
        return suggested if changed and self.search(suggested).exists() else None

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
        help_text=_("Date and time of publication (Kyiv time). A future time schedules it."),
    )
    is_featured = models.BooleanField(
        _("featured"), default=False, help_text=_("Shown at the top of the home page while public.")
    )
    occurred_on = models.DateField(_("date of the incident"))
    occurred_on_approximate = models.BooleanField(
        _("exact date unknown"),
        default=False,
        help_text=_("Only the month and year are shown; enter any day of that month."),
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

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-published_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "-published_at"], name="incident_status_pub_idx"),
            models.Index(fields=["occurred_on"], name="incident_occurred_idx"),
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
        self.body_html = render_markdown(self.body)
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

    def clean(self):
        errors = {}
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


class Victim(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="victims")
    name = models.CharField(_("name"), max_length=200, blank=True)
    is_anonymous = models.BooleanField(
        _("name withheld"), default=False, help_text=_("The name is never shown to the public.")
    )
    outlet = models.CharField(_("media outlet"), max_length=200, blank=True)
    role = models.CharField(
        _("role"), max_length=100, blank=True, help_text=_("Journalist, camera operator, editor…")
    )

    class Meta:
        verbose_name = _("victim")
        verbose_name_plural = _("victims")
        ordering = ["pk"]

    def __str__(self) -> str:
        return str(self.public_name)

    @property
    def public_name(self):
        if self.is_anonymous or not self.name:
            return _("Name withheld")
        return self.name


class SourceLink(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="sources")
    url = models.URLField(_("address"), max_length=500)
    title = models.CharField(_("title"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.title or self.url

    @property
    def web_url(self) -> str:
        """The address if it is a web page (http or https), else "": the page links only
        to these. The admin validates addresses, but a row written another way (a shell, an
        import) must not turn a "javascript:" address into a link that runs script."""
        return self.url if re.match(r"\s*https?://", self.url, re.IGNORECASE) else ""


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
    count = models.PositiveIntegerField()
    # Of these, the ones written in `language`: what its lists show by default (issue 16).
    own = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["language", "day"], name="dailycount_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.language} {self.day}: {self.count}"


class MonthlyCount(models.Model):
    """Public incidents per month and interface language, by one dimension.

    An incident counts once under its region and its perpetrator, and once under each of its
    categories and each of their groups (as the barometer counts them).
    """

    class Dimension(models.TextChoices):
        REGION = "region"
        PERPETRATOR = "perpetrator"
        CATEGORY = "category"
        GROUP = "group"
        # Each incident once, under its most severe category and that category's group.
        PRIMARY_CATEGORY = "primary_category"
        PRIMARY_GROUP = "primary_group"

    language = models.CharField(max_length=2, choices=Language.choices)
    month = models.DateField(help_text="The first day of the month.")
    dimension = models.CharField(max_length=20, choices=Dimension.choices)
    key = models.CharField(max_length=40)
    count = models.PositiveIntegerField()
    own = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["language", "dimension", "month", "key"], name="monthlycount_unique"
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

    class Meta:
        verbose_name = _("monthly report")
        verbose_name_plural = _("monthly reports")
        ordering = ["-month"]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"

    def get_absolute_url(self) -> str:
        return reverse("stats-month", kwargs={"year": self.month.year, "month": self.month.month})
