"""No one loses a statement: evidence survives a wrong field, and "I don't know" is an answer."""

import datetime
import hashlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from hotline.models import Attachment, Complaint, HeldFile
from hotline.services import intake, publication
from hotline.services.triage import TransitionError

from .evidence_files import pdf_bytes, png_bytes
from .helpers import complaint_post_data, said, shown, stored_plaintext

pytestmark = pytest.mark.django_db
URL = "/complaint/"


def photo(name="photo.png"):
    return SimpleUploadedFile(name, png_bytes(), "image/png")


def stored(settings) -> list[Path]:
    root = Path(settings.PRIVATE_MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_a_file_attached_before_a_wrong_field_is_sent_with_the_fixed_form(
    client, settings, django_capture_on_commit_callbacks
):
    first = client.post(
        URL, {**complaint_post_data(description="Too short."), "attachments": [photo()]}
    )
    assert first.status_code == 200
    page = first.content.decode()
    assert 'id="held-files"' in page and "photo.png" in page
    assert Complaint.objects.count() == 0
    assert HeldFile.objects.count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        second = client.post(URL, complaint_post_data())
    assert second.status_code == 302
    complaint = Complaint.objects.get()
    [attachment] = complaint.attachments.all()
    assert attachment.original_name == "photo.png"
    assert attachment.sha256 == hashlib.sha256(png_bytes()).hexdigest()
    assert stored_plaintext(attachment) == png_bytes()
    # Held no more: the only stored file is the evidence itself.
    assert not HeldFile.objects.exists()
    assert [p.name for p in stored(settings)] == [Path(attachment.file.name).name]


@pytest.mark.parametrize(("prefix", "language"), [("", "uk"), ("/en", "en")])
def test_held_files_are_listed_with_a_remove_button_in_both_languages(client, prefix, language):
    data = {**complaint_post_data(description="Too short."), "attachments": [photo("знімок.png")]}
    page = client.post(f"{prefix}{URL}", data).content.decode()
    assert "знімок.png" in page
    assert shown("Remove", language) in page
    assert 'name="remove_held"' in page


def test_a_removed_file_is_not_attached_and_is_deleted(
    client, settings, django_capture_on_commit_callbacks
):
    client.post(URL, {**complaint_post_data(description="Too short."), "attachments": [photo()]})
    held = HeldFile.objects.get()
    data = complaint_post_data(description="Still writing my story, not done yet.")
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(URL, {**data, "remove_held": held.token}).content.decode()
    assert "Still writing my story, not done yet." in page  # kept as typed
    assert 'id="held-files"' not in page
    assert not HeldFile.objects.exists()
    assert client.post(URL, complaint_post_data()).status_code == 302
    assert not Attachment.objects.exists()
    assert stored(settings) == []


def test_held_and_new_files_together_obey_the_five_file_limit(client):
    data = complaint_post_data(description="Too short.")
    client.post(URL, {**data, "attachments": [photo(f"{i}.png") for i in range(4)]})
    assert HeldFile.objects.count() == 4
    page = client.post(
        URL, {**complaint_post_data(), "attachments": [photo("5.png"), photo("6.png")]}
    )
    assert page.status_code == 200
    assert shown("Attach at most %(max)d files (you attached %(count)d).", max=5, count=6) in (
        page.content.decode()
    )
    assert not Complaint.objects.exists()
    assert (
        client.post(URL, {**complaint_post_data(), "attachments": [photo("5.png")]}).status_code
        == 302
    )
    assert Complaint.objects.get().attachments.count() == 5


def test_another_visitor_never_sees_or_gets_held_files(client, settings):
    client.post(
        URL, {**complaint_post_data(description="Too short."), "attachments": [photo("mine.png")]}
    )
    held = HeldFile.objects.get()
    stranger = Client()
    page = stranger.post(URL, complaint_post_data(description="Too short.")).content.decode()
    assert "mine.png" not in page
    # Naming someone else's file, or a forged one, removes nothing and attaches nothing.
    for token in (held.token, "forged-token", str(held.pk)):
        stranger.post(URL, {**complaint_post_data(), "remove_held": token})
    assert HeldFile.objects.filter(pk=held.pk).exists()
    assert stranger.post(URL, complaint_post_data()).status_code == 302
    assert not Attachment.objects.exists()


def test_files_held_over_an_hour_are_not_offered_and_the_job_deletes_them(
    client, settings, django_capture_on_commit_callbacks
):
    client.post(URL, {**complaint_post_data(description="Too short."), "attachments": [photo()]})
    HeldFile.objects.update(created_at=timezone.now() - datetime.timedelta(minutes=61))
    page = client.post(URL, complaint_post_data(description="Too short.")).content.decode()
    assert 'id="held-files"' not in page
    with django_capture_on_commit_callbacks(execute=True):
        assert intake.held_files_purge() == 1
    assert not HeldFile.objects.exists()
    assert stored(settings) == []
    assert client.post(URL, complaint_post_data()).status_code == 302
    assert not Attachment.objects.exists()


def test_a_refused_file_is_not_kept_and_the_good_one_of_that_try_is(client, settings):
    bad = SimpleUploadedFile("act.pdf", b"MZ\x90\x00" + b"\x00" * 64, "application/pdf")
    good = SimpleUploadedFile("scan.pdf", pdf_bytes(), "application/pdf")
    client.post(URL, {**complaint_post_data(), "attachments": [good, bad]})
    assert [held.original_name for held in HeldFile.objects.all()] == ["scan.pdf"]
    assert len(stored(settings)) == 1


# --- "I don't know" ----------------------------------------------------------------------------


@pytest.mark.parametrize(("prefix", "language"), [("", "uk"), ("/en", "en")])
def test_region_category_and_date_accept_i_dont_know(client, prefix, language):
    page = client.get(f"{prefix}{URL}").content.decode()
    assert shown("I don't know", language) in page
    response = client.post(
        f"{prefix}{URL}", complaint_post_data(region="", category="", occurred_on="")
    )
    assert response.status_code == 302
    complaint = Complaint.objects.get()
    assert (complaint.region, complaint.category, complaint.occurred_on) == (None, None, None)


def test_staff_handle_a_complaint_with_unknown_answers(client, triage, settings):
    settings.STAFF_NOTIFY_EMAILS = ["duty@example.org"]
    Client().post(URL, complaint_post_data(region="", category="", occurred_on=""))
    complaint = Complaint.objects.get()
    client.force_login(triage)
    assert client.get("/admin/hotline/complaint/").status_code == 200
    assert client.get(f"/admin/hotline/complaint/{complaint.pk}/change/").status_code == 200
    complaint.status = Complaint.Status.VERIFIED
    complaint.consent_publish = True
    complaint.save()
    with pytest.raises(TransitionError) as refused:
        publication.incident_draft_from_complaint(complaint=complaint)
    assert said("first fill in: %(fields)s", fields="")[:10] in str(refused.value)


def test_staff_mail_and_webhook_say_not_known(
    settings, mailoutbox, django_capture_on_commit_callbacks
):
    from hotline import notifications
    from hotline.models import Notification
    from hotline.services import outbox

    settings.STAFF_NOTIFY_EMAILS = ["duty@example.org"]
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(URL, complaint_post_data(region="", category="", occurred_on=""))
    row = Notification.objects.get(kind=Notification.Kind.NEW_COMPLAINT, channel="email")
    outbox.deliver(row.pk)
    [staff_mail] = [m for m in mailoutbox if m.to == ["duty@example.org"]]
    assert shown("not known") in staff_mail.subject
    payload = notifications.webhook_payload(row)
    assert (payload["category"], payload["region"]) == (None, None)


@pytest.mark.parametrize(("prefix", "language"), [("", "uk"), ("/en", "en")])
def test_at_the_hourly_limit_the_files_that_pass_are_kept_and_the_banner_says_which(
    client, settings, prefix, language
):
    """Issue 28: the limit page kept the words and dropped the evidence, while it said
    "Everything you typed is still here"."""
    settings.RATE_LIMIT_COMPLAINT = "1/h"
    assert client.post(f"{prefix}{URL}", complaint_post_data()).status_code == 302
    fake = SimpleUploadedFile("contract.pdf", b"MZ\x90\x00 not a pdf at all", "application/pdf")
    data = {**complaint_post_data(), "attachments": [photo("знімок.png"), fake]}
    response = client.post(f"{prefix}{URL}", data)
    assert response.status_code == 429
    page = response.content.decode()
    outcome = page.split('id="limited-files"')[1].split("</div>")[0]
    assert (
        shown("Your files are kept for one hour, you need not attach them again:", language)
        in outcome
    )
    assert "знімок.png" in outcome
    assert shown("Not kept:", language) in outcome and "contract.pdf" in outcome
    assert [h.original_name for h in HeldFile.objects.all()] == ["знімок.png"]
    assert 'id="held-files"' in page  # listed with its remove button, as after a wrong field

    # Once the hour is up, the same form sends the kept photo with the complaint.
    settings.RATE_LIMIT_COMPLAINT = "100/h"
    assert client.post(f"{prefix}{URL}", complaint_post_data()).status_code == 302
    assert [a.original_name for a in Complaint.objects.order_by("pk").last().attachments.all()] == [
        "знімок.png"
    ]


def test_at_the_hourly_limit_too_many_files_are_not_kept_and_it_says_so(client, settings):
    settings.RATE_LIMIT_COMPLAINT = "1/h"
    client.post(URL, complaint_post_data())
    data = {**complaint_post_data(), "attachments": [photo(f"p{i}.png") for i in range(6)]}
    page = client.post(URL, data).content.decode()
    assert shown("More than %(max)d files: none was kept.", max=5) in page
    assert not HeldFile.objects.exists()
