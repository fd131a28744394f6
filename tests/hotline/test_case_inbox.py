"""The reporter's case inbox behind the tracking code, and the staff side of the conversation."""

import datetime
import hashlib
import uuid
from pathlib import Path

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import ngettext

from hotline.models import AccessEvent, Attachment, CaseMessage, Complaint, Notification
from hotline.services import desk, inbox

from .evidence_files import exe_bytes, png_bytes
from .factories import CaseMessageFactory, ComplaintFactory, complaint_with_code
from .helpers import assert_encrypted_at_rest, shown, stored_plaintext

pytestmark = pytest.mark.django_db

TRACK = reverse("hotline:track")
CASE = reverse("hotline:case")


def open_case(client, code, **kwargs):
    return client.post(TRACK, {"code": code}, **kwargs)


def reply(client, text="", files=(), key=None, url=CASE):
    data = {"action": "reply", "text": text, "submission_key": str(key or uuid.uuid4())}
    if files:
        data["attachments"] = list(files)
    return client.post(url, data)


def photo(name="photo.png"):
    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


# --- Opening and leaving ----------------------------------------------------------------------


def test_the_code_opens_the_inbox_in_the_reporters_language_never_in_a_url(client):
    complaint, code = complaint_with_code(language="en", status=Complaint.Status.VERIFYING)
    before = client.session.session_key
    response = open_case(client, code)
    assert response.status_code == 302
    assert response.url == "/en/complaint/case/"  # filed in English, read in English
    assert code not in response.url and complaint.tracking_code_hash not in response.url
    assert client.session.session_key != before  # a new session for the case
    page = client.get(response.url)
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]
    assert page["X-Robots-Tag"] == "noindex, nofollow"
    html = page.content.decode()
    assert '<html lang="en">' in html
    assert "IMI is verifying what you reported." in html
    assert code not in html  # the code is not shown back on the page


def test_without_a_code_there_is_no_inbox(client):
    response = client.get(CASE)
    assert response.status_code == 302 and response.url == TRACK
    assert client.post(CASE, {"action": "reply", "text": "hello"}).status_code == 302
    assert not CaseMessage.objects.exists()


def test_a_wrong_code_opens_nothing_and_says_the_same_as_an_unknown_one(client):
    complaint_with_code()
    response = open_case(client, "K7Q4-9XMD-2RHP-5WNA")
    assert response.status_code == 200
    assert 'id="not-found"' in response.content.decode()
    assert client.get(CASE).status_code == 302


def test_leave_ends_the_case_at_once(client):
    _complaint, code = complaint_with_code()
    open_case(client, code)
    assert client.get(CASE).status_code == 200
    response = client.post(CASE, {"action": "leave"}, follow=True)
    assert shown("You left your case. Nothing of it stays on this page.") in (
        response.content.decode()
    )
    assert client.get(CASE).status_code == 302


def test_the_case_ends_after_15_idle_minutes_but_not_while_in_use(client):
    _complaint, code = complaint_with_code()
    open_case(client, code)
    with time_machine.travel(datetime.timedelta(minutes=14)):
        assert client.get(CASE).status_code == 200  # activity: the clock starts again
    with time_machine.travel(datetime.timedelta(minutes=28)):
        assert client.get(CASE).status_code == 200
    with time_machine.travel(datetime.timedelta(minutes=44)):
        response = client.get(CASE, follow=True)
    assert response.redirect_chain[-1][0] == TRACK
    assert "15" in response.content.decode()
    assert client.get(CASE).status_code == 302


def test_a_reply_sent_after_the_case_ended_is_kept_and_the_code_asked_again(client):
    complaint, code = complaint_with_code()
    open_case(client, code)
    words = "The officer's badge number was 4471, I remembered it today."
    with time_machine.travel(datetime.timedelta(minutes=20)):
        response = reply(client, words)
        assert response.status_code == 302 and response.url == TRACK
        page = client.get(TRACK).content.decode()
        assert words.replace("'", "&#x27;") in page  # shown while asking for the code
        assert 'id="pending-reply"' in page
        assert not CaseMessage.objects.exists()  # nothing was sent yet
        inbox = open_case(client, code, follow=True).content.decode()
    assert words.replace("'", "&#x27;") in inbox  # waiting in the reply box
    assert shown("Your unsent reply is back in the box: check it and send it.") in inbox
    assert complaint.messages.count() == 0


