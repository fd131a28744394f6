"""Issue 28: under `make run` (Django's runserver), a 60 MB video on the complaint form ended
in "A server error occurred" (the refusal set a header a WSGI application may not set).
Tried on a real runserver, as a reporter's browser sends it."""

import os
import subprocess
import sys

import pytest

from tests.hotline.helpers import said
from tests.hotline.live_site import wait_until_listening
from tests.hotline.worker_support import free_port
from tests.test_proxy import _oversized_post
from tests.test_settings import ROOT

pytestmark = pytest.mark.one_database  # a runserver of its own on the embedded default


@pytest.fixture(scope="module")
def runserver(tmp_path_factory):
    port = free_port()
    env = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path_factory.mktemp('runserver') / 'db.sqlite3'}",
        "ALLOWED_HOSTS": "*",
    }
    env.pop("REDIS_URL", None)
    process = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until_listening(port, timeout=30, message="runserver did not start")
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.parametrize(("path", "language"), [("/complaint/", "uk"), ("/en/complaint/", "en")])
def test_runserver_answers_an_oversized_upload_with_the_sites_page(runserver, path, language):
    head, body = _oversized_post(runserver, path)
    assert " 413 " in head.splitlines()[0], head
    assert "A server error occurred" not in body
    assert said("Too large to send in one go", language) in body
    assert (
        said(
            "Press your browser's Back button: the form usually still holds what you typed.",
            language,
        )
        in body
    )
