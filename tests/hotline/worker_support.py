"""Real parts for tests/hotline/test_worker.py: an SMTP sink, a Celery worker process, and
pointing this process's Celery app at the worker's broker and queue.

Nothing here is faked: the sink is aiosmtpd on a local port, the worker is
`python -m celery -A imi_portal worker` in its own process with its own settings, talking to
the same PostgreSQL test database and Redis as the test.
"""

import asyncio
import contextlib
import email
import email.policy
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

import kombu.pools
from aiosmtpd.controller import Controller

BASE_DIR = Path(__file__).resolve().parent.parent.parent


# A Redis database of its own for the tests' brokers, flushed before each test.
BROKER_DB = int(os.environ.get("WORKER_TEST_REDIS_DB", "7"))


def worker_test_marks() -> list:
    """The marks of a module whose tests start Celery workers: PostgreSQL and Redis only
    (the worker is another process, and SQLite's in-memory test database cannot be shared
    with it), and one xdist process for all of them (their workers share BROKER_DB)."""
    import pytest
    from django.db import connection

    return [
        pytest.mark.worker,
        pytest.mark.xdist_group("celery-worker"),
        pytest.mark.skipif(
            connection.vendor != "postgresql" or not os.environ.get("REDIS_URL"),
            reason=(
                "needs PostgreSQL (DATABASE_URL) and Redis (REDIS_URL): the Celery worker runs "
                "in another process, and SQLite's in-memory test database cannot be shared "
                "with it"
            ),
        ),
    ]


def wait_for(predicate, *, timeout: float, message, interval: float = 0.1):
    """Poll until predicate() is truthy and return its value; fail with `message` (a string
    or a callable giving one, for diagnostics gathered at the moment of failure)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            text = message() if callable(message) else message
            raise AssertionError(f"after {timeout:.0f} s: {text}")
        time.sleep(interval)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- SMTP sink ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Mail:
    to: tuple[str, ...]
    subject: str
    message_id: str
    text: str


class SinkHandler:
    """Records every accepted message. Can hold a client before it may send data (`hold`),
    or refuse every recipient (`refuse`); the switches are flipped from the test thread."""

    def __init__(self):
        self._lock = threading.Lock()
        self.mails: list[Mail] = []
        self.refusals = 0
        self.refuse = False
        self._held = threading.Event()  # set while clients must wait
        self.stalled = threading.Event()  # a client is waiting at RCPT

    def hold(self) -> None:
        self.stalled.clear()
        self._held.set()

    def release(self) -> None:
        self._held.clear()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self._held.is_set():
            self.stalled.set()
            deadline = time.monotonic() + 60
            while self._held.is_set() and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
        if self.refuse:
            with self._lock:
                self.refusals += 1
            return "550 5.7.1 recipient refused by the test sink"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        mail = Mail(
            to=tuple(envelope.rcpt_tos),
            # Folded non-ASCII subjects come back with a leading space.
            subject=str(message["Subject"] or "").strip(),
            # A long Message-ID is folded onto a second line; unfolded, it keeps a space.
            message_id=str(message["Message-ID"] or "").strip(),
            text=body.get_content() if body is not None else "",
        )
        with self._lock:
            self.mails.append(mail)
        return "250 Message accepted for delivery"

    def received(self) -> list[Mail]:
        with self._lock:
            return list(self.mails)

    def names_item(self, mail: Mail, item_id: int) -> bool:
        """The subject names the item: "Callback request #12" ("№12" in Ukrainian)."""
        return re.search(rf"[#№]{item_id}\b", mail.subject) is not None

    def for_notification(self, notification_id: int) -> list[Mail]:
        """Mails of one Notification row (its Message-ID is <imi-ID-token@domain>)."""
        prefix = f"<imi-{notification_id}-"
        return [m for m in self.received() if m.message_id.startswith(prefix)]


class SmtpSink:
    def __init__(self):
        logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's per-command log
        self.handler = SinkHandler()
        self.port = free_port()
        self._controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def __enter__(self):
        self._controller.start()
        return self

    def __exit__(self, *exc):
        self.handler.release()
        self._controller.stop()


# --- Celery worker ------------------------------------------------------------------------


def database_url(settings_dict: dict) -> str:
    """A DATABASE_URL for the database this process is connected to (the test database)."""
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or "5432"
    return f"postgres://{credentials}{host}:{port}/{quote(settings_dict['NAME'], safe='')}"


CHILD_DROPS = ("CELERY_", "DJANGO_", "NOTIFY_", "EMAIL_", "DATABASE_")


def child_env(*, drop: tuple[str, ...] = CHILD_DROPS, **settings: str) -> dict:
    """The environment of a process this one starts (a worker, a web server): this
    process's, less every setting of the kinds in `drop`, then `settings`. The tests' workers
    and the benchmarks' servers are started with it."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(drop)}
    env.update(PYTHONUNBUFFERED="1", **settings)
    return env


