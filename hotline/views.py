import datetime
import functools
import hashlib
import logging
import secrets
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import admin, messages
from django.db import DatabaseError
from django.http import Http404, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, translate_url
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django.views.generic import FormView, TemplateView
from django_ratelimit.core import get_usage, is_ratelimited

from incidents.models import Incident, current_language

from . import selectors, tracking
from .audit import record_access
from .forms import (
    CallbackRequestForm,
    CaseReplyForm,
    CodeCheckForm,
    ComplaintForm,
    TrackingForm,
)
from .models import AccessEvent, Attachment, CallbackRequest, Complaint, SourceCopy
from .services import consent, inbox, intake
from .vault import cipher
from .vault.evidence import MAX_FILE_SIZE, MAX_FILES

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
        callback = intake.callback_request_submit(
            data=data,
            language=current_language(),
            submission_key=form.cleaned_data["submission_key"],
        )
        # The thank-you page reads the request itself (its time, its number: nothing personal
        # copied into the session); "repeated" when this number's earlier request was returned.
        self.request.session[CALLBACK_SESSION_KEY] = {
            "id": callback.pk,
            "repeated": callback.submission_key != form.cleaned_data["submission_key"],
        }
        return redirect(self.success_url_name)


CALLBACK_SESSION_KEY = "callback"


def noindex(view):
    """Thank-you, case and evidence pages stay out of search engines (robots.txt says so
    too); the forms themselves, and the page that takes a tracking code, are meant to be found
    (a reporter on a new phone searches for the way back to their case)."""

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
        held = self.request.session.get(CALLBACK_SESSION_KEY)
        callback = selectors.callback_of_session(held.get("id")) if isinstance(held, dict) else None
        # "Any time" is no time: the page then says within how many minutes to expect the call.
        context["preferred_time"] = (
            callback.get_preferred_time_display()
            if callback and callback.preferred_time != CallbackRequest.PreferredTime.ANY
            else None
        )
        context["within_minutes"] = settings.CALLBACK_ESCALATION_MINUTES
        context["callback"] = callback
        context["repeated"] = bool(callback and held.get("repeated"))
        return context


HOLDER_SESSION_KEY = "evidence_holder"


def _holder(request, *, create: bool = False) -> str | None:
    """Who holds files: a hash of a random token in this visitor's session (the database
    never sees the token itself, nor anything about the visitor)."""
    token = request.session.get(HOLDER_SESSION_KEY)
    if token is None and create:
        token = request.session[HOLDER_SESSION_KEY] = secrets.token_urlsafe(24)
    return hashlib.sha256(token.encode()).hexdigest() if token else None


_csrf = CsrfViewMiddleware(lambda request: None)


