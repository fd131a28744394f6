"""The staff-notification pipeline with its real parts: the web form in this process, a Celery
worker in another, Redis between them, PostgreSQL under both and an SMTP server at the end.

The Notification row is the truth (hotline.services.outbox): these tests check that a submission is
mailed once and only once when everything works, when the broker is down at submit time,
when the worker is killed in the middle of sending, and when the mail server refuses.

They need a database another process can see, so they run only on PostgreSQL with REDIS_URL
set (CI's second run):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/imi_ci REDIS_URL=redis://127.0.0.1:6379/0 make test
"""

import os
import time
import uuid

import pytest
import redis
from django.urls import reverse
from django.utils import timezone

from hotline.models import CallbackRequest, Complaint, Notification
from hotline.services import intake, outbox

from .helpers import callback_post_data, complaint_post_data
from .worker_support import (
    BROKER_DB,
    SmtpSink,
    Worker,
    broker_down,
    broker_url_for,
    celery_app_routed,
    wait_for,
    worker_env,
    worker_test_marks,
)

REDIS_URL = os.environ.get("REDIS_URL", "")

pytestmark = worker_test_marks()

VISIBILITY_TIMEOUT = 3  # seconds before an unacknowledged task goes back to the queue
DELIVERY_WAIT = 20  # seconds: a generous bound for one worker round trip
STAFF = "duty@example.org"


class Pipeline:
    """The parts of one test: the sink, the broker and queue, and the workers started."""

    def __init__(self, *, sink, app, broker_url, queue, tmp_path):
        self.sink = sink
        self.app = app
        self.broker_url = broker_url
        self.queue = queue
        self.tmp_path = tmp_path
        self.workers = []
        self.env = worker_env(
            broker_url=broker_url,
            smtp_port=sink.port,
            staff=STAFF,
            CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT),
            # Quick retries, and give up after three (the failing-channel test).
            NOTIFY_MAX_ATTEMPTS="3",
            NOTIFY_RETRY_BASE_SECONDS="1",
            NOTIFY_RETRY_MAX_SECONDS="2",
            NOTIFY_TIMEOUT_SECONDS="15",
        )

    def start_worker(self):
        log = self.tmp_path / f"worker-{len(self.workers) + 1}.log"
        worker = Worker(queue=self.queue, env=self.env, log_path=log)
        self.workers.append(worker)
        return worker.start()

    def logs(self) -> str:
        return "\n".join(f"--- {w.log_path.name}\n{w.log_tail()}" for w in self.workers)

    def wait_for_mail(self, notification_id, timeout=DELIVERY_WAIT):
        return wait_for(
            lambda: self.sink.handler.for_notification(notification_id),
            timeout=timeout,
            message=lambda: (
                f"no mail for notification {notification_id}; row: "
                f"{row_state(notification_id)}; sink has {self.sink.handler.received()}\n"
                f"{self.logs()}"
            ),
        )

    def wait_for_status(self, notification_id, status, timeout=DELIVERY_WAIT):
        return wait_for(
            lambda: Notification.objects.filter(pk=notification_id, status=status).first(),
            timeout=timeout,
            message=lambda: (
                f"notification {notification_id} never became {status}: "
                f"{row_state(notification_id)}\n{self.logs()}"
            ),
        )


def row_state(notification_id) -> dict:
    return (
        Notification.objects.filter(pk=notification_id)
        .values("status", "attempts", "last_error", "next_attempt_at")
        .first()
    ) or {}


@pytest.fixture
def pipeline(transactional_db, tmp_path, monkeypatch):
    for name in ("CELERY_BROKER_URL", "CELERY_BROKER_READ_URL", "CELERY_BROKER_WRITE_URL"):
        monkeypatch.delenv(name, raising=False)
    broker_url = broker_url_for(REDIS_URL, BROKER_DB)
    client = redis.Redis.from_url(broker_url)
    client.flushdb()  # purge: no queue, no unacknowledged task left from an earlier run
    queue = f"imi-test-{uuid.uuid4().hex[:8]}"
    with (
        SmtpSink() as sink,
        celery_app_routed(broker_url=broker_url, queue=queue) as app,
    ):
        parts = Pipeline(sink=sink, app=app, broker_url=broker_url, queue=queue, tmp_path=tmp_path)
        try:
            yield parts
        finally:
            for worker in parts.workers:
                worker.kill()
            client.flushdb()
            client.close()


def _submit_callback(client) -> tuple[CallbackRequest, Notification]:
    data = callback_post_data()
    response = client.post(reverse("hotline:callback"), data)
    assert response.status_code == 302
    assert response["Location"] == reverse("hotline:callback-thanks")
    callback = CallbackRequest.objects.get(submission_key=data["submission_key"])
    return callback, Notification.objects.get(callback=callback)


def test_callback_from_the_form_is_mailed_to_staff_once(client, pipeline):
    pipeline.start_worker()
    callback, row = _submit_callback(client)

    [mail] = pipeline.wait_for_mail(row.pk)
    row = pipeline.wait_for_status(row.pk, Notification.Status.SENT)

    assert mail.to == (STAFF,)
    assert pipeline.sink.handler.names_item(mail, callback.pk)
    assert callback.get_absolute_url() in mail.text
    # Nothing personal in a staff mail: no name, no number, no message.
    for personal in ("Olena", "447", "accreditation"):
        assert personal not in mail.text and personal not in mail.subject
    assert row.attempts == 1
    assert row.sent_at is not None
    assert row.last_error == ""
    time.sleep(1)
    assert len(pipeline.sink.handler.received()) == 1


