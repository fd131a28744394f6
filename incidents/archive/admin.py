"""The archive import in the admin: "Import an archive" (upload a file or give a feed's
address, run it in a Celery task, watch its progress and report) and the review queue of
imported items, whose actions call incidents.archive.runs."""

import functools
from pathlib import Path

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _

from ..models import ImportItem, ImportRun, Region
from . import runs
from .fetch import FetchError

PERMISSION = "incidents.import_archive"
MAPPING_FIELDS = ("key", "title", "date", "body", "url", "terms", "region", "language")


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Archive file"),
        required=False,
        help_text=_("A WordPress export (.xml), an RSS or Atom feed, or a CSV file."),
    )
    url = forms.URLField(
        label=_("or a feed's address"), required=False, assume_scheme="https", max_length=500
    )
    format = forms.ChoiceField(label=_("Format"), choices=ImportRun.Format.choices)
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        choices=[
            ("", _("Told from each item's alphabet")),
            ("uk", _("Ukrainian")),
            ("en", _("English")),
        ],
    )
    default_region = forms.ModelChoiceField(
        label=_("Region when none is found"),
        queryset=Region.objects.exclude(kind=Region.Kind.ABROAD),
    )
    csv_mapping = forms.CharField(
        label=_("CSV columns"),
        required=False,
        help_text=_(
            "One field=column per line, for columns not named title, date, body, url, tags, "
            "region, language or id (or their Ukrainian names). For example: title=Headline"
        ),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    dry_run = forms.BooleanField(
        label=_("Dry run"), required=False, help_text=_("Only report what would be created.")
    )

    def clean_csv_mapping(self):
        mapping = {}
        for line in self.cleaned_data["csv_mapping"].replace(",", "\n").splitlines():
            if not line.strip():
                continue
            field, sep, column = line.partition("=")
            if not sep or field.strip() not in MAPPING_FIELDS or not column.strip():
                raise forms.ValidationError(
                    gettext("Not a mapping: “%(line)s” (field=column; fields: %(fields)s).")
                    % {"line": line.strip(), "fields": ", ".join(MAPPING_FIELDS)}
                )
            mapping[field.strip()] = column.strip()
        return mapping

    def clean(self):
        data = super().clean()
        if bool(data.get("file")) == bool(data.get("url")):
            raise forms.ValidationError(gettext("Give a file or a feed's address (one of them)."))
        if data.get("url") and data.get("format") != ImportRun.Format.FEED:
            self.add_error("format", gettext("An address is read as a feed."))
        return data


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    list_display = ["__str__", "format", "status", "dry_run", "progress", "counts", "created_at"]
    list_filter = ["status", "format", "dry_run"]
    readonly_fields = ["progress", "counts", "report_message", "source_name", "format", "language",
                       "default_region", "dry_run", "status", "position", "sha256", "started_by",
                       "created_at", "started_at", "finished_at"]  # fmt: skip
    fields = readonly_fields
    change_form_template = "admin/incidents/importrun/change_form.html"

    def has_add_permission(self, request):
        return request.user.has_perm(PERMISSION)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(PERMISSION) or super().has_view_permission(request, obj)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_created=Count("items", filter=Q(items__status=ImportItem.Status.CREATED)),
                n_duplicate=Count("items", filter=Q(items__status=ImportItem.Status.DUPLICATE)),
                n_skipped=Count("items", filter=Q(items__status=ImportItem.Status.SKIPPED)),
                n_error=Count("items", filter=Q(items__status=ImportItem.Status.ERROR)),
            )
        )

    @admin.display(description=_("progress"))
    def progress(self, run):
        done = run.fraction_done
        parts = [gettext("%(count)s items read") % {"count": run.position}]
        if done is not None:
            parts.insert(0, f"{done:.0%}")
        if run.rate:
            parts.append(gettext("%(rate).1f items/s") % {"rate": run.rate})
        if run.seconds_left is not None:
            minutes, seconds = divmod(int(run.seconds_left), 60)
            parts.append(gettext("%(min)d min %(sec)02d s left") % {"min": minutes, "sec": seconds})
        return " · ".join(parts)

    @admin.display(description=_("report"))
    def counts(self, run):
        queue = reverse("admin:incidents_importitem_changelist")
        status = ImportItem.Status
        labels = [
            (
                status.CREATED,
                ngettext_lazy("%(count)d would be created", "%(count)d would be created", "count")
                if run.dry_run
                else ngettext_lazy("%(count)d created", "%(count)d created", "count"),
            ),
            (
                status.DUPLICATE,
                ngettext_lazy("%(count)d duplicate", "%(count)d duplicates", "count"),
            ),
            (status.SKIPPED, ngettext_lazy("%(count)d skipped", "%(count)d skipped", "count")),
            (status.ERROR, ngettext_lazy("%(count)d error", "%(count)d errors", "count")),
        ]
        values = {
            s: getattr(run, f"n_{s}", None)
            if hasattr(run, f"n_{s}")
            else run.items.filter(status=s).count()
            for s, _label in labels
        }
        return format_html_join(
            " · ",
            '<a href="{}?run__id__exact={}&amp;status__exact={}">{}</a>',
            ((queue, run.pk, s, label % {"count": values[s]}) for s, label in labels),
        )

    @admin.display(description=_("notes and errors"))
    def report_message(self, run):
        return run.message or "—"

    def get_urls(self):
        from django.urls import path

        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="incidents_importrun_import",
            ),
            *super().get_urls(),
        ]

    def add_view(self, request, form_url="", extra_context=None):
        return HttpResponseRedirect(reverse("admin:incidents_importrun_import"))

    def import_view(self, request):
        if not self.has_add_permission(request):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        kyiv = Region.objects.filter(slug="kyiv").first()
        form = ImportForm(
            request.POST or None, request.FILES or None, initial={"default_region": kyiv}
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                if data["file"]:
                    upload = data["file"]
                    file, sha = runs.import_file_store(
                        upload.chunks(), suffix=Path(upload.name).suffix.lower()[:8]
                    )
                    name = upload.name
                else:
                    file, sha = runs.import_url_store(data["url"])
                    name = data["url"]
            except FetchError as error:
                form.add_error("url", str(error))
            else:
                run, resumed = runs.import_run_start(
                    format=data["format"],
                    source_name=name,
                    file=file,
                    sha256=sha,
                    default_region=data["default_region"],
                    language=data["language"],
                    csv_mapping=data["csv_mapping"],
                    dry_run=data["dry_run"],
                    user=request.user,
                )
                from .. import tasks

                transaction.on_commit(functools.partial(tasks.import_archive_run.delay, run.pk))
                if resumed:
                    messages.info(
                        request, gettext("The same file: its unfinished import continues.")
                    )
                return HttpResponseRedirect(
                    reverse("admin:incidents_importrun_change", args=[run.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Import an archive"),
            "form": form,
            "opts": self.model._meta,
            "has_view_permission": self.has_view_permission(request),
        }
        return TemplateResponse(request, "admin/incidents/importrun/import_form.html", context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # The admin's own lookup (an address that is not a number is "not found", not 500).
        run = self.get_object(request, object_id)
        extra = {
            "refresh": run is not None
            and run.status in (ImportRun.Status.WAITING, ImportRun.Status.RUNNING),
            "queue_url": reverse("admin:incidents_importitem_changelist")
            + f"?run__id__exact={object_id}",
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, extra)


class ToResolveFilter(admin.SimpleListFilter):
    title = _("review")
    parameter_name = "to_resolve"

    def lookups(self, request, model_admin):
        return [("yes", _("Duplicates to resolve")), ("drafts", _("Drafts made by the import"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(
                status=ImportItem.Status.DUPLICATE, resolution=ImportItem.Resolution.OPEN
            )
        if self.value() == "drafts":
            return queryset.filter(incident__isnull=False)
        return queryset


@admin.register(ImportItem)
class ImportItemAdmin(admin.ModelAdmin):
    """The review queue."""

    list_display = ["position", "title", "occurred_on", "status", "resolution", "confidence",
                    "similarity", "draft_link", "duplicate_link", "message", "run"]  # fmt: skip
    list_display_links = ["position", "title"]
    list_filter = [
        ToResolveFilter,
        "status",
        "confidence",
        "resolution",
        "language",
        ("run", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["title", "source_url", "key"]
    list_select_related = ["run", "incident", "duplicate_of"]
    actions = ["merge", "dismiss", "keep"]
    readonly_fields = [f.name for f in ImportItem._meta.fields if f.name != "record"]
    list_per_page = 50

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(PERMISSION) or super().has_view_permission(request, obj)

    def has_import_permission(self, request):
        return request.user.has_perm(PERMISSION)

    @admin.display(description=_("draft"))
    def draft_link(self, item):
        if not item.incident_id:
            return "—"
        url = reverse("admin:incidents_incident_change", args=[item.incident_id])
        return format_html('<a href="{}">{}</a>', url, gettext("open"))

    @admin.display(description=_("duplicate of"))
    def duplicate_link(self, item):
        if not item.duplicate_of_id:
            return "—"
        url = reverse("admin:incidents_incident_change", args=[item.duplicate_of_id])
        return format_html('<a href="{}">{}</a>', url, item.duplicate_of.title[:60])

    def _decide(self, request, queryset, service, done_message):
        done, refused = 0, []
        for item in queryset.order_by("run", "position"):
            try:
                service(item=item)
                done += 1
            except runs.ReviewRefused as reason:
                refused.append(f"{item.position} {item.title[:40]}: {reason}")
        if done:
            self.message_user(request, done_message(done), messages.SUCCESS)
        for line in refused[:20]:
            self.message_user(request, line, messages.WARNING)

    @admin.action(permissions=["import"], description=_("Merge into the incident it duplicates"))
    def merge(self, request, queryset):
        self._decide(
            request,
            queryset,
            runs.import_item_merge,
            lambda n: ngettext("%(n)d item merged.", "%(n)d items merged.", n) % {"n": n},
        )

    @admin.action(permissions=["import"], description=_("Dismiss (an import's draft is deleted)"))
    def dismiss(self, request, queryset):
        self._decide(
            request,
            queryset,
            runs.import_item_dismiss,
            lambda n: ngettext("%(n)d item dismissed.", "%(n)d items dismissed.", n) % {"n": n},
        )

    @admin.action(permissions=["import"], description=_("Keep as a new draft"))
    def keep(self, request, queryset):
        self._decide(
            request,
            queryset,
            runs.import_item_keep,
            lambda n: ngettext("%(n)d draft made.", "%(n)d drafts made.", n) % {"n": n},
        )
