import datetime
import functools
import hashlib
import logging
import secrets

from django.conf import settings
from django.contrib import admin, messages
from django.db import DatabaseError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.generic import FormView, TemplateView
from django_ratelimit.core import get_usage, is_ratelimited

from incidents.models import current_language

from . import services
from .audit import record_access
from .evidence import MAX_FILE_SIZE, MAX_FILES
from .forms import CallbackRequestForm, ComplaintForm, TrackingForm
from .models import AccessEvent, Attachment, CallbackRequest, Complaint

access_log = logging.getLogger("hotline.access")
logger = logging.getLogger(__name__)

# Whole-request cap for the complaint form: the files plus room for the text fields.
MAX_COMPLAINT_REQUEST_BYTES = MAX_FILES * MAX_FILE_SIZE + 1024 * 1024


def _rate_limited(request, group: str, rate: str) -> bool:
    # The cache key is a hash of the client address; no address reaches the database.
    return is_ratelimited(request, group=group, key="ip", rate=rate, method="POST", increment=True)


def _limit_usage(request, group: str, rate: str, *, increment: bool) -> dict:
    """How far this client is into the limit (the cache fails over to local memory, so this
    answers even while Redis is down)."""
    return get_usage(request, group=group, key="ip", rate=rate, method="POST", increment=increment)


@method_decorator(never_cache, name="dispatch")
class IntakeView(FormView):
    """POST → redirect → thank-you, with a honeypot, rate limits and double-submit safety.

    Only accepted submissions count toward the limit (RATE_LIMIT_CALLBACK / _COMPLAINT): a
    frightened person who gets the form wrong is never locked out by their own mistakes.
    Refused posts count toward a separate, much higher limit (RATE_LIMIT_REFUSED) against
    floods. When a limit is reached, the form comes back with everything typed, says when
    it can be sent, and offers the hotline.
    """

    rate_setting = "RATE_LIMIT_CALLBACK"
    success_url_name = ""

    @property
    def limit_group(self) -> str:
        return f"intake-{self.__class__.__name__}"

    def _limits(self):
        return [
            (self.limit_group, getattr(settings, self.rate_setting)),
            (f"{self.limit_group}-refused", settings.RATE_LIMIT_REFUSED),
        ]

    # What the "not sent" page shows to copy, besides re-posting everything as it was.
    main_text_fields = ("message",)

    def post(self, request, *args, **kwargs):
        try:
            for group, rate in self._limits():
                usage = _limit_usage(request, group, rate, increment=False)
                if usage and usage["count"] >= usage["limit"]:
                    return self.limited(usage["time_left"])
            return self.accept(request, *args, **kwargs)
        except DatabaseError:
            # The database went away mid-submission (a restart, a failover): nothing was
            # saved, since the submission is one transaction. Say so, keep every word, and
            # let the same post be sent again (its submission key makes a repeat harmless).
            logger.exception("intake: database unavailable, submission not saved")
            return self.not_sent()

    def accept(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)

    def not_sent(self):
        posted = [
            (name, value)
            for name, values in self.request.POST.lists()
            if name not in ("csrfmiddlewaretoken", "remove_held")
            for value in values
        ]
        context = {
            "posted": posted,
            "texts": [
                self.request.POST[name]
                for name in self.main_text_fields
                if self.request.POST.get(name)
            ],
            "form_url": self.request.path,
            # Nothing on this page may need the database (messages live in the session).
            "messages": [],
        }
        return render(self.request, "hotline/not_sent.html", context, status=503)

    def limited(self, seconds_left: int):
        context = self.get_context_data(
            form=self.form_as_typed(),
            limited_until=timezone.localtime() + datetime.timedelta(seconds=seconds_left),
        )
        return self.render_to_response(context, status=429)

    def form_as_typed(self):
        """The form with what was posted, unvalidated: the person sees their text, not
        errors."""
        return self.get_form_class()(initial=self.request.POST.dict())

    def form_invalid(self, form):
        _limit_usage(self.request, *self._limits()[1], increment=True)
        return super().form_invalid(form)

    def form_valid(self, form):
        if form.is_spam:
            return redirect(self.success_url_name)
        response = self.submit(form)
        _limit_usage(self.request, *self._limits()[0], increment=True)
        return response


class CallbackRequestView(IntakeView):
    template_name = "hotline/callbackrequest_form.html"
    form_class = CallbackRequestForm
    success_url_name = "hotline:callback-thanks"

    def submit(self, form):
        data = {
            name: form.cleaned_data[name]
            for name in ("name", "phone", "preferred_time", "topic", "message", "consent")
        }
        callback = services.callback_request_submit(
            data=data,
            language=current_language(),
            submission_key=form.cleaned_data["submission_key"],
        )
        self.request.session["callback_preferred_time"] = callback.preferred_time
        return redirect(self.success_url_name)


