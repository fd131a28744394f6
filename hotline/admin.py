from csp.decorators import csp_update
from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.timesince import timesince
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy
from simple_history.admin import SimpleHistoryAdmin

from incidents.admin import HISTORY_STYLE_HASH, IncidentAdmin, NamedTitlesMixin, SourceLinkInline
from incidents.exports import csvfile
from incidents.models import Incident, Region

from . import notifications, retention
from .audit import record_access
from .history import ReadableHistory
from .models import (
    AccessEvent,
    Attachment,
    CallAttempt,
    CallbackRequest,
    CaseMessage,
    Complaint,
    Note,
    Notification,
    SourceArchive,
    SourceCopy,
    StaffDesk,
    StaffProfile,
    TriageQuerySet,
    desk_regions,
)
from .services import consent, desk, inbox, outbox, publication, sources, triage


class AssigneeFilter(admin.SimpleListFilter):
    title = _("assignee")
    parameter_name = "assigned"

    def lookups(self, request, model_admin):
        return [("mine", _("Mine")), ("unassigned", _("Unassigned"))]

    def queryset(self, request, queryset):
        if self.value() == "mine":
            return queryset.filter(assignee=request.user)
        if self.value() == "unassigned":
            return queryset.filter(assignee__isnull=True)
        return queryset


