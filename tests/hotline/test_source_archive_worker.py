"""The source archive with its real parts: an incident written in this process, a Celery
worker in another fetching the cited page from a local web server, Redis between them and
PostgreSQL under both; the copy is read back from the vault here.

What a reader of the record relies on: a page cited is copied once the write commits, a
wake-up lost to a broker that was down is made good by the sweep, and a worker killed in the
middle of a fetch loses no row: the next worker copies the page. Like tests/hotline/test_worker.py,
these run only on PostgreSQL with REDIS_URL set (CI's second run).
"""

import datetime
import http.server
import os
import threading
import uuid

import pytest
import redis
from django.utils import timezone

from hotline.models import SourceArchive, SourceCopy
from hotline.services import sources
from hotline.vault import cipher
from incidents import services as incident_services
from incidents.models import SourceLink

from ..incidents.factories import IncidentFactory
from .worker_support import (
    BROKER_DB,
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

WAIT = 30  # seconds: a generous bound for a worker's round trip and one fetch
PAGE = "<html><body><p>Журналістку не пустили на сесію.</p></body></html>".encode()


class _Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        if self.path == "/slow" and not self.server.answer.is_set():
            self.wfile.write(PAGE[:20])  # half a page, then nothing until the test says
            self.wfile.flush()
            self.server.asked.set()
            self.server.answer.wait(WAIT)
            return
        self.wfile.write(PAGE)


@pytest.fixture
def site():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    httpd.asked, httpd.answer = threading.Event(), threading.Event()
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.answer.set()
    httpd.shutdown()
    httpd.server_close()


class Archive:
    """The worker side: start a worker on this test's queue, with the same vault."""

    def __init__(self, *, env, queue, tmp_path, app):
        self.env, self.queue, self.tmp_path, self.app = env, queue, tmp_path, app
        self.workers: list[Worker] = []

    def start_worker(self) -> Worker:
        log = self.tmp_path / f"worker-{len(self.workers) + 1}.log"
        worker = Worker(queue=self.queue, env=self.env, log_path=log)
        self.workers.append(worker)
        return worker.start()

    def logs(self) -> str:
        return "\n".join(f"--- {w.log_path.name}\n{w.log_tail()}" for w in self.workers)

    def wait_for_copy(self, source: SourceLink) -> SourceCopy:
        return wait_for(
            lambda: SourceCopy.objects.filter(archive__source=source).first(),
            timeout=WAIT,
            message=lambda: (
                f"no copy of {source.url}; row: "
                f"{SourceArchive.objects.filter(source=source).values().first()}\n{self.logs()}"
            ),
        )


@pytest.fixture
def archive(transactional_db, reference_data, settings, site, tmp_path, monkeypatch):
    for name in ("CELERY_BROKER_URL", "CELERY_BROKER_READ_URL", "CELERY_BROKER_WRITE_URL"):
        monkeypatch.delenv(name, raising=False)
    allowed = f"127.0.0.1:{site.server_address[1]}"
    settings.SOURCE_ARCHIVE_AUTO = True
    settings.SOURCE_ARCHIVE_ALLOW_PRIVATE = [allowed]
    broker_url = broker_url_for(REDIS_URL, BROKER_DB)
    client = redis.Redis.from_url(broker_url)
    client.flushdb()
    queue = f"imi-test-{uuid.uuid4().hex[:8]}"
    env = worker_env(
        broker_url=broker_url,
        smtp_port=1,  # no mail is sent here
        staff="duty@example.org",
        SOURCE_ARCHIVE_AUTO="1",
        SOURCE_ARCHIVE_ALLOW_PRIVATE=allowed,
        PRIVATE_MEDIA_ROOT=str(settings.PRIVATE_MEDIA_ROOT),  # the vault this test reads
    )
    with celery_app_routed(broker_url=broker_url, queue=queue) as app:
        parts = Archive(env=env, queue=queue, tmp_path=tmp_path, app=app)
        try:
            yield parts
        finally:
            for worker in parts.workers:
                worker.kill()
            client.flushdb()
            client.close()


def cite(site, path: str) -> SourceLink:
    """An incident written through the services, citing one page of the local site; the
    write commits here (a real transaction), so the hook runs as it does for staff."""
    other = IncidentFactory()
    incident, _ = incident_services.incident_save_record(
        slug=f"cited-{uuid.uuid4().hex[:8]}",
        fields={
            "title": "Журналістку не пустили на сесію",
            "lead": "Лід",
            "body": "Текст",
            "language": "uk",
            "occurred_on": datetime.date(2026, 11, 1),
            "region_id": other.region_id,
        },
        categories=list(other.categories.values_list("pk", flat=True)),
        sources=[{"url": f"http://127.0.0.1:{site.server_address[1]}{path}", "publisher": "X"}],
    )
    return incident.sources.get()


def read(copy: SourceCopy) -> bytes:
    return b"".join(cipher.open_verified(copy.file, copy.lock, sha256=copy.sha256, size=copy.size))


def test_a_cited_page_is_copied_by_the_worker_once_the_write_commits(archive, site):
    archive.start_worker()

    source = cite(site, "/page")

    copy = archive.wait_for_copy(source)
    assert read(copy) == PAGE  # decrypted here from what the worker sealed
    assert copy.url == source.url
    source.refresh_from_db()
    assert source.archived_on == timezone.localdate()  # the public fact
    assert SourceArchive.objects.get(source=source).status == SourceArchive.Status.ARCHIVED


def test_a_wake_up_lost_to_a_broker_that_was_down_is_made_good_by_the_sweep(archive, site):
    archive.start_worker()
    with broker_down(archive.app):  # a closed port: the hook's publish fails, the write stands
        source = cite(site, "/page")
    assert SourceArchive.objects.get(source=source).status == SourceArchive.Status.PENDING

    # The sweep beat runs every five minutes (hotline.tasks.archive_sources), run here so
    # that what it queues goes to this test's queue.
    assert sources.sweep() == [SourceArchive.objects.get(source=source).pk]

    assert read(archive.wait_for_copy(source)) == PAGE


def test_a_worker_killed_mid_fetch_keeps_the_row_and_the_next_worker_copies_the_page(
    archive, site, settings
):
    worker = archive.start_worker()
    source = cite(site, "/slow")
    assert site.asked.wait(WAIT), archive.logs()  # the worker is inside the body
    vault = settings.PRIVATE_MEDIA_ROOT / "sources"
    written = wait_for(  # and has begun to seal it into the vault
        lambda: [path for path in vault.rglob("*") if path.is_file()],
        timeout=WAIT,
        message=archive.logs,
    )

    worker.kill()

    row = SourceArchive.objects.get(source=source)
    assert row.attempts == 1 and row.status == SourceArchive.Status.PENDING
    assert row.next_try_at > timezone.now()  # leased: no other worker takes it meanwhile
    assert not SourceCopy.objects.exists()  # half a page is no copy
    # What the killed worker was writing stays in the vault, named by no row, sealed under a
    # key that died with it; the daily sweep of such files takes it (here without the day).
    assert [path for path in vault.rglob("*") if path.is_file()] == written
    assert sources.delete_stray_files(older_than=datetime.timedelta(0)) == 1
    assert not written[0].exists()

    # The lease runs out (SOURCE_ARCHIVE_DEADLINE plus a margin); the site answers again.
    SourceArchive.objects.filter(pk=row.pk).update(next_try_at=timezone.now())
    site.answer.set()
    archive.start_worker()
    sources.sweep()  # beat's

    assert read(archive.wait_for_copy(source)) == PAGE
    row.refresh_from_db()
    assert (row.status, row.attempts) == (SourceArchive.Status.ARCHIVED, 0)
