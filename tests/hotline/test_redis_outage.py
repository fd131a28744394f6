"""Redis entirely down (cache and broker) changes nothing a visitor can see.

Real processes, real faults: gunicorn serving the production settings (DEBUG off) and a
Celery worker, both pointed at a Redis address where (a) nothing listens, then (b) a socket
accepts connections and never answers. Every public page, both forms, the thank-you pages
and the tracking page answer normally, and the submissions and their outbox rows are stored.
Then a real redis-server starts on that address, a fresh worker comes up, the sweeper
queues what waited, and every notification row is delivered to an SMTP sink exactly once.
Nothing is stubbed: that is how a stubbed cache once hid a Redis-down error page.
"""

import re
import shutil
import subprocess
import sys
import uuid

import pytest

from tests.test_settings import ROOT

from .live_site import Browser, HangingServer, Site, complaint_data
from .worker_support import SmtpSink, Worker, free_port, wait_for

pytestmark = [
    pytest.mark.one_database,  # gunicorn on a database file of its own, a Redis of its own
    pytest.mark.skipif(
        shutil.which("redis-server") is None,
        reason="needs the redis-server binary (Debian: redis)",
    ),
]

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
        complaint_data(
            region=region,
            category=category,
            description="Police officers pushed me away from the court and broke my camera.",
        ),
    )
    assert status == 302, (status, site.log_tail())
    timings["POST /en/complaint/"] = elapsed
    status, _h, thanks, _ = visitor.get("/en/complaint/thanks/")
    assert status == 200
    code = re.search(r"\b([A-Z0-9]{4}(?:-[A-Z0-9]{4}){3})\b", thanks)[1]

    # The code opens the case inbox (a session in the database, nothing in Redis).
    status, headers, _page, _ = visitor.post_form("/en/complaint/status/", {"code": code})
    assert status == 302, (status, site.log_tail())
    status, _h, case, _ = visitor.get(headers["Location"].removeprefix("https://testserver"))
    assert status == 200, (status, headers)
    assert 'id="complaint-status"' in case
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
SWEEP = "from hotline.services import outbox; print(len(outbox.sweep()), 'queued again')"
