"""The outbox as staff see it in the admin, and as monitoring sees it (outbox_status)."""

import datetime
import json
import re
import smtplib
from io import StringIO

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from hotline.models import Notification
from hotline.services import outbox

from .factories import CallbackRequestFactory, ComplaintFactory
from .helpers import said

CHANGELIST = reverse("admin:hotline_notification_changelist")
ADD = reverse("admin:hotline_notification_add")
INDEX = reverse("admin:index")


class RefusingBackend(BaseEmailBackend):
    """An SMTP server that refuses the recipient, quoting the address."""

    def send_messages(self, messages):
        raise smtplib.SMTPRecipientsRefused({"duty@example.org": (550, b"mailbox unavailable")})


def row(status=Notification.Status.PENDING, **kwargs):
    if "complaint" not in kwargs and "callback" not in kwargs:
        kwargs["complaint"] = ComplaintFactory()
    kwargs.setdefault("kind", Notification.Kind.NEW_COMPLAINT)
    kwargs.setdefault("channel", Notification.Channel.EMAIL)
    return Notification.objects.create(status=status, **kwargs)


def failed_row(settings, max_attempts=2):
    """A row that really failed: the mail server refused it until the last attempt."""
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    settings.NOTIFY_MAX_ATTEMPTS = max_attempts
    notification = row()
    for _ in range(max_attempts):
        outbox.deliver(notification.pk)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    notification.refresh_from_db()
    assert notification.status == Notification.Status.FAILED
    return notification


def change_url(notification):
    return reverse("admin:hotline_notification_change", args=[notification.pk])


def outbox_block(page):
    match = re.search(r'<div class="module" id="outbox-alert">(.*?)</div>', page, re.S)
    assert match, "no outbox block on the page"
    return match.group(1)


def block_counts(page):
    return [int(n) for n in re.findall(r"<td>(\d+)</td>", outbox_block(page))]


# --- changelist and change view --------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["admin_client", "triage_client"])
def test_changelist_shows_status_channel_attempts_and_error(who, request, notify_settings):
    client = request.getfixturevalue(who)
    failed = failed_row(notify_settings, max_attempts=3)
    row(callback=CallbackRequestFactory(), kind=Notification.Kind.NEW_CALLBACK)

    response = client.get(CHANGELIST)

    assert response.status_code == 200
    page = response.content.decode()
    assert {n.pk for n in response.context["cl"].result_list} == set(
        Notification.objects.values_list("pk", flat=True)
    )
    for label in ("Failed", "Pending", "E-mail"):
        assert f">{said(label)}<" in page
    assert '<td class="field-attempts">3</td>' in page
    assert escape(failed.last_error[:80]) in page
    assert "SMTPRecipientsRefused" in page
    assert "duty@example.org" not in page
    assert escape(str(failed.complaint)) in page


@pytest.mark.django_db
def test_changelist_filters_failed_rows(admin_client, notify_settings):
    failed = failed_row(notify_settings)
    row()
    response = admin_client.get(CHANGELIST, {"status": "failed"})
    assert [n.pk for n in response.context["cl"].result_list] == [failed.pk]


@pytest.mark.django_db
def test_operator_cannot_open_the_outbox(client, operator):
    client.force_login(operator)
    row()
    assert client.get(CHANGELIST).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["admin_client", "triage_client"])
def test_change_view_is_read_only(who, request, notify_settings):
    client = request.getfixturevalue(who)
    notification = failed_row(notify_settings)
    url = change_url(notification)

    response = client.get(url)

    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="_save"' not in page
    assert 'name="_continue"' not in page
    assert escape(notification.last_error) in page
    assert client.post(url, {"status": "sent", "attempts": "0"}).status_code == 403
    notification.refresh_from_db()
    assert notification.status == Notification.Status.FAILED


@pytest.mark.django_db
def test_change_view_hides_the_tracking_code(admin_client):
    notification = row(kind=Notification.Kind.COMPLAINT_RECEIVED, payload={"code": "AB12-CD34"})
    page = admin_client.get(change_url(notification)).content.decode()
    assert "AB12-CD34" not in page


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["admin_client", "triage_client"])
def test_nobody_adds_or_deletes_notifications(who, request):
    client = request.getfixturevalue(who)
    notification = row()
    before = Notification.objects.count()
    assert client.get(ADD).status_code == 403
    assert client.post(ADD, {"kind": "new_complaint", "channel": "email"}).status_code == 403
    delete = reverse("admin:hotline_notification_delete", args=[notification.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert Notification.objects.count() == before


# --- send again ----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["admin_client", "triage_client"])
def test_send_again_delivers_a_failed_row_exactly_once(
    who, request, notify_settings, broker, django_capture_on_commit_callbacks
):
    client = request.getfixturevalue(who)
    notification = failed_row(notify_settings)
    assert mail.outbox == []

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            CHANGELIST,
            {"action": "send_again", "_selected_action": [notification.pk], "index": 0},
            follow=True,
        )

    assert response.status_code == 200
    notification.refresh_from_db()
    assert notification.status == Notification.Status.PENDING
    assert notification.attempts == 0
    assert broker.queued == [notification.pk]

    for queued in broker.queued + [notification.pk]:  # and a duplicated task
        outbox.deliver(queued)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        ["duty@example.org"] + (["triage@example.org"] if who == "triage_client" else [])
    )
    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENT
    assert notification.attempts == 1