@csrf_exempt  # checked below: a refused token must never keep a person on the page
@require_POST
def quick_exit(request):
    """ "Leave this site quickly" (every hotline page): what this browser's session held (a
    tracking code shown, an open case inbox, files kept from a form) is forgotten, and the
    browser is sent to a neutral page. With JavaScript the page sends this in the background
    and replaces itself there, so the hotline page is not left in the history; without, this
    answers with the redirect. Nothing is forgotten for a post without this site's token."""
    if _csrf.process_view(request, None, (), {}) is None:
        intake.held_files_discard(_holder(request))
        request.session.flush()
    response = HttpResponseRedirect(settings.QUICK_EXIT_URL, status=303)
    response["Clear-Site-Data"] = '"cache"'
    return response


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
            intake.held_file_remove(holder=_holder(request), token=request.POST["remove_held"])
            # Back to the form as typed, without judging it: the visitor is not done yet.
            return self.render_to_response(self.get_context_data(form=self.form_as_typed()))
        return super().accept(request, *args, **kwargs)

    def held_files(self):
        return intake.held_files_of(_holder(self.request))

    def limited(self, seconds_left: int):
        """The hourly limit was reached: everything typed comes back, and so does every file
        that passes its checks, held for this visitor as after a refused field; the banner
        names what was kept and what was not."""
        if self.request.FILES.getlist("attachments"):
            form = self.get_form()
            form.is_valid()  # the files' checks, as on any post (nothing is saved)
            self.files_outcome = self.hold_passed_files(form)
        return super().limited(seconds_left)

    def hold_passed_files(self, form) -> dict:
        """Files that passed their checks are kept for this visitor, so neither a wrong
        field, a refused file nor the hourly limit costs them the rest of their evidence. A
        refused file is never kept (the visitor sees which file and why), nor any of more
        files than the form takes (the visitor chooses which to send). Says which."""
        if form.has_error("attachments", code="too_many"):
            refused = _("More than %(max)d files: none was kept.") % {"max": MAX_FILES}
            return {"kept": [], "refused": [refused]}
        kept = getattr(form.fields["attachments"], "passed", None) or []
        if kept:
            intake.held_files_hold(holder=_holder(self.request, create=True), files=kept)
            form.held_files = self.held_files()
        return {
            "kept": [checked.name for checked in kept],
            "refused": list(form.errors.get("attachments", [])),
        }

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("files_outcome", getattr(self, "files_outcome", None))
        return context

    def form_as_typed(self):
        return self.get_form_class()(initial=self.request.POST.dict(), held_files=self.held_files())

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["held_files"] = self.held_files()
        return kwargs

    def form_invalid(self, form):
        self.hold_passed_files(form)
        return super().form_invalid(form)

    def submit(self, form):
        complaint, code = intake.complaint_submit(
            data=form.complaint_fields(),
            files=form.cleaned_data["attachments"],
            held=form.held_files,
            language=current_language(),
            submission_key=form.cleaned_data["submission_key"],
        )
        if code:
            # Shown on the next page until the reporter types it back (or for an hour).
            self.request.session[RECEIPT_SESSION_KEY] = {"code": code, "at": time.time()}
        if complaint.in_danger:
            # The thank-you page puts the hotline and "call me now" above everything.
            self.request.session[URGENT_SESSION_KEY] = {"id": complaint.pk, "at": time.time()}
        try:
            self.request.session.save()
        except DatabaseError:
            # The complaint is stored, its session is not (the database went away in between):
            # the receipt comes now, with the code, rather than "not sent" or a lost code.
            logger.exception(
                "complaint %s stored, its session not: receipt shown at once", complaint.pk
            )
            context = {
                "code": tracking.display(code) if code else None,
                "check_form": CodeCheckForm(),
            }
            if complaint.in_danger:
                context["urgent"] = complaint
            return render(self.request, "hotline/complaint_thanks.html", context)
        return redirect(self.success_url_name)


RECEIPT_SESSION_KEY = "complaint_code"
URGENT_SESSION_KEY = "complaint_urgent"
# How long the thank-you page keeps showing a code the reporter has not typed back.
RECEIPT_SECONDS = 60 * 60


def _receipt(request) -> str | None:
    held = request.session.get(RECEIPT_SESSION_KEY)
    if not isinstance(held, dict) or time.time() - held.get("at", 0) > RECEIPT_SECONDS:
        request.session.pop(RECEIPT_SESSION_KEY, None)
        return None
    return held["code"]


