"""The duty desk's actions: move an item's status (its timer through triage, who must be told
through the outbox), log a call attempt, set a priority, assign. Each refuses an item that
is not on the staff member's regional desk (ensure_on_desk), checked on the locked row."""

import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import (
    CallAttempt,
    CallbackRequest,
    Complaint,
    Note,
    Notification,
)
from . import triage
from .outbox import complainant_notification, notify_complainant, write_outbox
from .triage import TransitionError

logger = logging.getLogger(__name__)


class OutsideDeskError(Exception):
    """The item is not, or no longer, on this staff member's regional desk."""


def ensure_on_desk(obj, user) -> None:
    """In the caller's transaction: the item's row, locked, is on the user's desk
    (TriageQuerySet.visible_to). Its region may have changed since the page was opened:
    then nothing is written. No user: the system's own moves (jobs, the demo)."""
    if user is None:
        return
    found = (
        type(obj)
        .objects.visible_to(user)
        .select_for_update()
        .filter(pk=obj.pk)
        .values_list("pk", flat=True)
    )
    if not list(found):
        raise OutsideDeskError(
            _("%(item)s is not on your regional desk (its region may have changed).")
            % {"item": obj}
        )


def _move(obj, status: str, user=None):
    """A status change (triage.move) and the news it makes, in one transaction."""
    with transaction.atomic():
        ensure_on_desk(obj, user)
        if triage.move(obj, status, user):
            status_changed(obj)
    return obj


def complaint_change_status(*, complaint: Complaint, status: str, user=None) -> Complaint:
    return _move(complaint, status, user)


def callback_change_status(*, callback: CallbackRequest, status: str, user=None):
    return _move(callback, status, user)


def change_status(*, obj, status: str, user=None):
    """For code that handles both kinds alike (the admin's shared actions)."""
    if isinstance(obj, Complaint):
        return complaint_change_status(complaint=obj, status=status, user=user)
    return callback_change_status(callback=obj, status=status, user=user)


def complaint_set_priority(*, complaint: Complaint, priority: int, user=None) -> Complaint:
    """A new priority, with its history row (who and when)."""
    if complaint.priority == priority:
        return complaint
    with transaction.atomic():
        ensure_on_desk(complaint, user)
        complaint.priority = priority
        if user is not None:
            complaint._history_user = user
        complaint.save(update_fields=["priority", "updated_at"])
    return complaint


def callback_log_attempt(
    *, callback: CallbackRequest, outcome: str, user=None, call_again_at=None
) -> CallAttempt:
    """An operator called back: the attempt is recorded and the request moves on.

    Reached: called back. Wrong number: unreachable at once. No answer or busy: no answer,
    to call again at the time given (else within CALLBACK_RETRY_MINUTES); the
    MAX_UNANSWERED-th unanswered attempt makes it unreachable, with a note and a mail to the
    supervisor (ESCALATION_EMAILS). Asked to call later: no answer, due at that time.
    """
    outcome = CallAttempt.Outcome(outcome)
    with transaction.atomic():
        ensure_on_desk(callback, user)
        callback = CallbackRequest.objects.select_for_update().get(pk=callback.pk)
        if callback.erased_at is not None or callback.status in callback.FINISHED:
            raise TransitionError("the callback request is closed")
        attempt = CallAttempt.objects.create(
            callback=callback,
            outcome=outcome,
            call_again_at=call_again_at if outcome != CallAttempt.Outcome.REACHED else None,
            author=user,
        )
        unanswered = callback.call_attempts.filter(outcome__in=CallAttempt.UNANSWERED).count()
        callback.attempts = callback.call_attempts.count()
        callback.last_outcome = outcome
        callback.call_again_at = attempt.call_again_at
        status = CallbackRequest.Status
        if outcome == CallAttempt.Outcome.REACHED:
            target = status.CALLED_BACK
        elif outcome == CallAttempt.Outcome.WRONG_NUMBER or (
            outcome in CallAttempt.UNANSWERED and unanswered >= CallbackRequest.MAX_UNANSWERED
        ):
            target = status.UNREACHABLE
        else:
            target = status.NO_ANSWER
        # What the history shows for this row: the call, in words.
        callback._change_reason = _("Call %(number)d: %(outcome)s") % {
            "number": callback.attempts,
            "outcome": outcome.label,
        } + (
            " · " + timezone.localtime(attempt.call_again_at).strftime("%d.%m.%Y %H:%M")
            if attempt.call_again_at
            else ""
        )
        if callback.status == target:
            triage.retry(callback, user)  # the same state, a new time to call again
        else:
            _move(callback, target, user)
        if target == status.UNREACHABLE:
            Note.objects.create(
                callback=callback,
                text=_(
                    "Unreachable after %(count)d attempts (last: %(outcome)s). Supervisor: "
                    "decide whether to try again or close."
                )
                % {"count": callback.attempts, "outcome": outcome.label},
            )
            write_outbox(kind=Notification.Kind.UNREACHABLE, callback=callback)
    return attempt


def status_changed(obj) -> None:
    """After a saved status change: a complainant who gave an e-mail hears of a meaningful
    stage, once (see Complaint.REPORTER_STAGES)."""
    if isinstance(obj, Complaint):
        notify_complainant(complainant_notification(obj, status=obj.status))


# --- The case inbox --------------------------------------------------------------------------


def assign(*, obj, user):
    with transaction.atomic():
        ensure_on_desk(obj, user)
        obj.assignee = user
        obj.save(update_fields=["assignee", "updated_at"])
    return obj