class OverdueFilter(admin.SimpleListFilter):
    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("Overdue"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.overdue()
        return queryset


class OpenFilter(admin.SimpleListFilter):
    title = _("open")
    parameter_name = "open"

    def lookups(self, request, model_admin):
        return [("yes", _("Open (not finished)"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.open()
        return queryset


class WaitingFilter(admin.SimpleListFilter):
    title = _("conversation")
    parameter_name = "waiting"

    def lookups(self, request, model_admin):
        return [("yes", _("Waiting for the reporter's answer"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.waiting_for_reporter()
        return queryset


class UnreadRepliesFilter(admin.SimpleListFilter):
    title = _("replies from the reporter")
    parameter_name = "unread"

    def lookups(self, request, model_admin):
        return [("yes", _("Unread replies"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(unread_replies__gt=0)
        return queryset


class TransitionAdminForm(forms.ModelForm):
    """The change form refuses a status the item cannot move to from where it is."""

    def clean_status(self):
        status = self.cleaned_data["status"]
        instance = self.instance
        if instance.pk and status != instance.status and not instance.can_move_to(status):
            allowed = ", ".join(
                str(type(instance).Status(s).label)
                for s in sorted(instance.TRANSITIONS[instance.status])
            )
            raise forms.ValidationError(
                _("From “%(current)s” the status can move to: %(allowed)s.")
                % {"current": instance.get_status_display(), "allowed": allowed or "—"}
            )
        return status


class NoteInline(admin.StackedInline):
    model = Note
    extra = 0
    fields = ["text", "author", "created_at"]
    readonly_fields = ["author", "created_at"]
    verbose_name = _("internal note")
    verbose_name_plural = _("Internal notes (staff only, never shown to the reporter)")


class CaseMessageForm(forms.Form):
    text = forms.CharField(
        label=_("Message to the reporter"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "The reporter reads it in their case inbox, behind their tracking code. If they gave"
            " an e-mail, they get a mail saying only that there is a message."
        ),
    )
    # The newest message the writer had seen: another one since then is shown before sending.
    seen = forms.IntegerField(widget=forms.HiddenInput, required=False)


class AttachmentInline(admin.TabularInline):
    model = Attachment
    extra = 0
    can_delete = False
    fields = ["download", "content_type", "size", "created_at", "custody"]
    readonly_fields = fields
    verbose_name_plural = _("evidence (encrypted; decrypted and checked at each download)")

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("message")

    @admin.display(description=_("file"))
    def download(self, obj):
        return format_html('<a href="{}">{}</a>', obj.get_absolute_url(), obj.original_name)

    @admin.display(description=_("chain of custody"))
    def custody(self, obj):
        """What was recorded at receipt, and every download since, from the access audit."""
        source = (
            _("with the complaint")
            if obj.message_id is None
            else _("with a reply in the case inbox")
        )
        events = AccessEvent.objects.filter(
            attachment_id=obj.pk,
            action__in=[AccessEvent.Action.DOWNLOAD, AccessEvent.Action.REFUSED],
        ).order_by("created_at")
        lines = format_html_join(
            "",
            "<li>{} · {} · {}</li>",
            (
                (
                    timezone.localtime(event.created_at).strftime("%d.%m.%Y %H:%M"),
                    event.username,
                    _("SHA-256 verified, downloaded")
                    if event.action == AccessEvent.Action.DOWNLOAD
                    else _("REFUSED: the file failed its check"),
                )
                for event in events
            ),
        )
        stored = _("encrypted") if obj.encrypted else _("NOT encrypted yet: run evidence_rekey")
        return format_html(
            '<div class="custody"><p>{} {} · {} · SHA-256 <code>{}</code></p><ul>{}</ul></div>',
            _("Received"),
            timezone.localtime(obj.created_at).strftime("%d.%m.%Y %H:%M"),
            f"{source}, {stored}",
            obj.sha256,
            lines,
        )


class TriageAdmin(SimpleHistoryAdmin):
    """What the complaint and callback admins share: ages, statuses, assignment, export."""

    form = TransitionAdminForm
    view_on_site = False  # nothing of a submission is public
    object_history_list_template = "admin/history_list.html"
    date_hierarchy = "created_at"
    list_per_page = 50
    export_fields: list[str] = []

    def get_actions(self, request):
        actions = super().get_actions(request)
        for status in self.model.Status:
            name = f"mark_{status.value}"
            actions[name] = (
                self._status_action(status),
                name,
                _("Mark as “%(status)s”") % {"status": status.label},
            )
        return actions

    def _status_action(self, status):
        def action(modeladmin, request, queryset):
            if not modeladmin.has_change_permission(request):
                return
            if "confirm" not in request.POST:
                previews = modeladmin.reporter_mail_previews(queryset, status)
                if previews:
                    return modeladmin.confirm_status_page(request, queryset, status, previews)
            moved, refused, outside = 0, 0, 0
            for obj in queryset:
                try:
                    desk.change_status(obj=obj, status=status, user=request.user)
                    moved += 1
                except triage.TransitionError:
                    refused += 1
                except desk.OutsideDeskError:
                    outside += 1
            modeladmin.tell_outside_desk(request, outside)
            if moved:
                modeladmin.message_user(
                    request,
                    ngettext("%d item moved.", "%d items moved.", moved) % moved,
                    messages.SUCCESS,
                )
            if refused:
                modeladmin.message_user(
                    request,
                    ngettext(
                        "%(count)d item cannot move to “%(status)s” from its current status.",
                        "%(count)d items cannot move to “%(status)s” from their current status.",
                        refused,
                    )
                    % {"count": refused, "status": status.label},
                    messages.WARNING,
                )

        return action

    def reporter_mail_previews(self, queryset, status):
        """What reporters would be e-mailed if these items moved to `status` (none for
        callback requests)."""
        return []

    def confirm_status_page(self, request, queryset, status, previews):
        context = {
            **self.admin_site.each_context(request),
            "title": _("Send these messages to the reporters?"),
            "opts": self.model._meta,
            "status": status,
            "previews": previews,
            "queryset": queryset,
            "action": request.POST.get("action"),
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/hotline/confirm_status.html", context)

    def tell_outside_desk(self, request, count: int) -> None:
        if count:
            self.message_user(
                request,
                ngettext(
                    "%d item was left as it was: it is no longer on your regional desk.",
                    "%d items were left as they were: they are no longer on your regional desk.",
                    count,
                )
                % count,
                messages.WARNING,
            )

    @admin.action(description=_("Assign to me"), permissions=["change"])
    def assign_to_me(self, request, queryset):
        assigned, outside = 0, 0
        for obj in queryset:
            try:
                desk.assign(obj=obj, user=request.user)
                assigned += 1
            except desk.OutsideDeskError:
                outside += 1
        self.tell_outside_desk(request, outside)
        if assigned:
            self.message_user(request, _("Assigned to you."), messages.SUCCESS)

    # --- The regional desk (models.desk_regions): what is not on it is not there ---------

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None and from_field is None and str(object_id).isdigit():
            self.refused_outside_desk(request, int(object_id))
        return obj

    def get_visible_or_404(self, request, object_id):
        """For the admin's own pages (log a call, write to the reporter, draft): the item if
        it is on the desk; else 404, the answer for an item that does not exist."""
        obj = self.get_object(request, object_id)
        if obj is None:
            raise Http404
        return obj

    def refused_outside_desk(self, request, pk: int) -> None:
        """An item that exists but is not on this member's desk was asked for by its address:
        answered as if it did not exist, and written to the access audit (once a request)."""
        refused = request.__dict__.setdefault("_outside_desk", set())
        key = (self.model, pk)
        if key in refused or not self.model._default_manager.filter(pk=pk).exists():
            return
        refused.add(key)
        record_access(
            user=request.user,
            action=AccessEvent.Action.OUTSIDE_DESK,
            model=self.model,
            target_id=pk,
        )

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        changelist = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
        if (
            object_id is not None
            and request.method == "POST"
            and self.get_object(request, object_id) is None
        ):
            # The same words whether it never existed or moved off the desk meanwhile.
            self.message_user(
                request,
                _(
                    "Nothing was saved: this item does not exist or is no longer on your"
                    " regional desk."
                ),
                messages.ERROR,
            )
            return HttpResponseRedirect(changelist)
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except desk.OutsideDeskError as error:
            # Raised inside the form's transaction: everything it wrote is rolled back.
            not_saved = _("Nothing was saved.")  # outside the f-string, for makemessages
            self.message_user(request, f"{error} {not_saved}", messages.ERROR)
            return HttpResponseRedirect(changelist)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "region":
            regions = desk_regions(request.user)
            if regions is not None:
                # A regional member keeps an item on their desk.
                kwargs["queryset"] = Region.objects.filter(pk__in=regions)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        self._record(request, response, AccessEvent.Action.VIEW, object_id)
        return response

    # django-simple-history's history page has one inline style (style="border-top: 0" on its
    # paginator): that exact attribute, by its hash, is allowed on this page and nowhere else.
    @csp_update({"style-src-attr": ["'unsafe-hashes'", f"'sha256-{HISTORY_STYLE_HASH}'"]})
    def history_view(self, request, object_id, extra_context=None):
        if not str(object_id).isdigit():
            raise Http404  # simple_history would look the text up as an id and fail with 500
        # simple_history falls back to the last historical row of an item it cannot find:
        # an item off the desk has no history here either.
        self.get_visible_or_404(request, object_id)
        response = super().history_view(request, object_id, extra_context)
        self._record(request, response, AccessEvent.Action.HISTORY, object_id)
        return response

    def get_historical_record_context_helper(self, request, historical_record):
        return ReadableHistory(self.model, historical_record)

    def _record(self, request, response, action, object_id):
        # Only a page that was actually shown counts (not a redirect, a 403 or a 404).
        if request.method == "GET" and response.status_code == 200 and str(object_id).isdigit():
            record_access(
                user=request.user, action=action, model=self.model, target_id=int(object_id)
            )

    @admin.action(description=_("Export the selection as CSV"), permissions=["export"])
    def export_csv(self, request, queryset):
        objects = list(queryset)
        record_access(
            user=request.user,
            action=AccessEvent.Action.EXPORT,
            model=self.model,
            item_ids=[obj.pk for obj in objects],
        )
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        name = self.model._meta.model_name
        response["Content-Disposition"] = (
            f'attachment; filename="{name}-{timezone.localdate()}.csv"'
        )
        response.write("\ufeff")
        writer = csvfile.writer(response)
        writer.writerow(self.export_fields)
        for obj in objects:
            writer.writerow([_export_value(obj, f) for f in self.export_fields])
        return response

    def has_export_permission(self, request):
        opts = self.model._meta
        return request.user.has_perm(f"{opts.app_label}.export_{opts.model_name}")

    @admin.display(description=_("age"), ordering="created_at")
    def age(self, obj):
        minutes = int((timezone.now() - obj.created_at).total_seconds() // 60)
        if minutes < 60:
            text = _("%d min") % minutes
        elif minutes < 48 * 60:
            text = _("%d h") % (minutes // 60)
        else:
            text = _("%d days") % (minutes // (24 * 60))
        if obj.overdue:
            return format_html('<strong class="overdue">⚠ {}</strong>', text)
        return text

    @admin.display(description=_("erasure"), ordering="closed_at")
    def erasure(self, obj):
        """When the personal data was, or will be, erased (see hotline.retention)."""
        if obj.erased_at is not None:
            return _("Erased %(date)s") % {"date": timezone.localdate(obj.erased_at).isoformat()}
        erases_on = retention.erases_on(obj)
        if erases_on is None:
            return "—"
        return _("Will be erased on %(date)s") % {"date": erases_on.isoformat()}

    def has_change_permission(self, request, obj=None):
        # An erased item is read-only: nobody types personal data back into it.
        if obj is not None and obj.erased_at is not None:
            return False
        return super().has_change_permission(request, obj)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # simple_history saves a posted version after checking view permission only: a revert
        # needs the right to change the item as it is now (and an erased one has none).
        if not str(object_id).isdigit():
            raise Http404
        self.get_visible_or_404(request, object_id)
        if request.method == "POST" and not self._changeable_now(request, object_id):
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)

    def revert_disabled(self, request, obj=None):
        # obj is the old version; whether it may be restored depends on the item today.
        if obj is not None and not self._changeable_now(request, obj.pk):
            return True
        return super().revert_disabled(request, obj)

    def _changeable_now(self, request, object_id) -> bool:
        current = self.get_object(request, object_id)
        return current is not None and self.has_change_permission(request, current)

    def get_queryset(self, request):
        # ModelAdmin.get_queryset orders before anyone can annotate: the annotation the
        # ordering needs comes first here.
        queryset = self.model._default_manager.visible_to(request.user).shift_order()
        return queryset.order_by(*self.get_ordering(request))

    def get_ordering(self, request):
        # The shift's order: overdue, then what waits (new first, then by due time), then
        # what needs nothing, newest first (TriageQuerySet.SHIFT_ORDER).
        return list(TriageQuerySet.SHIFT_ORDER)

    def save_model(self, request, obj, form, change):
        # A status chosen on the form goes through the same service as the actions: the
        # other fields are saved first, then the status moves (or the form says why not).
        # Only a new status moves the timers (hotline.services.triage): a note or a fixed typo keeps
        # the item's due time and escalation as they were.
        if change:
            # The row, locked, is still on the desk: a region changed since the form was
            # opened refuses the whole save (changeform_view says so).
            desk.ensure_on_desk(obj, request.user)
        new_status = obj.status
        if change and "status" in form.changed_data:
            obj.status = form.initial["status"]
        elif not change:
            triage.start(obj)
        obj._history_user = request.user
        super().save_model(request, obj, form, change)
        if obj.status != new_status:
            desk.change_status(obj=obj, status=new_status, user=request.user)

    def save_formset(self, request, form, formset, change):
        for instance in formset.save(commit=False):
            if hasattr(instance, "author_id") and instance.author_id is None:
                instance.author = request.user
            instance.save()
        for obj in formset.deleted_objects:
            obj.delete()


def _export_value(obj, field):
    display = getattr(obj, f"get_{field}_display", None)
    return display() if display else getattr(obj, field)


class CallAttemptForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("How did the call end?"),
        choices=CallAttempt.Outcome.choices,
        widget=forms.RadioSelect,
    )
    call_again_at = forms.DateTimeField(
        label=_("Call again at"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%d.%m.%Y %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_(
            "Kyiv time. Needed for “asked to call later”; for no answer or busy, empty means"
            " within the retry time."
        ),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("outcome") == CallAttempt.Outcome.CALL_LATER and not cleaned.get(
            "call_again_at"
        ):
            self.add_error("call_again_at", _("When did they ask to be called?"))
        when = cleaned.get("call_again_at")
        if when is not None and when < timezone.now():
            self.add_error("call_again_at", _("This time has already passed."))
        return cleaned


class CallAttemptInline(admin.TabularInline):
    model = CallAttempt
    extra = 0
    can_delete = False
    fields = ["created_at", "outcome", "call_again_at", "author"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(CallbackRequest)
class CallbackRequestAdmin(TriageAdmin):
    # What an operator needs, in the width of a 1280 px laptop.
    list_display = [
        "number",
        "status_line",
        "phone_link",
        "calls",
        "when_what",
        "assignee",
        "age",
    ]
    list_display_links = ["number"]
    list_filter = [
        "status",
        OpenFilter,
        AssigneeFilter,
        OverdueFilter,
        "topic",
        "preferred_time",
        "language",
        ("region", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["=id", "phone", "name", "message"]
    list_select_related = ["assignee", "region"]
    inlines = [CallAttemptInline, NoteInline]
    actions = ["assign_to_me", "export_csv"]
    readonly_fields = [
        "phone_link",
        "calls",
        "created_at",
        "updated_at",
        "handled_at",
        "language",
        "consent",
        "closed_at",
        "erasure",
    ]

    @admin.display(description="№", ordering="pk")
    def number(self, obj):
        return f"№{obj.pk}"

    @admin.display(description=_("status"), ordering="status")
    def status_line(self, obj):
        """The status; for a finished request, when its personal data goes."""
        if obj.status in obj.FINISHED or obj.erased_at:
            return format_html(
                "{}<br><small>{}</small>", obj.get_status_display(), self.erasure(obj)
            )
        return obj.get_status_display()

    @admin.display(description=_("when to call, topic"), ordering="preferred_time")
    def when_what(self, obj):
        return format_html(
            "{}<br><small>{}</small>", obj.get_preferred_time_display(), obj.get_topic_display()
        )

    @admin.display(description=_("phone"), ordering="phone")
    def phone_link(self, obj):
        if not obj.phone:
            return "—"
        return format_html(
            '<a class="tel" href="tel:{}">{}</a>', obj.phone.as_e164, obj.phone.as_national
        )

    @admin.display(description=_("calls"), ordering="attempts")
    def calls(self, obj):
        """Attempts so far and how the last one ended; the next call's time; a link to log
        one more."""
        parts = []
        if obj.attempts:
            outcome = CallAttempt.Outcome(obj.last_outcome).label if obj.last_outcome else ""
            parts.append(format_html("{} · {}", obj.attempts, outcome))
        if obj.call_again_at and obj.status not in obj.FINISHED:
            parts.append(
                format_html(
                    "{} {}",
                    _("again at"),
                    timezone.localtime(obj.call_again_at).strftime("%d.%m %H:%M"),
                )
            )
        if obj.pk and obj.erased_at is None and obj.status not in obj.FINISHED:
            parts.append(
                format_html(
                    '<a class="log-call" href="{}">{}</a>',
                    reverse("admin:hotline_callbackrequest_call", args=[obj.pk]),
                    _("Log a call"),
                )
            )
        return format_html_join(mark_safe("<br>"), "{}", ((p,) for p in parts)) or "—"

    def get_urls(self):
        urls = [
            path(
                "<int:object_id>/call/",
                self.admin_site.admin_view(self.call_view),
                name="hotline_callbackrequest_call",
            )
        ]
        return urls + super().get_urls()

    def call_view(self, request, object_id):
        """Log one call attempt and its outcome; the request moves on by the rules of
        hotline.services.desk.callback_log_attempt."""
        callback = self.get_visible_or_404(request, object_id)
        if not self.has_change_permission(request, callback):
            raise PermissionDenied
        form = CallAttemptForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                desk.callback_log_attempt(
                    callback=callback,
                    outcome=form.cleaned_data["outcome"],
                    call_again_at=form.cleaned_data["call_again_at"],
                    user=request.user,
                )
            except triage.TransitionError:
                self.message_user(request, _("This request is closed."), messages.WARNING)
            except desk.OutsideDeskError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                callback.refresh_from_db()
                self.message_user(
                    request,
                    _("Call logged. The request is now “%(status)s”.")
                    % {"status": callback.get_status_display()},
                    messages.SUCCESS,
                )
            return HttpResponseRedirect(reverse("admin:hotline_callbackrequest_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Log a call: %(item)s") % {"item": callback},
            "opts": self.model._meta,
            "original": callback,
            "form": form,
            "attempts": callback.call_attempts.select_related("author"),
            "phone": self.phone_link(callback),
        }
        return TemplateResponse(request, "admin/hotline/call_attempt.html", context)

    export_fields = [
        "id",
        "created_at",
        "status",
        "topic",
        "preferred_time",
        "name",
        "phone",
        "language",
        "region",
    ]


@admin.register(Complaint)
class ComplaintAdmin(NamedTitlesMixin, TriageAdmin):
    title_name = pgettext_lazy("accusative", "complaint")
    # What a shift needs, in the width of a 1280 px laptop: the case, where it stands, what
    # and where it was, who has it, how late, and what needs attention.
    list_display = [
        "__str__",
        "status",
        "priority",
        "what_where",
        "assignee",
        "age",
        "attention",
        "incident_link",
    ]
    list_filter = [
        "status",
        OpenFilter,
        UnreadRepliesFilter,
        WaitingFilter,
        "priority",
        "consent_publish",
        AssigneeFilter,
        OverdueFilter,
        ("category", admin.RelatedOnlyFieldListFilter),
        ("region", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["=id", "reporter_name", "outlet", "email", "phone", "description", "place"]
    list_select_related = ["category", "region", "assignee", "incident"]
    inlines = [AttachmentInline, NoteInline]
    change_form_template = "admin/hotline/complaint/change_form.html"
    # Chosen by searching, not from a list of every incident.
    autocomplete_fields = ["incident"]
    actions = [
        "assign_to_me",
        "set_priority_high",
        "set_priority_urgent",
        "create_incident_draft",
        "erase_now",
        "export_csv",
    ]
    readonly_fields = [
        "created_at",
        "updated_at",
        "language",
        "incident_link",
        "consent_processing",
        # The reporter's own choices: staff read them, never make them.
        "consent_publish",
        "anonymous",
        "for_someone_else",
        "reported_for",
        "victim_agreed_to_be_named",
        "safety",
        "help_needed_list",
        "publication_consent",
        "reporter_mail_preview",
        # The reporter's own words: read, never rewritten.
        "description",
        "links",
        "erasure_requested_at",
        "closed_at",
        "erasure",
    ]
    export_fields = [
        "id",
        "created_at",
        "status",
        "priority",
        "category",
        "region",
        "occurred_on",
        "perpetrator_type",
        "outlet",
    ]
    # Editors may read a complaint to write an incident, but not the reporter's contacts.
    # Shown as a list (help_needed_list), never as raw JSON.
    exclude = ["help_needed"]
    contact_fields = [
        "reporter_name",
        "victim_name",
        "victim_relation",
        "aliases",
        "email",
        "phone",
        "preferred_channel",
        "safe_times",
    ]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        names = {"reporter_name", "aliases", "outlet", "victim_name", "victim_outlet"}
        if change and names & set(form.changed_data):
            # How the reporter may be named changed: what is about to go public, and their
            # story, are checked again now rather than when someone next publishes.
            held = consent.complaint_identity_changed(complaint=obj)
            if held:
                self.message_user(
                    request,
                    ngettext(
                        "%d incident named this reporter and went back to draft.",
                        "%d incidents named this reporter and went back to draft.",
                        len(held),
                    )
                    % len(held),
                    messages.WARNING,
                )

    def get_exclude(self, request, obj=None):
        if not request.user.has_perm("hotline.change_complaint"):
            return [*self.exclude, *self.contact_fields]
        return super().get_exclude(request, obj)

    # A complaint taken by phone ("Add"): staff record what the person said, their consents
    # and safety included; once saved, these are the reporter's and read-only.
    REPORTERS_CHOICES = (
        "consent_processing",
        "consent_publish",
        "anonymous",
        "for_someone_else",
        "victim_agreed_to_be_named",
        "safety",
    )

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None and "consent_processing" in form.base_fields:
            # Without it the database refuses the row: say so on the form.
            form.base_fields["consent_processing"].required = True
        return form

    # What the desk must see first: whether the person is safe, what help they asked for,
    # and for whom the report was made (they used to sit below thirty other fields).
    FIRST = ("safety", "help_needed_list", "for_someone_else", "reported_for")

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        first = [name for name in self.FIRST if name in fields]
        return first + [name for name in fields if name not in first]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.has_perm("hotline.change_complaint"):
            fields.remove("reported_for")  # it names the person, as the contacts do
        if obj is None:
            fields = [name for name in fields if name not in self.REPORTERS_CHOICES]
        return fields

    @admin.display(description=_("reported for"))
    def reported_for(self, obj):
        """Who reported for whom: the person it happened to, and how the reporter knows
        them (the reporter's own name is above)."""
        if not obj.for_someone_else:
            return _("themselves")
        parts = [obj.victim_name or "—"]
        if obj.victim_outlet:
            parts.append(obj.victim_outlet)
        line = ", ".join(parts)
        if obj.victim_relation:
            line = _("%(person)s (the reporter is: %(relation)s)") % {
                "person": line,
                "relation": obj.victim_relation,
            }
        return line

    @admin.display(description=_("help needed"))
    def help_needed_list(self, obj):
        return ", ".join(obj.get_help_needed_display()) or "—"

    def get_inlines(self, request, obj):
        if not request.user.has_perm("hotline.view_attachment"):
            return [NoteInline]
        return super().get_inlines(request, obj)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                unread_replies=Count(
                    "messages",
                    filter=Q(
                        messages__sender=CaseMessage.Sender.REPORTER,
                        messages__read_at__isnull=True,
                    ),
                )
            )
        )

    @admin.display(description=_("violation, region"), ordering="category__name_uk")
    def what_where(self, obj):
        return format_html(
            "{}<br><small>{}</small>",
            obj.category.name if obj.category_id else "—",
            obj.region.name if obj.region_id else "—",
        )

    @admin.display(description=_("attention"))
    def attention(self, obj):
        """Unread replies, a withdrawn consent or an erasure asked for, and when the data
        goes: what needs someone, in one cell."""
        lines = [self.replies(obj)]
        if obj.in_danger and obj.status not in obj.FINISHED:
            lines.append(format_html('<strong class="no-consent">⚠ {}</strong>', _("not safe now")))
        if obj.for_someone_else:
            lines.append(format_html("↪ {}", _("reported for someone else")))
        if obj.consent_withdrawn_at or (obj.erasure_requested_at and obj.erased_at is None):
            # The reporter changed their mind: ⚠ lines (the incident column says the rest).
            lines.append(self.publication_consent(obj))
        if obj.erased_at or obj.closed_at:
            lines.append(self.erasure(obj))
        return (
            format_html_join(mark_safe("<br>"), "{}", ((line,) for line in lines if line != "—"))
            or "—"
        )

    @admin.display(description=_("replies"), ordering="-unread_replies")
    def replies(self, obj):
        count = getattr(obj, "unread_replies", 0)
        if not count:
            return "—"
        return format_html(
            '<strong class="unread">✉ {}</strong>',
            ngettext("%d unread", "%d unread", count) % count,
        )

    def can_converse(self, request, obj=None) -> bool:
        """Who reads and writes the conversation: staff who may change complaints (editors
        read complaints without the reporter's contacts, and without their messages)."""
        return request.user.has_perm("hotline.change_complaint")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        complaint = self.get_object(request, object_id) if str(object_id).isdigit() else None
        if (
            complaint is not None
            and request.method == "GET"
            and self.can_converse(request, complaint)
        ):
            # Read now, by this staff member: still marked "new" on this page only.
            newly_read = inbox.case_replies_read(complaint=complaint, user=request.user)
            extra_context["conversation"] = {
                "messages": complaint.messages.select_related("author", "read_by")
                .prefetch_related("attachments")
                .all(),
                "newly_read": set(newly_read),
                "write_url": reverse("admin:hotline_complaint_message", args=[complaint.pk]),
                "can_write": complaint.erased_at is None,
            }
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description=_("incident"))
    def incident_link(self, obj):
        if obj.incident_id:
            return format_html(
                '<a href="{}">{}</a>',
                reverse("admin:incidents_incident_change", args=[obj.incident_id]),
                obj.incident.get_status_display(),
            )
        if obj.pk and not obj.consent_publish:
            return format_html(
                '<span class="no-consent">{}</span>', _("not to be published: no consent")
            )
        if obj.pk:
            return format_html(
                '<a href="{}">{}</a>',
                reverse("admin:hotline_complaint_draft", args=[obj.pk]),
                _("Create incident draft"),
            )
        return "—"

    @admin.display(description=_("publication"), boolean=False, ordering="consent_publish")
    def publication_consent(self, obj):
        erasure = ""
        if obj.erasure_requested_at and obj.erased_at is None:
            erasure = format_html(
                '<br><strong class="no-consent">⚠ {}</strong>',
                _("erasure requested %(date)s")
                % {"date": timezone.localtime(obj.erasure_requested_at).strftime("%d.%m.%Y %H:%M")},
            )
        return format_html("{}{}", self._publication_consent(obj), erasure)

    def _publication_consent(self, obj):
        if obj.consent_withdrawn_at:
            return format_html(
                '<strong class="no-consent">⚠ {}</strong>',
                _("consent withdrawn %(date)s")
                % {"date": timezone.localtime(obj.consent_withdrawn_at).strftime("%d.%m.%Y %H:%M")},
            )
        if not obj.consent_publish:
            return format_html('<span class="no-consent">✗ {}</span>', _("no consent"))
        if obj.name_withheld:
            return format_html("✓ {}", _("agreed, without the name"))
        return format_html("✓ {}", _("agreed"))

    @admin.display(description=_("what the reporter is told"))
    def reporter_mail_preview(self, obj):
        """The mail each next status would send, rendered by the code that sends it."""
        if not obj.pk:
            return "—"
        parts = []
        for status in sorted(obj.TRANSITIONS.get(obj.status, ())):
            notification = outbox.complainant_notification(obj, status=status)
            if notification is None:
                continue
            subject, text, _html = notifications.render_complainant_email(notification)
            parts.append(
                format_html(
                    '<div class="mail-preview"><p><strong>{}</strong></p>'
                    "<p>{}: {}</p><pre>{}</pre></div>",
                    _("If moved to “%(status)s”") % {"status": Complaint.Status(status).label},
                    _("Subject"),
                    subject,
                    text,
                )
            )
        links = format_html(
            '<p><a class="button" href="{}">{}</a></p>',
            reverse("admin:hotline_complaint_message", args=[obj.pk]),
            _("Message to the reporter (with a preview)"),
        )
        if not obj.email:
            return format_html(
                "<p>{}</p>{}", _("The reporter gave no e-mail: nothing is mailed."), links
            )
        if not parts:
            return format_html("<p>{}</p>{}", _("No status from here mails the reporter."), links)
        return format_html("{}{}", format_html_join("", "{}", ((p,) for p in parts)), links)

    def reporter_mail_previews(self, queryset, status):
        previews = []
        for complaint in queryset:
            if not complaint.can_move_to(status):
                continue
            notification = outbox.complainant_notification(complaint, status=status)
            if notification is not None:
                subject, text, _html = notifications.render_complainant_email(notification)
                previews.append({"item": complaint, "subject": subject, "text": text})
        return previews

    def get_urls(self):
        urls = [
            path(
                "<int:object_id>/draft/",
                self.admin_site.admin_view(self.draft_view),
                name="hotline_complaint_draft",
            ),
            path(
                "<int:object_id>/message/",
                self.admin_site.admin_view(self.message_view),
                name="hotline_complaint_message",
            ),
        ]
        return urls + super().get_urls()

    def draft_view(self, request, object_id):
        """Confirm, then make the incident draft; or say why there can be none."""
        if not self.has_create_incident_permission(request):
            raise PermissionDenied
        complaint = self.get_visible_or_404(request, object_id)
        refusal = (
            publication.incident_draft_refusal(complaint) if not complaint.incident_id else None
        )
        if request.method == "POST" and refusal is None:
            incident = publication.incident_draft_from_complaint(
                complaint=complaint, user=request.user
            )
            return HttpResponseRedirect(
                reverse("admin:incidents_incident_change", args=[incident.pk])
            )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Incident draft from %(complaint)s") % {"complaint": complaint},
            "opts": self.model._meta,
            "original": complaint,
            "refusal": refusal,
        }
        return TemplateResponse(request, "admin/hotline/complaint_draft.html", context)

    def message_view(self, request, object_id):
        """Write to the reporter's case inbox: preview exactly what they will see and be
        mailed, then send. If someone else wrote meanwhile, their message is shown first."""
        complaint = self.get_visible_or_404(request, object_id)
        if not self.has_change_permission(request, complaint):
            raise PermissionDenied
        newest = complaint.messages.order_by("-pk").values_list("pk", flat=True).first() or 0
        form = CaseMessageForm(request.POST or None, initial={"seen": newest})
        preview, newer = None, []
        if request.method == "POST" and form.is_valid():
            text = form.cleaned_data["text"]
            seen = form.cleaned_data["seen"] or 0
            newer = list(complaint.messages.filter(pk__gt=seen).select_related("author"))
            if "send" in request.POST and not newer:
                try:
                    inbox.case_message_send(complaint=complaint, text=text, author=request.user)
                except desk.OutsideDeskError as error:
                    self.message_user(request, str(error), messages.ERROR)
                    return HttpResponseRedirect(reverse("admin:hotline_complaint_changelist"))
                self.message_user(
                    request,
                    _("The message is in the reporter's case inbox")
                    + (_(" and they were e-mailed that it is there.") if complaint.email else "."),
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(
                    reverse("admin:hotline_complaint_change", args=[complaint.pk])
                )
            # Preview (again): what the reporter will see, and the mail that tells them.
            form = CaseMessageForm(initial={"text": text, "seen": newest})
            draft = CaseMessage(complaint=complaint, sender=CaseMessage.Sender.STAFF, text=text)
            notification = outbox.complainant_notification(complaint, message=draft)
            preview = {"text": text}
            if notification is not None:
                subject, body, _html = notifications.render_complainant_email(notification)
                preview.update(subject=subject, body=body)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Message to the reporter of %(complaint)s") % {"complaint": complaint},
            "opts": self.model._meta,
            "original": complaint,
            "form": form,
            "preview": preview,
            "newer": newer,
        }
        return TemplateResponse(request, "admin/hotline/case_message.html", context)

    def _set_priority(self, request, queryset, priority):
        count, outside = 0, 0
        for complaint in queryset:
            try:
                desk.complaint_set_priority(
                    complaint=complaint, priority=priority, user=request.user
                )
                count += 1
            except desk.OutsideDeskError:
                outside += 1
        self.tell_outside_desk(request, outside)
        self.message_user(
            request, ngettext("%d complaint updated.", "%d complaints updated.", count) % count
        )

    @admin.action(description=_("Set priority: high"), permissions=["change"])
    def set_priority_high(self, request, queryset):
        self._set_priority(request, queryset, Complaint.Priority.HIGH)

    @admin.action(description=_("Set priority: urgent"), permissions=["change"])
    def set_priority_urgent(self, request, queryset):
        self._set_priority(request, queryset, Complaint.Priority.URGENT)

    @admin.action(description=_("Create incident draft"), permissions=["create_incident"])
    def create_incident_draft(self, request, queryset):
        for complaint in queryset.select_related("category", "region"):
            try:
                incident = publication.incident_draft_from_complaint(
                    complaint=complaint, user=request.user
                )
            except (triage.TransitionError, desk.OutsideDeskError) as error:
                self.message_user(request, f"{complaint}: {error}", messages.WARNING)
                continue
            self.message_user(
                request,
                format_html(
                    '{} <a href="{}">{}</a>',
                    _("Incident draft ready:"),
                    reverse("admin:incidents_incident_change", args=[incident.pk]),
                    incident.title,
                ),
                messages.SUCCESS,
            )

    @admin.action(
        description=_("Erase the personal data now (the reporter asked)"), permissions=["erase"]
    )
    def erase_now(self, request, queryset):
        erased = sum(retention.erase_complaint(complaint=c) for c in queryset)
        self.message_user(
            request,
            ngettext(
                "%d complaint erased: its statement, contacts, messages and files are gone.",
                "%d complaints erased: their statements, contacts, messages and files are gone.",
                erased,
            )
            % erased,
            messages.SUCCESS,
        )

    def has_erase_permission(self, request):
        return request.user.has_perm("hotline.delete_complaint")

    def has_create_incident_permission(self, request):
        # Editors write incidents; they read complaints without the reporter's contacts.
        return request.user.has_perm("incidents.add_incident") and request.user.has_perm(
            "hotline.view_complaint"
        )


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Read-only view of the outbox, with "send again" for rows that failed."""

    list_display = [
        "__str__",
        "status",
        "channel",
        "attempts",
        "short_error",
        "age",
        "sent_at",
        "item",
    ]
    list_filter = ["status", "channel", "kind"]
    list_select_related = ["complaint", "callback"]
    readonly_fields = [
        "kind",
        "channel",
        "complaint",
        "callback",
        "status",
        "attempts",
        "last_error",
        "next_attempt_at",
        "created_at",
        "sent_at",
    ]
    exclude = ["payload"]
    actions = ["send_again"]

    def get_queryset(self, request):
        # What a row is about is on the member's desk, or the row is not shown.
        return super().get_queryset(request).visible_to(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_resend_permission(self, request):
        return request.user.has_perm("hotline.view_notification") and request.user.is_staff

    @admin.display(description=_("last error"))
    def short_error(self, obj):
        return obj.last_error[:80]

    @admin.display(description=_("age"), ordering="created_at")
    def age(self, obj):
        return timesince(obj.created_at)

    @admin.display(description=_("about"))
    def item(self, obj):
        target = obj.complaint or obj.callback
        if target is None:
            return "—"
        return format_html('<a href="{}">{}</a>', target.get_absolute_url(), target)

    @admin.action(description=_("Send again"), permissions=["resend"])
    def send_again(self, request, queryset):
        count = outbox.resend(list(queryset.values_list("pk", flat=True)))
        self.message_user(
            request,
            ngettext("%d notification queued again.", "%d notifications queued again.", count)
            % count,
            messages.SUCCESS,
        )


@admin.register(AccessEvent)
class AccessEventAdmin(admin.ModelAdmin):
    """The access audit: superusers read it; no one adds, changes or deletes a row here."""

    list_display = ["created_at", "username", "action", "target", "item", "attachment_id"]
    list_filter = ["action", "target", ("user", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["=target_id", "=username"]
    date_hierarchy = "created_at"
    list_per_page = 100
    readonly_fields = [
        "created_at",
        "user",
        "username",
        "action",
        "target",
        "target_id",
        "attachment_id",
        "item_ids",
    ]

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("item"), ordering="target_id")
    def item(self, obj):
        if obj.target_id is None:
            return ngettext("%d item", "%d items", len(obj.item_ids)) % len(obj.item_ids)
        model = Complaint if obj.target == AccessEvent.Target.COMPLAINT else CallbackRequest
        return format_html(
            '<a href="{}">#{}</a>',
            reverse(f"admin:hotline_{model._meta.model_name}_change", args=[obj.target_id]),
            obj.target_id,
        )


class StaffProfileInline(admin.StackedInline):
    model = StaffProfile
    can_delete = False
    verbose_name_plural = _("notification settings")


admin.site.unregister(get_user_model())


class StaffDeskInline(admin.StackedInline):
    """The regions a regional representative works on (see models.desk_regions)."""

    model = StaffDesk
    can_delete = False
    verbose_name_plural = _("regional desk")

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "regions":
            kwargs["widget"] = forms.CheckboxSelectMultiple
        return super().formfield_for_manytomany(db_field, request, **kwargs)


@admin.register(get_user_model())
class StaffUserAdmin(NamedTitlesMixin, UserAdmin):
    inlines = [StaffProfileInline, StaffDeskInline]
    title_name = pgettext_lazy("accusative", "user")


admin.site.unregister(Group)


@admin.register(Group)
class StaffGroupAdmin(NamedTitlesMixin, GroupAdmin):
    title_name = pgettext_lazy("accusative", "group")


def _archive_state(archive: SourceArchive) -> str:
    """One line for staff: the copy held, or why there is none yet."""
    parts = [archive.get_status_display()]
    latest = next(iter(archive.copies.all()), None)  # newest first (Meta.ordering)
    if latest is not None:
        parts.append(
            ngettext(
                "%(count)d version, the latest of %(day)s",
                "%(count)d versions, the latest of %(day)s",
                latest.version,
            )
            % {
                "count": latest.version,
                "day": formats.date_format(
                    timezone.localtime(latest.fetched_at), "SHORT_DATE_FORMAT"
                ),
            }
        )
    if archive.link_dead_since:
        parts.append(_("the link is dead"))
    if archive.failure:
        parts.append(f"{archive.get_failure_display()}: {archive.error}")
    return " · ".join(str(part) for part in parts)


class ArchivedSourceLinkInline(SourceLinkInline):
    """The incident's sources with the state of IMI's copy of each page beside them."""

    readonly_fields = ["archived_copy"]

    def get_fields(self, request, obj=None):
        return [*super().get_fields(request, obj), "archived_copy"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("archive")
            .prefetch_related("archive__copies")
        )

    @admin.display(description=_("archived copy"))
    def archived_copy(self, obj):
        archive = getattr(obj, "archive", None) if obj.pk else None
        if archive is None:
            return "—"
        # Short, as the row has little room at 1280 px; the whole state in the title.
        latest = next(iter(archive.copies.all()), None)
        if latest is None:
            label = archive.get_failure_display() or archive.get_status_display()
        else:
            day = timezone.localtime(latest.fetched_at)
            label = f"{formats.date_format(day, 'SHORT_DATE_FORMAT')} · v{latest.version}"
        return format_html(
            '<a href="{}" title="{}">{}</a>',
            reverse("admin:hotline_sourcearchive_change", args=[archive.pk]),
            _archive_state(archive),
            label,
        )


class SourceCopyInline(admin.TabularInline):
    """The versions of one cited page, newest first; each opens through the audited view."""

    model = SourceCopy
    extra = 0
    can_delete = False
    view_on_site = False  # a copy opens through `open`, audited, never as a page
    fields = [
        "version",
        "open",  # first after the number: on a phone the table scrolls sideways
        "fetched_at",
        "checked_at",
        "status_code",
        "content_type",
        "size",
        "sha256",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("copy"))
    def open(self, obj):
        if not obj.pk:
            return "—"
        url = obj.get_absolute_url()
        links = [(url, _("download the file"))]
        if obj.text:
            links.append((f"{url}?as=text", _("read its text")))
        return format_html_join(mark_safe(" · "), '<a href="{}">{}</a>', links)


@admin.register(SourceArchive)
class SourceArchiveAdmin(admin.ModelAdmin):
    """IMI's copies of the pages incidents cite (issue 31): read-only, written by the fetcher
    (hotline.services.sources); staff may ask for a failed or refused one to be tried again."""

    list_display = ["url", "incident", "status", "checked_at", "failure", "next_try_at"]
    list_filter = ["status", "failure"]
    search_fields = ["url", "source__incident__title"]
    list_select_related = ["source__incident"]
    fields = [
        "incident",
        "url",
        "status",
        "state",
        "checked_at",
        "tried_at",
        "attempts",
        "next_try_at",
        "failure",
        "error",
        "link_dead_since",
    ]
    readonly_fields = fields
    inlines = [SourceCopyInline]
    actions = ["try_again"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("copies")

    @admin.display(description=_("incident"))
    def incident(self, obj):
        incident = obj.source.incident
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:incidents_incident_change", args=[incident.pk]),
            incident,
        )

    @admin.display(description=_("copy"))
    def state(self, obj):
        return _archive_state(obj)

    @admin.action(description=_("Try to copy the selected sources again now"), permissions=["view"])
    def try_again(self, request, queryset):
        count = sources.try_again(ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(
            request,
            ngettext("%d source will be fetched again.", "%d sources will be fetched again.", count)
            % count,
            messages.SUCCESS,
        )


class StatementIncidentAdmin(IncidentAdmin):
    """The incident editor, with the reporter's statement beside it when the incident was
    made from a complaint: for reference, read-only, never copied into the article. After a
    save or a publish action the complaint's status follows the incident's visibility."""

    inlines = [
        ArchivedSourceLinkInline if inline is SourceLinkInline else inline
        for inline in IncidentAdmin.inlines
    ]

    def get_fieldsets(self, request, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        if self._complaint(request, obj) is not None:
            fieldsets.insert(
                1,
                (
                    _("The reporter's statement (for reference only, never published)"),
                    {"fields": ["reporter_statement"], "classes": ["reporter-statement"]},
                ),
            )
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if self._complaint(request, obj) is not None:
            readonly.append("reporter_statement")
        return readonly

    def _complaint(self, request, obj):
        if obj is None or not request.user.has_perm("hotline.view_complaint"):
            return None
        return Complaint.objects.visible_to(request.user).filter(incident_id=obj.pk).first()

    @admin.display(description=_("statement"))
    def reporter_statement(self, obj):
        complaint = Complaint.objects.filter(incident_id=obj.pk).first()
        if complaint is None:
            return "—"
        if complaint.for_someone_else and complaint.name_withheld:
            wish = _(
                "Reported for someone else, who did not agree to be named: publication WITHOUT"
                " their name or outlet, and never the reporter's."
            )
        elif complaint.for_someone_else:
            wish = _(
                "Reported for someone else, who agreed to be named; the reporter is never named."
            )
        elif complaint.anonymous:
            wish = _("The reporter agreed to publication WITHOUT their name or outlet.")
        else:
            wish = _("The reporter agreed to publication and may be named.")
        if not complaint.consent_publish:
            wish = _(
                "The reporter did NOT agree to publication: this incident cannot be published."
            )
        return format_html(
            '<p class="consent-wish"><strong>{}</strong></p>'
            '<blockquote class="statement">{}</blockquote><p><a href="{}">{}</a></p>',
            wish,
            complaint.description,
            complaint.get_absolute_url(),
            complaint,
        )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        transaction.on_commit(publication.complaint_publication_sync)

    @admin.action(description=IncidentAdmin.publish.short_description, permissions=["change"])
    def publish(self, request, queryset):
        super().publish(request, queryset)
        transaction.on_commit(publication.complaint_publication_sync)

    @admin.action(description=IncidentAdmin.unpublish.short_description, permissions=["change"])
    def unpublish(self, request, queryset):
        super().unpublish(request, queryset)
        transaction.on_commit(publication.complaint_publication_sync)


admin.site.unregister(Incident)
admin.site.register(Incident, StatementIncidentAdmin)
