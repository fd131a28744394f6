"""The evidence vault: what lies on disk is useless without EVIDENCE_KEY, and a changed file
or a wrong key serves nothing."""

import hashlib
import io
import os
import secrets
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from hotline.models import AccessEvent, Attachment, Complaint, HeldFile
from hotline.vault import cipher, rekey

from .evidence_files import png_bytes
from .factories import AttachmentFactory
from .helpers import assert_encrypted_at_rest, complaint_post_data, shown, stored_plaintext

MARKER = b"PLAINTEXT-MARKER-Ivanna-Koval-+380671234567-"


def _path(row) -> Path:
    return Path(row.file.storage.path(row.file.name))


def _key():
    return secrets.token_urlsafe(32)


# --- The format ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "size", [0, 1, cipher.CHUNK - 1, cipher.CHUNK, cipher.CHUNK + 1, 3 * cipher.CHUNK + 5]
)
def test_any_size_comes_back_exactly(size):
    data = os.urandom(size)
    key = os.urandom(cipher.KEY_BYTES)
    stream = io.BytesIO(b"".join(cipher.encrypt([data[:7], data[7:]], key)))
    assert b"".join(cipher.decrypt(stream, key)) == data


def _sealed(data=MARKER * 3000):
    key = os.urandom(cipher.KEY_BYTES)
    return bytearray(b"".join(cipher.encrypt([data], key))), key


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda b: b.__setitem__(len(b) // 2, b[len(b) // 2] ^ 1), id="one bit"),
        pytest.param(lambda b: b.__delitem__(slice(-100, None)), id="end cut off"),
        pytest.param(
            lambda b: b.__delitem__(slice(len(cipher.MAGIC) + 24, len(cipher.MAGIC) + 24 + 65553)),
            id="a chunk removed",
        ),
        pytest.param(lambda b: b.extend(b"more"), id="data appended"),
        pytest.param(lambda b: b.__setitem__(0, ord("X")), id="header"),
    ],
)
def test_any_change_to_the_stored_file_is_refused(damage):
    sealed, key = _sealed()
    damage(sealed)
    with pytest.raises(cipher.Tampered):
        b"".join(cipher.decrypt(io.BytesIO(bytes(sealed)), key))


# --- Uploads: encrypted before they touch the disk -------------------------------------------


