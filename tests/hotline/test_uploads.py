"""Large evidence files over the tus protocol (hotline.tus, hotline.services.uploads): the
protocol's rules as a client meets them, through Django's test client. Real HTTP, nginx and
killed servers are in test_uploads_live.py."""

import datetime
import hashlib
import re
import subprocess
from pathlib import Path

import pytest
import time_machine
from django.conf import settings as project_settings
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from hotline.models import Attachment, Complaint, HeldFile, Upload
from hotline.services import uploads

from .evidence_files import exe_bytes, png_bytes
from .helpers import assert_encrypted_at_rest, complaint_post_data, said, stored_plaintext
from .uploads_support import MP4_HEAD, Tus, video_bytes

pytestmark = pytest.mark.django_db


def files_under(root) -> list[Path]:
    root = Path(root)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def size(n: int, language: str = "uk") -> str:
    from django.template.defaultfilters import filesizeformat
    from django.utils import translation

    with translation.override(language):
        return str(filesizeformat(n))


def offset_of(tus: Tus, url: str) -> int:
    response = tus.head(url)
    assert response.status_code == 200
    return int(response["Upload-Offset"])


# --- Whole files ---------------------------------------------------------------------------


@hypothesis_settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    size=st.integers(min_value=len(MP4_HEAD), max_value=300_000),
    cuts=st.lists(st.floats(min_value=0, max_value=1), max_size=6),
    seed=st.integers(min_value=0, max_value=2**16),
)
def test_any_split_of_a_file_assembles_to_the_same_sha256(size, cuts, seed):
    data = video_bytes(size, seed)
    tus = Tus(Client())
    url = tus.start(len(data))
    tus.send(url, data, sorted({int(c * size) for c in cuts}))
    held = HeldFile.objects.get(token=Upload.objects.get(pk=url.split("/")[-2]).held_token)
    assert held.size == size
    assert held.sha256 == sha(data)
    assert stored_plaintext(held) == data


def test_pieces_are_encrypted_as_they_arrive_and_leave_when_the_file_is_whole(
    client, settings, django_capture_on_commit_callbacks
):
    data = video_bytes(400_000)
    tus = Tus(client)
    url = tus.start(len(data))
    tus.send(url, data[:300_000], [100_000, 200_000])
    segments = files_under(Path(settings.PRIVATE_MEDIA_ROOT) / "uploads")
    assert len(segments) == 3
    for path, start in zip(segments, (0, 100_000, 200_000), strict=True):
        assert_encrypted_at_rest(path, data[start : start + 100_000])
    with django_capture_on_commit_callbacks(execute=True):
        assert tus.patch(url, 300_000, data[300_000:]).status_code == 204
    held = HeldFile.objects.get()
    # Only the held file is left, encrypted under a key of its own.
    assert files_under(settings.PRIVATE_MEDIA_ROOT) == [held.file.path and Path(held.file.path)]
    assert_encrypted_at_rest(Path(held.file.path), data)
    assert held.content_type == "video/mp4"
    # A client that missed the last answer asks again: the upload is complete.
    assert offset_of(tus, url) == len(data)


def test_a_finished_upload_is_listed_on_the_form_and_sent_with_the_complaint(
    client, settings, django_capture_on_commit_callbacks
):
    data = video_bytes(200_000)
    tus = Tus(client)
    url = tus.start(len(data), name="затримання.mp4")
    with django_capture_on_commit_callbacks(execute=True):
        tus.send(url, data, [])
    page = client.get("/complaint/").content.decode()
    assert "затримання.mp4" in page and 'id="held-files"' in page
    held = HeldFile.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/complaint/", complaint_post_data()).status_code == 302
    [attachment] = Complaint.objects.get().attachments.all()
    assert (attachment.original_name, attachment.sha256) == ("затримання.mp4", sha(data))
    assert stored_plaintext(attachment) == data
    # Moved, not encrypted again: the same ciphertext under the evidence's name, same key.
    assert attachment.lock == held.lock
    assert not HeldFile.objects.exists()
    assert files_under(settings.PRIVATE_MEDIA_ROOT) == [Path(attachment.file.path)]


def test_a_finished_upload_is_sent_with_a_reply_in_the_case_inbox(
    client, django_capture_on_commit_callbacks
):
    from hotline.services import intake

    with django_capture_on_commit_callbacks(execute=True):
        complaint, code = intake.complaint_submit(
            data=_complaint_fields(), files=[], language="uk", submission_key=_key()
        )
    assert client.post("/complaint/status/", {"code": code}).status_code == 302
    data = video_bytes(150_000, seed=7)
    tus = Tus(client)
    tus.send(tus.start(len(data), name="відео.mp4"), data, [70_000])
    page = client.get("/complaint/case/").content.decode()
    assert "відео.mp4" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/complaint/case/", {"action": "reply", "text": "", "submission_key": _key()}
        )
    assert response.status_code == 302
    [attachment] = Attachment.objects.filter(complaint=complaint, message__isnull=False)
    assert stored_plaintext(attachment) == data
    assert not HeldFile.objects.exists()


