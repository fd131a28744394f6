"""Rotating the evidence vault's wrapping key, and encrypting files stored before the vault.

Run by `manage.py evidence_rekey` after EVIDENCE_KEY was set to a new key and the old one
moved to EVIDENCE_KEY_FALLBACKS. Each row is its own short transaction: downloads and new
uploads go on meanwhile (they read with either key), and an interrupted run resumes where it
stopped, because only rows not yet under the current key are picked up. Re-wrapping touches
the row only; a file stored before the vault is encrypted into a new file, checked against
its recorded SHA-256, and the plaintext file deleted after the commit.
"""

import hashlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.db import transaction

from ..models import Attachment, HeldFile, SourceCopy
from . import cipher
from .storage import private_storage

logger = logging.getLogger(__name__)
MODELS = (Attachment, HeldFile, SourceCopy)


@dataclass
class Report:
    rewrapped: int = 0
    encrypted: int = 0
    failed: list[str] = field(default_factory=list)


def pending(model):
    current_id, _key = cipher.current_key()
    return model.objects.exclude(key_id=current_id)


def pending_count() -> int:
    return sum(pending(model).count() for model in MODELS)


def rekey_all(*, progress: Callable[[int], None] = lambda n: None) -> Report:
    report = Report()
    for model in MODELS:
        for pk in list(pending(model).order_by("pk").values_list("pk", flat=True)):
            try:
                _rekey_row(model, pk, report)
            except cipher.VaultError as error:
                label = f"{model._meta.model_name} #{pk}: {error}"
                logger.error("evidence_rekey: %s", label)
                report.failed.append(label)
            progress(1)
    return report


def _hashing(chunks: Iterator[bytes], digest) -> Iterator[bytes]:
    for chunk in chunks:
        digest.update(chunk)
        yield chunk


def _rekey_row(model, pk: int, report: Report) -> None:
    current_id, _key = cipher.current_key()
    with transaction.atomic():
        row = model.objects.select_for_update().filter(pk=pk).first()
        if row is None or row.key_id == current_id:
            return  # deleted meanwhile, or done by another run
        if row.key_id:
            lock = cipher.rewrap(row.lock)
            model.objects.filter(pk=pk).update(key_id=lock.key_id, wrapped_key=lock.wrapped_key)
            report.rewrapped += 1
            return
        old_name = row.file.name
        digest = hashlib.sha256()
        lock = cipher.store(row.file, _hashing(cipher.plain_chunks(row.file, row.lock), digest))
        if digest.hexdigest() != row.sha256:
            private_storage.delete(row.file.name)
            raise cipher.Tampered(
                "the stored plaintext file does not match its recorded SHA-256; left as it is"
            )
        new_name = row.file.name
        try:
            model.objects.filter(pk=pk).update(
                file=new_name, key_id=lock.key_id, wrapped_key=lock.wrapped_key
            )
        except BaseException:
            private_storage.delete(new_name)
            raise
        transaction.on_commit(lambda: private_storage.delete(old_name))
        report.encrypted += 1
