from csp.decorators import csp_update
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.options import IS_POPUP_VAR
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import AdminSplitDateTime
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, ngettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from . import services
from .dates import is_range, period_start
from .models import (
    Category,
    CriminalCase,
    Incident,
    IncidentUpdate,
    Language,
    MethodNote,
    MonthlyArticle,
    MonthlyReport,
    Perpetrator,
    Person,
    Region,
    SourceLink,
    Victim,
)
from .text import render_markdown

# django-simple-history's history page has one inline style (style="border-top: 0" on its
# paginator): that exact attribute, by its hash, is allowed on the history pages only.
HISTORY_STYLE_HASH = "XMXSevYjgSjXgRafBFDvtjwX+yyWLrxfso9DcNZ9UXM="


class NamedTitlesMixin:
    """The admin's titles with the model's name in the case the phrase needs: Django writes
    "Change %s" with the name as it is ("Змінити скарга"); a model whose Ukrainian name
    changes after "змінити", "додати", "виберіть" gives that form as `title_name`
    (pgettext "accusative": "скаргу", "категорію", "користувача")."""

    title_name = None

    def changelist_view(self, request, extra_context=None):
        if self.title_name is not None and IS_POPUP_VAR not in request.GET:
            if self.has_change_permission(request):
                phrase = gettext("Select %s to change")
            else:
                phrase = gettext("Select %s to view")
            extra_context = {"title": phrase % self.title_name, **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if self.title_name is not None:
            if object_id is None:
                phrase = gettext("Add %s")
            else:
                obj = self.get_object(request, unquote(object_id))
                changeable = obj is not None and self.has_change_permission(request, obj)
                phrase = gettext("Change %s") if changeable else gettext("View %s")
            extra_context = {"title": phrase % self.title_name, **(extra_context or {})}
        return super().changeform_view(request, object_id, form_url, extra_context)


class ReadOnlyHistoryAdmin(SimpleHistoryAdmin):
    """Every change kept and shown (who, when, what it was), never reverted from there: a
    revert would write past the services that keep the lists, counts and search in step."""

    object_history_list_template = "admin/history_list.html"

    @csp_update({"style-src-attr": ["'unsafe-hashes'", f"'sha256-{HISTORY_STYLE_HASH}'"]})
    def history_view(self, request, object_id, extra_context=None):
        if not str(object_id).isdigit():
            raise Http404  # simple_history would look the text up as an id and fail with 500
        return super().history_view(request, object_id, extra_context)

    def revert_disabled(self, request, obj=None):
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


class ContentChangeAdmin(admin.ModelAdmin):
    """Reference data shown on the public pages: a change drops the cached pages."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.content_changed()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        services.content_changed()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        services.content_changed()


@admin.register(Category)
class CategoryAdmin(NamedTitlesMixin, ContentChangeAdmin):
    title_name = pgettext_lazy("accusative", "category")
    list_display = [
        "name_uk",
        "name_en",
        "parent",
        "severity_rank",
        "sdg_act",
        "is_wartime",
        "position",
    ]
    list_filter = [("parent", admin.RelatedOnlyFieldListFilter), "is_wartime", "sdg_act"]
    # The SDG 16.10.1 mapping is edited here, in the list, beside the severity ranks.
    list_editable = ["severity_rank", "sdg_act", "position"]
    ordering = ["severity_rank", "position"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if {"severity_rank", "parent"} & set(form.changed_data):
            # Which category each incident counts under may have changed: recounted now
            # (seconds at 100,000 incidents), so the barometer never shows a mix of rules.
            services.categories_reranked()
        if change and {"name_uk", "name_en"} & set(form.changed_data):
            services.names_changed(obj)  # its names are in its incidents' search text

    search_fields = ["name_uk", "name_en", "slug"]
    prepopulated_fields = {"slug": ["name_en"]}
    list_select_related = ["parent"]


@admin.register(Region)
class RegionAdmin(ContentChangeAdmin):
    list_display = ["name_uk", "name_en", "kind", "iso_code", "position"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and {"name_uk", "name_en", "slug"} & set(form.changed_data):
            services.names_changed(obj)  # its names and centre are in its incidents' search text

    list_filter = ["kind"]
    list_editable = ["position"]
    search_fields = ["name_uk", "name_en", "slug", "iso_code"]
    prepopulated_fields = {"slug": ["name_en"]}


class VictimInline(admin.StackedInline):
    """A victim in three short rows: who, what they do, what happened to them (fits 1280 px)."""

    model = Victim
    extra = 0
    autocomplete_fields = ["person"]
    fieldsets = [
        (None, {"fields": [("name", "is_anonymous", "person")]}),
        (None, {"fields": [("occupation", "role", "employment", "origin", "outlet")]}),
        (
            None,
            {
                "fields": [
                    ("injury", "killed", "equipment"),
                    ("detained_from", "detained_until"),
                ]
            },
        ),
    ]


class SourceLinkInline(admin.TabularInline):
    model = SourceLink
    extra = 0
    fields = ["url", "title", "publisher", "published_on", "is_independent", "is_victim_account"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "url":
            kwargs["assume_scheme"] = "https"  # a link typed without a scheme is https
            # A plain field: the admin's own shows the saved address again as a link above
            # it, which made the row too wide for 1280 px.
            kwargs["widget"] = forms.URLInput(attrs={"size": 22})
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name in ("title", "publisher"):
            # Without the admin's vTextField class, whose fixed width (20em) outruns `size`:
            # with the archived copy's column (hotline) the row outgrew 1280 px.
            field.widget.attrs.update(size=16, **{"class": ""})
        return field


class PerpetratorInline(admin.TabularInline):
    model = Perpetrator
    extra = 0


class CriminalCaseInline(admin.StackedInline):
    model = CriminalCase
    extra = 0
    fieldsets = [
        (None, {"fields": [("number", "article", "opened_on", "status")]}),
        (None, {"fields": [("verdict_on", "impunity"), "verdict"]}),
    ]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "verdict":
            field.widget.attrs["rows"] = 2
        return field


LATEST_UPDATES = 20


class LatestUpdatesFormSet(forms.BaseInlineFormSet):
    """The latest LATEST_UPDATES entries: an incident followed for years may have a
    thousand, and the page would carry them all (the rest: "all dated updates")."""

    def get_queryset(self):
        if not hasattr(self, "_latest"):
            rows = super().get_queryset()
            latest = rows.order_by("-on", "-pk").values_list("pk", flat=True)[:LATEST_UPDATES]
            self._latest = rows.filter(pk__in=list(latest))
        return self._latest


class IncidentUpdateInline(admin.TabularInline):
    model = IncidentUpdate
    formset = LatestUpdatesFormSet
    extra = 0
    fields = ["on", "kind", "authority", "text", "is_public"]
    verbose_name_plural = _("dated updates (the latest 20; all in “Dated updates”)")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "text":
            # Not the admin's wide text area (48em): the row must fit 1280 px.
            kwargs["widget"] = forms.Textarea(attrs={"rows": 2, "cols": 40})
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "authority":
            field.widget.attrs["size"] = 16
        return field


class PublicationRefused(Exception):
    """A save that would make text public that the publication checks refuse: raised inside
    the admin's transaction, so everything the save wrote is rolled back."""

    def __init__(self, error: ValidationError):
        super().__init__(error)
        self.error = error


# The change form's publication buttons (templates/admin/incidents/incident/change_form.html).
PUBLISH, SCHEDULE, UNPUBLISH = "_publish", "_schedule", "_unpublish"


class PublicationCheckedAdmin(admin.ModelAdmin):
    """Saves whose result is public pass the publication checks first, with the text as
    saved (the inlines too), or are not saved at all: the form comes back with the reasons
    and everything that was typed, and the public never sees the refused text, not even
    between the save and the check (issue 26)."""

    confirm_fieldset = (
        _("Names a protected person"),
        {
            "fields": ["confirm_naming", "confirm_reason"],
            "description": _(
                "The checks found a protected person's name in this article. Publish it only"
                " if it is someone else: tick the box and say why. Your confirmation is kept"
                " in the access audit."
            ),
            "classes": ["protected-name"],
        },
    )

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except PublicationRefused as refused:
            # Everything the save wrote was rolled back; the same request again, now with
            # the form invalid (see get_form), shows the reasons beside what was typed.
            request._publication_refused = refused.error
            return super().changeform_view(request, object_id, form_url, extra_context)

    def _stay_on_the_article(self, request) -> None:
        """After a publication button the editor sees the article again (its new status,
        the button that undoes it), as after "Save and continue editing"."""
        if any(button in request.POST for button in (PUBLISH, SCHEDULE, UNPUBLISH)):
            request.POST = request.POST.copy()
            request.POST["_continue"] = "1"

    def response_add(self, request, obj, post_url_continue=None):
        self._stay_on_the_article(request)
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        self._stay_on_the_article(request)
        return super().response_change(request, obj)

    def _may_confirm(self, request) -> bool:
        refused = getattr(request, "_publication_refused", None)
        held = refused is not None and any(
            getattr(e, "code", None) == "names_protected_person" for e in refused.error_list
        )
        return (held or "confirm_naming" in request.POST) and request.user.has_perm(
            settings.PUBLICATION_CONFIRM_PERMISSION
        )

    def get_fieldsets(self, request, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        if self._may_confirm(request):
            # First, right under the message that asks for it.
            fieldsets.insert(0, self.confirm_fieldset)
        return fieldsets

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        refused = getattr(request, "_publication_refused", None)
        return type(form.__name__, (form,), {"refusal": refused})

    def check_public(self, request, form, incident) -> None:
        """The incident as just saved: published, scheduled or unpublished by the button the
        editor pressed (incidents.services, the one writer of its status and publication
        time), or, saved as it was, checked again if it is public. Raises PublicationRefused
        (rolling the save back) when the checks refuse."""
        cleaned = getattr(form, "cleaned_data", {})
        confirmation = None
        if cleaned.get("confirm_naming"):
            confirmation = services.PublicationConfirmation(
                user=request.user, reason=cleaned.get("confirm_reason", "")
            )
        try:
            if PUBLISH in request.POST:
                # Now; a republished article keeps the time it first went public.
                first = incident.published_at
                at = None if first and first <= timezone.now() else timezone.now()
                services.incident_publish(incident=incident, at=at, confirmation=confirmation)
            elif SCHEDULE in request.POST:
                services.incident_publish(
                    incident=incident, at=cleaned["publish_at"], confirmation=confirmation
                )
            elif UNPUBLISH in request.POST:
                services.incident_unpublish(incident=incident)
            elif incident.status == Incident.Status.PUBLISHED:
                services.incident_check_publication(incident=incident, confirmation=confirmation)
        except ValidationError as error:
            raise PublicationRefused(error) from error


class PublicationCheckedForm(forms.ModelForm):
    """Shows why the last try to save was refused (PublicationCheckedAdmin), and carries an
    editor's confirmation that a held article names someone else."""

    refusal = None
    confirm_naming = forms.BooleanField(label=_("It is someone else: publish it"), required=False)
    confirm_reason = forms.CharField(
        label=_("Why you are sure"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
    )

    def clean(self):
        cleaned = super().clean()
        if self.refusal is not None:
            self.add_error(None, self.refusal)
            if (
                self.data.get("confirm_naming")
                and not (self.data.get("confirm_reason") or "").strip()
            ):
                self.add_error("confirm_reason", _("Say why you are sure."))
        return cleaned


class IncidentAdminForm(PublicationCheckedForm):
    """The slug may be left empty: it is then made from the title, Ukrainian transliterated
    by the national standard, and numbered if another incident has it. The status and the
    publication time are not fields: the buttons publish, schedule (at `publish_at`) or
    unpublish through incidents.services."""

    publish_at = forms.SplitDateTimeField(
        label=_("Publish at"),
        required=False,
        widget=AdminSplitDateTime,
        help_text=_("To schedule: the time the article goes public, then “Save and schedule”."),
    )

    def clean_publish_at(self):
        at = self.cleaned_data.get("publish_at")
        if SCHEDULE in self.data:
            if at is None:
                raise ValidationError(_("Choose when the article goes public."))
            if at <= timezone.now():
                raise ValidationError(
                    _("That time has passed: choose a later one, or publish now.")
                )
        return at

    class Meta:
        model = Incident
        # The admin gives the form its fields from the fieldsets; these are the ones it uses.
        fields = ["title", "slug"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        instance = self.instance
        if (
            "occurred_until" in self.fields
            and instance.occurred_on
            and not is_range(
                instance.occurred_precision, instance.occurred_on, instance.occurred_until
            )
        ):
            # The stored end of a single period is derived: shown empty, so that a changed
            # date or precision is not held back by the old period's end.
            self.initial["occurred_until"] = None
        if "occurred_precision" in self.fields:
            # Not sent (an older form, a script): the day, or what the incident had.
            self.fields["occurred_precision"].required = False
        if "slug" in self.fields:
            self.fields["slug"].required = False
            self.fields["slug"].help_text = _(
                "The last part of the address. Leave it empty to make it from the title."
            )

    def clean(self):
        cleaned = super().clean()
        start = cleaned.get("occurred_on")
        precision = cleaned.get("occurred_precision") or self.instance.occurred_precision
        if precision and start:
            # Any day of the month, season or year may be typed: its first day is stored.
            cleaned["occurred_on"] = period_start(precision, start)
        return cleaned

    def clean_slug(self):
        slug = self.cleaned_data.get("slug")
        if slug:
            return slug
        return services.incident_unique_slug(
            self.data.get("title", ""), exclude_pk=self.instance.pk
        )


@admin.register(Incident)
class IncidentAdmin(PublicationCheckedAdmin, ReadOnlyHistoryAdmin):
    list_display = [
        "title",
        "status",
        "language",
        "published_at",
        "occurred_on",
        "region",
        "category_list",
        "verification",
    ]
    list_filter = [
        "status",
        "verification",
        "language",
        "is_featured",
        ("categories", admin.RelatedOnlyFieldListFilter),
        "region",
        "perpetrator_type",
    ]
    search_fields = ["title", "lead", "body", "slug", "victims__name", "victims__outlet"]
    date_hierarchy = "published_at"
    # No prepopulated slug: the browser's own transliteration is not the national standard.
    # An empty slug is made from the title on saving (IncidentAdminForm).
    form = IncidentAdminForm
    autocomplete_fields = ["translation_of"]
    filter_horizontal = ["categories"]
    list_select_related = ["region"]
    inlines = [
        SourceLinkInline,
        VictimInline,
        PerpetratorInline,
        CriminalCaseInline,
        IncidentUpdateInline,
    ]
    actions = ["publish", "unpublish"]
    readonly_fields = [
        # Written by the publication buttons only (incidents.services).
        "status",
        "published_at",
        "created_at",
        "updated_at",
        "public_preview",
        "verification",
        "last_update_on",
        "all_updates",
    ]
    fieldsets = [
        (None, {"fields": ["title", "slug", "lead", "body", "public_preview"]}),
        (
            _("Publication"),
            {
                "fields": [
                    ("status", "published_at"),
                    "publish_at",
                    "is_featured",
                    "language",
                    "translation_of",
                    "author",
                ]
            },
        ),
        (
            _("Facts"),
            {
                "fields": [
                    ("occurred_precision", "occurred_on", "occurred_until"),
                    "categories",
                    ("region", "place", "country"),
                    ("perpetrator_type", "perpetrator_detail"),
                    ("is_attempt", "motive"),
                ]
            },
        ),
        (
            _("Record"),
            {
                "fields": [("verification", "last_update_on", "all_updates")],
                "description": _(
                    "The verification level follows the sources below; the last update, "
                    "the public dated updates."
                ),
            },
        ),
        (_("History"), {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]

    class Media:
        # The live preview of the article under the body (server-rendered; no inline script).
        js = ["js/admin_preview.js"]
        css = {"all": ["css/admin_preview.css"]}

    def get_urls(self):
        urls = [
            path(
                "preview/",
                self.admin_site.admin_view(self.preview_view),
                name="incidents_incident_preview",
            )
        ]
        return urls + super().get_urls()

    def preview_view(self, request):
        """The article's lead and body as the public page renders them: the same Markdown
        and the same sanitiser. POST only (the text can be long), for who may edit."""
        if request.method != "POST" or not (
            self.has_add_permission(request) or self.has_change_permission(request)
        ):
            raise PermissionDenied
        html = render_to_string(
            "admin/incidents/preview.html",
            {
                "title": request.POST.get("title", ""),
                "lead": request.POST.get("lead", ""),
                "body": render_markdown(request.POST.get("body", "")),
            },
        )
        response = HttpResponse(html)
        response["Cache-Control"] = "private, no-store"
        return response

    @admin.display(description=_("preview"))
    def public_preview(self, obj):
        """Live under the body while typing; and, once saved, the article as the public will
        see it, in its language and in the other versions of the story."""
        links = []
        if obj.pk:
            versions = [obj, *Incident.objects.filter(translation_of_id=obj.pk)]
            if obj.translation_of_id:
                versions.append(obj.translation_of)
            links = [
                format_html(
                    '<a href="{}" target="_blank" rel="noopener">{} ({})</a>',
                    version.get_absolute_url(),
                    _("As the public will see it"),
                    version.get_language_display(),
                )
                for version in versions
            ]
        return format_html(
            '<div id="live-preview" class="live-preview" data-url="{}" aria-live="polite">'
            '<p class="help">{}</p></div>{}',
            reverse("admin:incidents_incident_preview"),
            _("The preview appears here as you type."),
            format_html_join(mark_safe(" · "), "{}", ((link,) for link in links)),
        )

    @admin.display(description=_("dated updates"))
    def all_updates(self, obj):
        if not obj.pk:
            return "—"
        count = obj.updates.count()
        return format_html(
            '<a href="{}?incident__id__exact={}">{}</a>',
            reverse("admin:incidents_incidentupdate_changelist"),
            obj.pk,
            ngettext("%d dated update", "%d dated updates", count) % count,
        )

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related(
                Prefetch("categories", queryset=Category.objects.only("pk", "name_uk", "name_en"))
            )
        )

    @admin.display(description=_("categories"))
    def category_list(self, obj):
        return ", ".join(c.name for c in obj.categories.all())

    def save_model(self, request, obj, form, change):
        if not change and obj.author_id is None:
            obj.author = request.user
        # Where the incident was counted and listed before this edit: recounted after it.
        # (On the instance, not on this admin, which all requests share.)
        obj._before_edit = (
            Incident.objects.filter(pk=obj.pk).values("occurred_on", "translation_of_id").first()
            if change
            else None
        )
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        # The publication checks read the victims and sources too, so they run once the
        # inlines are saved, in the same transaction: a refused save is rolled back whole
        # (PublicationCheckedAdmin) and the public never sees its text.
        super().save_related(request, form, formsets, change)
        incident = form.instance
        before = getattr(incident, "_before_edit", None) or {}
        services.incidents_refresh(
            ids=[incident.pk, before.get("translation_of_id")] if before else [incident.pk],
            months=[before["occurred_on"]] if before else [],
        )
        self.check_public(request, form, incident)

    def delete_model(self, request, obj):
        services.incident_delete(incident=obj)

    def delete_queryset(self, request, queryset):
        for incident in queryset:
            services.incident_delete(incident=incident)

    @admin.action(description=_("Publish the selected incidents"), permissions=["change"])
    def publish(self, request, queryset):
        count = 0
        for incident in queryset:
            try:
                services.incident_publish(incident=incident)
            except ValidationError as error:
                for message in error.messages:
                    self.message_user(request, f"{incident}: {message}", messages.ERROR)
                continue
            count += 1
        self.message_user(
            request,
            ngettext("%d incident published.", "%d incidents published.", count) % count,
            messages.SUCCESS if count else messages.WARNING,
        )

    @admin.action(description=_("Unpublish the selected incidents"), permissions=["change"])
    def unpublish(self, request, queryset):
        count = 0
        for incident in queryset:
            services.incident_unpublish(incident=incident)
            count += 1
        self.message_user(
            request,
            ngettext("%d incident returned to draft.", "%d incidents returned to draft.", count)
            % count,
            messages.SUCCESS,
        )


@admin.register(MethodNote)
class MethodNoteAdmin(NamedTitlesMixin, ContentChangeAdmin):
    """One note, shown beside the statistics: staff edit it, nobody adds a second."""

    title_name = pgettext_lazy("accusative", "method note")

    list_display = ["__str__", "updated_at"]

    def has_add_permission(self, request):
        return not MethodNote.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


class MonthlyReportForm(forms.ModelForm):
    month = forms.DateField(
        label=_("month"),
        input_formats=["%Y-%m", "%Y-%m-%d", "%d.%m.%Y"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        help_text=_(
            "Publishing freezes the month's figures as they are now: the public page shows "
            "them as published, and any later correction as a revision beside them."
        ),
    )

    class Meta:
        model = MonthlyReport
        fields = ["month"]

    def clean_month(self):
        month = self.cleaned_data["month"].replace(day=1)
        if month > timezone.localdate():
            raise ValidationError(_("A month that has not begun cannot be published."))
        if MonthlyReport.objects.filter(month=month).exists():
            raise ValidationError(_("This month's report is already published."))
        return month


class MonthlyArticleInline(admin.TabularInline):
    """The month's article in each language: edited and published on its own page."""

    model = MonthlyArticle
    fields = ["language", "title", "status", "published_at", "drafted_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False  # drafted from the figures (services.monthly_article_draft)


class MonthlyReportPickForm(forms.ModelForm):
    class Meta:
        model = MonthlyReport
        fields = ["notable"]


@admin.register(MonthlyReport)
class MonthlyReportAdmin(admin.ModelAdmin):
    """Publish a month's barometer: its figures are frozen from then on (issue 16), and its
    article is drafted in both languages (issue 32). Afterwards only the pick of notable
    incidents changes; "Redraft" writes the drafts again from the figures and the pick."""

    form = MonthlyReportForm
    list_display = ["__str__", "published_at", "published_by", "revised_at"]
    readonly_fields = ["published_at", "published_by", "revised_at", "figures", "current"]
    autocomplete_fields = ["notable"]
    inlines = [MonthlyArticleInline]
    actions = ["redraft"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None:
            kwargs["form"] = MonthlyReportPickForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["month"]
        return ["month", "published_at", "published_by", "revised_at", "notable", "figures"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return self.readonly_fields
        return ["month", *self.readonly_fields]

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        return False  # nor withdrawn: it has been cited

    def save_model(self, request, obj, form, change):
        if change:
            return  # the figures are frozen; the pick is saved in save_related
        report = services.monthly_report_publish(
            month=form.cleaned_data["month"], user=request.user
        )
        obj.pk, obj.month = report.pk, report.month

    def save_related(self, request, form, formsets, change):
        if change:
            services.monthly_report_pick(
                report=form.instance, incidents=form.cleaned_data["notable"]
            )
            for formset in formsets:  # read-only: saves nothing, but the history reads them
                self.save_formset(request, form, formset, change=change)

    @admin.action(
        description=_("Redraft the articles from the figures and the pick"), permissions=["change"]
    )
    def redraft(self, request, queryset):
        for report in queryset:
            drafted = services.monthly_article_draft(report=report)
            for language, article in drafted.items():
                if article is None:
                    self.message_user(
                        request,
                        gettext(
                            "%(month)s, %(language)s: the article is already published; "
                            "it was not redrafted."
                        )
                        % {"month": report, "language": Language(language).label},
                        messages.WARNING,
                    )
            done = [language for language, article in drafted.items() if article is not None]
            if done:
                self.message_user(
                    request,
                    gettext("%(month)s: redrafted (%(languages)s).")
                    % {
                        "month": report,
                        "languages": ", ".join(str(Language(lang).label) for lang in done),
                    },
                    messages.SUCCESS,
                )


@admin.register(MonthlyArticle)
class MonthlyArticleAdmin(admin.ModelAdmin):
    """The month's article: drafted from the frozen figures, edited freely, published
    through the service (it then shows above the month's figures)."""

    list_display = ["title", "report", "language", "status", "published_at"]
    list_filter = ["status", "language"]
    fields = [
        "report",
        "language",
        "status",
        "published_at",
        "published_by",
        "drafted_at",
        "title",
        "lead",
        "body",
    ]
    readonly_fields = ["report", "language", "status", "published_at", "published_by", "drafted_at"]
    actions = ["publish"]

    def has_add_permission(self, request):
        return False  # drafted when the month's report is published, or redrafted there

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        services.monthly_article_edit(
            article=obj,
            title=form.cleaned_data["title"],
            lead=form.cleaned_data["lead"],
            body=form.cleaned_data["body"],
        )

    @admin.action(description=_("Publish the selected articles"), permissions=["change"])
    def publish(self, request, queryset):
        published = 0
        for article in queryset:
            try:
                services.monthly_article_publish(article=article, user=request.user)
            except ValidationError as error:
                for message in error.messages:
                    self.message_user(request, f"{article}: {message}", messages.ERROR)
            else:
                published += 1
        if published:
            self.message_user(
                request,
                ngettext("%(count)d article published.", "%(count)d articles published.", published)
                % {"count": published},
                messages.SUCCESS,
            )


@admin.register(IncidentUpdate)
class IncidentUpdateAdmin(PublicationCheckedAdmin, ReadOnlyHistoryAdmin):
    """Every dated update, paginated: the incident page's inline shows the latest 20. A
    public update of a public incident passes its publication checks."""

    form = PublicationCheckedForm

    list_display = ["on", "kind", "incident", "authority", "is_public"]
    list_filter = ["kind", "is_public"]
    search_fields = ["text", "authority", "incident__title"]
    date_hierarchy = "on"
    autocomplete_fields = ["incident"]
    list_select_related = ["incident"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.incidents_refresh(ids=[obj.incident_id])
        if obj.is_public:
            self.check_public(request, form, obj.incident)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        services.incidents_refresh(ids=[obj.incident_id])

    def delete_queryset(self, request, queryset):
        ids = set(queryset.values_list("incident_id", flat=True))
        super().delete_queryset(request, queryset)
        services.incidents_refresh(ids=ids)


class PersonVictimInline(admin.TabularInline):
    """The incidents this person was targeted in (edited on each incident's page)."""

    model = Victim
    extra = 0
    fields = ["incident", "name", "is_anonymous", "occupation", "outlet"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Person)
class PersonAdmin(NamedTitlesMixin, ContentChangeAdmin):
    """People targeted in one incident or more; merge the ones recorded twice. Their sex
    and age group are on the public pages: a change drops the cached pages."""

    title_name = pgettext_lazy("accusative", "person")

    list_display = ["__str__", "sex", "age_group", "details_withheld", "incident_count"]
    list_filter = ["sex", "age_group", "details_withheld"]
    search_fields = ["victims__name", "victims__outlet"]
    inlines = [PersonVictimInline]
    actions = ["merge"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related(
                Prefetch("victims", queryset=Victim.objects.only("pk", "name", "person"))
            )
        )

    def get_search_results(self, request, queryset, search_term):
        queryset, duplicates = super().get_search_results(request, queryset, search_term)
        return queryset.distinct(), False

    @admin.display(description=_("incidents"))
    def incident_count(self, obj):
        return len(obj.victims.all())

    @admin.action(description=_("Merge the selected people into one"), permissions=["change"])
    def merge(self, request, queryset):
        people = list(queryset.order_by("pk"))
        if len(people) < 2:
            self.message_user(request, _("Choose two people or more to merge."), messages.WARNING)
            return
        into, others = people[0], people[1:]
        services.people_merge(into=into, others=others)
        self.log_change(
            request,
            into,
            _("Merged %(people)s into this person.")
            % {"people": ", ".join(f"#{p.pk}" for p in others)},
        )
        self.message_user(
            request,
            ngettext(
                "%(count)d person merged into %(into)s.",
                "%(count)d people merged into %(into)s.",
                len(others),
            )
            % {"count": len(others), "into": f"#{into.pk}"},
            messages.SUCCESS,
        )


from .archive import admin as _archive_admin  # noqa: E402,F401  (registers the import and its queue)
