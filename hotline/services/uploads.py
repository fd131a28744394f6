"""Large evidence files, received in pieces (the tus protocol; hotline.tus speaks it).

Each piece is read from the request a little at a time, encrypted with the upload's own key
(hotline.vault.cipher, the key wrapped by EVIDENCE_KEY on the row) and written under a
temporary name; only once all of it arrived is it renamed into place and the upload's offset
moved on, under a row lock that checks the offset again. So a piece sent twice, out of order
or at once from two tabs is refused (409) and what was received stays whole; a cut
connection leaves the offset at the last whole piece, where the client resumes.

When the last piece arrives, the pieces are decrypted in order, checked as the form checks a
file (hotline.vault.evidence), hashed, and encrypted once more into one HeldFile of the same
session: the complaint form (or the case inbox reply) then lists it and sends it like any file
kept for the visitor. Plaintext exists only in memory, a piece at a time.
"""

import datetime
import hashlib
import logging
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

import nacl.utils
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models import Attachment, HeldFile, Upload, held_file_path
from ..vault import cipher, evidence
from ..vault.storage import open_private_new, private_storage

logger = logging.getLogger(__name__)

NOT_FOUND = gettext_lazy("This upload does not exist, or has ended.")
# How much of a piece is read from the request at a time (the cipher re-chunks to 64 KiB).
READ_BYTES = 1024 * 1024


class UploadRefused(Exception):
    """Said to the client with `status`; `message` is for the visitor, in the page language."""

    def __init__(self, status: int, message: str, *, code: str = ""):
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code


def _size(n: int) -> str:
    from django.template.defaultfilters import filesizeformat

    return str(filesizeformat(n))


def quota_used(*, holder: str | None, complaint=None) -> int:
    """What a case already takes: its evidence, and what this session sends or holds."""
    used = Upload.objects.of(holder).pending_bytes()
    if holder:
        used += HeldFile.objects.current().filter(holder=holder).aggregate(t=Sum("size"))["t"] or 0
    if complaint is not None:
        used += Attachment.objects.filter(complaint=complaint).aggregate(t=Sum("size"))["t"] or 0
    return used


def upload_create(*, holder: str, name: str, length: int | None, complaint=None) -> Upload:
    """Start a large file for this session, after the checks that need no content."""
    name = evidence.safe_name(name)
    if length is None:
        raise UploadRefused(400, _("The size of the file is missing."), code="length")
    if length == 0:
        raise UploadRefused(400, _("“%(name)s” is empty.") % {"name": name}, code="empty")
    if length > settings.EVIDENCE_UPLOAD_MAX_BYTES:
        raise UploadRefused(
            413,
            _("“%(name)s” is larger than %(max)s, the most one file may be.")
            % {"name": name, "max": _size(settings.EVIDENCE_UPLOAD_MAX_BYTES)},
            code="too_big",
        )
    try:
        evidence.extension_of(name)
    except ValidationError as error:
        raise UploadRefused(415, error.messages[0], code="type") from error
    files = Upload.objects.of(holder).receiving().count()
    files += HeldFile.objects.current().filter(holder=holder).count() if holder else 0
    if files >= evidence.MAX_FILES:
        raise UploadRefused(
            413,
            _("You have already attached %(max)d files, the most one form takes.")
            % {"max": evidence.MAX_FILES},
            code="too_many",
        )
    used = quota_used(holder=holder, complaint=complaint)
    if used + length > settings.EVIDENCE_CASE_QUOTA_BYTES:
        raise UploadRefused(
            413,
            _(
                "“%(name)s” does not fit: one case takes at most %(max)s of files, and"
                " %(used)s are already sent or on their way."
            )
            % {
                "name": name,
                "max": _size(settings.EVIDENCE_CASE_QUOTA_BYTES),
                "used": _size(used),
            },
            code="quota",
        )
    file_key = nacl.utils.random(cipher.KEY_BYTES)
    lock = cipher.wrap(file_key)
    upload = Upload(
        holder=holder,
        name=name,
        length=length,
        key_id=lock.key_id,
        wrapped_key=lock.wrapped_key,
    )
    upload.full_clean()
    upload.save()
    return upload


def _path(name: str) -> Path:
    return Path(private_storage.path(name))


def _segments(upload: Upload) -> list[tuple[int, int, Path]]:
    """The pieces received, in order: (start, end, path); temporary names are not pieces."""
    directory = _path(upload.segment_dir)
    if not directory.is_dir():
        return []
    found = []
    for path in directory.iterdir():
        start, dash, end = path.name.partition("-")
        if dash and start.isdigit() and end.isdigit():
            found.append((int(start), int(end), path))
    return sorted(found)