def test_files_of_a_reply_after_the_case_ended_are_asked_for_again(client):
    _complaint, code = complaint_with_code()
    open_case(client, code)
    with time_machine.travel(datetime.timedelta(minutes=20)):
        reply(client, "Here is the photo", [photo()])
        page = client.get(TRACK).content.decode()
    assert (
        shown("The files you attached could not be kept: attach them again before you send.")
        in page
    )
    assert not Attachment.objects.exists()


def test_two_tabs_share_the_case_and_a_reply_sent_twice_is_saved_once(client):
    complaint, code = complaint_with_code()
    open_case(client, code)
    key = uuid.uuid4()
    assert reply(client, "Sent from the first tab", key=key).status_code == 302
    assert reply(client, "Sent from the first tab", key=key).status_code == 302
    assert complaint.messages.count() == 1
    # The other tab, the same session: the same inbox.
    assert "Sent from the first tab" in client.get(CASE).content.decode()


# --- The conversation, from the reporter --------------------------------------------------------


def test_the_reporter_reads_staff_messages_newest_last_and_answers_with_a_photo(
    client, triage, django_capture_on_commit_callbacks
):
    complaint, code = complaint_with_code(email="reporter@example.org")
    inbox.case_message_send(complaint=complaint, text="Which court was it?", author=triage)
    inbox.case_message_send(complaint=complaint, text="Do you have a photo?", author=triage)
    open_case(client, code)
    page = client.get(CASE).content.decode()
    assert page.index("Which court was it?") < page.index("Do you have a photo?")
    assert complaint.messages.filter(read_at__isnull=False).count() == 2  # seen by the reporter

    with django_capture_on_commit_callbacks():
        response = reply(client, "Pechersk court. The photo is attached.", [photo()])
    assert response.status_code == 302
    message = complaint.messages.get(sender=CaseMessage.Sender.REPORTER)
    [attachment] = message.attachments.all()
    assert attachment.complaint == complaint
    assert stored_plaintext(attachment) == png_bytes()
    assert_encrypted_at_rest(_path(attachment), png_bytes())
    rows = complaint.notifications.filter(kind=Notification.Kind.REPORTER_REPLY)
    assert rows.exists() and all(row.payload == {} for row in rows)
    page = client.get(CASE).content.decode()
    assert page.rindex("Pechersk court") > page.index("Do you have a photo?")
    assert "photo.png" in page


def _path(attachment):
    return Path(attachment.file.storage.path(attachment.file.name))


@pytest.mark.parametrize("language", ["uk", "en"])
def test_a_refused_file_is_said_and_the_words_are_kept(client, language):
    _complaint, code = complaint_with_code(language=language)
    open_case(client, code)
    with translation.override(language):
        url = reverse("hotline:case")
    evil = SimpleUploadedFile("invoice.pdf", exe_bytes(), content_type="application/pdf")
    response = reply(client, "My statement to keep", [evil], url=url)
    assert response.status_code == 400
    page = response.content.decode()
    assert "My statement to keep" in page
    assert "invoice.pdf" in page
    assert not CaseMessage.objects.exists() and not Attachment.objects.exists()


def test_an_empty_reply_is_refused_with_a_reason(client):
    _complaint, code = complaint_with_code()
    open_case(client, code)
    response = reply(client, "   ")
    assert response.status_code == 400
    assert shown("Write a reply or add a file.") in response.content.decode()


