"""The outbox as staff on duty and complainants notice it: who gets mail, once, and what
happens when mail, the webhook receiver or the broker is down.

Nothing here relies on Celery running tasks eagerly: rows are delivered by calling
hotline.services.outbox directly, and queueing is recorded by the `broker` fixture.
"""

import datetime
import hashlib
import hmac
import json
import smtplib
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.urls import reverse
from django.utils import timezone

from hotline.models import CallbackRequest, Complaint, Notification, StaffProfile
from hotline.services import desk, intake, outbox

from .factories import CallbackRequestFactory, ComplaintFactory, UserFactory
from .helpers import callback_post_data, said

REFUSED_ADDRESS = "refused.person@example.org"


class RecipientsRefusedBackend(BaseEmailBackend):
    """An SMTP server that refuses the recipient and quotes the address, as real ones do."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPRecipientsRefused(
            {REFUSED_ADDRESS: (550, f"5.1.1 <{REFUSED_ADDRESS}>: user unknown".encode())}
        )


class ConnectionRefusedBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise ConnectionRefusedError(111, "Connection refused")


def failing(name):
    return f"{__name__}.{name}"


def staff_row(kind=Notification.Kind.NEW_COMPLAINT, channel=Notification.Channel.EMAIL, **kw):
    if "complaint" not in kw and "callback" not in kw:
        if kind == Notification.Kind.NEW_CALLBACK:
            kw["callback"] = CallbackRequestFactory()
        else:
            kw["complaint"] = ComplaintFactory()
    return Notification.objects.create(kind=kind, channel=channel, **kw)


def recipients():
    return sorted(address for message in mail.outbox for address in message.to)


def complaint_data(**overrides):
    from incidents.models import Category, Region

    data = {
        "reporter_name": "Ivanna Koval",
        "outlet": "Demo Visti",
        "role": Complaint.Role.JOURNALIST,
        "email": "ivanna@example.org",
        "phone": "+380671234567",
        "preferred_channel": Complaint.Channel.EMAIL,
        "occurred_on": timezone.localdate() - datetime.timedelta(days=1),
        "region": Region.objects.get(slug="kyiv"),
        "place": "Khreshchatyk",
        "category": Category.objects.get(slug="beating"),
        "perpetrator_type": "police",
        "description": "Two police officers pushed me away and broke my camera at the court.",
        "consent_processing": True,
    }
    data.update(overrides)
    return data


def callback_data(**overrides):
    data = {
        "name": "Olena",
        "phone": "+380504477063",
        "preferred_time": CallbackRequest.PreferredTime.MORNING,
        "topic": CallbackRequest.Topic.OTHER,
        "message": "",
        "consent": True,
    }
    data.update(overrides)
    return data


# --- deliver --------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("kind", [Notification.Kind.NEW_COMPLAINT, Notification.Kind.NEW_CALLBACK])
def test_pending_row_mails_every_staff_recipient_once(kind, notify_settings, triage, operator):
    notify_settings.STAFF_NOTIFY_EMAILS = ["duty@example.org", "lead@example.org"]
    quiet = UserFactory(username="quiet", is_staff=True)
    quiet.groups.add(Group.objects.get(name="Triage"))
    StaffProfile.objects.create(user=quiet, notify=False)
    no_mail = UserFactory(username="nomail", email="", is_staff=True)
    no_mail.groups.add(Group.objects.get(name="Triage"))
    gone = UserFactory(username="gone", is_staff=True, is_active=False)
    gone.groups.add(Group.objects.get(name="Triage"))
    row = staff_row(kind)

    outcome, delay = outbox.deliver(row.pk)

    assert outcome == outbox.Outcome.SENT
    assert delay is None
    expected = ["duty@example.org", "lead@example.org", "triage@example.org"]
    if kind == Notification.Kind.NEW_CALLBACK:
        expected.append("operator@example.org")  # operators handle callbacks, not complaints
    assert recipients() == sorted(expected)
    assert all(len(message.to) == 1 for message in mail.outbox)
    for message in mail.outbox:
        assert message.body.strip()
        assert [mimetype for _content, mimetype in message.alternatives] == ["text/html"]
    row.refresh_from_db()
    assert row.status == Notification.Status.SENT
    assert row.sent_at is not None
    assert row.attempts == 1
    assert row.last_error == ""


@pytest.mark.django_db
def test_delivering_the_same_row_twice_sends_one_mail(notify_settings):
    row = staff_row()
    assert outbox.deliver(row.pk)[0] == outbox.Outcome.SENT
    assert outbox.deliver(row.pk)[0] == outbox.Outcome.SKIPPED
    assert len(mail.outbox) == 1
    row.refresh_from_db()
    assert row.attempts == 1


@pytest.mark.django_db
@pytest.mark.parametrize("status", [Notification.Status.SENT, Notification.Status.FAILED])
def test_sent_or_failed_rows_are_not_delivered(status, notify_settings):
    row = staff_row(status=status, attempts=3)
    assert outbox.deliver(row.pk) == (outbox.Outcome.SKIPPED, None)
    assert mail.outbox == []
    row.refresh_from_db()
    assert row.status == status
    assert row.attempts == 3


@pytest.mark.django_db
def test_a_missing_row_is_skipped(notify_settings):
    assert outbox.deliver(987654) == (outbox.Outcome.SKIPPED, None)
    assert mail.outbox == []


@pytest.mark.django_db
def test_each_recipient_gets_a_stable_message_id(notify_settings):
    notify_settings.STAFF_NOTIFY_EMAILS = ["duty@example.org", "lead@example.org"]
    row = staff_row()
    outbox.deliver(row.pk)
    ids = [message.extra_headers["Message-ID"] for message in mail.outbox]
    assert len(set(ids)) == 2
    assert all(notify_settings.EMAIL_MESSAGE_ID_DOMAIN in message_id for message_id in ids)


# --- failures and retries -------------------------------------------------------------------


@pytest.mark.django_db
def test_refused_recipient_is_recorded_without_the_address(notify_settings):
    notify_settings.EMAIL_BACKEND = failing("RecipientsRefusedBackend")
    row = staff_row()
    before = timezone.now()

    outcome, delay = outbox.deliver(row.pk)

    after = timezone.now()
    assert outcome == outbox.Outcome.RETRY
    assert delay == notify_settings.NOTIFY_RETRY_BASE_SECONDS
    row.refresh_from_db()
    assert row.status == Notification.Status.PENDING
    assert row.attempts == 1
    assert "SMTPRecipientsRefused" in row.last_error
    assert "[address]" in row.last_error
    assert REFUSED_ADDRESS not in row.last_error
    assert "refused.person" not in row.last_error
    assert row.sent_at is None
    wait = datetime.timedelta(seconds=delay)
    assert before + wait <= row.next_attempt_at <= after + wait


@pytest.mark.django_db
def test_backoff_doubles_from_thirty_seconds_up_to_the_cap(settings):
    settings.NOTIFY_RETRY_BASE_SECONDS = 30
    settings.NOTIFY_RETRY_MAX_SECONDS = 100
    assert [outbox.backoff(n) for n in range(1, 6)] == [30, 60, 100, 100, 100]
    settings.NOTIFY_RETRY_MAX_SECONDS = 15 * 60
    assert [outbox.backoff(n) for n in range(1, 8)] == [30, 60, 120, 240, 480, 900, 900]


@pytest.mark.django_db
def test_retries_back_off_then_the_row_fails_for_good(notify_settings):
    notify_settings.EMAIL_BACKEND = failing("ConnectionRefusedBackend")
    notify_settings.NOTIFY_MAX_ATTEMPTS = 4
    notify_settings.NOTIFY_RETRY_BASE_SECONDS = 30
    notify_settings.NOTIFY_RETRY_MAX_SECONDS = 100
    row = staff_row()

    waits = []
    for attempt in (1, 2, 3):
        before = timezone.now()
        outcome, delay = outbox.deliver(row.pk)
        row.refresh_from_db()
        assert outcome == outbox.Outcome.RETRY
        assert row.status == Notification.Status.PENDING
        assert row.attempts == attempt
        assert "ConnectionRefusedError" in row.last_error
        assert row.next_attempt_at >= before + datetime.timedelta(seconds=delay)
        waits.append(delay)
    assert waits == [30, 60, 100]

    assert outbox.deliver(row.pk) == (outbox.Outcome.FAILED, None)
    row.refresh_from_db()
    assert row.status == Notification.Status.FAILED
    assert row.attempts == 4
    assert "ConnectionRefusedError" in row.last_error
    # Failed is final: later tasks or sweeps leave it alone.
    assert outbox.deliver(row.pk) == (outbox.Outcome.SKIPPED, None)
    assert mail.outbox == []


@pytest.mark.django_db
def test_resend_puts_a_failed_row_back_and_it_is_delivered_once(
    notify_settings, broker, django_capture_on_commit_callbacks
):
    notify_settings.EMAIL_BACKEND = failing("RecipientsRefusedBackend")
    notify_settings.NOTIFY_MAX_ATTEMPTS = 2
    row = staff_row()
    outbox.deliver(row.pk)
    outbox.deliver(row.pk)
    row.refresh_from_db()
    assert row.status == Notification.Status.FAILED

    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.resend([row.pk]) == 1

    row.refresh_from_db()
    assert row.status == Notification.Status.PENDING
    assert row.attempts == 0
    assert broker.queued == [row.pk]

    notify_settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    for queued in broker.queued * 2:  # a duplicated task must not mail twice
        outbox.deliver(queued)
    assert recipients() == ["duty@example.org"]
    row.refresh_from_db()
    assert row.status == Notification.Status.SENT
    assert row.last_error == ""


@pytest.mark.django_db
def test_no_recipients_at_all_is_an_error_not_a_success(notify_settings):
    notify_settings.STAFF_NOTIFY_EMAILS = []
    row = staff_row()
    outcome, _delay = outbox.deliver(row.pk)
    assert outcome == outbox.Outcome.RETRY
    row.refresh_from_db()
    assert row.status == Notification.Status.PENDING
    assert row.sent_at is None
    assert "no recipients" in row.last_error
    assert mail.outbox == []


@pytest.mark.django_db
def test_staff_who_opted_out_do_not_count_as_recipients(notify_settings, triage):
    notify_settings.STAFF_NOTIFY_EMAILS = []
    StaffProfile.objects.create(user=triage, notify=False)
    row = staff_row()
    assert outbox.deliver(row.pk)[0] == outbox.Outcome.RETRY
    assert mail.outbox == []


# --- webhook --------------------------------------------------------------------------------


class Receiver(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self):
        super().__init__(("127.0.0.1", 0), ReceiverHandler)
        self.requests = []
        self.answer = 204
        self.stall = threading.Event()  # set: answer at once; clear: hang until released
        self.stall.set()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}/hooks/imi"


class ReceiverHandler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 -- http.server's naming
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.requests.append(
            {"path": self.path, "headers": dict(self.headers.items()), "body": body}
        )
        self.server.stall.wait(30)
        self.send_response(self.server.answer)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format, *args):
        pass


@pytest.fixture
def receiver(monkeypatch, notify_settings):
    for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    notify_settings.NOTIFY_WEBHOOK_URL = server.url
    notify_settings.NOTIFY_WEBHOOK_SECRET = "a webhook secret for the tests"
    yield server
    server.stall.set()
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.mark.django_db
def test_webhook_posts_signed_json_for_a_new_submission(receiver, notify_settings):
    callback = intake.callback_request_submit(
        data=callback_data(), language="uk", submission_key=uuid.uuid4()
    )
    row = callback.notifications.get(channel=Notification.Channel.WEBHOOK)
    assert row.kind == Notification.Kind.NEW_CALLBACK

    assert outbox.deliver(row.pk)[0] == outbox.Outcome.SENT

    [request] = receiver.requests
    assert request["path"] == "/hooks/imi"
    headers = {k.lower(): v for k, v in request["headers"].items()}
    assert headers["content-type"] == "application/json"
    expected = hmac.new(
        b"a webhook secret for the tests", request["body"], hashlib.sha256
    ).hexdigest()
    assert headers["x-imi-signature"] == "sha256=" + expected
    assert headers["idempotency-key"] == f"imi-notification-{row.pk}"
    payload = json.loads(request["body"])
    assert payload["id"] == row.pk
    assert payload["kind"] == "new_callback"
    assert payload["item"] == "callback"
    assert payload["item_id"] == callback.pk
    assert payload["topic"] == "other"
    row.refresh_from_db()
    assert row.status == Notification.Status.SENT
    # Delivered once means posted once.
    assert outbox.deliver(row.pk)[0] == outbox.Outcome.SKIPPED
    assert len(receiver.requests) == 1


@pytest.mark.django_db
def test_webhook_signature_does_not_match_another_secret(receiver):
    intake.callback_request_submit(data=callback_data(), language="uk", submission_key=uuid.uuid4())
    row = Notification.objects.get(channel=Notification.Channel.WEBHOOK)
    outbox.deliver(row.pk)
    [request] = receiver.requests
    headers = {k.lower(): v for k, v in request["headers"].items()}
    forged = hmac.new(b"another secret", request["body"], hashlib.sha256).hexdigest()
    assert headers["x-imi-signature"].startswith("sha256=")
    assert headers["x-imi-signature"] != "sha256=" + forged


@pytest.mark.django_db
def test_webhook_answering_500_is_retried(receiver, notify_settings):
    receiver.answer = 500
    complaint, _code = intake.complaint_submit(
        data=complaint_data(), files=[], language="uk", submission_key=uuid.uuid4()
    )
    row = complaint.notifications.get(channel=Notification.Channel.WEBHOOK)

    outcome, delay = outbox.deliver(row.pk)

    assert outcome == outbox.Outcome.RETRY
    assert delay == notify_settings.NOTIFY_RETRY_BASE_SECONDS
    assert len(receiver.requests) == 1
    row.refresh_from_db()
    assert row.status == Notification.Status.PENDING
    assert row.attempts == 1
    assert "500" in row.last_error

    receiver.answer = 200
    assert outbox.deliver(row.pk)[0] == outbox.Outcome.SENT
    assert len(receiver.requests) == 2


@pytest.mark.django_db
def test_webhook_that_hangs_is_recorded_as_a_timeout(receiver, notify_settings):
    notify_settings.NOTIFY_TIMEOUT_SECONDS = 1
    receiver.stall.clear()
    intake.callback_request_submit(data=callback_data(), language="uk", submission_key=uuid.uuid4())
    row = Notification.objects.get(channel=Notification.Channel.WEBHOOK)

    started = time.monotonic()
    outcome, _delay = outbox.deliver(row.pk)
    took = time.monotonic() - started

    assert outcome == outbox.Outcome.RETRY
    assert took < 10  # the receiver would hang for 30 s
    row.refresh_from_db()
    assert row.status == Notification.Status.PENDING
    assert "timed out" in row.last_error.lower()


@pytest.mark.django_db
def test_webhook_nobody_listens_on_is_retried(notify_settings):
    notify_settings.NOTIFY_WEBHOOK_URL = "http://127.0.0.1:1/hooks"
    notify_settings.NOTIFY_WEBHOOK_SECRET = "secret"
    row = staff_row(channel=Notification.Channel.WEBHOOK)
    assert outbox.deliver(row.pk)[0] == outbox.Outcome.RETRY
    row.refresh_from_db()
    assert "webhook failed" in row.last_error


# --- queueing, sweeping and a broker outage -------------------------------------------------


@pytest.mark.django_db
def test_a_submission_queues_its_rows_once_it_commits(broker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        complaint, _code = intake.complaint_submit(
            data=complaint_data(), files=[], language="uk", submission_key=uuid.uuid4()
        )
    assert sorted(broker.queued) == sorted(complaint.notifications.values_list("pk", flat=True))
    assert len(broker.queued) == 2


@pytest.mark.django_db
def test_sweeper_queues_only_stale_pending_rows(
    notify_settings, broker, django_capture_on_commit_callbacks
):
    notify_settings.NOTIFY_SWEEP_AFTER_SECONDS = 120
    long_ago = timezone.now() - datetime.timedelta(seconds=300)
    stale = staff_row(next_attempt_at=long_ago, created_at=long_ago)
    fresh = staff_row()
    backing_off = staff_row(next_attempt_at=timezone.now() + datetime.timedelta(seconds=60))
    staff_row(status=Notification.Status.SENT, next_attempt_at=long_ago)
    staff_row(status=Notification.Status.FAILED, next_attempt_at=long_ago)

    with django_capture_on_commit_callbacks(execute=True):
        swept = outbox.sweep()

    assert swept == [stale.pk]
    assert broker.queued == [stale.pk]
    assert fresh.pk not in broker.queued
    assert backing_off.pk not in broker.queued
    # Just queued: the next sweep leaves it alone.
    broker.queued.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.sweep() == []
    assert broker.queued == []


@pytest.mark.django_db
def test_broker_down_still_thanks_the_caller_and_the_sweeper_delivers_later(
    client, notify_settings, broker, django_capture_on_commit_callbacks
):
    broker.down = True
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(reverse("hotline:callback"), callback_post_data())

    assert callbacks  # the queueing was attempted, and failed
    assert response.status_code == 302
    assert response["Location"] == reverse("hotline:callback-thanks")
    row = Notification.objects.get()
    assert row.kind == Notification.Kind.NEW_CALLBACK
    assert row.status == Notification.Status.PENDING
    assert row.attempts == 0
    assert broker.queued == []
    assert mail.outbox == []

    broker.down = False
    Notification.objects.filter(pk=row.pk).update(
        next_attempt_at=timezone.now() - datetime.timedelta(minutes=10)
    )
    with django_capture_on_commit_callbacks(execute=True):
        outbox.sweep()
    assert broker.queued == [row.pk]

    for queued in broker.queued:
        outbox.deliver(queued)
    outbox.deliver(row.pk)  # a late duplicate of the task
    assert recipients() == ["duty@example.org"]
    assert said("Callback request #%(id)s", id=row.callback_id) in mail.outbox[0].subject


# --- escalation -----------------------------------------------------------------------------


def overdue_items(settings):
    now = timezone.now()
    minutes = datetime.timedelta(minutes=settings.CALLBACK_ESCALATION_MINUTES + 1)
    hours = datetime.timedelta(hours=settings.COMPLAINT_ESCALATION_HOURS, minutes=1)
    return {
        "old_callback": CallbackRequestFactory(created_at=now - minutes),
        "old_complaint": ComplaintFactory(created_at=now - hours),
        "handled_callback": CallbackRequestFactory(
            created_at=now - minutes, status=CallbackRequest.Status.IN_PROGRESS
        ),
        "handled_complaint": ComplaintFactory(
            created_at=now - hours, status=Complaint.Status.TRIAGE
        ),
        "recent_callback": CallbackRequestFactory(
            created_at=now - datetime.timedelta(minutes=settings.CALLBACK_ESCALATION_MINUTES - 2)
        ),
        "recent_complaint": ComplaintFactory(created_at=now - datetime.timedelta(minutes=30)),
    }


@pytest.mark.django_db
def test_overdue_items_escalate_exactly_once(
    notify_settings, broker, django_capture_on_commit_callbacks
):
    notify_settings.CALLBACK_ESCALATION_MINUTES = 30
    notify_settings.COMPLAINT_ESCALATION_HOURS = 4
    items = overdue_items(notify_settings)

    with django_capture_on_commit_callbacks(execute=True):
        counts = [outbox.escalate() for _ in range(3)]

    assert counts == [2, 0, 0]
    escalations = Notification.objects.filter(kind=Notification.Kind.ESCALATION)
    assert sorted(escalations.values_list("callback_id", "complaint_id"), key=str) == sorted(
        [(items["old_callback"].pk, None), (None, items["old_complaint"].pk)], key=str
    )
    # Each escalation is queued once, not once per code path.
    assert sorted(broker.queued) == sorted(escalations.values_list("pk", flat=True))
    for name in ("old_callback", "old_complaint"):
        items[name].refresh_from_db()
        assert items[name].escalated_at is not None
    for name in ("handled_callback", "handled_complaint", "recent_callback", "recent_complaint"):
        items[name].refresh_from_db()
        assert items[name].escalated_at is None
        assert not items[name].notifications.exists()


@pytest.mark.django_db
def test_escalation_mail_goes_to_the_escalation_list_and_says_overdue(
    notify_settings, broker, django_capture_on_commit_callbacks
):
    notify_settings.ESCALATION_EMAILS = ["head@example.org"]
    callback = CallbackRequestFactory(created_at=timezone.now() - datetime.timedelta(minutes=45))
    notify_settings.CALLBACK_ESCALATION_MINUTES = 30
    with django_capture_on_commit_callbacks(execute=True):
        outbox.escalate()
    row = Notification.objects.get(kind=Notification.Kind.ESCALATION)
    assert row.callback == callback

    outbox.deliver(row.pk)

    assert recipients() == ["head@example.org"]
    [message] = mail.outbox
    assert message.subject.startswith(said("[OVERDUE]"))
    assert said("Callback request #%(id)s", id=callback.pk) in message.subject
    overdue = said("Nobody has taken this up yet: it came in %(minutes)s minutes ago.", minutes=45)
    assert overdue in message.body
    assert overdue in message.alternatives[0][0]


@pytest.mark.django_db
def test_escalation_without_its_own_list_goes_to_the_duty_addresses(
    notify_settings, broker, django_capture_on_commit_callbacks
):
    notify_settings.COMPLAINT_ESCALATION_HOURS = 2
    complaint = ComplaintFactory(created_at=timezone.now() - datetime.timedelta(hours=3))
    with django_capture_on_commit_callbacks(execute=True):
        outbox.escalate()
    row = Notification.objects.get(kind=Notification.Kind.ESCALATION)
    assert row.complaint == complaint
    outbox.deliver(row.pk)
    assert recipients() == ["duty@example.org"]
    assert mail.outbox[0].subject.startswith(said("[OVERDUE]"))


@pytest.mark.django_db
def test_an_item_handled_in_time_never_escalates(
    notify_settings, broker, django_capture_on_commit_callbacks
):
    notify_settings.CALLBACK_ESCALATION_MINUTES = 30
    callback = CallbackRequestFactory(created_at=timezone.now() - datetime.timedelta(minutes=20))
    desk.change_status(obj=callback, status=CallbackRequest.Status.CALLED_BACK)
    CallbackRequest.objects.filter(pk=callback.pk).update(
        created_at=timezone.now() - datetime.timedelta(hours=2)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.escalate() == 0
    assert not Notification.objects.filter(kind=Notification.Kind.ESCALATION).exists()
    assert broker.queued == []
