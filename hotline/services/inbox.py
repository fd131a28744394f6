"""The case inbox: staff and reporter write to each other behind the complaint's code."""

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from ..audit import record_access
from ..models import (
    AccessEvent,
    CaseMessage,
    Complaint,
    HeldFile,
    Notification,
)
from ..vault.evidence import CheckedFile
from ..vault.storage import private_storage
from .desk import ensure_on_desk
from .intake import held_files_as_evidence, held_files_release, store_attachment
from .outbox import complainant_notification, notify_complainant, write_outbox

logger = logging.getLogger(__name__)


def case_message_send(*, complaint: Complaint, text: str, author) -> CaseMessage:
    """Staff write to the reporter: the message waits in the case inbox, the reporter is
    told by e-mail (if they gave one) that there is a message, never what it says, and the
    access audit records who wrote it. Refused (OutsideDeskError) for a complaint not on the
    writer's regional desk."""
    with transaction.atomic():
        ensure_on_desk(complaint, author)
        message = CaseMessage(
            complaint=complaint, sender=CaseMessage.Sender.STAFF, text=text, author=author
        )
        message.full_clean()
        message.save()
        notify_complainant(complainant_notification(complaint, message=message))
        record_access(
            user=author,
            action=AccessEvent.Action.MESSAGE,
            model=Complaint,
            target_id=complaint.pk,
            item_ids=[message.pk],
        )
    return message


class InboxClosed(Exception):
    """The case inbox takes no more replies (the reporter's data was erased)."""


def case_reply(
    *,
    complaint: Complaint,
    text: str,
    files: list[CheckedFile],
    submission_key=None,
    held: list[HeldFile] = (),
) -> CaseMessage:
    """The reporter answers in their inbox, with text, evidence or both; staff are told
    that there is a reply (never its words). A reply posted twice is saved once. `held` are
    files this session sent ahead (large files): they become the reply's evidence too."""
    if held:
        files = held_files_as_evidence(held) + list(files)
    if submission_key is not None:
        existing = CaseMessage.objects.filter(submission_key=submission_key).first()
        if existing is not None:
            return existing
    stored: list[str] = []
    try:
        with transaction.atomic():
            complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
            if complaint.erased_at is not None:
                raise InboxClosed
            message = CaseMessage(
                complaint=complaint,
                sender=CaseMessage.Sender.REPORTER,
                text=text,
                submission_key=submission_key,
            )
            message.full_clean(validate_unique=False)
            message.save()
            for checked in files:
                store_attachment(complaint, checked, stored, message=message)
            write_outbox(kind=Notification.Kind.REPORTER_REPLY, complaint=complaint)
            if held:
                held_files_release(held)
    except BaseException as error:
        for name in stored:
            private_storage.delete(name)
        if isinstance(error, IntegrityError) and submission_key is not None:
            existing = CaseMessage.objects.filter(submission_key=submission_key).first()
            if existing is not None:
                return existing
        raise
    return message


def case_replies_read(*, complaint: Complaint, user) -> list[int]:
    """Staff opened the complaint: its unread replies are read now, by them (recorded on
    the messages and in the access audit). Returns the ids it marked."""
    with transaction.atomic():
        unread = list(
            CaseMessage.objects.select_for_update()
            .filter(complaint=complaint, sender=CaseMessage.Sender.REPORTER, read_at__isnull=True)
            .values_list("pk", flat=True)
        )
        if not unread:
            return []
        CaseMessage.objects.filter(pk__in=unread).update(read_at=timezone.now(), read_by=user)
        record_access(
            user=user,
            action=AccessEvent.Action.READ,
            model=Complaint,
            target_id=complaint.pk,
            item_ids=unread,
        )
    return unread


def case_messages_seen(*, complaint: Complaint) -> int:
    """The reporter opened their inbox: staff messages sent so far count as read."""
    return CaseMessage.objects.filter(
        complaint=complaint, sender=CaseMessage.Sender.STAFF, read_at__isnull=True
    ).update(read_at=timezone.now())