def _key():
    import uuid

    return uuid.uuid4()


def _complaint_fields() -> dict:
    from hotline.forms import ComplaintForm

    form = ComplaintForm(data=complaint_post_data())
    assert form.is_valid(), form.errors
    return form.complaint_fields()


# --- Pieces that do not fit ----------------------------------------------------------------


def test_a_piece_sent_twice_out_of_order_or_at_a_wrong_offset_is_refused_and_the_file_stays_whole(
    client,
):
    data = video_bytes(300_000)
    tus = Tus(client)
    url = tus.start(len(data))
    assert tus.patch(url, 0, data[:100_000]).status_code == 204
    assert tus.patch(url, 0, data[:100_000]).status_code == 409  # twice
    assert tus.patch(url, 200_000, data[200_000:]).status_code == 409  # out of order
    assert tus.patch(url, 50_000, data[50_000:150_000]).status_code == 409  # wrong offset
    assert tus.patch(url, 0, b"x" * 100_000).status_code == 409  # a rewrite of what arrived
    assert offset_of(tus, url) == 100_000
    tus.send(url, data, [])  # goes on from 100,000 (send skips what is below)
    assert stored_plaintext(HeldFile.objects.get()) == data


def test_a_piece_larger_than_announced_is_refused_and_nothing_is_written(client, settings):
    settings.EVIDENCE_UPLOAD_CHUNK_BYTES = 64 * 1024
    data = video_bytes(100_000)
    tus = Tus(client)
    url = tus.start(len(data))
    too_big = tus.patch(url, 0, data[: 64 * 1024 + 1])
    assert too_big.status_code == 413
    assert too_big.content.decode() == said("A piece may be at most %(max)s.", max=size(64 * 1024))
    tus.send(url, data, [50_000])
    url2 = tus.start(10_000)
    past_end = tus.patch(url2, 0, video_bytes(10_001))
    assert past_end.status_code == 400
    assert offset_of(tus, url2) == 0
    assert not files_under(Path(settings.PRIVATE_MEDIA_ROOT) / "uploads" / url2.split("/")[-2])


def test_another_session_can_neither_append_read_nor_delete_and_learns_nothing(client):
    data = video_bytes(100_000)
    owner = Tus(client)
    url = owner.start(len(data))
    owner.patch(url, 0, data[:40_000])
    stranger = Tus(Client())
    Client().get("/complaint/")
    missing = f"/complaint/upload/{'0' * 32}/".replace(
        "0" * 32, "00000000-0000-4000-8000-000000000000"
    )
    assert stranger.head(url).status_code == 404
    for response in (stranger.patch(url, 40_000, data[40_000:]), stranger.delete(url)):
        assert response.status_code == 404
        # The same answer as for an upload that does not exist.
        assert response.content == owner.delete(missing).content
    assert offset_of(owner, url) == 40_000
    owner.send(url, data, [40_000])
    assert stored_plaintext(HeldFile.objects.get()) == data


def test_the_protocol_is_checked_as_a_tus_client_expects(client):
    options = client.options("/complaint/upload/")
    assert options.status_code == 204
    assert options["Tus-Version"] == "1.0.0"
    assert set(options["Tus-Extension"].split(",")) == {"creation", "termination"}
    assert int(options["Tus-Max-Size"]) == project_settings.EVIDENCE_UPLOAD_MAX_BYTES
    tus = Tus(client)
    url = tus.start(1000)
    assert client.head(url).status_code == 412  # no Tus-Resumable
    assert tus.create(None).status_code == 400  # no Upload-Length
    assert tus.create(None, HTTP_UPLOAD_DEFER_LENGTH="1").status_code == 400
    wrong_type = client.generic(
        "PATCH",
        url,
        b"x",
        content_type="text/plain",
        HTTP_TUS_RESUMABLE="1.0.0",
        HTTP_UPLOAD_OFFSET="0",
    )
    assert wrong_type.status_code == 415
    head = tus.head(url)
    assert (head["Upload-Offset"], head["Upload-Length"]) == ("0", "1000")
    assert "no-store" in head["Cache-Control"]


def test_csrf_stays_on(client):
    guarded = Tus(Client(enforce_csrf_checks=True))
    assert guarded.create(1000).status_code == 403
    assert not Upload.objects.exists()


# --- Files refused -------------------------------------------------------------------------


