"""Intake: a callback request or complaint and its outbox rows in one transaction; files held
between a refused form and its resubmission; a complaint found again by its code."""

import datetime
import logging
import os
import uuid

from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from .. import tracking
from ..models import (
    Attachment,
    CallbackRequest,
    Complaint,
    HeldFile,
    Notification,
    attachment_path,
)
from ..vault import cipher
from ..vault.evidence import CheckedFile
from ..vault.storage import make_private_dirs, private_storage
from . import triage, uploads
from .outbox import write_outbox

logger = logging.getLogger(__name__)


def callback_request_submit(*, data: dict, language: str, submission_key) -> CallbackRequest:
    """Save a callback request and its notifications. The same form posted twice returns the
    first; so does a new one from a number whose request of the last CALLBACK_REPEAT_MINUTES
    still waits for its first call (Back, then Send again): one call is what was asked for.
    The caller tells the two apart by the returned request's submission_key."""
    existing = CallbackRequest.objects.filter(submission_key=submission_key).first()
    if existing:
        return existing
    since = timezone.now() - datetime.timedelta(minutes=settings.CALLBACK_REPEAT_MINUTES)
    earlier = CallbackRequest.objects.asked_again(data.get("phone"), since)
    if earlier is not None:
        return earlier
    try:
        with transaction.atomic():
            callback = CallbackRequest(**data, language=language, submission_key=submission_key)
            triage.start(callback)
            # The model's CHECK (consent given) is the database's to enforce on insert:
            # validating it here cost a query per constraint, a third of a submission.
            callback.full_clean(validate_unique=False, validate_constraints=False)
            callback.save()
            write_outbox(kind=Notification.Kind.NEW_CALLBACK, callback=callback)
    except IntegrityError:
        # The same form posted twice at once: the other request saved it.
        existing = CallbackRequest.objects.filter(submission_key=submission_key).first()
        if existing is None:
            raise
        return existing
    return callback


# The "call me now" request of an urgent complaint: one per complaint, however often pressed.
_CALL_ME_NOW = uuid.UUID("8f0c8a52-3b7e-4c1e-9d0a-5a6f2f3e1c77")


def complaint_call_me_now(*, complaint: Complaint) -> CallbackRequest:
    """The reporter who is not safe now presses "call me now" on the thank-you page: a
    callback request for the complaint's phone number, saying only which complaint it is
    (the rest is in the complaint). Pressing it again returns the same request."""
    with translation.override(complaint.language):
        message = gettext("Urgent: complaint #%(id)s, not safe now.") % {"id": complaint.pk}
    return callback_request_submit(
        data={
            "name": complaint.reporter_name,
            "phone": complaint.phone,
            "topic": CallbackRequest.Topic.JOURNALISTS_RIGHTS,
            "preferred_time": CallbackRequest.PreferredTime.ANY,
            "message": message,
            "consent": True,
        },
        language=complaint.language,
        submission_key=uuid.uuid5(_CALL_ME_NOW, str(complaint.pk)),
    )


def held_files_hold(*, holder: str, files: list[CheckedFile]) -> list[HeldFile]:
    """Keep checked evidence files of a form that was not sent, for that session only."""
    from django.utils.crypto import get_random_string

    held = []
    for checked in files:
        row = HeldFile(
            holder=holder,
            token=get_random_string(32),
            original_name=checked.name,
            content_type=checked.content_type,
            size=checked.size,
            sha256=checked.sha256,
        )
        lock = cipher.store(row.file, checked.upload.chunks(), "held")
        row.key_id, row.wrapped_key = lock.key_id, lock.wrapped_key
        try:
            row.save()
        except BaseException:
            private_storage.delete(row.file.name)
            raise
        held.append(row)
    return held


def held_files_of(holder: str | None) -> list[HeldFile]:
    """The files this session holds, still within the hour (none for no session)."""
    if not holder:
        return []
    return list(HeldFile.objects.current().filter(holder=holder))


def held_file_remove(*, holder: str | None, token: str) -> bool:
    """The visitor takes a file back. A token of another session or a forged one: nothing."""
    row = HeldFile.objects.filter(holder=holder or "-", token=token).first()
    if row is None:
        return False
    _delete_held([row])
    return True


def held_files_discard(holder: str | None) -> int:
    """Everything this session held goes at once (the quick exit): rows and stored files,
    and the large files it was still sending."""
    if not holder:
        return 0
    uploads.uploads_discard(holder)
    rows = list(HeldFile.objects.filter(holder=holder))
    _delete_held(rows)
    return len(rows)


