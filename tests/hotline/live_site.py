"""A live site for fault tests: gunicorn with production settings on its own database, a
visitor that keeps cookies, and a socket that accepts connections and never answers."""

import fcntl
import http.client
import os
import re
import secrets
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

from tests.test_settings import ROOT, production_env

from .worker_support import free_port, wait_for

HOST = "portal.example.org"


def wait_until_listening(port: int, *, timeout: float, message) -> None:
    def listening():
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            return False

    wait_for(listening, timeout=timeout, message=message)


def complaint_data(*, region, category, description, **extra) -> dict:
    """A valid complaint as the English form posts it."""
    return {
        "reporter_name": "Ivanna Koval",
        "role": "journalist",
        "email": "ivanna@example.org",
        "preferred_channel": "email",
        "occurred_on": "2026-01-10",
        "region": region,
        "category": category,
        "perpetrator_type": "police",
        "description": description,
        "consent_processing": "on",
        "safety": "safe",
        "submission_key": str(uuid.uuid4()),
        **extra,
    }


class Browser:
    """A visitor: keeps its cookies (the site's are Secure; the proxy in front says https)."""

    def __init__(self, port: int, timeout: float = 30):
        self.port = port
        self.timeout = timeout
        self.cookies: dict[str, str] = {}

    def request(self, method, path, data=None, *, headers=None, body=None):
        """`data`: a form to post; or `body` as it is, with `headers` of the caller's."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        headers = {
            "Host": HOST,
            "X-Forwarded-Proto": "https",
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
            **(headers or {}),
        }
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


def prepared(env: dict) -> Path:
    """A migrated database file (`db.sqlite3`) and the collected static files (`static/`),
    made once per test run and shared by every xdist worker under a lock: each production
    site of the suite starts from a copy (migrate and collectstatic took about 13 s a site)."""
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID") or f"pid{os.getpid()}"
    root = Path(tempfile.gettempdir()) / f"imi-prepared-site-{run}"
    root.mkdir(exist_ok=True)
    with open(root / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (root / "done").exists():
            env = {
                **{k: v for k, v in env.items() if k not in ("REDIS_URL", "CELERY_BROKER_URL")},
                "DATABASE_URL": f"sqlite:///{root / 'db.sqlite3'}",
                "STATIC_ROOT": str(root / "static"),
            }
            for command in (["migrate", "--noinput", "-v0"], ["collectstatic", "--noinput", "-v0"]):
                result = subprocess.run(
                    [sys.executable, "manage.py", *command],
                    cwd=ROOT,
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=300,
                )
                assert result.returncode == 0, result.stderr[-3000:]
            (root / "done").touch()
    return root


class Site:
    """gunicorn (production settings) on a file database, with its own Redis address."""

    def __init__(self, tmp: Path, redis_port: int, smtp_port: int, database_url: str = ""):
        self.tmp = tmp
        self.port = free_port()
        self.db = tmp / "db.sqlite3"
        self.env = production_env(
            SECRET_KEY=secrets.token_urlsafe(50),
            SECURE_PROXY_SSL_HEADER="1",
            ALLOWED_HOSTS=HOST,
            DATABASE_URL=database_url or f"sqlite:///{self.db}",
            STATIC_ROOT=str(tmp / "static"),
            PRIVATE_MEDIA_ROOT=str(tmp / "private"),
            REDIS_URL=f"redis://127.0.0.1:{redis_port}/0",
            CELERY_BROKER_URL=None,
            CACHE_KEY_PREFIX=f"outage-{uuid.uuid4().hex[:6]}",
            EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
            STAFF_NOTIFY_EMAILS="duty@example.org",
            NOTIFY_SWEEP_AFTER_SECONDS="0",
            GUNICORN_BIND=f"127.0.0.1:{self.port}",
            # Reached directly by these tests (imi_portal.gunicorn refuses that otherwise).
            GUNICORN_DIRECT="1",
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
        """Migrated and with its static files: copies of the run's prepared ones."""
        template = prepared(self.env)
        if self.env["DATABASE_URL"] == f"sqlite:///{self.db}":
            shutil.copyfile(template / "db.sqlite3", self.db)
        else:
            self.manage("migrate", "--noinput", "-v0")
        shutil.copytree(template / "static", self.tmp / "static", dirs_exist_ok=True)

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

        wait_until_listening(self.port, timeout=30, message=self.log_tail)

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