def _write_encrypted(path: Path, chunks, file_key: bytes) -> None:
    """Ciphertext of `chunks` into a new file at `path`; nothing stays there on any error
    (a full disk, a cut connection)."""
    try:
        with open_private_new(path) as out:
            for block in cipher.encrypt(chunks, file_key):
                out.write(block)
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def _disk_full(error: OSError) -> UploadRefused:
    logger.error("uploads: cannot write evidence (%s)", error.strerror)
    return UploadRefused(
        507,
        _(
            "The server has no room to store your file right now. Nothing was lost: what"
            " arrived is kept, and the upload can go on later. Please try again in a while or"
            " call the hotline."
        ),
        code="disk",
    )


def _read(stream, count: int) -> Iterator[bytes]:
    """Exactly `count` bytes of the request, a little at a time (never all of it at once)."""
    left = count
    while left > 0:
        block = stream.read(min(READ_BYTES, left))
        if not block:
            raise UploadRefused(400, _("The piece of the file arrived incomplete."), code="cut")
        left -= len(block)
        yield block


def _read_exactly(stream, count: int) -> bytes:
    return b"".join(_read(stream, count))


def _head_received(upload: Upload, file_key: bytes) -> bytes:
    """The plaintext already received, up to SNIFF_BYTES of it."""
    head = b""
    for _start, _end, path in _segments(upload):
        with open(path, "rb") as stream:
            for block in cipher.decrypt(stream, file_key):
                head += block
                if len(head) >= evidence.SNIFF_BYTES:
                    return head[: evidence.SNIFF_BYTES]
    return head


def upload_append(*, upload: Upload, offset: int, stream, count: int) -> Upload:
    """Take one piece of `count` bytes from `stream`, meant to start at `offset`. Returns the
    upload as it now stands (its offset moved on; "done" with its held file once whole)."""
    if upload.state != Upload.State.RECEIVING or offset != upload.offset:
        raise UploadRefused(409, _("This piece was already received, or is out of order."))
    if count > settings.EVIDENCE_UPLOAD_CHUNK_BYTES:
        raise UploadRefused(
            413,
            _("A piece may be at most %(max)s.")
            % {"max": _size(settings.EVIDENCE_UPLOAD_CHUNK_BYTES)},
        )
    if offset + count > upload.length:
        raise UploadRefused(
            400, _("This piece goes past the end of the file as announced."), code="past_end"
        )
    if count == 0:
        return upload
    file_key = cipher.unwrap(upload.lock)
    # The type is decided as soon as its first bytes are here (usually the first piece).
    head = b""
    if not upload.content_type and offset < evidence.SNIFF_BYTES:
        received = _head_received(upload, file_key)
        head = _read_exactly(stream, min(count, evidence.SNIFF_BYTES - len(received)))
        whole = received + head
        if len(whole) >= min(evidence.SNIFF_BYTES, upload.length):
            try:
                evidence.content_type_of(upload.name, whole)
            except ValidationError as error:
                upload_delete(upload)
                raise UploadRefused(415, error.messages[0], code="content") from error
    end = offset + count
    directory = _path(upload.segment_dir)
    temporary = directory / f".{offset}.{secrets.token_hex(8)}.part"
    try:
        _write_encrypted(temporary, _chain(head, _read(stream, count - len(head))), file_key)
    except OSError as error:
        raise _disk_full(error) from error
    final = directory / f"{offset:015d}-{end:015d}"
    try:
        with transaction.atomic():
            current = Upload.objects.select_for_update().filter(pk=upload.pk).first()
            if current is None:  # cancelled, or the quick exit, while this piece came in
                raise UploadRefused(404, str(NOT_FOUND))
            if current.state != Upload.State.RECEIVING or current.offset != offset:
                raise UploadRefused(409, _("This piece was already received, or is out of order."))
            # Pieces from here on are leftovers of a server stopped before it could record
            # them: the client sends them again, perhaps cut differently.
            for start, _end, path in _segments(current):
                if start >= offset:
                    path.unlink(missing_ok=True)
            os.replace(temporary, final)
            current.offset = end
            current.updated_at = timezone.now()
            if end == current.length:
                _finish(current, file_key)
            current.save()
    except BaseException as error:
        temporary.unlink(missing_ok=True)
        if final.exists() and not Upload.objects.filter(pk=upload.pk, offset__gte=end).exists():
            final.unlink(missing_ok=True)
        if isinstance(error, UploadRefused) and error.code == "content":
            upload_delete(upload)
        raise
    if current.state == Upload.State.DONE:
        transaction.on_commit(lambda: shutil.rmtree(directory, ignore_errors=True))
    return current


