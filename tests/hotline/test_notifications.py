"""What the messages say: the recipient's language, no personal data for staff, and the
complainant's own mail with their tracking code."""

import datetime
import json
import re
import uuid

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from hotline import notifications
from hotline.models import CallbackRequest, Complaint, Notification, StaffProfile
from hotline.services import desk, inbox, intake, outbox
from incidents.models import Category, Region

from .factories import ComplaintFactory, UserFactory
from .helpers import said

# Distinctive markers: none of them may reach a staff e-mail or the webhook.
COMPLAINT_MARKERS = {
    "reporter_name": "Zorianna Markerchuk",
    "outlet": "Markerpress Weekly",
    "email": "zorianna.markerchuk@example.org",
    "phone": "+380671112233",
    "safe_times": "only after Markertime 21:00",
    "place": "Markerivka village council",
    "description": (
        "Markerdescription: the head of the village council seized my recorder and "
        "threatened me in front of witnesses."
    ),
    "links": "https://example.org/markerlink",
}
CALLBACK_MARKERS = {
    "name": "Ostap Markerenko",
    "phone": "+380504440099",
    "message": "Markermessage: they refused my accreditation twice",
}


def submit_complaint(language="uk", **overrides):
    data = {
        "role": Complaint.Role.JOURNALIST,
        "preferred_channel": Complaint.Channel.EMAIL,
        "occurred_on": timezone.localdate() - datetime.timedelta(days=1),
        "region": Region.objects.get(slug="kyiv"),
        "category": Category.objects.get(slug="beating"),
        "perpetrator_type": "police",
        "consent_processing": True,
        **COMPLAINT_MARKERS,
    }
    data.update(overrides)
    return intake.complaint_submit(
        data=data, files=[], language=language, submission_key=uuid.uuid4()
    )


def submit_callback(language="uk"):
    return intake.callback_request_submit(
        data={
            **CALLBACK_MARKERS,
            "preferred_time": CallbackRequest.PreferredTime.EVENING,
            "topic": CallbackRequest.Topic.ACCESS_TO_INFORMATION,
            "consent": True,
        },
        language=language,
        submission_key=uuid.uuid4(),
    )


def digits(text):
    return re.sub(r"[\s().-]", "", text)


def assert_no_personal_data(text, markers):
    lowered = text.lower()
    for field, value in markers.items():
        if field == "phone":
            assert value[-9:] not in digits(text), field
        else:
            for word in re.findall(r"\w*marker\w*", value.lower()):
                assert word not in lowered, (field, word)
            assert value.lower() not in lowered, field


def mail_to(address):
    [message] = [m for m in mail.outbox if m.to == [address]]
    return message


def parts(message):
    return message.subject, message.body, message.alternatives[0][0]


# --- language ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_each_staff_recipient_reads_their_own_language(notify_settings, triage):
    notify_settings.STAFF_NOTIFY_EMAILS = ["a@example.org|en", "b@example.org"]
    english_staff = UserFactory(username="english", is_staff=True)
    english_staff.groups.add(triage.groups.get())
    StaffProfile.objects.create(user=english_staff, language="en")
    complaint = ComplaintFactory()
    row = Notification.objects.create(
        kind=Notification.Kind.NEW_COMPLAINT,
        channel=Notification.Channel.EMAIL,
        complaint=complaint,
    )

    outbox.deliver(row.pk)

    category, region = complaint.category, complaint.region
    assert category.name_en != category.name_uk
    for address, language in [
        ("a@example.org", "en"),
        ("english@example.org", "en"),
        ("b@example.org", "uk"),
        ("triage@example.org", "uk"),
    ]:
        subject, text, html = parts(mail_to(address))
        with translation.override(language):
            expected = gettext("Complaint #%(id)s") % {"id": complaint.pk}
            name = category.name_en if language == "en" else category.name_uk
            other = category.name_uk if language == "en" else category.name_en
            region_name = region.name_en if language == "en" else region.name_uk
            intro = gettext("A new submission came in.")
        assert subject == f"{expected}: {name}, {region_name}", address
        assert name in text and name in html, address
        assert other not in subject + text + html, address
        assert intro in text, address


