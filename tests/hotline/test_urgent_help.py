"""Issue 28, item 4: what help, how urgent. "Not safe now" puts the complaint at the top of the
desk with the shortest timer, whichever way it comes in; the staff hear only "urgent"; the
thank-you page puts the hotline and "call me now" above everything."""

import datetime
import json
import re

import pytest
from django.core import checks, mail
from django.urls import reverse
from django.utils import timezone

from hotline import notifications
from hotline.models import CallbackRequest, Complaint, Notification
from hotline.services import outbox

from .helpers import complaint_post_data, said, shown
from .test_notifications import (
    COMPLAINT_MARKERS,
    assert_no_personal_data,
    mail_to,
    parts,
    submit_complaint,
)


def admin_add_data(**overrides) -> dict:
    """A complaint as staff type it into the admin's "Add" page (taken by phone)."""
    return complaint_post_data(**overrides) | {
        "status": "new",
        "priority": "2",
        "attachments-TOTAL_FORMS": "0",
        "attachments-INITIAL_FORMS": "0",
        "notes-TOTAL_FORMS": "0",
        "notes-INITIAL_FORMS": "0",
        "language": "uk",
        "occurred_precision": "day",  # the admin's select, on its default
    }


def send(client, language="uk", **overrides):
    prefix = "/en" if language == "en" else ""
    return client.post(f"{prefix}/complaint/", complaint_post_data(**overrides))


@pytest.mark.django_db
def test_not_safe_now_is_urgent_with_the_shortest_timer_and_safe_is_not(client, settings):
    settings.COMPLAINT_URGENT_MINUTES = 15
    settings.COMPLAINT_ESCALATION_HOURS = 4
    assert send(client, safety="not_safe", email="a@example.org").status_code == 302
    assert send(client, safety="safe", email="b@example.org").status_code == 302
    urgent = Complaint.objects.get(email="a@example.org")
    calm = Complaint.objects.get(email="b@example.org")

    assert urgent.priority == Complaint.Priority.URGENT
    assert urgent.due_at - urgent.created_at == datetime.timedelta(minutes=15)
    assert calm.priority == Complaint.Priority.NORMAL
    assert calm.due_at - calm.created_at == datetime.timedelta(hours=4)
    # The desk's overdue list sees it a quarter of an hour later, not four hours later.
    later = urgent.created_at + datetime.timedelta(minutes=16)
    overdue = Complaint.objects.filter(due_at__lt=later, status=Complaint.Status.NEW)
    assert list(overdue) == [urgent]


