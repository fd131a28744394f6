"""The outbox: queue, deliver, retry, sweep and escalate Notification rows.

The row is the truth; the broker only carries wake-ups. A row is delivered under a row lock
and skipped once sent, so a redelivered or duplicated task never sends twice. When the
broker is down the row simply stays pending until the sweeper queues it again.
"""

import datetime
import enum
import logging
import re
import time

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ..models import (
    CallbackRequest,
    Complaint,
    Notification,
)
from ..notifications import CHANNELS
from . import triage

logger = logging.getLogger(__name__)


logger = logging.getLogger(__name__)

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_PHONE = re.compile(r"\+?\d[\d ()-]{7,}\d")


class Outcome(enum.StrEnum):
    SENT = "sent"
    SKIPPED = "skipped"
    RETRY = "retry"
    FAILED = "failed"


def backoff(attempts: int) -> int:
    """Seconds before the next try: doubling from NOTIFY_RETRY_BASE_SECONDS, capped."""
    delay = settings.NOTIFY_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return min(delay, settings.NOTIFY_RETRY_MAX_SECONDS)


def _describe(error: Exception) -> str:
    # Errors end up in the admin: no addresses or numbers (SMTP errors quote recipients).
    text = f"{type(error).__name__}: {error}"
    return _PHONE.sub("[number]", _EMAIL.sub("[address]", text))[:2000]


DELIVER_TASK = "hotline.tasks.deliver_notification"

# While the broker is unreachable, publishing is skipped for a while: one failed attempt
# (bounded by the broker's socket timeouts) per outage window, not one per row and request.
BROKER_RETRY_SECONDS = 10
_broker_down_until = 0.0


def queue(notification_ids, *, outage_aware: bool = False) -> None:
    """Wake the worker for these rows. Never raises: a broker outage leaves them pending,
    and the sweeper queues them once the broker is back. `outage_aware` (a visitor's
    request) skips publishing while the broker was found down moments ago."""
    global _broker_down_until
    # By name from the app's registry: this module and the tasks that call it import each
    # other no more (issue 27); the task object is the same one tests record.
    deliver_notification = current_app.tasks[DELIVER_TASK]

    for notification_id in notification_ids:
        if outage_aware and time.monotonic() < _broker_down_until:
            logger.info("notification %s stays pending: broker recently down", notification_id)
            continue
        try:
            deliver_notification.apply_async(args=[notification_id], retry=False)
        except Exception as error:  # noqa: BLE001 -- any broker failure means "later"
            _broker_down_until = time.monotonic() + BROKER_RETRY_SECONDS
            logger.warning(
                "notification %s stays pending, broker unavailable: %s",
                notification_id,
                _describe(error),
            )


def queue_on_commit(notifications) -> None:
    ids = [n.pk for n in notifications]
    transaction.on_commit(lambda: queue(ids, outage_aware=True))


def _locked_pending(notification_id: int) -> Notification | None:
    """The row, locked until the caller's transaction ends, if it still waits to be sent."""
    return (
        Notification.objects.select_for_update()
        .filter(pk=notification_id, status=Notification.Status.PENDING)
        .first()
    )


def _claim(notification_id: int) -> bool:
    """Count the attempt and commit it before anything is sent, so a message that kills the
    worker still uses up its attempts and ends visibly failed instead of being retried
    forever. False when the row is not to be sent (already sent, or out of attempts)."""
    with transaction.atomic():
        notification = _locked_pending(notification_id)
        if notification is None:
            return False
        if notification.attempts >= settings.NOTIFY_MAX_ATTEMPTS:
            notification.status = Notification.Status.FAILED
            notification.last_error = (
                notification.last_error or "the worker died while sending, every attempt"
            )
            notification.save(update_fields=["status", "last_error"])
            logger.error("notification %s failed for good: out of attempts", notification.pk)
            return False
        notification.attempts += 1
        # Until the outcome is recorded, the sweeper leaves the row to this attempt.
        notification.next_attempt_at = timezone.now() + datetime.timedelta(
            seconds=backoff(notification.attempts)
        )
        notification.save(update_fields=["attempts", "next_attempt_at"])
    return True


def deliver(notification_id: int) -> tuple[Outcome, int | None]:
    """Send one row, at most once. Returns the outcome and, for a retry, the delay."""
    if not _claim(notification_id):
        return Outcome.SKIPPED, None
    with transaction.atomic():
        notification = _locked_pending(notification_id)
        if notification is None:
            return Outcome.SKIPPED, None
        try:
            CHANNELS[notification.channel](notification)
        except Exception as error:  # noqa: BLE001 -- every failure is recorded and retried
            notification.last_error = _describe(error)
            if notification.attempts >= settings.NOTIFY_MAX_ATTEMPTS:
                notification.status = Notification.Status.FAILED
                outcome, delay = Outcome.FAILED, None
                logger.error(
                    "notification %s failed for good: %s", notification.pk, notification.last_error
                )
            else:
                delay = backoff(notification.attempts)
                notification.next_attempt_at = timezone.now() + datetime.timedelta(seconds=delay)
                outcome = Outcome.RETRY
        else:
            notification.status = Notification.Status.SENT
            notification.sent_at = timezone.now()
            notification.last_error = ""
            # The complainant's code and the update's text leave the database with the mail;
            # the status stays, so each stage is told only once.
            notification.payload = {k: v for k, v in notification.payload.items() if k == "status"}
            outcome, delay = Outcome.SENT, None
        notification.save()
    return outcome, delay


