"""Issue 29: a deployer who skips nginx was down with three slow connections, and nothing
stopped them. Production gunicorn now refuses to start without the proxy in front unless a
setting says, explicitly, that it is meant to be reached directly."""

import subprocess
import sys

import pytest

from tests.hotline.live_site import wait_until_listening
from tests.hotline.worker_support import free_port
from tests.test_settings import ROOT, production_env

pytestmark = pytest.mark.one_database  # gunicorn in a process of its own


def gunicorn(tmp_path, **env):
    port = free_port()
    environment = production_env(
        **{
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": "1",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "SECRET_KEY": "x" * 60,
            "TRUSTED_PROXY_NETWORKS": None,
            "GUNICORN_DIRECT": None,
            **env,
        }
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "python:imi_portal.gunicorn", "imi_portal.wsgi"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return process, port


def test_production_gunicorn_without_the_proxy_refuses_to_start_and_says_why(tmp_path):
    process, _port = gunicorn(tmp_path)
    output, _ = process.communicate(timeout=60)
    assert process.returncode != 0
    assert "refusing to serve production traffic without the proxy in front" in output
    assert "TRUSTED_PROXY_NETWORKS" in output and "GUNICORN_DIRECT=1" in output


@pytest.mark.parametrize(
    "env", [{"TRUSTED_PROXY_NETWORKS": "127.0.0.1/32"}, {"GUNICORN_DIRECT": "1"}]
)
def test_it_starts_behind_a_named_proxy_or_when_told_to_run_directly(tmp_path, env):
    process, port = gunicorn(tmp_path, **env)
    try:
        wait_until_listening(port, timeout=30, message=lambda: "gunicorn did not start")
    finally:
        process.terminate()
        process.wait(timeout=10)