def _delete_held(rows) -> None:
    names = [row.file.name for row in rows]
    HeldFile.objects.filter(pk__in=[row.pk for row in rows]).delete()
    transaction.on_commit(lambda: [private_storage.delete(name) for name in names])


def held_files_purge() -> int:
    """Delete held files older than an hour, rows and stored files (a periodic job)."""
    rows = list(HeldFile.objects.expired())
    _delete_held(rows)
    return len(rows)


class _Decrypted:
    """A stored file read back as plaintext chunks, never written anywhere as such."""

    def __init__(self, row):
        self.row = row

    def chunks(self, chunk_size=None):
        return cipher.plain_chunks(self.row.file, self.row.lock)


def _checked_from_held(row: HeldFile) -> CheckedFile:
    return CheckedFile(
        upload=_Decrypted(row),
        name=row.original_name,
        content_type=row.content_type,
        size=row.size,
        sha256=row.sha256,
    )


def held_files_as_evidence(held: list[HeldFile]) -> list[CheckedFile]:
    """Held files, to be stored as evidence like files just checked (see store_attachment)."""
    return [_checked_from_held(row) for row in held]


def held_files_release(held: list[HeldFile]) -> None:
    """Held files that became evidence: held no more (their names go after commit)."""
    _delete_held(held)


def complaint_submit(
    *,
    data: dict,
    files: list[CheckedFile],
    language: str,
    submission_key,
    held: list[HeldFile] = (),
) -> tuple[Complaint, str | None]:
    """Save a complaint, its evidence and its notifications, all or nothing.

    `held` are files this visitor attached on an earlier try of the form: they become
    evidence like the new `files`, and are no longer held once the complaint is saved.
    Returns the complaint and its tracking code. The code exists only here: the database
    keeps its hash. A repeated submission returns the first complaint and no code (it was
    already given out).
    """
    if held:
        files = [_checked_from_held(row) for row in held] + list(files)
    existing = Complaint.objects.filter(submission_key=submission_key).first()
    if existing:
        return existing, None
    code = tracking.generate()
    stored_files: list[str] = []
    try:
        with transaction.atomic():
            complaint = Complaint(
                **data,
                language=language,
                submission_key=submission_key,
                tracking_code_hash=tracking.digest(code),
            )
            triage.start(complaint)
            complaint.full_clean(validate_unique=False)
            complaint.save()
            for checked in files:
                store_attachment(complaint, checked, stored_files)
            write_outbox(
                kind=Notification.Kind.NEW_COMPLAINT, complaint=complaint, tracking_code=code
            )
            if held:
                _delete_held(held)
    except BaseException as error:
        # Nothing was saved, so no file may stay behind either.
        for name in stored_files:
            private_storage.delete(name)
        if isinstance(error, IntegrityError):
            existing = Complaint.objects.filter(submission_key=submission_key).first()
            if existing is not None:
                return existing, None
        raise
    finally:
        for checked in files:
            if isinstance(checked.upload, File):
                checked.upload.close()
    return complaint, code


def store_attachment(complaint, checked: CheckedFile, stored: list[str], message=None):
    """One evidence file, encrypted into private storage (its name added to `stored`, so a
    failed transaction can delete it) and its row saved."""
    attachment = Attachment(
        complaint=complaint,
        message=message,
        original_name=checked.name,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
    )
    if isinstance(checked.upload, _Decrypted) and checked.upload.row.encrypted:
        lock = _link_held(checked.upload.row, attachment)
    else:
        lock = cipher.store(attachment.file, checked.upload.chunks())
    stored.append(attachment.file.name)
    attachment.key_id, attachment.wrapped_key = lock.key_id, lock.wrapped_key
    attachment.save()
    return attachment


def _link_held(row: HeldFile, attachment: Attachment) -> cipher.Lock:
    """A held file becomes evidence without being decrypted or copied (a 2 GB video would
    take as long again): the same ciphertext gets the attachment's name too (a hard link in
    private storage), and the attachment keeps the same wrapped key. The held name goes with
    the held row after commit; if the transaction fails, the attachment's name goes instead."""
    name = private_storage.generate_filename(attachment_path(attachment, ""))
    target = private_storage.path(name)
    make_private_dirs(os.path.dirname(target))
    os.link(private_storage.path(row.file.name), target)
    attachment.file.name = name
    return row.lock


def complaint_find_by_code(code: str) -> Complaint | None:
    """The complaint a tracking code belongs to, or None (also for malformed codes)."""
    if tracking.normalise(code) is None:
        return None
    return (
        Complaint.objects.filter(tracking_code_hash__in=tracking.candidate_digests(code))
        .select_related("incident")
        .first()
    )
