import logging
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

import tests.settings as configured
from hotline.vault.evidence import check_upload
from hotline.vault.storage import private_storage

from .evidence_files import pdf_bytes
from .factories import AttachmentFactory, ComplaintFactory, UserFactory


@pytest.fixture
def attachment(db):
    complaint = ComplaintFactory()
    checked = check_upload(SimpleUploadedFile("../court act.pdf", pdf_bytes()))
    # Stored as the complaint form stores it: encrypted by the vault.
    return AttachmentFactory(
        complaint=complaint,
        original_name=checked.name,
        content_type=checked.content_type,
        data=pdf_bytes(),
    )


def _download(client, attachment_pk):
    return client.get(reverse("hotline:attachment-download", args=[attachment_pk]))


def test_private_files_have_no_url():
    with pytest.raises(NotImplementedError):
        private_storage.url("evidence/anything")


@pytest.mark.django_db
def test_attachment_file_has_no_url(attachment):
    with pytest.raises(NotImplementedError):
        attachment.file.url  # noqa: B018


@pytest.mark.django_db
def test_anonymous_visitor_gets_404(client, attachment):
    assert _download(client, attachment.pk).status_code == 404


@pytest.mark.django_db
def test_logged_in_non_staff_user_gets_404(client, attachment):
    client.force_login(UserFactory())
    assert _download(client, attachment.pk).status_code == 404


@pytest.mark.django_db
def test_triage_member_without_staff_flag_gets_404(client, attachment):
    user = UserFactory(is_staff=False)
    user.groups.add(Group.objects.get(name="Triage"))
    client.force_login(user)
    assert _download(client, attachment.pk).status_code == 404


@pytest.mark.django_db
def test_hotline_operator_gets_404(client, attachment, operator):
    client.force_login(operator)
    assert _download(client, attachment.pk).status_code == 404


@pytest.mark.django_db
def test_editor_gets_404(client, attachment, editor):
    client.force_login(editor)
    assert _download(client, attachment.pk).status_code == 404


@pytest.mark.django_db
def test_triage_downloads_the_file_and_the_access_is_logged(client, attachment, triage, caplog):
    client.force_login(triage)
    with caplog.at_level(logging.INFO, logger="hotline.access"):
        response = _download(client, attachment.pk)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == pdf_bytes()
    response.close()
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "court act.pdf" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Security-Policy"] == "sandbox"
    [record] = [r for r in caplog.records if r.name == "hotline.access"]
    message = record.getMessage()
    assert f"user={triage.pk}" in message
    assert f"attachment={attachment.pk}" in message
    assert f"complaint={attachment.complaint_id}" in message


@pytest.mark.django_db
def test_nonexistent_attachment_is_404_for_triage(client, triage):
    client.force_login(triage)
    assert _download(client, 999_999).status_code == 404


@pytest.mark.django_db
def test_inactive_triage_user_gets_404(client, attachment, triage):
    client.force_login(triage)
    triage.is_active = False
    triage.save()
    assert _download(client, attachment.pk).status_code == 404


@pytest.mark.django_db
def test_files_live_under_private_media_root_only(attachment, settings):
    path = Path(attachment.file.path).resolve()
    assert path.is_file()
    assert path.is_relative_to(Path(settings.PRIVATE_MEDIA_ROOT).resolve())
    assert not path.is_relative_to(Path(settings.MEDIA_ROOT).resolve())
    assert not path.is_relative_to(Path(settings.STATIC_ROOT).resolve())
    assert not Path(settings.MEDIA_ROOT).exists() or not any(Path(settings.MEDIA_ROOT).rglob("*"))
    # The stored name says nothing about the file or its owner.
    assert "court" not in attachment.file.name
    assert not attachment.file.name.endswith(".pdf")


def test_configured_private_root_is_outside_public_directories():
    private = Path(configured.PRIVATE_MEDIA_ROOT).resolve()
    for public in (configured.MEDIA_ROOT, configured.STATIC_ROOT, *configured.STATICFILES_DIRS):
        public = Path(public).resolve()
        assert not private.is_relative_to(public)
        assert not public.is_relative_to(private)