@method_decorator(noindex, name="dispatch")
@method_decorator(never_cache, name="dispatch")
class ComplaintThanksView(TemplateView):
    """The receipt: the code, a card to print or save, and a box to type the code back once,
    so the reporter proves to themselves they kept it before the page forgets it."""

    template_name = "hotline/complaint_thanks.html"

    def urgent(self):
        """The complaint just sent by someone not safe now (for an hour), or None."""
        held = self.request.session.get(URGENT_SESSION_KEY)
        if not isinstance(held, dict) or time.time() - held.get("at", 0) > RECEIPT_SECONDS:
            return None
        return selectors.urgent_complaint_of_session(held.get("id"))

    def post(self, request, *args, **kwargs):
        if request.POST.get("action") == "call_me":
            complaint = self.urgent()
            if complaint is not None and complaint.phone:
                callback = intake.complaint_call_me_now(complaint=complaint)
                request.session[URGENT_SESSION_KEY] = {
                    **request.session[URGENT_SESSION_KEY],
                    "callback": callback.pk,
                }
            return redirect("hotline:complaint-thanks")
        code = _receipt(request)
        if code is None:
            return self.get(request, *args, **kwargs)
        if request.POST.get("action") == "card":
            return self.card(code)
        form = CodeCheckForm(request.POST)
        if form.is_valid() and tracking.same(form.cleaned_data["typed"], code):
            request.session.pop(RECEIPT_SESSION_KEY, None)
            return self.render_to_response(self.get_context_data(confirmed=True))
        if form.is_valid():
            form.add_error(
                "typed",
                _("This is not the same code. Compare it sign by sign with the code above."),
            )
        return self.render_to_response(self.get_context_data(code=code, check_form=form))

    def card(self, code: str) -> HttpResponse:
        """The receipt as a plain-text file: nothing but the code and how to use it."""
        text = render(
            self.request,
            "hotline/receipt_card.txt",
            {
                "code": tracking.display(code),
                "track_url": self.request.build_absolute_uri(reverse("hotline:track")),
            },
        ).content
        response = HttpResponse(text, content_type="text/plain; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="imi-receipt.txt"'
        return response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if "code" not in context and not context.get("confirmed"):
            context["code"] = _receipt(self.request)
        if context.get("code"):
            context["code"] = tracking.display(context["code"])
            context.setdefault("check_form", CodeCheckForm())
        context["urgent"] = urgent = self.urgent()
        if urgent is not None:
            context["call_asked"] = bool(self.request.session[URGENT_SESSION_KEY].get("callback"))
        return context


CASE_SESSION_KEY = "case_inbox"
CASE_DRAFT_SESSION_KEY = "case_draft"


def _open_case(request, complaint: Complaint) -> None:
    # A new session key: whatever the session was before, it never carries a case over.
    request.session.cycle_key()
    request.session[CASE_SESSION_KEY] = {"id": complaint.pk, "seen": time.time()}


def _close_case(request) -> None:
    request.session.pop(CASE_SESSION_KEY, None)
    request.session.pop(CASE_DRAFT_SESSION_KEY, None)
    request.session.cycle_key()


def _case(request) -> tuple[Complaint | None, bool]:
    """The complaint this session opened with its code, and whether a case had been open
    but ended (idle too long). Each use counts as activity."""
    held = request.session.get(CASE_SESSION_KEY)
    if not isinstance(held, dict):
        return None, False
    if time.time() - held.get("seen", 0) > settings.CASE_INBOX_IDLE_MINUTES * 60:
        _close_case(request)
        return None, True
    complaint = Complaint.objects.select_related("incident").filter(pk=held.get("id")).first()
    if complaint is None:
        _close_case(request)
        return None, True
    held["seen"] = time.time()
    request.session[CASE_SESSION_KEY] = held
    return complaint, False


def _track_limited(request, kind: str, code: str) -> bool:
    """Count one try of a tracking code against its limits; True once one is exceeded."""
    if kind == "old":
        return _rate_limited(request, group="track-old", rate=settings.RATE_LIMIT_TRACK_OLD)
    # Both counters move on every wrong code (no short-circuit): a guesser pays for each.
    by_address = _rate_limited(request, group="track", rate=settings.RATE_LIMIT_TRACK)
    prefix = hashlib.sha256(code[:4].encode()).hexdigest()[:16]
    by_prefix = is_ratelimited(
        request,
        group="track-prefix",
        key=lambda _group, _request: prefix,
        rate=settings.RATE_LIMIT_TRACK_PREFIX,
        method="POST",
        increment=True,
    )
    return by_address or by_prefix


@method_decorator(never_cache, name="dispatch")
class TrackView(FormView):
    """Opening a case by its code. POST, so the code stays out of URLs and logs; a wrong
    code and an unknown one get the same answer, and tries are rate-limited."""

    template_name = "hotline/track.html"
    form_class = TrackingForm

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        draft = self.request.session.get(CASE_DRAFT_SESSION_KEY)
        if draft:
            context["pending_reply"] = draft
        return context

    def form_invalid(self, form):
        # Not a code at all: counted like a wrong one, per address.
        if _rate_limited(self.request, group="track", rate=settings.RATE_LIMIT_TRACK):
            return render(self.request, "hotline/rate_limited.html", status=429)
        return super().form_invalid(form)

    def form_valid(self, form):
        """The right code always opens its case, whoever else shares the connection: only
        wrong codes count, per address (RATE_LIMIT_TRACK) and, across all addresses, per the
        code's first four symbols (RATE_LIMIT_TRACK_PREFIX), so neither a neighbour's
        guesses nor a guesser's many addresses lock the reporter out or gain anything.
        Codes of the first, shorter kind (60 bits) count every try, stricter
        (RATE_LIMIT_TRACK_OLD): past it, not even the right one is looked up."""
        code = tracking.normalise(form.cleaned_data["code"])
        if len(code) < tracking.LENGTH and _track_limited(self.request, "old", code):
            return render(self.request, "hotline/rate_limited.html", status=429)
        complaint = intake.complaint_find_by_code(code)
        if complaint is None:
            if _track_limited(self.request, "wrong", code):
                return render(
                    self.request, "hotline/rate_limited.html", {"wrong_code": True}, status=429
                )
            context = {"form": TrackingForm(), "looked_up": True}
            return self.render_to_response(self.get_context_data(**context))
        draft = self.request.session.get(CASE_DRAFT_SESSION_KEY)
        _open_case(self.request, complaint)
        if draft:
            self.request.session[CASE_DRAFT_SESSION_KEY] = draft
        # The inbox speaks the reporter's language, whatever page they came from.
        return redirect(translate_url(reverse("hotline:case"), complaint.language))


@method_decorator(noindex, name="dispatch")
@method_decorator(never_cache, name="dispatch")
class CaseView(TemplateView):
    """The reporter's case inbox: history, conversation, reply with evidence, withdrawing
    consent, asking for erasure. Only for the session that typed the code, for 15 idle
    minutes; "Leave" ends it at once. Never cached anywhere (no-store)."""

    template_name = "hotline/case.html"

    def get(self, request, *args, **kwargs):
        complaint, ended = _case(request)
        if complaint is None:
            return self.ended(ended)
        inbox.case_messages_seen(complaint=complaint)
        draft = request.session.pop(CASE_DRAFT_SESSION_KEY, "")
        held = intake.held_files_of(_holder(request))
        initial = {"text": draft} if draft else {}
        form = CaseReplyForm(initial=initial, held_files=held)
        return self.show(complaint, reply_form=form, draft_restored=bool(draft))

    def ended(self, ended: bool, *, draft: str = ""):
        """No open case: back to the code, keeping an unsent reply's words."""
        if draft:
            self.request.session[CASE_DRAFT_SESSION_KEY] = draft
        if ended or draft:
            messages.warning(
                self.request,
                _(
                    "For your safety your case closed after %(minutes)d minutes without activity."
                    " Enter your code again to continue."
                )
                % {"minutes": settings.CASE_INBOX_IDLE_MINUTES}
                + (" " + _("Your reply was not sent yet: it is kept for you.") if draft else ""),
            )
        return redirect("hotline:track")

    def post(self, request, *args, **kwargs):
        action = request.POST.get("action", "reply")
        if action == "leave":
            _close_case(request)
            messages.success(request, _("You left your case. Nothing of it stays on this page."))
            return redirect("hotline:track")
        complaint, ended = _case(request)
        if complaint is None:
            if request.FILES:
                messages.warning(
                    request,
                    _(
                        "The files you attached could not be kept: attach them again before"
                        " you send."
                    ),
                )
            return self.ended(True, draft=(request.POST.get("text") or "")[:5000])
        if action == "withdraw_consent":
            return self.withdraw_consent(complaint)
        if action == "erase":
            return self.request_erasure(complaint)
        return self.reply(complaint)

    def reply(self, complaint):
        if complaint.erased_at is not None:
            return redirect("hotline:case")
        holder = _holder(self.request)
        if "remove_held" in self.request.POST:
            intake.held_file_remove(holder=holder, token=self.request.POST["remove_held"])
            typed = {"text": self.request.POST.get("text", "")}
            form = CaseReplyForm(initial=typed, held_files=intake.held_files_of(holder))
            return self.show(complaint, reply_form=form)
        form = CaseReplyForm(
            self.request.POST, self.request.FILES, held_files=intake.held_files_of(holder)
        )
        if not form.is_valid():
            return self.show(complaint, reply_form=form, status=400)
        if _rate_limited(
            self.request,
            group=f"case-reply-{complaint.pk}",
            rate=settings.RATE_LIMIT_REPLY,
        ):
            return self.show(
                complaint,
                reply_form=CaseReplyForm(initial={"text": form.cleaned_data["text"]}),
                status=429,
                reply_limited=True,
            )
        try:
            inbox.case_reply(
                complaint=complaint,
                text=form.cleaned_data["text"],
                files=form.cleaned_data["attachments"],
                held=form.held_files,
                submission_key=form.cleaned_data["submission_key"],
            )
        except inbox.InboxClosed:
            return redirect("hotline:case")
        messages.success(self.request, _("Sent. IMI staff have been told there is a reply."))
        return redirect(f"{reverse('hotline:case')}#conversation-end")

    def withdraw_consent(self, complaint):
        if not self.request.POST.get("confirm"):
            return self.show(
                complaint,
                withdraw_error=_("Tick the box to confirm that you withdraw your consent."),
                status=400,
            )
        try:
            consent.complaint_withdraw_consent(complaint=complaint)
        except consent.ConsentError:
            return self.show(
                complaint,
                withdraw_error=_(
                    "Your story is already published: call the hotline and we will help."
                ),
                status=409,
            )
        messages.success(
            self.request,
            _(
                "Done: you withdrew your consent. IMI will not publish your story, and the staff"
                " have been told."
            ),
        )
        return redirect(f"{reverse('hotline:case')}#publication-consent")

    def request_erasure(self, complaint):
        if not self.request.POST.get("confirm"):
            return self.show(
                complaint,
                erase_error=_("Tick the box to confirm that you want your data erased."),
                status=400,
            )
        consent.complaint_request_erasure(complaint=complaint)
        messages.success(
            self.request,
            _(
                "Your request is recorded. IMI staff will erase your personal data and keep only"
                " what the law requires."
            ),
        )
        return redirect(f"{reverse('hotline:case')}#erasure")

    def show(self, complaint, *, status: int = 200, **extra):
        context = self.get_context_data(
            complaint=complaint,
            history=selectors.case_history(complaint),
            conversation=selectors.case_conversation(complaint),
            files=selectors.case_files(complaint),
            idle_minutes=settings.CASE_INBOX_IDLE_MINUTES,
            **extra,
        )
        if "reply_form" not in context:
            held = intake.held_files_of(_holder(self.request))
            context["reply_form"] = CaseReplyForm(held_files=held)
        return self.render_to_response(context, status=status)


def _record_download(user, attachment, *, refused: str = "") -> None:
    """The access audit row and the log line of a download, served or refused (ids only)."""
    record_access(
        user=user,
        action=AccessEvent.Action.REFUSED if refused else AccessEvent.Action.DOWNLOAD,
        model=Complaint,
        target_id=attachment.complaint_id,
        attachment_id=attachment.pk,
    )
    access_log.log(
        logging.ERROR if refused else logging.INFO,
        "attachment download%s: user=%s attachment=%s complaint=%s%s",
        " refused" if refused else "",
        user.pk,
        attachment.pk,
        attachment.complaint_id,
        f" reason={refused}" if refused else "",
    )


@noindex
def attachment_download(request, pk: int):
    """Evidence, streamed to staff allowed to see it; 404 for everyone else."""
    user = request.user
    # admin.site.has_permission: an active staff member whose sign-in had its second factor.
    if not (admin.site.has_permission(request) and user.has_perm("hotline.view_attachment")):
        raise Http404
    attachment = get_object_or_404(Attachment, pk=pk)
    if not Complaint.objects.visible_to(user).filter(pk=attachment.complaint_id).exists():
        # Another region's evidence: the answer for a file that does not exist, audited.
        record_access(
            user=user,
            action=AccessEvent.Action.OUTSIDE_DESK,
            model=Complaint,
            target_id=attachment.complaint_id,
            attachment_id=attachment.pk,
        )
        access_log.warning(
            "attachment download refused, not on the desk: user=%s attachment=%s complaint=%s",
            user.pk,
            attachment.pk,
            attachment.complaint_id,
        )
        raise Http404
    try:
        # The whole file is decrypted and checked against the SHA-256 recorded at receipt
        # before one byte is sent: a changed file, or the wrong key, serves nothing.
        plaintext = cipher.open_verified(
            attachment.file, attachment.lock, sha256=attachment.sha256, size=attachment.size
        )
    except cipher.VaultError as error:
        _record_download(user, attachment, refused=type(error).__name__)
        response = render(
            request,
            "admin/hotline/evidence_refused.html",
            {"attachment": attachment, "reason": str(error), "title": _("Evidence not served")},
            status=409,
        )
        response["Cache-Control"] = "private, no-store"
        return response
    _record_download(user, attachment)
    # Never on disk: decrypted chunk by chunk, in memory (see cipher.open_verified).
    response = StreamingHttpResponse(
        plaintext,
        content_type=attachment.content_type,
    )
    response["Content-Length"] = str(attachment.size)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=attachment.original_name
    )
    response["Content-Security-Policy"] = "sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