def worker_env(*, broker_url: str, smtp_port: int, staff: str, **extra: str) -> dict:
    """The environment of a Celery worker process for a test: this process's, less its
    Celery, Django, notification, mail and database settings, then the test database, the
    broker, the SMTP sink and the staff mailbox (and `extra`)."""
    from django.db import connection

    return child_env(
        DJANGO_SETTINGS_MODULE="imi_portal.settings",
        DEBUG="1",
        DATABASE_URL=database_url(connection.settings_dict),
        CELERY_BROKER_URL=broker_url,
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
        STAFF_NOTIFY_EMAILS=staff,
        **extra,
    )


def broker_url_for(redis_url: str, db: int) -> str:
    parts = urlsplit(redis_url)
    return parts._replace(path=f"/{db}").geturl()


class Worker:
    """`celery -A imi_portal worker --pool=solo` on one queue, logging to a file."""

    def __init__(self, *, queue: str, env: dict, log_path: Path):
        self.queue = queue
        self.env = env
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> "Worker":
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "imi_portal",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"test-{uuid.uuid4().hex[:8]}@%h",
            "-Q",
            self.queue,
        ]
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                command,
                cwd=BASE_DIR,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_for(
            lambda: self.process.poll() is not None or " ready." in self.log(),
            timeout=timeout,
            message=lambda: f"the Celery worker did not get ready:\n{self.log_tail()}",
        )
        if self.process.poll() is not None:
            raise AssertionError(
                f"the Celery worker exited ({self.process.returncode}):\n{self.log_tail()}"
            )
        return self

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: no warm shutdown, no ack, the open transaction dies with the process."""
        if self.running:
            os.kill(self.process.pid, signal.SIGKILL)
        if self.process is not None:
            self.process.wait(timeout=10)

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log().splitlines()[-lines:])


# --- This process's Celery app ------------------------------------------------------------


def reset_connections(app) -> None:
    """Drop pooled broker connections and the cached queue/router setup, so the next publish
    uses the current app.conf."""
    kombu.pools.reset()  # the pools are process-wide, keyed by broker URL: close and forget
    app._pool = None
    app.__dict__.pop("amqp", None)


@contextlib.contextmanager
def celery_app_routed(*, broker_url: str, queue: str):
    """Tasks sent from this process go to `broker_url`, queue `queue`, for real (not eager).

    CELERY_BROKER_URL in the environment would win over app.conf: the caller removes it."""
    from imi_portal.celery import app

    keys = ("broker_url", "task_default_queue", "task_always_eager")
    saved = {key: app.conf[key] for key in keys}
    app.conf.update(broker_url=broker_url, task_default_queue=queue, task_always_eager=False)
    reset_connections(app)
    try:
        yield app
    finally:
        app.conf.update(saved)
        reset_connections(app)


@contextlib.contextmanager
def broker_down(app, url: str = "redis://127.0.0.1:1/0"):
    """Publishing from this process fails (nothing listens on port 1) until the block ends."""
    saved = app.conf["broker_url"]
    app.conf.update(broker_url=url)
    reset_connections(app)
    try:
        yield
    finally:
        app.conf.update(broker_url=saved)
        reset_connections(app)
