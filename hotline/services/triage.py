"""Triage: the one owner of an item's status moves and duty timers (issue 27).

A complaint or a callback request has a status and, in its open states, a time by which the
shift must act (`due_at`); once that passes the supervisor hears of it once (`escalated_at`).
Only three things move these: a status change (`move`), a call attempt that leaves the
status as it was (`retry`), and the escalation itself (`mark_escalated`). A new item gets
its first timer from `start`; the demo's backdated items from `backdate`. Nothing else —
an admin save with a note, a typo fixed, a priority — assigns them: that restarted the timer
and cleared the escalation, and an overdue complaint with a new note left the overdue list.

What counts as overdue is the querysets' read (`TriageQuerySet.overdue`), over these fields.
"""

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ..models import CallbackRequest, Complaint


class TransitionError(Exception):
    pass


def due_at(obj, *, previous: str | None = None, now=None):
    """When the item's current state must have been acted on; None for a state without a
    timer (the settings name each timer).

    Callback request: new, or taken by an operator: the first call within
    CALLBACK_ESCALATION_MINUTES; no answer: at the time the operator set, else within
    CALLBACK_RETRY_MINUTES. Complaint: new: a first look within COMPLAINT_ESCALATION_HOURS,
    or COMPLAINT_URGENT_MINUTES when the person is not safe now;
    under review or verification: done within COMPLAINT_VERIFICATION_DAYS of being taken up
    (moving from review to verification does not restart it).
    """
    now = now or timezone.now()
    first_call = datetime.timedelta(minutes=settings.CALLBACK_ESCALATION_MINUTES)
    if isinstance(obj, CallbackRequest):
        status = CallbackRequest.Status
        if obj.status == status.NEW:
            return obj.created_at + first_call
        if obj.status == status.IN_PROGRESS:
            return now + first_call
        if obj.status == status.NO_ANSWER:
            return obj.call_again_at or now + datetime.timedelta(
                minutes=settings.CALLBACK_RETRY_MINUTES
            )
        return None
    status = Complaint.Status
    if obj.status == status.NEW:
        if obj.in_danger:  # "not safe now": the shortest timer of the desk
            return obj.created_at + datetime.timedelta(minutes=settings.COMPLAINT_URGENT_MINUTES)
        return obj.created_at + datetime.timedelta(hours=settings.COMPLAINT_ESCALATION_HOURS)
    if obj.status in (status.TRIAGE, status.VERIFYING):
        if previous in (status.TRIAGE, status.VERIFYING) and obj.due_at is not None:
            return obj.due_at
        return now + datetime.timedelta(days=settings.COMPLAINT_VERIFICATION_DAYS)
    return None


def _status_times(obj, *, previous: str | None = None) -> None:
    """The times a new status implies.

    A callback request records when it first left 'new'. An item records when it was
    finished (closed; a complaint also when not taken up), which starts the retention period
    of its personal data; a complaint taken up again is no longer finished. A complaint that
    was not taken up and is then closed keeps the earlier time. Each state's timer starts
    afresh (see due_at), and so does its escalation.
    """
    now = timezone.now()
    if isinstance(obj, CallbackRequest) and obj.handled_at is None and obj.status != obj.Status.NEW:
        obj.handled_at = now
    if obj.status not in obj.FINISHED:
        obj.closed_at = None
    elif obj.closed_at is None:
        obj.closed_at = now
    obj.due_at = due_at(obj, previous=previous, now=now)
    obj.escalated_at = None


def start(obj) -> None:
    """A new item (received, or added by staff): the times and timer of its first status,
    and for a complaint whose person is not safe now, the top priority. Set on the unsaved
    instance; its creator saves it."""
    if obj.created_at is None:
        obj.created_at = timezone.now()
    if isinstance(obj, Complaint) and obj.in_danger:
        obj.priority = Complaint.Priority.URGENT
    _status_times(obj)


def move(obj, status: str, user=None) -> bool:
    """The one place a status changes: the allowed transitions only, the times and timers it
    implies, the assignee, a history row naming who did it. False when it already was in
    that status. The caller (hotline.services) tells whoever the move concerns."""
    if obj.status == status:
        return False
    if not obj.can_move_to(status):
        raise TransitionError(
            f"{obj.get_status_display()} → {type(obj).Status(status).label} is not allowed"
        )
    with transaction.atomic():
        previous = obj.status
        obj.status = status
        _status_times(obj, previous=previous)
        if obj.assignee_id is None and user is not None:
            obj.assignee = user
        if user is not None:
            obj._history_user = user
        obj.save()
    return True


def retry(callback: CallbackRequest, user=None) -> None:
    """Another unanswered call: the same state, a new time to call again (the one the
    operator set, else the retry interval), and a new chance to escalate if that is missed."""
    callback.due_at = due_at(callback, previous=callback.status)
    callback.escalated_at = None
    if user is not None:
        callback._history_user = user
    callback.save()


def mark_escalated(item) -> None:
    """The supervisor was told that this item's current state is overdue: once per state."""
    item.escalated_at = timezone.now()
    item.save(update_fields=["escalated_at"])


def backdate(obj, created_at: datetime.datetime) -> None:
    """Received earlier than now (the demo's queue): its timer follows, as if it had waited
    that long."""
    model = type(obj)
    model.objects.filter(pk=obj.pk).update(created_at=created_at)
    obj.refresh_from_db()
    model.objects.filter(pk=obj.pk).update(due_at=due_at(obj))
    obj.refresh_from_db()