def noindex(view):
    """Thank-you, tracking and evidence pages stay out of search engines (robots.txt says so
    too); the forms themselves are meant to be found."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        response = view(*args, **kwargs)
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return wrapped


@method_decorator(noindex, name="dispatch")
@method_decorator(never_cache, name="dispatch")
class CallbackThanksView(TemplateView):
    template_name = "hotline/callback_thanks.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        preferred = self.request.session.get("callback_preferred_time")
        # "Any time" is no time: the page then says within how many minutes to expect the call.
        context["preferred_time"] = (
            CallbackRequest.PreferredTime(preferred).label
            if preferred in CallbackRequest.PreferredTime.values
            and preferred != CallbackRequest.PreferredTime.ANY
            else None
        )
        context["within_minutes"] = settings.CALLBACK_ESCALATION_MINUTES
        return context


HOLDER_SESSION_KEY = "evidence_holder"


def _holder(request, *, create: bool = False) -> str | None:
    """Who holds files: a hash of a random token in this visitor's session (the database
    never sees the token itself, nor anything about the visitor)."""
    token = request.session.get(HOLDER_SESSION_KEY)
    if token is None and create:
        token = request.session[HOLDER_SESSION_KEY] = secrets.token_urlsafe(24)
    return hashlib.sha256(token.encode()).hexdigest() if token else None


class ComplaintView(IntakeView):
    template_name = "hotline/complaint_form.html"
    form_class = ComplaintForm
    success_url_name = "hotline:complaint-thanks"
    rate_setting = "RATE_LIMIT_COMPLAINT"
    main_text_fields = ("description", "place", "links")

    def accept(self, request, *args, **kwargs):
        if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_COMPLAINT_REQUEST_BYTES:
            messages.error(
                request,
                _("The files together are too large: at most 5 files of 10 MB each."),
            )
            return self.render_to_response(self.get_context_data(), status=413)
        if "remove_held" in request.POST:
            services.held_file_remove(holder=_holder(request), token=request.POST["remove_held"])
            # Back to the form as typed, without judging it: the visitor is not done yet.
            return self.render_to_response(self.get_context_data(form=self.form_as_typed()))
        return super().accept(request, *args, **kwargs)

    def held_files(self):
        return services.held_files_of(_holder(self.request))

    def form_as_typed(self):
        return self.get_form_class()(initial=self.request.POST.dict(), held_files=self.held_files())

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["held_files"] = self.held_files()
        return kwargs

    def form_invalid(self, form):
        # Files that passed their checks are kept for this visitor, so a wrong field never
        # costs them their evidence. A refused file is never kept, nor are the others sent
        # with it (the visitor sees which file and why).
        checked = form.cleaned_data.get("attachments") if "attachments" not in form.errors else None
        if checked:
            services.held_files_hold(holder=_holder(self.request, create=True), files=checked)
            form.held_files = self.held_files()
        return super().form_invalid(form)

    def submit(self, form):
        data = {
            name: value
            for name, value in form.cleaned_data.items()
            if name not in ("attachments", "submission_key", form.honeypot_field)
        }
        complaint, code = services.complaint_submit(
            data=data,
            files=form.cleaned_data["attachments"],
            held=form.held_files,
            language=current_language(),
            submission_key=form.cleaned_data["submission_key"],
        )
        if code:
            # Shown once on the next page, then forgotten.
            self.request.session["complaint_code"] = code
        return redirect(self.success_url_name)


@method_decorator(noindex, name="dispatch")
@method_decorator(never_cache, name="dispatch")
class ComplaintThanksView(TemplateView):
    template_name = "hotline/complaint_thanks.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["code"] = self.request.session.pop("complaint_code", None)
        return context


@method_decorator(noindex, name="dispatch")
@method_decorator(never_cache, name="dispatch")
class TrackView(FormView):
    """Status of a complaint by its code. POST, so the code stays out of URLs and logs."""

    template_name = "hotline/track.html"
    form_class = TrackingForm

    def post(self, request, *args, **kwargs):
        if _rate_limited(request, group="track", rate=settings.RATE_LIMIT_TRACK):
            return render(request, "hotline/rate_limited.html", status=429)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        code = form.cleaned_data["code"]
        complaint = services.complaint_find_by_code(code)
        context = {"form": TrackingForm(), "complaint": complaint, "looked_up": True}
        if complaint is not None and self.request.POST.get("action") == "withdraw_consent":
            context.update(self._withdraw_consent(complaint))
            complaint = context["complaint"] = services.complaint_find_by_code(code)
        if complaint is not None:
            # Posted again with the withdrawal form, never placed in a URL.
            context["code"] = code
        # A wrong code and an unknown one get the same answer.
        return self.render_to_response(self.get_context_data(**context))

    def _withdraw_consent(self, complaint) -> dict:
        if not self.request.POST.get("confirm"):
            return {"withdraw_error": _("Tick the box to confirm that you withdraw your consent.")}
        try:
            services.complaint_withdraw_consent(complaint=complaint)
        except services.ConsentError:
            return {
                "withdraw_error": _(
                    "Your story is already published: call the hotline and we will help."
                )
            }
        return {"withdrawn_now": True}


@noindex
def attachment_download(request, pk: int):
    """Evidence, streamed to staff allowed to see it; 404 for everyone else."""
    user = request.user
    # admin.site.has_permission: an active staff member whose sign-in had its second factor.
    if not (admin.site.has_permission(request) and user.has_perm("hotline.view_attachment")):
        raise Http404
    attachment = get_object_or_404(Attachment, pk=pk)
    record_access(
        user=user,
        action=AccessEvent.Action.DOWNLOAD,
        model=Complaint,
        target_id=attachment.complaint_id,
        attachment_id=attachment.pk,
    )
    access_log.info(
        "attachment download: user=%s attachment=%s complaint=%s",
        user.pk,
        attachment.pk,
        attachment.complaint_id,
    )
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["Content-Security-Policy"] = "sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


class PrivacyView(TemplateView):
    """The privacy notice, with the retention periods this instance is configured with."""

    template_name = "privacy.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["callback_days"] = settings.RETENTION_CALLBACK_DAYS
        context["complaint_days"] = settings.RETENTION_COMPLAINT_DAYS
        return context