@pytest.mark.django_db
def test_send_again_is_offered_on_the_changelist(admin_client):
    row(status=Notification.Status.FAILED)
    page = admin_client.get(CHANGELIST).content.decode()
    assert 'value="send_again"' in page


# --- admin index -----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["admin_client", "triage_client"])
def test_index_shows_pending_and_failed_counts(who, request):
    client = request.getfixturevalue(who)
    for _ in range(3):
        row()
    row(status=Notification.Status.FAILED)
    row(status=Notification.Status.FAILED)
    row(status=Notification.Status.SENT)

    page = client.get(INDEX).content.decode()

    assert block_counts(page) == [3, 2]
    assert f'href="{CHANGELIST}?status=pending"' in outbox_block(page)
    # Failed rows are called out in red, with a link to them.
    alert = re.search(r'<li class="error">(.*?)</li>', page, re.S)
    assert alert
    assert f'href="{CHANGELIST}?status=failed"' in alert.group(1)
    assert "2" in alert.group(1)


@pytest.mark.django_db
def test_index_without_failures_raises_no_alarm(admin_client):
    row()
    page = admin_client.get(INDEX).content.decode()
    assert block_counts(page) == [1, 0]
    assert f"{CHANGELIST}?status=failed" in outbox_block(page)
    assert '<li class="error">' not in page


@pytest.mark.django_db
def test_operator_does_not_see_the_outbox_on_the_index(client, operator):
    row(status=Notification.Status.FAILED)
    client.force_login(operator)
    response = client.get(INDEX)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="outbox-alert"' not in page
    assert "?status=failed" not in page


# --- staff notification settings on the user -------------------------------------------------


@pytest.mark.django_db
def test_user_admin_edits_the_notification_settings(admin_client, triage):
    url = reverse("admin:auth_user_change", args=[triage.pk])
    page = admin_client.get(url).content.decode()
    assert 'name="staff_profile-0-language"' in page
    assert 'name="staff_profile-0-notify"' in page


# --- outbox_status -------------------------------------------------------------------------


def status(*args):
    out = StringIO()
    call_command("outbox_status", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_status_with_nothing_waiting_exits_normally():
    row(status=Notification.Status.SENT)
    output = status()
    assert "pending: 0" in output
    assert "failed: 0" in output


@pytest.mark.django_db
def test_status_counts_a_fresh_pending_row_without_alarm():
    row()
    row()
    output = status()
    assert "pending: 2" in output
    assert "failed: 0" in output


@pytest.mark.django_db
def test_status_fails_when_a_notification_failed():
    row(status=Notification.Status.FAILED)
    out = StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("outbox_status", stdout=out)
    assert raised.value.returncode == 1
    assert "failed: 1" in out.getvalue()


@pytest.mark.django_db
def test_status_fails_when_a_pending_row_is_stuck():
    row(created_at=timezone.now() - datetime.timedelta(minutes=20))
    with pytest.raises(CommandError) as raised:
        status("--stuck-after", "600")
    assert raised.value.returncode == 1
    # The same row is not stuck for a more patient monitor.
    assert "pending: 1" in status("--stuck-after", "3600")


@pytest.mark.django_db
def test_status_default_threshold_comes_from_settings(settings):
    settings.NOTIFY_STUCK_AFTER_SECONDS = 60
    row(created_at=timezone.now() - datetime.timedelta(minutes=5))
    with pytest.raises(CommandError):
        status()
    settings.NOTIFY_STUCK_AFTER_SECONDS = 3600
    status()


@pytest.mark.django_db
def test_status_json():
    row(status=Notification.Status.SENT)
    report = json.loads(status("--json"))
    assert report == {"pending": 0, "failed": 0, "oldest_pending_seconds": 0, "stuck": False}

    row(created_at=timezone.now() - datetime.timedelta(minutes=20))
    row(status=Notification.Status.FAILED)
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("outbox_status", "--json", stdout=out)
    report = json.loads(out.getvalue())
    assert report["pending"] == 1
    assert report["failed"] == 1
    assert 20 * 60 <= report["oldest_pending_seconds"] < 30 * 60
    assert report["stuck"] is True