def sweep() -> list[int]:
    """Queue again every pending row whose time has come and that nobody picked up."""
    cutoff = timezone.now() - datetime.timedelta(seconds=settings.NOTIFY_SWEEP_AFTER_SECONDS)
    with transaction.atomic():
        rows = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(status=Notification.Status.PENDING, next_attempt_at__lte=cutoff)
            .values_list("pk", flat=True)[:500]
        )
        Notification.objects.filter(pk__in=rows).update(next_attempt_at=timezone.now())
        transaction.on_commit(lambda: queue(rows))
    return rows


def resend(notification_ids) -> int:
    """Staff's "send again": failed or sent rows go back to pending and are queued."""
    with transaction.atomic():
        count = Notification.objects.filter(pk__in=notification_ids).update(
            status=Notification.Status.PENDING,
            attempts=0,
            next_attempt_at=timezone.now(),
        )
        ids = list(notification_ids)
        transaction.on_commit(lambda: queue(ids))
    return count


def _staff_channels() -> list[str]:
    channels = [Notification.Channel.EMAIL]
    if settings.NOTIFY_WEBHOOK_URL:
        channels.append(Notification.Channel.WEBHOOK)
    return channels


def write_outbox(
    *, kind: str, complaint=None, callback=None, tracking_code: str | None = None
) -> list[Notification]:
    """The Notification rows for one event, saved in the caller's transaction and queued
    for delivery once it commits (see queue_on_commit)."""
    rows = [
        Notification(kind=kind, channel=channel, complaint=complaint, callback=callback)
        for channel in _staff_channels()
    ]
    if kind == Notification.Kind.NEW_COMPLAINT and complaint.email:
        rows.append(
            Notification(
                kind=Notification.Kind.COMPLAINT_RECEIVED,
                channel=Notification.Channel.EMAIL,
                complaint=complaint,
                # Kept only until the mail is sent, then erased from the row.
                payload={"code": tracking_code} if tracking_code else {},
            )
        )
    rows = Notification.objects.bulk_create(rows)
    queue_on_commit(rows)
    return rows


def escalate() -> int:
    """One escalation per overdue state of an item: the item's escalated_at is set in the
    same transaction that writes the notification rows, and cleared when its status moves
    on (hotline.triage), so the next state escalates again if late."""
    count = 0
    for model, field in ((CallbackRequest, "callback"), (Complaint, "complaint")):
        candidates = model.objects.overdue().filter(escalated_at__isnull=True)
        for pk in candidates.values_list("pk", flat=True):
            with transaction.atomic():
                item = (
                    model.objects.overdue()
                    .select_for_update()
                    .filter(pk=pk, escalated_at__isnull=True)
                    .first()
                )
                if item is None:
                    continue
                triage.mark_escalated(item)
                # write_outbox queues its rows on commit itself.
                write_outbox(kind=Notification.Kind.ESCALATION, **{field: item})
                count += 1
    return count


def summary() -> dict:
    """For monitoring: how many rows wait, how many failed, how old the oldest pending is."""
    counts = Notification.objects.counts()
    oldest = (
        Notification.objects.pending()
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    return {
        **counts,
        "oldest_pending_seconds": int((timezone.now() - oldest).total_seconds()) if oldest else 0,
    }


def complainant_notification(complaint: Complaint, *, status: str | None = None, message=None):
    """The mail the reporter would get for this stage or staff message, not yet saved.

    One function builds it for sending and for the preview staff see before they send, so
    the preview is exactly what goes out. None when the reporter gets nothing: no e-mail
    given, an internal step, or a stage they were already told of.
    """
    if not complaint.email:
        return None
    if message is not None:
        # Only that there is a message: its words are read in the inbox, behind the code.
        return Notification(
            kind=Notification.Kind.CASE_MESSAGE,
            channel=Notification.Channel.EMAIL,
            complaint=complaint,
        )
    if status not in Complaint.REPORTER_STAGES:
        return None
    told = complaint.notifications.filter(
        kind=Notification.Kind.STATUS_CHANGED, payload__status=status
    ).exists()
    if told:
        return None
    return Notification(
        kind=Notification.Kind.STATUS_CHANGED,
        channel=Notification.Channel.EMAIL,
        complaint=complaint,
        # The status this message is about, even if it moves on before sending.
        payload={"status": status},
    )


def notify_complainant(notification: Notification | None) -> None:
    if notification is not None:
        notification.save()
        queue_on_commit([notification])
