"""Retention: the personal data of a finished item is erased once its period has passed.

An item is finished when `closed_at` is set (a callback request closed; a complaint closed or
not taken up). RETENTION_CALLBACK_DAYS or RETENTION_COMPLAINT_DAYS calendar days later (Kyiv
time) the daily job blanks every field that names, reaches or describes a person, deletes the
evidence (rows and files), the conversation with the reporter and the staff notes, empties the outbox payloads, and blanks the
same fields in every history row. The item itself stays, with what the statistics need: its
dates, category, region, status, priority, perpetrator type, topic and language.

Periods count in calendar days because the job runs once a day: the date the admin shows as
"will be erased on" is the day it happens.
"""

import datetime
import logging
from dataclasses import dataclass, field

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from .models import Attachment, CallbackRequest, CaseMessage, Complaint, Note, Notification
from .vault.storage import private_storage

logger = logging.getLogger(__name__)

# Blanked on the item and in all its history rows.
PERSONAL_FIELDS = {
    CallbackRequest: ["name", "phone", "message"],
    Complaint: [
        "reporter_name",
        "victim_name",
        "victim_outlet",
        "victim_relation",
        "aliases",
        "outlet",
        "email",
        "phone",
        "safe_times",
        "place",
        "description",
        "links",
        "reason_for_reporter",
    ],
}
PERIOD_SETTINGS = {
    CallbackRequest: "RETENTION_CALLBACK_DAYS",
    Complaint: "RETENTION_COMPLAINT_DAYS",
}
# Also the name of the foreign key from Note and Notification.
KINDS = {CallbackRequest: "callback", Complaint: "complaint"}


def retention_days(model) -> int:
    return getattr(settings, PERIOD_SETTINGS[model])


def erases_on(obj) -> datetime.date | None:
    """The day the daily job erases this item's personal data; None while it is not finished."""
    if obj.closed_at is None:
        return None
    return _erase_day(type(obj), obj.closed_at)


def _erase_day(model, closed_at: datetime.datetime) -> datetime.date:
    return timezone.localdate(closed_at) + datetime.timedelta(days=retention_days(model))


def _finished_before(model, today: datetime.date) -> datetime.datetime:
    """Items finished before this moment are due on `today` (their erases_on <= today)."""
    first_kept_day = today - datetime.timedelta(days=retention_days(model) - 1)
    return timezone.make_aware(datetime.datetime.combine(first_kept_day, datetime.time.min))


def _due(model, today: datetime.date) -> QuerySet:
    return model.objects.filter(
        erased_at__isnull=True,
        status__in=model.FINISHED,
        closed_at__lt=_finished_before(model, today),
    ).order_by("closed_at", "pk")


@dataclass(frozen=True)
class Due:
    callbacks: QuerySet
    complaints: QuerySet


def due(now: datetime.datetime | None = None) -> Due:
    """The items whose personal data is due for erasure at `now` (default: now)."""
    today = timezone.localdate(now)
    return Due(callbacks=_due(CallbackRequest, today), complaints=_due(Complaint, today))


# --- Erasing ------------------------------------------------------------------------------------


def erase_callback(*, callback: CallbackRequest) -> bool:
    """Erase a callback request's personal data now. False if it was erased already."""
    return _erase(CallbackRequest, callback.pk)


def erase_complaint(*, complaint: Complaint) -> bool:
    """Erase a complaint's personal data and evidence now. False if it was erased already."""
    return _erase(Complaint, complaint.pk)


def _erase(model, pk: int, *, finished_before: datetime.datetime | None = None) -> bool:
    kind = KINDS[model]
    with transaction.atomic():
        rows = model.objects.select_for_update().filter(pk=pk, erased_at__isnull=True)
        if finished_before is not None:
            # Checked again under the lock: it may have been taken up again since it was listed.
            rows = rows.filter(status__in=model.FINISHED, closed_at__lt=finished_before)
        if rows.values_list("pk", flat=True).first() is None:
            return False
        blank = dict.fromkeys(PERSONAL_FIELDS[model], "")
        if model is Complaint:
            blank["help_needed"] = []  # medical help, relocation: about a person, too
        if model is Complaint:
            # The evidence sent with the complaint and with replies, then the conversation.
            attachments = Attachment.objects.filter(complaint_id=pk)
            names = list(attachments.values_list("file", flat=True))
            attachments.delete()
            CaseMessage.objects.filter(complaint_id=pk).delete()
            # After the commit: if anything below fails, the rows come back and so must the files.
            transaction.on_commit(lambda: _delete_files(pk, names))
        Note.objects.filter(**{f"{kind}_id": pk}).delete()
        Notification.objects.filter(**{f"{kind}_id": pk}).update(payload={})
        # The history rows stay, blanked: they are the record of who handled the item and
        # when. update() on both, so the erasure itself adds no history row.
        model.history.filter(id=pk).update(**blank)
        model.objects.filter(pk=pk).update(**blank, erased_at=timezone.now())
    return True


def _delete_files(complaint_id: int, names: list[str]) -> None:
    for name in names:
        try:
            private_storage.delete(name)
        except OSError as error:
            # Stored names are random (see attachment_path): safe to log, so they can be removed.
            logger.error(
                "retention: evidence file %s of complaint %s was not deleted: %s",
                name,
                complaint_id,
                type(error).__name__,
            )


# --- The daily job ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    kind: str  # "callback" or "complaint"
    pk: int
    closed_at: datetime.datetime
    erases_on: datetime.date


@dataclass
class Report:
    dry_run: bool
    # Erased, or in a dry run: due and left as it was.
    items: list[Item] = field(default_factory=list)
    failed: list[Item] = field(default_factory=list)

    def ids(self, kind: str) -> list[int]:
        return [item.pk for item in self.items if item.kind == kind]

    @property
    def callbacks(self) -> list[int]:
        return self.ids("callback")

    @property
    def complaints(self) -> list[int]:
        return self.ids("complaint")

    def counts(self) -> dict[str, int]:
        return {
            "callbacks": len(self.callbacks),
            "complaints": len(self.complaints),
            "failed": len(self.failed),
        }


def erase_due(*, now: datetime.datetime | None = None, dry_run: bool = False) -> Report:
    """Erase everything due at `now`, each item in its own transaction.

    One item failing does not stop the others; it is logged by id (never its data: a database
    error can quote the whole row) and retried on the next run.
    """
    today = timezone.localdate(now)
    report = Report(dry_run=dry_run)
    for model, kind in KINDS.items():
        finished_before = _finished_before(model, today)
        for pk, closed_at in _due(model, today).values_list("pk", "closed_at"):
            item = Item(kind, pk, closed_at, _erase_day(model, closed_at))
            if dry_run:
                report.items.append(item)
                continue
            try:
                erased = _erase(model, pk, finished_before=finished_before)
            except SoftTimeLimitExceeded:
                raise  # the task's time is up; the rest is done on the next run
            except Exception as error:  # noqa: BLE001 -- recorded, and the next item goes on
                logger.error("retention: %s %s was not erased: %s", kind, pk, type(error).__name__)
                report.failed.append(item)
                continue
            if erased:
                report.items.append(item)
    if not dry_run:
        logger.info("retention: erased %s", report.counts())
    return report
