"""The production web server's access log records requests, not the people who made them."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.one_database  # gunicorn on a database file of its own
def test_access_log_has_no_address_referrer_or_user_agent(tmp_path):
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
        "DJANGO_SETTINGS_MODULE": "imi_portal.settings",
        "DEBUG": "1",  # plain http on loopback; the log format is the same
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    env.pop("REDIS_URL", None)
    env.pop("CELERY_BROKER_URL", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "python:imi_portal.gunicorn", "imi_portal.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/robots.txt?from=test",
            headers={
                "User-Agent": "SecretAgent/7.0 (reporter-laptop)",
                "Referer": "https://secret.example/where-i-came-from",
                "X-Forwarded-For": "203.0.113.77",
            },
        )
        for _ in range(100):
            try:
                with urllib.request.urlopen(request, timeout=5) as response:
                    assert response.status == 200
                break
            except (ConnectionError, OSError):
                time.sleep(0.1)
        else:
            raise AssertionError("gunicorn did not answer")
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0]
    access = [line for line in output.splitlines() if "GET /robots.txt?from=test" in line]
    assert len(access) == 1, output
    line = access[0]
    assert '" 200 ' in line
    for secret in ["127.0.0.1", "203.0.113.77", "SecretAgent", "secret.example"]:
        assert secret not in line, line