@pytest.mark.parametrize(("prefix", "language"), [("", "uk"), ("/en", "en")])
def test_a_3_gb_file_and_an_empty_one_are_refused_at_once_in_the_page_language(
    client, prefix, language
):
    tus = Tus(client, prefix)
    huge = tus.create(3 * 1024**3, name="evidence.mp4")
    assert huge.status_code == 413
    with_size = said(
        "“%(name)s” is larger than %(max)s, the most one file may be.",
        language,
        name="evidence.mp4",
        max=size(2 * 1024**3, language),
    )
    assert huge.content.decode() == with_size
    empty = tus.create(0, name="evidence.mp4")
    assert empty.status_code == 400
    assert empty.content.decode() == said("“%(name)s” is empty.", language, name="evidence.mp4")
    assert not Upload.objects.exists()


def test_a_file_whose_content_is_not_what_its_name_says_is_refused_and_deleted(client, settings):
    tus = Tus(client)
    program = exe_bytes() + b"\0" * 100_000
    url = tus.start(len(program), name="video.mp4")
    refused = tus.patch(url, 0, program[:80_000])
    assert refused.status_code == 415
    assert refused.content.decode() == said(
        "“%(name)s” does not contain what its name says (%(ext)s). Please attach the original file.",
        name="video.mp4",
        ext=".mp4",
    )
    assert tus.head(url).status_code == 404
    assert not Upload.objects.exists()
    # A name the vault never takes is refused before any content is sent.
    assert tus.create(1000, name="setup.exe").status_code == 415


def test_an_image_hiding_an_archive_at_its_end_is_refused_when_the_end_arrives(
    client, settings, django_capture_on_commit_callbacks
):
    image = png_bytes() + b"\0" * 200_000 + b"PK\x03\x04" + b"\0" * 100
    tus = Tus(client)
    url = tus.start(len(image), name="photo.png")
    assert tus.patch(url, 0, image[:100_000]).status_code == 204
    with django_capture_on_commit_callbacks(execute=True):
        refused = tus.patch(url, 100_000, image[100_000:])
    assert refused.status_code == 415
    assert not HeldFile.objects.exists() and not Upload.objects.exists()
    assert files_under(settings.PRIVATE_MEDIA_ROOT) == []


def test_a_form_takes_at_most_five_files_large_or_not(client):
    tus = Tus(client)
    for n in range(5):
        tus.start(1000, name=f"{n}.mp4")
    refused = tus.create(1000, name="sixth.mp4")
    assert refused.status_code == 413
    assert refused.content.decode() == said(
        "You have already attached %(max)d files, the most one form takes.", max=5
    )


def test_a_case_takes_at_most_its_quota(client, settings):
    settings.EVIDENCE_CASE_QUOTA_BYTES = 250_000
    tus = Tus(client)
    tus.start(200_000)
    refused = tus.create(100_000, name="second.mp4")
    assert refused.status_code == 413
    assert "second.mp4" in refused.content.decode()
    # Another session has a quota of its own.
    assert Tus(Client()).create(100_000).status_code == 201


# --- Faults and cleanup --------------------------------------------------------------------


@pytest.fixture
def small_disk(settings, tmp_path):
    """PRIVATE_MEDIA_ROOT on a real 1 MB filesystem (tmpfs), so a write fails as on a full
    disk; skipped where this machine may not mount."""
    root = tmp_path / "small_disk"
    root.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(root)], capture_output=True
    )
    if mounted.returncode:
        pytest.skip("cannot mount a small filesystem here (needs root)")
    settings.PRIVATE_MEDIA_ROOT = root
    yield root
    subprocess.run(["umount", "-l", str(root)], check=False)


def test_a_full_disk_gives_a_clear_error_and_nothing_half_written_is_kept(
    client, small_disk, django_capture_on_commit_callbacks
):
    # 600 KB fits once, not twice: the pieces arrive, the file made of them does not.
    data = video_bytes(600_000)
    tus = Tus(client)
    url = tus.start(len(data))
    assert tus.patch(url, 0, data[:300_000]).status_code == 204
    with django_capture_on_commit_callbacks(execute=True):
        full = tus.patch(url, 300_000, data[300_000:])
    assert full.status_code == 507
    assert full.content.decode() == said(
        "The server has no room to store your file right now. Nothing was lost: what arrived"
        " is kept, and the upload can go on later. Please try again in a while or call the"
        " hotline."
    )
    assert offset_of(tus, url) == 300_000
    assert not HeldFile.objects.exists()
    # Only the piece that was whole is kept: no temporary piece, no half a held file.
    assert [p.name for p in files_under(small_disk)] == [f"{0:015d}-{300_000:015d}"]
    # A piece that does not fit at all: refused the same way, nothing more on the disk.
    url2 = tus.start(900_000, name="other.mp4")
    assert tus.patch(url2, 0, video_bytes(900_000)).status_code == 507
    assert offset_of(tus, url2) == 0
    assert len(files_under(small_disk)) == 1