@pytest.mark.django_db
def test_staff_adding_a_complaint_for_someone_in_danger_gets_the_same_timer(admin_client, settings):
    """The rule is triage.start's, not the form's: "Add" in the admin keeps it too."""
    settings.COMPLAINT_URGENT_MINUTES = 15
    client = admin_client
    page = client.get(reverse("admin:hotline_complaint_add"))
    assert page.status_code == 200
    data = admin_add_data(safety="not_safe", email="added@example.org")
    response = client.post(reverse("admin:hotline_complaint_add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    added = Complaint.objects.get(email="added@example.org")
    assert added.priority == Complaint.Priority.URGENT
    assert added.due_at - added.created_at == datetime.timedelta(minutes=15)


@pytest.mark.django_db
def test_the_answer_is_required_and_its_error_keeps_everything_typed(client):
    data = complaint_post_data()
    del data["safety"]
    response = client.post("/en/complaint/", data)
    assert response.status_code == 200
    page = response.content.decode()
    assert shown("Say whether you are safe now: “no” brings help first.", "en") in page
    assert 'href="#id_safety_0"' in page  # the summary leads to the first choice
    assert "Two police officers pushed me away" in page
    assert Complaint.objects.count() == 0


@pytest.mark.django_db
def test_help_needed_is_kept_and_only_from_the_list(client):
    send(client, help_needed=["legal", "digital"], email="help@example.org")
    assert Complaint.objects.get(email="help@example.org").help_needed == ["legal", "digital"]

    response = send(client, help_needed=["legal", "a-private-jet"], email="jet@example.org")
    assert response.status_code == 200
    assert not Complaint.objects.filter(email="jet@example.org").exists()


@pytest.mark.django_db
def test_the_staff_hear_urgent_and_nothing_personal(notify_settings):
    notify_settings.NOTIFY_WEBHOOK_URL = "https://hooks.example.org/imi"
    notify_settings.NOTIFY_WEBHOOK_SECRET = "secret"
    complaint, _code = submit_complaint(safety="not_safe", help_needed=["medical", "relocation"])
    row = complaint.notifications.get(
        kind=Notification.Kind.NEW_COMPLAINT, channel=Notification.Channel.EMAIL
    )
    outbox.deliver(row.pk)
    subject, text, html = parts(mail_to("duty@example.org"))
    assert subject.startswith(said("[URGENT]"))
    assert said("URGENT: take it up now.") in text
    for part in (subject, text, html):
        assert_no_personal_data(part, COMPLAINT_MARKERS)
        # Why it is urgent and what help is asked stay in the admin.
        for private in ("Medical help", "Relocation to a safer place", "Not safe now"):
            assert said(private) not in part
    webhook = complaint.notifications.get(channel=Notification.Channel.WEBHOOK)
    payload = notifications.webhook_payload(webhook)
    assert payload["urgent"] is True
    assert "medical" not in json.dumps(payload)

    mail.outbox.clear()
    calm, _code = submit_complaint(safety="safe", email="calm@example.org")
    outbox.deliver(
        calm.notifications.get(
            kind=Notification.Kind.NEW_COMPLAINT, channel=Notification.Channel.EMAIL
        ).pk
    )
    subject, text, _html = parts(mail_to("duty@example.org"))
    assert said("[URGENT]") not in subject and said("URGENT: take it up now.") not in text


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["uk", "en"])
def test_the_thank_you_page_puts_the_hotline_and_call_me_now_first(client, settings, language):
    prefix = "/en" if language == "en" else ""
    send(client, language, safety="not_safe", phone="+380671234567")
    complaint = Complaint.objects.get()
    page = client.get(f"{prefix}/complaint/thanks/").content.decode()
    box = page.index('id="urgent-help"')
    assert box < page.index("<h1")  # above everything the page says
    assert re.search(r'href="tel:\+380\d{9}" id="urgent-call"', page[box:])
    assert shown("Call me now at %(number)s", language, number="+380 67 123 4567") in page

    # Pressed, then pressed again (Back, or a double tap): one request, for that number.
    for _ in range(2):
        response = client.post(f"{prefix}/complaint/thanks/", {"action": "call_me"})
        assert response.status_code == 302
    callback = CallbackRequest.objects.get()
    assert callback.phone.as_e164 == "+380671234567"
    assert callback.language == language
    assert said("Urgent: complaint #%(id)s, not safe now.", language, id=complaint.pk) == (
        callback.message
    )
    assert callback.notifications.filter(kind=Notification.Kind.NEW_CALLBACK).exists()
    page = client.get(f"{prefix}/complaint/thanks/").content.decode()
    assert 'id="call-asked"' in page and 'id="call-me-now"' not in page
    # The receipt is still there below it.
    assert 'id="tracking-code"' in page


@pytest.mark.django_db
def test_a_safe_reporter_sees_no_urgent_box_and_cannot_ask_for_a_call_there(client):
    send(client, safety="safe")
    page = client.get("/complaint/thanks/").content.decode()
    assert 'id="urgent-help"' not in page
    client.post("/complaint/thanks/", {"action": "call_me"})
    assert not CallbackRequest.objects.exists()


@pytest.mark.django_db
def test_without_a_phone_call_me_now_leads_to_the_callback_form(client):
    send(client, safety="not_safe", phone="", email="only-mail@example.org")
    page = client.get("/complaint/thanks/").content.decode()
    assert re.search(r'href="/callback/"[^>]*id="call-me-now"', page)
    client.post("/complaint/thanks/", {"action": "call_me"})
    assert not CallbackRequest.objects.exists()


def test_the_urgent_timer_must_be_the_shortest(settings):
    settings.CALLBACK_ESCALATION_MINUTES = 30
    settings.COMPLAINT_URGENT_MINUTES = 45
    errors = [e for e in checks.run_checks() if e.id == "hotline.E003"]
    assert errors and "CALLBACK_ESCALATION_MINUTES" in errors[0].msg
    settings.COMPLAINT_URGENT_MINUTES = 15
    assert not [e for e in checks.run_checks() if e.id == "hotline.E003"]


@pytest.mark.django_db
def test_a_later_edit_does_not_restart_the_urgent_timer(client, triage):
    """Staff lowering the priority or fixing a typo leaves the timer as it was (issue 27's
    rule: only status moves set timers)."""
    send(client, safety="not_safe")
    complaint = Complaint.objects.get()
    due = complaint.due_at
    complaint.priority = Complaint.Priority.NORMAL
    complaint.place = "Kyiv"
    complaint.save()
    complaint.refresh_from_db()
    assert complaint.due_at == due
    assert complaint.created_at < timezone.now()


@pytest.mark.django_db
def test_staff_adding_a_complaint_without_the_consent_is_told_not_served_a_500(admin_client):
    """ "Add" used to end in an IntegrityError: the consent was read-only, so never given."""
    data = admin_add_data(email="noconsent@example.org")
    del data["consent_processing"]
    response = admin_client.post(reverse("admin:hotline_complaint_add"), data)
    assert response.status_code == 200
    assert not Complaint.objects.exists()
    assert response.context["adminform"].form.errors
