"""Where the journeys' mail goes: a real Celery worker and an SMTP sink when the run has
PostgreSQL and REDIS_URL (the worker is another process and must see the test database), else
Celery runs the task in the live server's thread and Django keeps the mail in memory.

Either way the journey reads the same thing: the mails that left, as (to, subject, text).
"""

import contextlib
import os
import uuid
from dataclasses import dataclass

import redis
from django.core import mail as django_mail
from django.db import connection

from tests.hotline.worker_support import (
    SmtpSink,
    Worker,
    broker_url_for,
    celery_app_routed,
    wait_for,
    worker_env,
)

REDIS_URL = os.environ.get("REDIS_URL", "")
# A Redis database of its own for the broker, flushed before and after: not the suite's cache
# (0, or 2-6, 9, 10, 13-15 under xdist; tests/settings.py), the worker tests' broker (7) or
# the benchmarks' (8, 11, 12).
BROKER_DB = int(os.environ.get("JOURNEY_TEST_REDIS_DB", "1"))
DELIVERY_WAIT = 20  # seconds: a generous bound for one worker round trip
DUTY_MAILBOX = "duty@imi.example"


def real_worker() -> bool:
    return connection.vendor == "postgresql" and bool(REDIS_URL)


@dataclass(frozen=True)
class Sent:
    to: tuple[str, ...]
    subject: str
    text: str


class MailRoute:
    """The mails sent so far, from the SMTP sink or from Django's in-memory outbox."""

    def __init__(self, *, sink=None, worker=None):
        self.sink = sink
        self.worker = worker

    @property
    def real(self) -> bool:
        return self.sink is not None

    def sent(self) -> list[Sent]:
        if self.sink is not None:
            return [Sent(m.to, m.subject, m.text) for m in self.sink.handler.received()]
        return [Sent(tuple(m.to), m.subject, m.body) for m in django_mail.outbox]

    def to(self, address: str) -> list[Sent]:
        return [m for m in self.sent() if address in m.to]

    def wait_for(self, address: str, count: int, what: str) -> list[Sent]:
        """The first `count` mails to `address`, waiting for the worker to send them."""
        return wait_for(
            lambda: len(self.to(address)) >= count and self.to(address)[:count],
            timeout=DELIVERY_WAIT,
            message=lambda: (
                f"{what}: {count} mail(s) to {address} expected, got "
                f"{self.sent()}\n{self.worker.log_tail() if self.worker else ''}"
            ),
        )


@contextlib.contextmanager
def mail_route(*, settings, site_url: str, tmp_path, monkeypatch):
    """Staff mails go to DUTY_MAILBOX (in Ukrainian, the default) and link to `site_url`."""
    settings.STAFF_NOTIFY_EMAILS = [DUTY_MAILBOX]
    settings.SITE_URL = site_url
    if not real_worker():
        from imi_portal.celery import app

        # Also when REDIS_URL is set on SQLite: nothing would consume a published task.
        saved = app.conf.task_always_eager
        app.conf.task_always_eager = True
        try:
            yield MailRoute()
        finally:
            app.conf.task_always_eager = saved
        return

    for name in ("CELERY_BROKER_URL", "CELERY_BROKER_READ_URL", "CELERY_BROKER_WRITE_URL"):
        monkeypatch.delenv(name, raising=False)
    broker_url = broker_url_for(REDIS_URL, BROKER_DB)
    client = redis.Redis.from_url(broker_url)
    client.flushdb()
    queue = f"imi-journey-{uuid.uuid4().hex[:8]}"
    with SmtpSink() as sink, celery_app_routed(broker_url=broker_url, queue=queue):
        env = worker_env(
            broker_url=broker_url, smtp_port=sink.port, staff=DUTY_MAILBOX, SITE_URL=site_url
        )
        worker = Worker(queue=queue, env=env, log_path=tmp_path / "journey-worker.log")
        try:
            worker.start()
            yield MailRoute(sink=sink, worker=worker)
        finally:
            worker.kill()
            client.flushdb()
            client.close()