@pytest.mark.django_db
def test_a_sent_complaint_leaves_no_plaintext_on_disk_not_even_a_temporary_file(
    client, settings, tmp_path, _private_media
):
    """A 3 MB photo: more than Django keeps in memory by default, so it would have gone
    through a temporary file; here it is encrypted from memory."""
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "tmp")
    os.makedirs(settings.FILE_UPLOAD_TEMP_DIR)
    content = png_bytes() + MARKER * (3 * 1024 * 1024 // len(MARKER))
    upload = SimpleUploadedFile("photo.png", content, content_type="image/png")
    response = client.post(reverse("hotline:complaint"), complaint_post_data(attachments=[upload]))
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.encrypted
    assert os.listdir(settings.FILE_UPLOAD_TEMP_DIR) == []
    for root, _dirs, files in os.walk(_private_media):
        for name in files:
            assert MARKER not in Path(root, name).read_bytes()
    assert_encrypted_at_rest(_path(attachment), content)
    assert stored_plaintext(attachment) == content


@pytest.mark.django_db
def test_held_files_are_encrypted_too(client, _private_media):
    upload = SimpleUploadedFile("photo.png", png_bytes() + MARKER, content_type="image/png")
    client.post(
        reverse("hotline:complaint"), complaint_post_data(description="short", attachments=[upload])
    )
    held = HeldFile.objects.get()
    assert held.encrypted
    assert MARKER not in _path(held).read_bytes()


# --- Downloads ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_tampered_file_is_refused_logged_and_nothing_is_served(triage_client):
    attachment = AttachmentFactory(data=png_bytes() + MARKER * 5000)
    path = _path(attachment)
    stored = bytearray(path.read_bytes())
    stored[-200] ^= 0x01  # one bit, near the end: found before the first byte goes out
    path.write_bytes(bytes(stored))
    response = triage_client.get(attachment.get_absolute_url())
    assert response.status_code == 409
    assert not response.streaming
    body = response.content
    assert MARKER not in body and png_bytes()[:16] not in body
    assert shown("This evidence file was not served: it failed its integrity check.") in (
        body.decode()
    )
    assert shown("The stored file was changed: a part of it fails authentication.") in (
        body.decode()
    )
    assert "no-store" in response["Cache-Control"]
    event = AccessEvent.objects.get()
    assert (event.action, event.attachment_id) == (AccessEvent.Action.REFUSED, attachment.pk)


@pytest.mark.django_db
def test_a_wrong_evidence_key_serves_nothing_and_says_which_key(triage_client, settings):
    attachment = AttachmentFactory()
    settings.EVIDENCE_KEY = _key()
    response = triage_client.get(attachment.get_absolute_url())
    assert response.status_code == 409
    assert attachment.key_id in response.content.decode()
    assert "EVIDENCE_KEY" in response.content.decode()
    assert AccessEvent.objects.get().action == AccessEvent.Action.REFUSED


@pytest.mark.django_db
def test_a_changed_wrapped_key_is_refused(triage_client):
    attachment = AttachmentFactory()
    other = cipher.wrap(os.urandom(cipher.KEY_BYTES))
    Attachment.objects.filter(pk=attachment.pk).update(wrapped_key=other.wrapped_key)
    # Another file's key opens nothing here: authentication fails on the first chunk.
    response = triage_client.get(attachment.get_absolute_url())
    assert response.status_code == 409
    assert AccessEvent.objects.get().action == AccessEvent.Action.REFUSED


@pytest.mark.django_db
def test_a_good_download_streams_the_plaintext_with_its_length(triage_client):
    data = png_bytes() + os.urandom(200_000)
    attachment = AttachmentFactory(data=data)
    response = triage_client.get(attachment.get_absolute_url())
    assert response.status_code == 200 and response.streaming
    assert response["Content-Length"] == str(len(data))
    assert b"".join(response.streaming_content) == data
    assert hashlib.sha256(data).hexdigest() == attachment.sha256


# --- Rotating the key ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_rekey_rotates_without_downtime_and_resumes(triage_client, settings, capsys):
    old_rows = AttachmentFactory.create_batch(3)
    old_key = settings.EVIDENCE_KEY
    # The new key goes live with the old one as a fallback: downloads go on.
    settings.EVIDENCE_KEY, settings.EVIDENCE_KEY_FALLBACKS = _key(), [old_key]
    new_id, _key_bytes = cipher.current_key()
    new_row = AttachmentFactory()
    assert new_row.key_id == new_id
    assert triage_client.get(old_rows[0].get_absolute_url()).status_code == 200

    # Interrupted after the first file, then run again: it finishes the rest.
    first = old_rows[0]
    lock = cipher.rewrap(first.lock)
    Attachment.objects.filter(pk=first.pk).update(key_id=lock.key_id, wrapped_key=lock.wrapped_key)
    assert rekey.pending_count() == 2
    call_command("evidence_rekey")
    out, err = capsys.readouterr()
    assert "2 re-wrapped" in out
    assert "2/2" in err  # the progress bar
    assert rekey.pending_count() == 0
    call_command("evidence_rekey", "--check")  # nothing left: no error
    assert "Files not yet under key" in capsys.readouterr().out
    # Had the rotation not run, --check says so and fails (for a deploy script).
    settings.EVIDENCE_KEY, settings.EVIDENCE_KEY_FALLBACKS = old_key, [settings.EVIDENCE_KEY]
    with pytest.raises(CommandError):
        call_command("evidence_rekey", "--check")


@pytest.mark.django_db
def test_after_rotation_the_old_key_is_no_longer_needed(triage_client, settings):
    rows = AttachmentFactory.create_batch(2)
    contents = [stored_plaintext(row) for row in rows]
    files_before = [_path(row).read_bytes() for row in rows]
    settings.EVIDENCE_KEY, settings.EVIDENCE_KEY_FALLBACKS = _key(), [settings.EVIDENCE_KEY]
    call_command("evidence_rekey")
    settings.EVIDENCE_KEY_FALLBACKS = []
    for row, content, before in zip(rows, contents, files_before, strict=True):
        row.refresh_from_db()
        assert _path(row).read_bytes() == before  # only the key's wrapping changed
        response = triage_client.get(row.get_absolute_url())
        assert b"".join(response.streaming_content) == content


@pytest.mark.django_db
def test_rekey_encrypts_files_stored_before_the_vault(
    triage_client, _private_media, django_capture_on_commit_callbacks
):
    from django.core.files.base import ContentFile

    from .factories import ComplaintFactory

    content = png_bytes() + MARKER
    legacy = Attachment(
        complaint=ComplaintFactory(),
        original_name="old.png",
        content_type="image/png",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
    )
    legacy.file.save("evidence", ContentFile(content), save=False)
    legacy.save()
    plain_path = _path(legacy)
    assert plain_path.read_bytes() == content
    # Still served (checked against its hash) before the rotation.
    assert b"".join(triage_client.get(legacy.get_absolute_url()).streaming_content) == content

    with django_capture_on_commit_callbacks(execute=True):
        call_command("evidence_rekey")
    legacy.refresh_from_db()
    assert legacy.encrypted
    assert not plain_path.exists()
    assert_encrypted_at_rest(_path(legacy), content)
    assert b"".join(triage_client.get(legacy.get_absolute_url()).streaming_content) == content


@pytest.mark.django_db
def test_rekey_leaves_a_file_it_cannot_open_and_says_so(settings):
    row = AttachmentFactory()
    settings.EVIDENCE_KEY = _key()  # the old key is lost: not in the fallbacks
    with pytest.raises(CommandError):
        call_command("evidence_rekey")
    row.refresh_from_db()
    assert row.key_id != cipher.current_key()[0]
    assert Complaint.objects.count() == 1