@pytest.mark.django_db
def test_staff_language_setting_decides_the_default(notify_settings):
    notify_settings.STAFF_NOTIFY_EMAILS = ["a@example.org", "b@example.org|uk"]
    notify_settings.STAFF_NOTIFY_LANGUAGE = "en"
    callback = submit_callback()
    row = callback.notifications.get()
    outbox.deliver(row.pk)
    assert (
        said("Callback request #%(id)s", "en", id=callback.pk) in mail_to("a@example.org").subject
    )
    assert (
        said("Callback request #%(id)s", "uk", id=callback.pk) in mail_to("b@example.org").subject
    )


@pytest.mark.django_db
def test_an_unknown_language_falls_back_to_the_default(notify_settings):
    notify_settings.STAFF_NOTIFY_EMAILS = ["a@example.org|xx"]
    callback = submit_callback()
    outbox.deliver(callback.notifications.get().pk)
    subject = mail_to("a@example.org").subject
    assert said("Callback request #%(id)s", "uk", id=callback.pk) in subject
    assert said("Access to information and accreditation", "uk") in subject


# --- no personal data in staff messages ------------------------------------------------------


@pytest.mark.django_db
def test_staff_mail_about_a_complaint_names_no_one(notify_settings):
    complaint, _code = submit_complaint()
    row = complaint.notifications.get(kind=Notification.Kind.NEW_COMPLAINT)

    outbox.deliver(row.pk)

    subject, text, html = parts(mail_to("duty@example.org"))
    admin_url = "https://portal.example.org" + reverse(
        "admin:hotline_complaint_change", args=[complaint.pk]
    )
    for part in (subject, text, html):
        assert_no_personal_data(part, COMPLAINT_MARKERS)
        assert complaint.category.name_uk in part
        assert complaint.region.name_uk in part
        assert f"{complaint.pk}" in part
    assert admin_url in text
    assert f'href="{admin_url}"' in html
    assert said("Personal details are not sent by e-mail; they are in the admin only.") in text


@pytest.mark.django_db
def test_staff_mail_about_a_callback_names_no_one(notify_settings):
    callback = submit_callback()
    outbox.deliver(callback.notifications.get().pk)

    subject, text, html = parts(mail_to("duty@example.org"))
    topic = said("Access to information and accreditation")
    admin_url = "https://portal.example.org" + reverse(
        "admin:hotline_callbackrequest_change", args=[callback.pk]
    )
    for part in (subject, text, html):
        assert_no_personal_data(part, CALLBACK_MARKERS)
        assert f"{callback.pk}" in part
    assert topic in subject and topic in text
    assert said("Evening (18:00–22:00)") in text
    assert admin_url in text
    assert f'href="{admin_url}"' in html


@pytest.mark.django_db
def test_webhook_payload_names_no_one(notify_settings):
    notify_settings.NOTIFY_WEBHOOK_URL = "https://hooks.example.org/imi"
    notify_settings.NOTIFY_WEBHOOK_SECRET = "secret"
    complaint, code = submit_complaint()
    callback = submit_callback()

    complaint_row = complaint.notifications.get(channel=Notification.Channel.WEBHOOK)
    body = json.dumps(notifications.webhook_payload(complaint_row), ensure_ascii=False)
    assert_no_personal_data(body, COMPLAINT_MARKERS)
    assert code not in body
    payload = json.loads(body)
    assert payload["item"] == "complaint"
    assert payload["item_id"] == complaint.pk
    assert payload["category"] == "beating"
    assert payload["region"] == "kyiv"
    assert payload["admin_url"] == "https://portal.example.org" + reverse(
        "admin:hotline_complaint_change", args=[complaint.pk]
    )

    callback_row = callback.notifications.get(channel=Notification.Channel.WEBHOOK)
    body = json.dumps(notifications.webhook_payload(callback_row), ensure_ascii=False)
    assert_no_personal_data(body, CALLBACK_MARKERS)
    payload = json.loads(body)
    assert payload["item"] == "callback"
    assert payload["item_id"] == callback.pk
    assert payload["topic"] == "access_to_information"
    assert payload["admin_url"].endswith(
        reverse("admin:hotline_callbackrequest_change", args=[callback.pk])
    )