def test_abandoned_uploads_are_deleted_by_the_periodic_job(
    client, settings, django_capture_on_commit_callbacks
):
    assert "delete-abandoned-uploads" in settings.CELERY_BEAT_SCHEDULE
    from hotline import tasks

    data = video_bytes(100_000)
    tus = Tus(client)
    stale = tus.start(len(data))
    tus.patch(stale, 0, data[:50_000])
    with time_machine.travel(datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=20)):
        fresh = tus.start(len(data), name="fresh.mp4")
        tus.patch(fresh, 0, data[:50_000])
    later = datetime.timedelta(hours=settings.EVIDENCE_UPLOAD_EXPIRE_HOURS, minutes=1)
    with (
        time_machine.travel(datetime.datetime.now(datetime.UTC) + later),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert tasks.delete_abandoned_uploads() == 1
    # (The session itself ended long before: SESSION_COOKIE_AGE.)
    [left] = Upload.objects.all()
    assert (left.name, left.offset) == ("fresh.mp4", 50_000)
    assert len(files_under(Path(settings.PRIVATE_MEDIA_ROOT) / "uploads")) == 1


def test_cancel_and_the_quick_exit_delete_the_sessions_uploads(
    client, settings, django_capture_on_commit_callbacks
):
    data = video_bytes(100_000)
    tus = Tus(client)
    cancelled, left = tus.start(len(data)), tus.start(len(data), name="b.mp4")
    tus.patch(cancelled, 0, data[:50_000])
    tus.patch(left, 0, data[:50_000])
    with django_capture_on_commit_callbacks(execute=True):
        assert tus.delete(cancelled).status_code == 204
    assert tus.head(cancelled).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        client.get("/complaint/")
        token = client.cookies["csrftoken"].value
        client.post("/leave/", {"csrfmiddlewaretoken": token})
    assert not Upload.objects.exists()
    assert files_under(settings.PRIVATE_MEDIA_ROOT) == []


@pytest.mark.parametrize("path", ["/complaint/", "/en/complaint/"])
def test_without_javascript_the_form_is_as_before_and_the_large_file_field_is_hidden(client, path):
    page = client.get(path).content.decode()
    # The field is there for the script to show, hidden otherwise: without JavaScript the
    # form takes files of up to 10 MB, as it always did.
    assert re.search(r"<div class=\"large-upload mb-3\" data-large-upload hidden", page)
    assert 'id="id_attachments"' in page
    assert "vendor/tus-js-client-4.3.1/tus.min.js" in page


def test_a_piece_arriving_after_the_upload_was_cancelled_is_refused_cleanly(client):
    data = video_bytes(100_000)
    tus = Tus(client)
    url = tus.start(len(data))
    upload = Upload.objects.get()
    Upload.objects.all().delete()  # cancelled in another tab while this piece was on its way
    with pytest.raises(uploads.UploadRefused) as refused:
        import io

        uploads.upload_append(upload=upload, offset=0, stream=io.BytesIO(data), count=len(data))
    assert refused.value.status == 404
    assert tus.head(url).status_code == 404


def test_every_stored_file_and_folder_is_the_services_users_alone(
    client, settings, django_capture_on_commit_callbacks
):
    """Issue 29: evidence was written 0644 (encrypted, but anyone on the host could copy
    it). Every way a file is written — a piece of a large upload, a held file, evidence sent
    with the form, a held file linked into evidence — leaves nothing for group or others,
    whatever the process's umask."""
    import os
    import stat

    from django.core.files.uploadedfile import SimpleUploadedFile

    old_umask = os.umask(0o022)
    try:
        data = video_bytes(200_000)
        tus = Tus(client)
        url = tus.start(len(data), name="clip.mp4")
        assert tus.patch(url, 0, data[:100_000]).status_code == 204  # a piece, not whole yet
        root = Path(settings.PRIVATE_MEDIA_ROOT)
        modes = {p: stat.S_IMODE(p.stat().st_mode) for p in root.rglob("*")}
        with django_capture_on_commit_callbacks(execute=True):
            tus.send(url, data, [])  # whole: a held file
            photo = SimpleUploadedFile("photo.png", png_bytes(), "image/png")
            wrong = {**complaint_post_data(description="Too short."), "attachments": [photo]}
            client.post("/complaint/", wrong)  # the photo is held too
            assert client.post("/complaint/", complaint_post_data()).status_code == 302
        modes |= {p: stat.S_IMODE(p.stat().st_mode) for p in root.rglob("*")}
    finally:
        os.umask(old_umask)
    assert Complaint.objects.get().attachments.count() == 2
    assert len(modes) > 4  # pieces, held files, evidence and their folders were all seen
    loose = {str(p): oct(m) for p, m in modes.items() if m & 0o077}
    assert not loose