def _record_copy_access(user, copy, *, refused: str = "") -> None:
    """An archived copy opened (or refused), audited as evidence downloads are: the
    incident's id as the item, the copy's among the items."""
    record_access(
        user=user,
        action=AccessEvent.Action.REFUSED if refused else AccessEvent.Action.SOURCE_COPY,
        model=Incident,
        target_id=copy.archive.source.incident_id,
        item_ids=[copy.pk],
    )
    access_log.log(
        logging.ERROR if refused else logging.INFO,
        "source copy%s: user=%s copy=%s incident=%s%s",
        " refused" if refused else "",
        user.pk,
        copy.pk,
        copy.archive.source.incident_id,
        f" reason={refused}" if refused else "",
    )


@noindex
def source_copy_download(request, pk: int):
    """An archived copy of a cited page, for staff allowed to see it (404 for everyone
    else): the file as fetched, always as a download (a fetched page never runs on this
    site's origin), or with ?as=text its text as plain text, sandboxed."""
    user = request.user
    if not (admin.site.has_permission(request) and user.has_perm("hotline.view_sourcecopy")):
        raise Http404
    copy = get_object_or_404(SourceCopy.objects.select_related("archive__source"), pk=pk)
    as_text = request.GET.get("as") == "text"
    try:
        # Checked whole against the SHA-256 taken when it was fetched before a byte is sent.
        body = cipher.open_verified(copy.file, copy.lock, sha256=copy.sha256, size=copy.size)
    except cipher.VaultError as error:
        _record_copy_access(user, copy, refused=type(error).__name__)
        response = HttpResponse(
            _("This archived copy was not served: it failed its integrity check. %(reason)s")
            % {"reason": error},
            content_type="text/plain; charset=utf-8",
            status=409,
        )
        response["Cache-Control"] = "private, no-store"
        return response
    _record_copy_access(user, copy)
    if as_text:
        response = HttpResponse(copy.text, content_type="text/plain; charset=utf-8")
    else:
        response = StreamingHttpResponse(body, content_type="application/octet-stream")
        response["Content-Length"] = str(copy.size)
        response["Content-Disposition"] = content_disposition_header(
            as_attachment=True, filename=copy_file_name(copy)
        )
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def copy_file_name(copy) -> str:
    """host-v2-2026-12-07.html: what the copy is, without the page's own name."""
    host = (urlsplit(copy.url).hostname or "source").replace(":", "_")
    kind = copy.content_type.split(";", 1)[0].strip().lower()
    ext = {
        "text/html": ".html",
        "application/xhtml+xml": ".html",
        "application/pdf": ".pdf",
        "text/plain": ".txt",
        "image/jpeg": ".jpg",
        "image/png": ".png",
    }.get(kind, ".bin")
    return f"{host}-v{copy.version}-{copy.fetched_at:%Y-%m-%d}{ext}"


class PrivacyView(TemplateView):
    """The privacy notice, with the retention periods this instance is configured with."""

    template_name = "privacy.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["callback_days"] = settings.RETENTION_CALLBACK_DAYS
        context["complaint_days"] = settings.RETENTION_COMPLAINT_DAYS
        return context
