"""Redis entirely down (cache and broker) changes nothing a visitor can see.

Real processes, real faults: gunicorn serving the production settings (DEBUG off) and a
Celery worker, both pointed at a Redis address where (a) nothing listens, then (b) a socket
accepts connections and never answers. Every public page, both forms, the thank-you pages
and the tracking page answer normally, and the submissions and their outbox rows are stored.
Then a real redis-server starts on that address, a fresh worker comes up, the sweeper
queues what waited, and every notification row is delivered to an SMTP sink exactly once.
Nothing is stubbed: that is how a stubbed cache once hid a Redis-down error page.
"""

import http.client
import re
import secrets
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.test_settings import ROOT, production_env

from .worker_support import SmtpSink, Worker, free_port, wait_for

pytestmark = pytest.mark.skipif(
    shutil.which("redis-server") is None, reason="needs the redis-server binary (Debian: redis)"
)

HOST = "portal.example.org"
PUBLIC_PAGES = [
    "/",
    "/en/",
    "/incidents/",
    "/en/incidents/",
    "/stats/",
    "/callback/",
    "/en/callback/",
    "/complaint/",
    "/en/complaint/",
    "/complaint/status/",
    "/privacy/",
    "/robots.txt",
    "/api/incidents/",
]


class Browser:
    """A visitor: keeps its cookies (the site's are Secure; the proxy in front says https)."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method, path, data=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {
            "Host": HOST,
            "X-Forwarded-Proto": "https",
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
        }
        body = None
        if data is not None:
            body = urlencode(data, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = f"https://{HOST}"
            headers["Referer"] = f"https://{HOST}{path}"
        started = time.monotonic()
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode(errors="replace")
        elapsed = time.monotonic() - started
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
        connection.close()
        return response.status, dict(response.getheaders()), text, elapsed

    def get(self, path):
        return self.request("GET", path)

    def post_form(self, path, data):
        status, _headers, page, _ = self.get(path)
        assert status == 200, (path, status)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
        return self.request("POST", path, {**data, "csrfmiddlewaretoken": token})


class HangingServer:
    """Accepts TCP connections and never answers: a Redis that hangs."""

    def __init__(self, port: int):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(64)
        self.held: list[socket.socket] = []
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self):
        self.sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
                self.held.append(conn)
            except TimeoutError:
                continue
            except OSError:
                return

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self.thread.join(timeout=5)
        for conn in self.held:
            conn.close()
        self.sock.close()


class Site:
    """gunicorn (production settings) on a file database, with its own Redis address."""

    def __init__(self, tmp: Path, redis_port: int, smtp_port: int):
        self.tmp = tmp
        self.port = free_port()
        self.db = tmp / "db.sqlite3"
        self.env = production_env(
            SECRET_KEY=secrets.token_urlsafe(50),
            SECURE_PROXY_SSL_HEADER="1",
            ALLOWED_HOSTS=HOST,
            DATABASE_URL=f"sqlite:///{self.db}",
            STATIC_ROOT=str(tmp / "static"),
            PRIVATE_MEDIA_ROOT=str(tmp / "private"),
            REDIS_URL=f"redis://127.0.0.1:{redis_port}/0",
            CELERY_BROKER_URL=None,
            CACHE_KEY_PREFIX=f"outage-{uuid.uuid4().hex[:6]}",
            EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
            STAFF_NOTIFY_EMAILS="duty@example.org",
            NOTIFY_SWEEP_AFTER_SECONDS="0",
            GUNICORN_BIND=f"127.0.0.1:{self.port}",
            WEB_CONCURRENCY="2",
        )
        self.process = None

    def manage(self, *args):
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        return result.stdout

    def prepare(self):
        self.manage("migrate", "--noinput", "-v0")
        self.manage("collectstatic", "--noinput", "-v0")

    def start(self):
        self.log = open(self.tmp / "gunicorn.log", "wb")  # noqa: SIM115 -- closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "python:imi_portal.gunicorn"]
            + ["imi_portal.wsgi"],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

        def answers():
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return True
            except OSError:
                return False

        wait_for(answers, timeout=30, message=self.log_tail)

    def log_tail(self):
        return (self.tmp / "gunicorn.log").read_text(errors="replace")[-3000:]

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.log.close()

    def rows(self, sql):
        with sqlite3.connect(self.db) as db:
            return db.execute(sql).fetchall()


def walk_as_visitors(site: Site) -> dict:
    """Every page, both forms sent, both thank-you pages, the tracking page: all normal."""
    visitor = Browser(site.port)
    timings = {}
    for path in PUBLIC_PAGES:
        status, headers, _page, elapsed = visitor.get(path)
        if status == 302:  # the statistics page picks its default period
            status, headers, _page, more = visitor.get(headers["Location"])
            elapsed += more
        assert status == 200, (path, status, site.log_tail())
        timings[path] = elapsed

    status, headers, _page, elapsed = visitor.post_form(
        "/callback/",
        {
            "name": "Olena",
            "phone": "(050) 447-70-63",
            "preferred_time": "any",
            "topic": "journalists_rights",
            "consent": "on",
            "submission_key": str(uuid.uuid4()),
        },
    )
    assert status == 302, (status, site.log_tail())
    assert headers["Location"].endswith("/callback/thanks/")
    timings["POST /callback/"] = elapsed
    assert visitor.get("/callback/thanks/")[0] == 200

    region = site.rows("select id from incidents_region where slug='kyiv'")[0][0]
    category = site.rows("select id from incidents_category where slug='beating'")[0][0]
    status, headers, _page, elapsed = visitor.post_form(
        "/en/complaint/",
        {
            "reporter_name": "Ivanna Koval",
            "role": "journalist",
            "email": "ivanna@example.org",
            "preferred_channel": "email",
            "occurred_on": "2026-01-10",
            "region": region,
            "category": category,
            "perpetrator_type": "police",
            "description": "Police officers pushed me away from the court and broke my camera.",
            "consent_processing": "on",
            "submission_key": str(uuid.uuid4()),
        },
    )
    assert status == 302, (status, site.log_tail())
    timings["POST /en/complaint/"] = elapsed
    status, _h, thanks, _ = visitor.get("/en/complaint/thanks/")
    assert status == 200
    code = re.search(r"\b([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})\b", thanks)[1]

    status, _h, tracked, _ = visitor.post_form("/en/complaint/status/", {"code": code})
    assert status == 200
    assert 'id="complaint-status"' in tracked
    return timings


@pytest.fixture
def smtp():
    with SmtpSink() as sink:
        yield sink


@pytest.mark.parametrize("fault", ["closed port", "socket that never answers"])
def test_redis_down_changes_nothing_a_visitor_sees(tmp_path, smtp, fault):
    redis_port = free_port()
    site = Site(tmp_path, redis_port, smtp.port)
    site.prepare()
    worker = Worker(queue="celery", env=site.env, log_path=tmp_path / "worker.log")
    hanging = HangingServer(redis_port) if fault != "closed port" else None
    redis = None
    try:
        if hanging:
            hanging.__enter__()
        site.start()
        # The worker cannot reach its broker either: it waits, it does not take the site down.
        worker_process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "imi_portal", "worker", "--pool=solo"],
            cwd=ROOT,
            env=site.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        timings = walk_as_visitors(site)
        print(f"\n{fault}: slowest answers", sorted(timings.items(), key=lambda i: -i[1])[:3])

        assert site.rows("select count(*) from hotline_callbackrequest") == [(1,)]
        assert site.rows("select count(*) from hotline_complaint") == [(1,)]
        pending = site.rows("select count(*) from hotline_notification where status='pending'")
        # Staff mail for each submission, and the reporter's confirmation.
        assert pending == [(3,)]

        # Redis comes back: a real server on the same address, and a fresh worker.
        worker_process.kill()
        worker_process.wait(timeout=10)
        if hanging:
            hanging.__exit__(None, None, None)
            hanging = None
        redis = subprocess.Popen(
            ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        worker.start(timeout=60)
        site.manage("shell", "-c", SWEEP)
        wait_for(
            lambda: (
                site.rows("select count(*) from hotline_notification where status='sent'") == [(3,)]
            ),
            timeout=60,
            message=lambda: f"{site.rows(OUTBOX)}\n{worker.log_tail()}",
        )
        # Exactly once per row: one mail to the duty address per submission, one receipt.
        assert sorted(m.to for m in smtp.handler.received()) == [
            ("duty@example.org",),
            ("duty@example.org",),
            ("ivanna@example.org",),
        ]
        # And with Redis back, the site still answers as before.
        assert Browser(site.port).get("/")[0] == 200
    finally:
        worker.kill()
        site.stop()
        if hanging:
            hanging.__exit__(None, None, None)
        if redis is not None:
            redis.terminate()
            redis.wait(timeout=10)


OUTBOX = "select status, attempts, last_error from hotline_notification"
SWEEP = "from hotline import outbox; print(len(outbox.sweep()), 'queued again')"
