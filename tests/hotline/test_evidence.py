import hashlib
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from hotline.models import Attachment, Complaint
from hotline.vault import evidence

from .evidence_files import exe_bytes, jpeg_bytes, pdf_bytes, png_bytes
from .helpers import assert_encrypted_at_rest, complaint_post_data, shown, stored_plaintext


def _code_of(error: ValidationError) -> str:
    [code] = {e.code for e in error.error_list}
    return code


# --- check_upload: one file ---------------------------------------------------------------


@pytest.mark.parametrize(
    "name, content, content_type",
    [
        ("photo.png", png_bytes(), "image/png"),
        ("photo.JPG", jpeg_bytes(), "image/jpeg"),
        ("act.pdf", pdf_bytes(), "application/pdf"),
    ],
)
def test_real_files_are_accepted_with_detected_type_size_and_hash(name, content, content_type):
    checked = evidence.check_upload(SimpleUploadedFile(name, content, "application/x-whatever"))
    assert checked.content_type == content_type
    assert checked.size == len(content)
    assert checked.sha256 == hashlib.sha256(content).hexdigest()
    assert checked.name == name


def test_executable_renamed_pdf_is_rejected():
    with pytest.raises(ValidationError) as caught:
        evidence.check_upload(SimpleUploadedFile("act.pdf", exe_bytes(), "application/pdf"))
    assert _code_of(caught.value) == "content"


def test_png_called_pdf_is_rejected():
    with pytest.raises(ValidationError) as caught:
        evidence.check_upload(SimpleUploadedFile("act.pdf", png_bytes()))
    assert _code_of(caught.value) == "content"


@pytest.mark.parametrize("name", ["setup.exe", "page.html", "image.svg", "script.sh", "noext"])
def test_types_not_on_the_list_are_rejected(name):
    with pytest.raises(ValidationError) as caught:
        evidence.check_upload(SimpleUploadedFile(name, pdf_bytes()))
    assert _code_of(caught.value) == "type"


def test_empty_file_is_rejected():
    with pytest.raises(ValidationError) as caught:
        evidence.check_upload(SimpleUploadedFile("empty.pdf", b""))
    assert _code_of(caught.value) == "empty"


def test_file_over_10_mb_is_rejected():
    big = pdf_bytes() + b"0" * (11 * 1024 * 1024)
    with pytest.raises(ValidationError) as caught:
        evidence.check_upload(SimpleUploadedFile("scan.pdf", big))
    assert _code_of(caught.value) == "too_big"


def test_file_of_exactly_10_mb_is_accepted():
    content = pdf_bytes() + b"0" * (evidence.MAX_FILE_SIZE - len(pdf_bytes()))
    assert evidence.check_upload(SimpleUploadedFile("scan.pdf", content)).size == 10 * 1024 * 1024


@pytest.mark.parametrize(
    "given, expected",
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\Windows\\act.pdf", "act.pdf"),
        ("/var/www/act.pdf", "act.pdf"),
        ("act\x00\x1b.pdf", "act.pdf"),
        ("..", "file"),
        ("", "file"),
    ],
)
def test_safe_name_drops_paths_and_control_characters(given, expected):
    assert evidence.safe_name(given) == expected


def test_safe_name_truncates_300_characters_keeping_the_extension():
    name = evidence.safe_name("я" * 296 + ".pdf")
    assert len(name) == 255
    assert name.endswith(".pdf")


# --- The evidence field of the complaint form ------------------------------------------------


def _post_with_files(client, files, **overrides):
    return client.post(
        reverse("hotline:complaint"), {**complaint_post_data(**overrides), "attachments": files}
    )


@pytest.mark.django_db
def test_sixth_file_is_refused_and_nothing_saved(client):
    files = [SimpleUploadedFile(f"p{i}.png", png_bytes()) for i in range(6)]
    response = _post_with_files(client, files)
    assert response.status_code == 200
    assert shown("Attach at most %(max)d files (you attached %(count)d).", max=5, count=6) in (
        response.content.decode()
    )
    assert not Complaint.objects.exists()


@pytest.mark.django_db
def test_five_files_are_accepted(client):
    files = [SimpleUploadedFile(f"p{i}.png", png_bytes()) for i in range(5)]
    response = _post_with_files(client, files)
    assert response.status_code == 302
    assert Attachment.objects.count() == 5


@pytest.mark.django_db
def test_disguised_executable_refused_with_its_name_in_the_message(client):
    response = _post_with_files(client, [SimpleUploadedFile("act.pdf", exe_bytes())])
    assert response.status_code == 200
    message = shown(
        "“%(name)s” does not contain what its name says (%(ext)s). Please attach the original file.",
        name="act.pdf",
        ext=".pdf",
    )
    assert message in response.content.decode()
    assert not Complaint.objects.exists()


@pytest.mark.django_db
def test_oversized_file_refused_through_the_form(client, monkeypatch):
    monkeypatch.setattr(evidence, "MAX_FILE_SIZE", 1024)
    big = pdf_bytes() + b"0" * 2048
    response = _post_with_files(client, [SimpleUploadedFile("scan.pdf", big)])
    assert response.status_code == 200
    assert "scan.pdf" in response.content.decode()
    assert not Complaint.objects.exists()


@pytest.mark.django_db
def test_empty_file_refused_through_the_form(client):
    response = _post_with_files(client, [SimpleUploadedFile("empty.pdf", b"")])
    assert response.status_code == 200
    assert shown("“%(name)s” is empty.", name="empty.pdf") in response.content.decode()
    assert not Complaint.objects.exists()


@pytest.mark.django_db
def test_path_in_file_name_is_stored_as_a_plain_safe_name(client, settings):
    response = _post_with_files(client, [SimpleUploadedFile("../../etc/passwd.pdf", pdf_bytes())])
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.original_name == "passwd.pdf"
    stored = Path(attachment.file.path).resolve()
    assert stored.is_relative_to(Path(settings.PRIVATE_MEDIA_ROOT).resolve())
    assert "passwd" not in attachment.file.name
    assert ".." not in attachment.file.name


@pytest.mark.django_db
def test_long_file_name_truncated_keeping_extension(client):
    name = "a" * 296 + ".pdf"
    response = _post_with_files(client, [SimpleUploadedFile(name, pdf_bytes())])
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert len(attachment.original_name) <= 255
    assert attachment.original_name.endswith(".pdf")


@pytest.mark.django_db
def test_png_and_pdf_stored_privately_with_hash_size_and_detected_type(client, settings):
    png, pdf = png_bytes(), pdf_bytes()
    files = [
        SimpleUploadedFile("photo.png", png, "application/octet-stream"),
        SimpleUploadedFile("act.pdf", pdf, "text/plain"),
    ]
    response = _post_with_files(client, files)
    assert response.status_code == 302
    complaint = Complaint.objects.get()
    stored = {a.original_name: a for a in complaint.attachments.all()}
    assert set(stored) == {"photo.png", "act.pdf"}
    private_root = Path(settings.PRIVATE_MEDIA_ROOT).resolve()
    for name, content, content_type in [
        ("photo.png", png, "image/png"),
        ("act.pdf", pdf, "application/pdf"),
    ]:
        attachment = stored[name]
        assert attachment.content_type == content_type
        assert attachment.size == len(content)
        assert attachment.sha256 == hashlib.sha256(content).hexdigest()
        path = Path(attachment.file.path).resolve()
        assert path.is_relative_to(private_root)
        assert_encrypted_at_rest(path, content)
        assert stored_plaintext(attachment) == content