def test_a_reply_of_a_megabyte_is_refused_and_nothing_is_stored(client):
    _complaint, code = complaint_with_code()
    open_case(client, code)
    response = reply(client, "я" * (1024 * 1024 // 2))
    assert response.status_code == 400
    assert not CaseMessage.objects.exists()


def test_control_characters_are_dropped_and_html_is_shown_as_text(client, triage_client):
    complaint, code = complaint_with_code()
    open_case(client, code)
    reply(client, 'Hello\x00\x07\x1b <script>alert("x")</script><b>bold</b>')
    message = complaint.messages.get()
    assert message.text == 'Hello <script>alert("x")</script><b>bold</b>'
    page = client.get(CASE).content.decode()
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page
    assert "<b>bold</b>" not in page
    admin = triage_client.get(reverse("admin:hotline_complaint_change", args=[complaint.pk]))
    html = admin.content.decode()
    assert "&lt;script&gt;alert" in html and "<script>alert" not in html


def test_replies_are_rate_limited_with_the_words_kept(client, settings):
    settings.RATE_LIMIT_REPLY = "2/h"
    complaint, code = complaint_with_code()
    open_case(client, code)
    assert reply(client, "one").status_code == 302
    assert reply(client, "two").status_code == 302
    response = reply(client, "three, the important one")
    assert response.status_code == 429
    assert "three, the important one" in response.content.decode()
    assert complaint.messages.count() == 2


def test_asking_for_erasure_is_confirmed_recorded_and_staff_are_told(
    client, triage_client, django_capture_on_commit_callbacks
):
    complaint, code = complaint_with_code()
    open_case(client, code)
    refused = client.post(CASE, {"action": "erase"})
    assert refused.status_code == 400
    assert shown("Tick the box to confirm that you want your data erased.") in (
        refused.content.decode()
    )
    complaint.refresh_from_db()
    assert complaint.erasure_requested_at is None

    page = client.post(CASE, {"action": "erase", "confirm": "yes"}, follow=True).content.decode()
    complaint.refresh_from_db()
    assert complaint.erasure_requested_at is not None
    assert shown("You asked IMI to erase your personal data.") in page  # in the history
    assert complaint.notifications.filter(kind=Notification.Kind.ERASURE_REQUESTED).exists()
    listing = triage_client.get(reverse("admin:hotline_complaint_changelist")).content.decode()
    assert "⚠" in listing and shown("erasure requested %(date)s", date="")[:10] in listing


def test_after_erasure_the_inbox_is_closed(client):
    from hotline import retention

    complaint, code = complaint_with_code()
    CaseMessageFactory(complaint=complaint, text="Which court?")
    retention.erase_complaint(complaint=complaint)
    open_case(client, code)
    page = client.get(CASE).content.decode()
    assert "Which court?" not in page
    assert 'name="action" value="reply"' not in page
    reply(client, "still there?")
    assert not CaseMessage.objects.exists()


def test_the_history_tells_each_stage_in_plain_words_with_the_reason_given(client, triage):
    complaint, code = complaint_with_code(language="en")
    desk.change_status(obj=complaint, status=Complaint.Status.TRIAGE, user=triage)
    desk.change_status(obj=complaint, status=Complaint.Status.REJECTED, user=triage)
    Complaint.objects.filter(pk=complaint.pk).update(
        reason_for_reporter="It happened outside Ukraine, which we do not cover."
    )
    open_case(client, code)
    page = client.get("/en/complaint/case/").content.decode()
    assert "IMI received your complaint." in page
    assert "IMI will not take up your complaint." in page
    assert "It happened outside Ukraine, which we do not cover." in page
    assert page.index("received your complaint") < page.index("will not take up")


def test_case_posts_need_the_csrf_token(db):
    client = Client(enforce_csrf_checks=True)
    _complaint, code = complaint_with_code()
    page = client.get(TRACK).content.decode()
    token = page.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    client.post(TRACK, {"code": code, "csrfmiddlewaretoken": token})
    assert client.post(CASE, {"action": "reply", "text": "no token"}).status_code == 403
    assert not CaseMessage.objects.exists()


# --- The staff side ---------------------------------------------------------------------------


def test_staff_see_unread_replies_counted_then_read_with_an_audit_row(
    client, triage_client, triage
):
    complaint, code = complaint_with_code()
    other = ComplaintFactory()
    open_case(client, code)
    reply(client, "First answer")
    reply(client, "Second answer")
    listing = reverse("admin:hotline_complaint_changelist")
    page = triage_client.get(listing).content.decode()
    two_unread = ngettext("%d unread", "%d unread", 2) % 2  # the tests run in Ukrainian
    assert two_unread in page
    filtered = triage_client.get(listing + "?unread=yes").content.decode()
    assert f"/admin/hotline/complaint/{complaint.pk}/change/" in filtered
    assert f"/admin/hotline/complaint/{other.pk}/change/" not in filtered
    index = triage_client.get(reverse("admin:index")).content.decode()
    assert 'id="unread-replies"' in index

    change = triage_client.get(reverse("admin:hotline_complaint_change", args=[complaint.pk]))
    html = change.content.decode()
    assert 'id="conversation"' in html and "First answer" in html
    assert html.count('class="case-message from-reporter unread"') == 2  # new to this reader
    ids = list(complaint.messages.values_list("pk", flat=True))
    event = AccessEvent.objects.get(action=AccessEvent.Action.READ)
    assert (event.username, event.target_id, sorted(event.item_ids)) == (
        "triage",
        complaint.pk,
        sorted(ids),
    )
    assert all(m.read_by == triage for m in complaint.messages.all())
    assert two_unread not in triage_client.get(listing).content.decode()
    # Opening it again marks nothing new and records no second read.
    triage_client.get(reverse("admin:hotline_complaint_change", args=[complaint.pk]))
    assert AccessEvent.objects.filter(action=AccessEvent.Action.READ).count() == 1


def test_editors_read_complaints_without_the_conversation(client, editor):
    complaint, code = complaint_with_code()
    open_case(client, code)
    reply(client, "Private answer for the triage team")
    staff = Client()
    staff.force_login(editor)
    page = staff.get(reverse("admin:hotline_complaint_change", args=[complaint.pk]))
    assert page.status_code == 200
    assert "Private answer" not in page.content.decode()
    assert complaint.messages.get().read_at is None  # not read by who cannot see it
    assert staff.get(
        reverse("admin:hotline_complaint_message", args=[complaint.pk])
    ).status_code in (
        403,
        302,
    )


def test_internal_notes_never_reach_the_reporter(client, triage_client):
    from .factories import NoteFactory

    complaint, code = complaint_with_code()
    NoteFactory(complaint=complaint, text="Internal: the reporter sounded unsure")
    CaseMessageFactory(complaint=complaint, text="Could you tell us more?")
    open_case(client, code)
    page = client.get(CASE).content.decode()
    assert "Could you tell us more?" in page
    assert "sounded unsure" not in page


def test_a_message_is_recorded_with_its_author(triage_client, triage):
    complaint = ComplaintFactory()
    url = reverse("admin:hotline_complaint_message", args=[complaint.pk])
    triage_client.post(url, {"text": "Please send the video.", "send": "1", "seen": "0"})
    message = complaint.messages.get()
    assert message.author == triage and message.sender == CaseMessage.Sender.STAFF
    event = AccessEvent.objects.get(action=AccessEvent.Action.MESSAGE)
    assert (event.username, event.target_id, event.item_ids) == (
        "triage",
        complaint.pk,
        [message.pk],
    )


def test_two_staff_writing_at_once_see_each_other_before_sending(triage_client, triage):
    complaint = ComplaintFactory()
    url = reverse("admin:hotline_complaint_message", args=[complaint.pk])
    form = triage_client.get(url).content.decode()
    assert 'name="seen" value="0"' in form
    # A colleague sends first.
    CaseMessageFactory(complaint=complaint, text="Colleague: we will call you at six.")
    response = triage_client.post(
        url, {"text": "I will call you at five.", "send": "1", "seen": "0"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="newer-messages"' in html and "Colleague: we will call you at six." in html
    assert "I will call you at five." in html  # kept
    assert complaint.messages.count() == 1  # not sent yet
    newest = complaint.messages.get().pk
    triage_client.post(url, {"text": "I will call you at five.", "send": "1", "seen": newest})
    assert complaint.messages.count() == 2


def test_the_reply_files_are_listed_with_their_chain_of_custody(client, triage_client):
    complaint, code = complaint_with_code()
    open_case(client, code)
    reply(client, "", [photo("court.png")])
    attachment = Attachment.objects.get()
    change = triage_client.get(
        reverse("admin:hotline_complaint_change", args=[complaint.pk])
    ).content.decode()
    assert "court.png" in change
    assert attachment.sha256 == hashlib.sha256(png_bytes()).hexdigest()
    assert attachment.sha256 in change
    download = triage_client.get(attachment.get_absolute_url())
    assert b"".join(download.streaming_content) == png_bytes()
    change = triage_client.get(
        reverse("admin:hotline_complaint_change", args=[complaint.pk])
    ).content.decode()
    assert shown("SHA-256 verified, downloaded") in change


def test_the_case_lists_every_file_received_with_its_name_size_and_time(client):
    """'2 files': the reporter sees that what they sent arrived, with the complaint or later."""
    from .factories import AttachmentFactory

    complaint, code = complaint_with_code(language="en")
    AttachmentFactory(complaint=complaint, original_name="beating-video.mp4", data=b"x" * 2048)
    open_case(client, code)
    reply(client, "and a photo", files=[photo("bruise.png")])
    page = client.get("/en/complaint/case/").content.decode()
    files = page[page.index('id="files-received"') :]
    files = files[: files.index("</section>")]
    assert "2 files received" in files
    assert "beating-video.mp4" in files and "2.0\xa0KB" in files and "with the complaint" in files
    assert "bruise.png" in files and "with a message" in files
    assert files.index("beating-video.mp4") < files.index("bruise.png")  # oldest first