def test_complaint_with_an_email_mails_staff_and_the_complainant_with_the_code(
    client, pipeline, reference_data
):
    pipeline.start_worker()
    data = complaint_post_data(email="ivanna@example.org")
    response = client.post(reverse("hotline:complaint"), data)
    assert response.status_code == 302
    code = client.session["complaint_code"]["code"]  # what the thank-you page shows
    complaint = Complaint.objects.get(submission_key=data["submission_key"])
    rows = {row.kind: row for row in Notification.objects.filter(complaint=complaint)}
    assert set(rows) == {
        Notification.Kind.NEW_COMPLAINT,
        Notification.Kind.COMPLAINT_RECEIVED,
    }

    [to_staff] = pipeline.wait_for_mail(rows[Notification.Kind.NEW_COMPLAINT].pk)
    [to_complainant] = pipeline.wait_for_mail(rows[Notification.Kind.COMPLAINT_RECEIVED].pk)
    for row in rows.values():
        pipeline.wait_for_status(row.pk, Notification.Status.SENT)

    assert to_staff.to == (STAFF,)
    assert pipeline.sink.handler.names_item(to_staff, complaint.pk)
    assert code not in to_staff.text
    assert to_complainant.to == ("ivanna@example.org",)
    assert code in to_complainant.text
    assert intake.complaint_find_by_code(code) == complaint
    # The code left the database with the mail.
    received = Notification.objects.get(pk=rows[Notification.Kind.COMPLAINT_RECEIVED].pk)
    assert received.payload == {}
    time.sleep(1)
    assert len(pipeline.sink.handler.received()) == 2


def test_broker_down_at_submit_the_sweeper_delivers_exactly_once(client, pipeline, settings):
    pipeline.start_worker()
    with broker_down(pipeline.app):
        started = time.monotonic()
        callback, row = _submit_callback(client)
        took = time.monotonic() - started
    # The visitor is thanked, and quickly: a dead broker is not retried while they wait.
    assert took < 3, f"the form took {took:.1f} s to answer with the broker down"
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Notification.Status.PENDING, 0)
    time.sleep(1.5)
    assert pipeline.sink.handler.received() == []

    settings.NOTIFY_SWEEP_AFTER_SECONDS = 0
    assert outbox.sweep() == [row.pk]
    [mail] = pipeline.wait_for_mail(row.pk)
    row = pipeline.wait_for_status(row.pk, Notification.Status.SENT)
    assert pipeline.sink.handler.names_item(mail, callback.pk)
    assert row.attempts == 1

    # Once sent, the sweeper leaves it alone.
    assert outbox.sweep() == []
    time.sleep(1.5)
    assert len(pipeline.sink.handler.received()) == 1


def test_worker_killed_mid_send_the_mail_arrives_exactly_once(client, pipeline, settings):
    sink = pipeline.sink.handler
    sink.hold()  # the SMTP server keeps the worker waiting before it may send data
    first = pipeline.start_worker()
    callback, row = _submit_callback(client)
    assert sink.stalled.wait(DELIVERY_WAIT), (
        f"the worker never reached the SMTP server\n{pipeline.logs()}"
    )

    first.kill()
    killed_at = time.monotonic()
    # Its sending transaction died with it: the row is still pending, but the attempt was
    # counted (and committed) before sending, so a message that kills every worker that
    # touches it runs out of attempts instead of being retried forever.
    assert row_state(row.pk)["status"] == Notification.Status.PENDING
    assert row_state(row.pk)["attempts"] == 1
    sink.release()
    assert sink.received() == []

    # The broker hands the unacknowledged task to the next worker once the visibility
    # timeout has passed (the worker looks for such tasks when it starts).
    time.sleep(max(0.0, killed_at + VISIBILITY_TIMEOUT + 1 - time.monotonic()))
    pipeline.start_worker()
    path = "redelivered by the broker"
    try:
        pipeline.wait_for_mail(row.pk, timeout=10)
    except AssertionError:
        # Not redelivered in time: the outbox sweeper queues the pending row again.
        path = "queued again by the sweeper"
        settings.NOTIFY_SWEEP_AFTER_SECONDS = 0
        # The dead attempt's lease (its backoff) has run out.
        Notification.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
        assert outbox.sweep() == [row.pk]
        pipeline.wait_for_mail(row.pk)
    print(f"after the kill, the notification was {path}")

    row = pipeline.wait_for_status(row.pk, Notification.Status.SENT)
    time.sleep(1.5)  # room for a duplicate to show up, if there were one
    [mail] = sink.received()
    assert pipeline.sink.handler.names_item(mail, callback.pk)
    assert row.attempts == 2  # the killed one and the one that sent
    assert outbox.sweep() == []


def test_refused_mail_fails_after_three_attempts_then_send_again_delivers_once(client, pipeline):
    sink = pipeline.sink.handler
    sink.refuse = True
    pipeline.start_worker()
    callback, row = _submit_callback(client)

    row = pipeline.wait_for_status(row.pk, Notification.Status.FAILED)
    assert row.attempts == 3
    assert "550" in row.last_error
    assert STAFF not in row.last_error  # errors reach the admin without addresses
    assert sink.refusals == 3
    assert sink.received() == []

    sink.refuse = False
    assert outbox.resend([row.pk]) == 1
    [mail] = pipeline.wait_for_mail(row.pk)
    row = pipeline.wait_for_status(row.pk, Notification.Status.SENT)
    assert pipeline.sink.handler.names_item(mail, callback.pk)
    assert row.attempts == 1
    assert row.last_error == ""
    time.sleep(1.5)
    assert len(sink.received()) == 1