def _chain(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    if first:
        yield first
    yield from rest


def _plaintext(upload: Upload, file_key: bytes) -> Iterator[bytes]:
    expected = 0
    for start, end, path in _segments(upload):
        if start != expected:
            raise cipher.Tampered("upload segments do not follow each other")
        received = 0
        with open(path, "rb") as stream:
            for block in cipher.decrypt(stream, file_key):
                received += len(block)
                yield block
        if received != end - start:
            raise cipher.Tampered("upload segment has the wrong length")
        expected = end
    if expected != upload.length:
        raise cipher.Tampered("upload segments stop before the end")


class _Measured:
    """Passes chunks through, keeping their SHA-256, count, and first and last bytes."""

    def __init__(self, chunks):
        self.chunks = chunks
        self.digest = hashlib.sha256()
        self.size = 0
        self.head = b""
        self.tail = b""

    def __iter__(self):
        for chunk in self.chunks:
            self.digest.update(chunk)
            self.size += len(chunk)
            if len(self.head) < evidence.SNIFF_BYTES:
                self.head += chunk[: evidence.SNIFF_BYTES - len(self.head)]
            # (Joined only when a chunk is shorter than the tail: no copy per chunk.)
            if len(chunk) >= evidence.SNIFF_BYTES:
                self.tail = chunk[-evidence.SNIFF_BYTES :]
            else:
                self.tail = (self.tail + chunk)[-evidence.SNIFF_BYTES :]
            yield chunk


def _finish(upload: Upload, file_key: bytes) -> None:
    """All of it is here: one held file for the session, encrypted once more under a key of
    its own (the segments go after commit)."""
    measured = _Measured(_plaintext(upload, file_key))
    held = HeldFile(
        holder=upload.holder,
        token=secrets.token_hex(16),
        original_name=upload.name,
        size=upload.length,
    )
    name = held_file_path(held, upload.name)
    path = _path(name)
    held_key = nacl.utils.random(cipher.KEY_BYTES)
    try:
        _write_encrypted(path, measured, held_key)
    except OSError as error:
        raise _disk_full(error) from error
    try:
        try:
            content_type = evidence.content_type_of(upload.name, measured.head)
            ext = os.path.splitext(upload.name)[1].lower()
            if ext in evidence.IMAGES and evidence.smuggles(measured.head, measured.tail):
                raise evidence.not_what_it_says(upload.name)
        except ValidationError as error:
            raise UploadRefused(415, error.messages[0], code="content") from error
        lock = cipher.wrap(held_key)
        held.file.name = name
        held.content_type = content_type
        held.sha256 = measured.digest.hexdigest()
        held.key_id, held.wrapped_key = lock.key_id, lock.wrapped_key
        held.created_at = timezone.now()
        held.save()
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    upload.content_type = content_type
    upload.state = Upload.State.DONE
    upload.held_token = held.token


def upload_delete(upload: Upload) -> None:
    """The upload and every piece of it (the visitor cancelled, or it was refused)."""
    directory = _path(upload.segment_dir)
    Upload.objects.filter(pk=upload.pk).delete()
    transaction.on_commit(lambda: shutil.rmtree(directory, ignore_errors=True))


def uploads_discard(holder: str | None) -> int:
    """Every upload of this session, finished or not (the quick exit)."""
    rows = list(Upload.objects.of(holder))
    for row in rows:
        upload_delete(row)
    return len(rows)


def uploads_purge() -> int:
    """Uploads untouched for EVIDENCE_UPLOAD_EXPIRE_HOURS, rows and pieces (a periodic job);
    also pieces left without a row (a server stopped between writing and recording)."""
    rows = list(Upload.objects.abandoned())
    for row in rows:
        upload_delete(row)
    root = _path("uploads")
    if root.is_dir():
        known = {u.hex for u in Upload.objects.values_list("pk", flat=True)}
        cutoff = timezone.now() - datetime.timedelta(hours=settings.EVIDENCE_UPLOAD_EXPIRE_HOURS)
        for directory in root.iterdir():
            stale = directory.stat().st_mtime < cutoff.timestamp()
            if directory.name not in known and stale:
                shutil.rmtree(directory, ignore_errors=True)
    return len(rows)