@pytest.mark.django_db
def test_staff_mail_does_not_carry_the_tracking_code(notify_settings):
    complaint, code = submit_complaint()
    outbox.deliver(complaint.notifications.get(kind=Notification.Kind.NEW_COMPLAINT).pk)
    for part in parts(mail_to("duty@example.org")):
        assert code not in part


# --- the complainant ------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["uk", "en"])
def test_complainant_gets_their_tracking_code_in_their_language(notify_settings, language):
    complaint, code = submit_complaint(language=language)
    row = complaint.notifications.get(kind=Notification.Kind.COMPLAINT_RECEIVED)
    assert row.channel == Notification.Channel.EMAIL

    assert outbox.deliver(row.pk)[0] == outbox.Outcome.SENT

    assert [m.to for m in mail.outbox] == [[COMPLAINT_MARKERS["email"]]]
    subject, text, html = parts(mail.outbox[0])
    assert subject == said("IMI received your complaint", language)
    assert f"{said('Your tracking code:', language)} {code}" in text
    assert code in html
    with translation.override(language):
        track_url = notify_settings.SITE_URL + reverse("hotline:track")
    assert (
        f"{said('Check your complaint with the tracking code here:', language)} {track_url}\n"
        in text
    )
    other = "en" if language == "uk" else "uk"
    assert said("Your tracking code:", other) not in text
    row.refresh_from_db()
    assert row.status == Notification.Status.SENT
    assert code not in json.dumps(row.payload)
    assert row.payload == {}


@pytest.mark.django_db
def test_code_waits_in_the_row_only_until_the_mail_is_sent(notify_settings):
    complaint, code = submit_complaint()
    row = complaint.notifications.get(kind=Notification.Kind.COMPLAINT_RECEIVED)
    assert row.payload == {"code": code}
    # The staff rows never carry it.
    staff = complaint.notifications.exclude(pk=row.pk)
    assert all(payload == {} for payload in staff.values_list("payload", flat=True))


@pytest.mark.django_db
def test_no_confirmation_without_an_email(notify_settings):
    complaint, _code = submit_complaint(email="")
    assert list(complaint.notifications.values_list("kind", flat=True)) == [
        Notification.Kind.NEW_COMPLAINT
    ]
    desk.change_status(obj=complaint, status=Complaint.Status.TRIAGE)
    assert not complaint.notifications.filter(kind=Notification.Kind.STATUS_CHANGED).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["uk", "en"])
def test_status_change_tells_the_complainant_the_new_stage(notify_settings, language):
    complaint = ComplaintFactory(
        language=language, email="reporter@example.org", status=Complaint.Status.TRIAGE
    )

    desk.change_status(obj=complaint, status=Complaint.Status.VERIFYING)

    row = complaint.notifications.get(kind=Notification.Kind.STATUS_CHANGED)
    outbox.deliver(row.pk)
    assert [m.to for m in mail.outbox] == [["reporter@example.org"]]
    subject, text, html = parts(mail.outbox[0])
    assert subject == said("Your complaint to IMI has a new status", language)
    label = said("Being verified", language)
    assert label in text
    assert label in html
    assert said("Being reviewed", language) not in text  # the old status is not named


@pytest.mark.django_db
def test_verifying_a_complaint_mails_the_reporter_once_not_three_times(notify_settings):
    complaint = ComplaintFactory(email="reporter@example.org")
    for status in ("triage", "verifying", "verified"):
        desk.change_status(obj=complaint, status=status)
    rows = complaint.notifications.filter(kind=Notification.Kind.STATUS_CHANGED)
    assert [r.payload["status"] for r in rows] == ["verifying"]


@pytest.mark.django_db
def test_each_stage_is_told_once_even_when_the_complaint_comes_back(notify_settings):
    complaint = ComplaintFactory(email="reporter@example.org")
    path = ["triage", "verifying", "rejected", "triage", "verifying", "rejected", "closed"]
    for status in path:
        desk.change_status(obj=complaint, status=status)
    for row in complaint.notifications.filter(kind=Notification.Kind.STATUS_CHANGED):
        outbox.deliver(row.pk)  # sent rows keep the stage they told
    rows = complaint.notifications.filter(kind=Notification.Kind.STATUS_CHANGED).order_by("pk")
    assert [r.payload["status"] for r in rows] == ["verifying", "rejected"]


SECRET_WORDS = "The lawyer Petro Shevchuk calls you tomorrow at the Pechersk court."


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["uk", "en"])
def test_a_staff_message_tells_the_reporter_only_that_there_is_one(
    notify_settings, mailoutbox, language, triage
):
    complaint = ComplaintFactory(
        email="reporter@example.org", language=language, outlet="Полтавські вісті"
    )
    inbox.case_message_send(complaint=complaint, text=SECRET_WORDS, author=triage)
    row = complaint.notifications.get(kind=Notification.Kind.CASE_MESSAGE)
    outbox.deliver(row.pk)
    [message] = [m for m in mailoutbox if m.to == ["reporter@example.org"]]
    assert message.subject == said("A new message from IMI", language)
    assert (
        said(
            "There is a new message for you from IMI. Open it on the status page with your"
            " tracking code.",
            language,
        )
        in message.body
    )
    everything = "".join(parts(message))
    # No content and no case details: not the words, the complaint, its category or outlet.
    for secret in (
        "Shevchuk",
        "Pechersk",
        f"#{complaint.pk}",
        "Полтавські",
        complaint.description[:20],
    ):
        assert secret not in everything
    assert row.payload == {}


@pytest.mark.django_db
def test_a_staff_message_for_a_reporter_without_email_mails_nobody(notify_settings, triage):
    complaint = ComplaintFactory(email="", phone="+380671234567")
    message = inbox.case_message_send(
        complaint=complaint, text="We called the police.", author=triage
    )
    assert message.pk
    assert not complaint.notifications.filter(kind=Notification.Kind.CASE_MESSAGE).exists()


@pytest.mark.django_db
def test_staff_hear_of_a_reply_without_its_words(notify_settings, mailoutbox):
    complaint = ComplaintFactory(email="reporter@example.org")
    inbox.case_reply(complaint=complaint, text=SECRET_WORDS, files=[])
    [row] = complaint.notifications.filter(kind=Notification.Kind.REPORTER_REPLY, channel="email")
    outbox.deliver(row.pk)
    message = mail_to("duty@example.org")
    assert message.subject.startswith(said("[REPLY]"))
    everything = "".join(parts(message))
    assert said("The reporter wrote in the case inbox. Read it in the admin.") in message.body
    assert (
        f"https://portal.example.org/admin/hotline/complaint/{complaint.pk}/change/" in message.body
    )
    for secret in ("Shevchuk", "Pechersk", "reporter@example.org"):
        assert secret not in everything
    assert not [m for m in mailoutbox if m.to == ["reporter@example.org"]]


@pytest.mark.django_db
def test_a_callback_status_change_mails_nobody(notify_settings):
    callback = submit_callback()
    callback.notifications.all().delete()
    desk.change_status(obj=callback, status=CallbackRequest.Status.CALLED_BACK)
    assert not Notification.objects.exists()


@pytest.mark.django_db
def test_each_status_mail_names_the_status_it_was_written_for(notify_settings, mailoutbox):
    complaint = ComplaintFactory(email="reporter@example.org")
    desk.change_status(obj=complaint, status=Complaint.Status.TRIAGE)
    desk.change_status(obj=complaint, status=Complaint.Status.VERIFYING)
    desk.change_status(obj=complaint, status=Complaint.Status.REJECTED)
    rows = Notification.objects.filter(kind=Notification.Kind.STATUS_CHANGED).order_by("pk")
    for row in rows:
        outbox.deliver(row.pk)
    with translation.override(complaint.language):
        expected = [str(Complaint.Status.VERIFYING.label), str(Complaint.Status.REJECTED.label)]
    bodies = [m.body for m in mailoutbox if m.to == ["reporter@example.org"]]
    assert len(bodies) == 2
    assert expected[0] in bodies[0] and expected[1] not in bodies[0]
    assert expected[1] in bodies[1]
