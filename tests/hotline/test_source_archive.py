"""A copy of every cited source (issue 31): fetched from a real HTTP server this module
starts on 127.0.0.1, stored encrypted in the vault, versioned, retried, and never fetched
from a private address unless SOURCE_ARCHIVE_ALLOW_PRIVATE lets that address and port in.
The faults are real: a port nobody listens on, a socket that accepts and never answers, a
body that never ends."""

import datetime
import hashlib
import http.server
import os
import socket
import threading
import time

import pytest
from celery import current_app
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from hotline.models import AccessEvent, SourceArchive, SourceCopy
from hotline.services import sources
from hotline.sources_fetch import FetchError, Kind, open_url
from hotline.vault import cipher
from incidents import services as incident_services
from incidents.models import Incident, SourceLink
from tests.incidents.factories import IncidentFactory, SourceLinkFactory, UserFactory

PAGE = (
    "<!doctype html><html><head><title>t</title><script>var x = 1;</script></head>"
    "<body><h1>Журналіста побили</h1><p>Поліція відкрила справу.</p></body></html>"
).encode()
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, *args):
        pass

    def _send(self, status, body=b"", content_type="text/html; charset=utf-8", **headers):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: C901 -- one route per fault, side by side
        state = self.server.state
        path = self.path
        if path == "/page":
            self._send(200, PAGE)
        elif path == "/changing":
            self._send(200, state["changing"])
        elif path == "/file.pdf":
            self._send(200, PDF, content_type="application/pdf")
        elif path.startswith("/hop/"):
            left = int(path.rsplit("/", 1)[1])
            self._send(302, Location="/page" if left == 0 else f"/hop/{left - 1}")
        elif path == "/loop":
            self._send(301, Location="/loop")
        elif path == "/to-private":
            self._send(302, Location=f"http://127.0.0.1:{state['other_port']}/page")
        elif path == "/to-metadata":
            self._send(302, Location="http://169.254.169.254/latest/meta-data/")
        elif path == "/missing":
            self._send(404, b"not here")
        elif path == "/broken":
            self._send(500, b"oops")
        elif path == "/declared-huge":
            self.send_response(200)
            self.send_header("Content-Type", "video/mp4")
            self.send_header("Content-Length", str(500 * 1024 * 1024))
            self.end_headers()
            self.wfile.write(b"\0" * 1024)
        elif path == "/endless":
            # 500 MB announced by nothing: the body simply never ends (until the reader stops).
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.end_headers()
            piece = b"x" * 65536
            try:
                for _ in range(8000):
                    self.wfile.write(piece)
            except OSError:
                pass
        elif path == "/silent":
            state["release"].wait(10)  # answers nothing until the test ends
        else:
            self._send(404, b"?")


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    other = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    other.daemon_threads = True
    httpd.state = other.state = {
        "changing": b"<html><body><p>first</p></body></html>",
        "other_port": other.server_address[1],
        "release": threading.Event(),
    }
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in (httpd, other)]
    for thread in threads:
        thread.start()
    yield httpd
    httpd.state["release"].set()
    for s in (httpd, other):
        s.shutdown()
        s.server_close()


@pytest.fixture
def base(server):
    return f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture(autouse=True)
def _archive_settings(settings, server):
    """Short limits, and only this module's first server let through the private guard."""
    settings.SOURCE_ARCHIVE_AUTO = True
    settings.SOURCE_ARCHIVE_ALLOW_PRIVATE = [f"127.0.0.1:{server.server_address[1]}"]
    settings.SOURCE_ARCHIVE_MAX_BYTES = 256 * 1024
    settings.SOURCE_ARCHIVE_CONNECT_TIMEOUT = 0.5
    settings.SOURCE_ARCHIVE_READ_TIMEOUT = 0.5
    settings.SOURCE_ARCHIVE_DEADLINE = 3.0
    settings.SOURCE_ARCHIVE_MAX_REDIRECTS = 5
    settings.SOURCE_ARCHIVE_MAX_ATTEMPTS = 3
    settings.SOURCE_ARCHIVE_RETRY_BASE_SECONDS = 300


@pytest.fixture
def eager():
    """Tasks run in-process here even when the run has a broker (PostgreSQL + Redis)."""
    saved = current_app.conf.task_always_eager
    current_app.conf.task_always_eager = True
    yield
    current_app.conf.task_always_eager = saved


def _archive_of(url: str) -> SourceArchive:
    source = SourceLinkFactory(url=url)
    sources.watch(incidents=[source.incident_id])
    return SourceArchive.objects.get(source=source)


def _fetch(archive: SourceArchive):
    outcome = sources.archive(archive.pk)
    archive.refresh_from_db()
    return outcome


def _vault_files(private_media):
    root = private_media / "sources"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


# --- Copies ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_page_is_copied_encrypted_with_its_hash_text_and_public_date(base, _private_media):
    archive = _archive_of(f"{base}/page")

    assert _fetch(archive) == (sources.Outcome.ARCHIVED, None)

    copy = archive.copies.get()
    assert (copy.version, copy.status_code, copy.size) == (1, 200, len(PAGE))
    assert copy.sha256 == hashlib.sha256(PAGE).hexdigest()
    assert copy.text == "Журналіста побили\nПоліція відкрила справу."
    stored = _vault_files(_private_media)
    assert len(stored) == 1 and "побили".encode() not in stored[0].read_bytes()
    assert archive.status == SourceArchive.Status.ARCHIVED
    assert archive.next_try_at > timezone.now() + datetime.timedelta(days=29)
    assert archive.source.__class__.objects.get(pk=archive.source_id).archived_on == (
        timezone.localdate()
    )


@pytest.mark.django_db
def test_same_content_moves_checked_at_and_other_content_is_a_new_version(
    base, server, _private_media
):
    archive = _archive_of(f"{base}/changing")
    _fetch(archive)
    first = archive.copies.get()

    SourceArchive.objects.filter(pk=archive.pk).update(next_try_at=timezone.now())
    assert _fetch(archive)[0] == sources.Outcome.UNCHANGED
    assert archive.copies.count() == 1
    assert SourceCopy.objects.get(pk=first.pk).checked_at > first.checked_at

    server.state["changing"] = b"<html><body><p>second, edited</p></body></html>"
    SourceArchive.objects.filter(pk=archive.pk).update(next_try_at=timezone.now())
    assert _fetch(archive)[0] == sources.Outcome.ARCHIVED
    assert list(archive.copies.values_list("version", "text")) == [
        (2, "second, edited"),
        (1, "first"),
    ]
    assert len(_vault_files(_private_media)) == 2  # the unchanged fetch left no file


@pytest.mark.django_db
def test_a_redirect_chain_is_followed_and_the_final_address_kept(base):
    archive = _archive_of(f"{base}/hop/3")
    assert _fetch(archive)[0] == sources.Outcome.ARCHIVED
    assert archive.copies.get().url == f"{base}/page"


@pytest.mark.django_db
def test_a_file_is_kept_as_the_file(base):
    archive = _archive_of(f"{base}/file.pdf")
    _fetch(archive)
    copy = archive.copies.get()
    assert (copy.content_type, copy.size, copy.text) == ("application/pdf", len(PDF), "")


# --- Failures: recorded, retried with backoff, nothing half-done left ----------------------


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/loop", Kind.REDIRECTS),
        ("/missing", Kind.GONE),
        ("/broken", Kind.HTTP),
        ("/declared-huge", Kind.TOO_LARGE),
        ("/endless", Kind.TOO_LARGE),
        ("/silent", Kind.TIMEOUT),
    ],
)
@pytest.mark.django_db
def test_a_failure_is_recorded_and_retried_later_leaving_no_file(base, path, kind, _private_media):
    archive = _archive_of(f"{base}{path}")
    started = time.monotonic()

    outcome, delay = _fetch(archive)

    assert time.monotonic() - started < 3.5  # the deadline holds, whatever the server does
    assert (outcome, delay) == (sources.Outcome.RETRY, 300)
    assert (archive.status, archive.failure, archive.attempts) == ("retrying", kind, 1)
    assert path in archive.error
    assert 290 < (archive.next_try_at - timezone.now()).total_seconds() <= 300
    assert not archive.copies.exists()
    assert _vault_files(_private_media) == []


@pytest.mark.django_db
def test_backoff_doubles_until_the_last_attempt_then_failed(base):
    archive = _archive_of(f"{base}/missing")
    delays = []
    for _ in range(3):
        SourceArchive.objects.filter(pk=archive.pk).update(next_try_at=timezone.now())
        delays.append(_fetch(archive))
    assert delays == [
        (sources.Outcome.RETRY, 300),
        (sources.Outcome.RETRY, 600),
        (sources.Outcome.FAILED, None),
    ]
    assert (archive.status, archive.next_try_at, archive.failure) == ("failed", None, "gone")
    # Not due any more: a sweep leaves it; staff may ask again.
    assert sources.archive(archive.pk) == (sources.Outcome.SKIPPED, None)
    assert sources.try_again(ids=[archive.pk]) == 1


@pytest.mark.django_db
def test_a_port_nobody_listens_on_and_a_name_that_does_not_resolve(settings):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    settings.SOURCE_ARCHIVE_ALLOW_PRIVATE = [f"127.0.0.1:{port}"]
    refused = _archive_of(f"http://127.0.0.1:{port}/page")
    unknown = _archive_of("http://no-such-host.invalid/page")

    _fetch(refused), _fetch(unknown)

    assert (refused.status, refused.failure) == ("retrying", "connect")
    assert (unknown.status, unknown.failure) == ("retrying", "dns")


@pytest.mark.django_db
def test_a_socket_that_accepts_and_never_answers_times_out(settings):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)  # the kernel completes the handshake; nobody ever reads or writes
    port = listener.getsockname()[1]
    settings.SOURCE_ARCHIVE_ALLOW_PRIVATE = [f"127.0.0.1:{port}"]
    try:
        archive = _archive_of(f"http://127.0.0.1:{port}/")
        started = time.monotonic()
        _fetch(archive)
    finally:
        listener.close()
    assert time.monotonic() - started < 2
    assert archive.failure == "timeout"


@pytest.mark.django_db
def test_a_dead_link_keeps_the_copy_public_and_the_verification_level(base, server):
    server.state["changing"] = b"<html><body><p>kept</p></body></html>"
    incident = IncidentFactory()
    for publisher in ("Outlet A", "Outlet B"):
        SourceLinkFactory(incident=incident, url=f"{base}/changing", publisher=publisher)
    incident_services.incidents_refresh(ids=[incident.pk])
    sources.watch(incidents=[incident.pk])
    for archive in SourceArchive.objects.all():
        sources.archive(archive.pk)
    incident.refresh_from_db()
    assert incident.verification == 2  # two independent publishers

    # The page is gone now: the copy is what proves it was there.
    SourceArchive.objects.update(url=f"{base}/missing", next_try_at=timezone.now())
    SourceLink.objects.update(url=f"{base}/missing")
    for archive in SourceArchive.objects.all():
        assert sources.archive(archive.pk)[0] == sources.Outcome.RETRY
        archive.refresh_from_db()
        assert archive.status == "archived" and archive.link_dead_since is not None

    incident_services.incidents_refresh(ids=[incident.pk])
    incident.refresh_from_db()
    assert incident.verification == 2
    assert all(s.archived_on for s in incident.sources.all())


# --- The guard against server-side request forgery -------------------------------------


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("http://127.0.0.1:9/", Kind.BLOCKED),
        ("http://localhost/", Kind.BLOCKED),
        ("http://169.254.169.254/latest/meta-data/", Kind.BLOCKED),
        ("http://[::1]/", Kind.BLOCKED),
        ("http://10.0.0.1/", Kind.BLOCKED),
        ("file:///etc/passwd", Kind.SCHEME),
        ("ftp://example.org/file", Kind.SCHEME),
        ("gopher://127.0.0.1:6379/_FLUSHALL", Kind.SCHEME),
        ("http://user:secret@example.org/", Kind.BAD_URL),
        ("http:///nohost", Kind.BAD_URL),
    ],
)
@pytest.mark.django_db
def test_private_addresses_and_other_schemes_are_refused_for_good(settings, url, kind):
    settings.SOURCE_ARCHIVE_ALLOW_PRIVATE = []
    archive = _archive_of(url)

    assert _fetch(archive) == (sources.Outcome.REFUSED, None)
    assert (archive.status, archive.failure, archive.next_try_at) == ("refused", kind, None)
    assert archive.error and "secret" not in archive.error


@pytest.mark.django_db
def test_a_redirect_from_an_allowed_server_to_a_private_one_is_refused(base, _private_media):
    for path in ("/to-private", "/to-metadata"):
        archive = _archive_of(f"{base}{path}")
        assert _fetch(archive)[0] == sources.Outcome.REFUSED
        assert archive.failure == "blocked"
    assert _vault_files(_private_media) == []


def test_the_metadata_address_is_refused_even_when_its_network_is_allowed(settings):
    settings.SOURCE_ARCHIVE_ALLOW_PRIVATE = ["169.254.0.0/16"]
    with pytest.raises(FetchError) as refused, open_url("http://169.254.169.254/"):
        pass
    assert refused.value.kind == Kind.BLOCKED


LOOPBACK_FORMS = [
    "127.0.0.1",
    "127.1",
    "0x7f.1",
    "0x7f000001",
    "2130706433",
    "0177.0.0.1",
    "017700000001",
    "127.255.255.254",
    "localhost",
    "[::1]",
    "[::ffff:127.0.0.1]",
    "[::ffff:7f00:1]",
    "[0:0:0:0:0:0:0:1]",
    "0.0.0.0",  # noqa: S104 -- an address refused, not bound
    "[::]",
    "[2002:7f00:1::]",  # 6to4 around 127.0.0.1
    "[64:ff9b::a9fe:a9fe]",  # NAT64 around 169.254.169.254
]


@hsettings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    host=st.one_of(
        st.sampled_from(LOOPBACK_FORMS),
        st.ip_addresses(v=4, network="10.0.0.0/8").map(str),
        st.ip_addresses(v=4, network="192.168.0.0/16").map(str),
        st.ip_addresses(v=4, network="169.254.0.0/16").map(str),
        st.ip_addresses(v=4, network="100.64.0.0/10").map(str),
        st.ip_addresses(v=6, network="fc00::/7").map(lambda a: f"[{a}]"),
        st.ip_addresses(v=6, network="fe80::/10").map(lambda a: f"[{a}]"),
    ),
    port=st.sampled_from(["", ":80", ":8080", ":6379"]),
    path=st.sampled_from(["/", "/latest/meta-data/", "/?q=1", ""]),
    scheme=st.sampled_from(["http", "https", "HTTP"]),
)
def test_no_form_of_a_private_address_gets_through(host, port, path, scheme):
    """Without a single connection: every such address is refused before one is opened."""
    url = f"{scheme}://{host}{port}{path}"
    with (
        override_settings(SOURCE_ARCHIVE_ALLOW_PRIVATE=[]),
        pytest.raises(FetchError) as refused,
        open_url(url),
    ):
        pass
    assert refused.value.kind == Kind.BLOCKED, refused.value.detail


# --- Wake-ups: the hook after a write, and the sweep -----------------------------------


@pytest.mark.django_db
def test_a_source_added_through_the_services_is_copied_once_the_write_commits(
    base, eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        incident, _ = incident_services.incident_save_record(
            slug="with-a-source",
            fields={
                "title": "З джерелом",
                "lead": "Лід",
                "body": "Текст",
                "language": "uk",
                "occurred_on": datetime.date(2026, 11, 1),
                "region_id": IncidentFactory().region_id,
            },
            categories=list(IncidentFactory().categories.values_list("pk", flat=True)),
            sources=[{"url": f"{base}/page", "publisher": "Outlet"}],
        )
    source = incident.sources.get()
    assert source.archived_on == timezone.localdate()
    assert source.archive.copies.count() == 1


@pytest.mark.django_db
def test_a_record_read_again_keeps_the_copies_of_the_sources_it_still_cites(
    base, eager, django_capture_on_commit_callbacks
):
    """An archive import or the demo reads a record again: a source still cited keeps its
    copies (they are evidence); only a source no longer cited goes, with its own."""
    other = IncidentFactory()
    region, categories = other.region_id, list(other.categories.values_list("pk", flat=True))

    def save(title, sources):
        with django_capture_on_commit_callbacks(execute=True):
            return incident_services.incident_save_record(
                slug="read-again",
                fields={
                    "title": title,
                    "lead": "Лід",
                    "body": "Текст",
                    "language": "uk",
                    "occurred_on": datetime.date(2026, 11, 1),
                    "region_id": region,
                },
                categories=categories,
                sources=sources,
            )

    incident, _ = save("Перший", [{"url": f"{base}/page"}, {"url": f"{base}/file.pdf"}])
    assert SourceCopy.objects.count() == 2
    kept = incident.sources.get(url=f"{base}/page")

    _same, outcome = save("Другий", [{"url": f"{base}/page", "publisher": "Outlet"}])

    assert outcome == "updated"
    kept.refresh_from_db()
    assert (kept.publisher, kept.archived_on) == ("Outlet", timezone.localdate())
    assert list(SourceCopy.objects.values_list("archive__source", flat=True)) == [kept.pk]


@pytest.mark.django_db
def test_the_sweep_finds_what_no_wake_up_reached_and_a_changed_address_starts_over(base, eager):
    source = SourceLinkFactory(url=f"{base}/page")  # written with no hook run (a lost wake-up)

    assert len(sources.sweep()) == 1
    archive = SourceArchive.objects.get(source=source)
    assert archive.status == "archived"
    assert sources.sweep() == []  # nothing due until the re-check

    SourceLink.objects.filter(pk=source.pk).update(url=f"{base}/file.pdf")
    sources.sweep()
    archive.refresh_from_db()
    assert archive.url == f"{base}/file.pdf"
    assert list(archive.copies.values_list("version", "url")) == [
        (2, f"{base}/file.pdf"),
        (1, f"{base}/page"),
    ]


# --- Staff see the copy; the public sees that it is held -------------------------------


@pytest.mark.django_db
def test_staff_download_the_copy_audited_and_sandboxed(base, client):
    archive = _archive_of(f"{base}/page")
    _fetch(archive)
    copy = archive.copies.get()
    url = reverse("hotline:source-copy", args=[copy.pk])

    assert client.get(url).status_code == 404
    client.force_login(UserFactory(is_staff=True))
    assert client.get(url).status_code == 404  # staff without the permission

    staff = UserFactory(
        is_staff=True, permissions=["hotline.view_sourcecopy", "hotline.view_sourcearchive"]
    )
    client.force_login(staff)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PAGE
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Type"] == "application/octet-stream"
    assert "sandbox" in response["Content-Security-Policy"]
    text = client.get(url, {"as": "text"})
    assert text["Content-Type"].startswith("text/plain")
    assert "Поліція відкрила справу." in text.content.decode()
    events = AccessEvent.objects.filter(action=AccessEvent.Action.SOURCE_COPY)
    assert (
        list(events.values_list("user", "target_id", "item_ids"))
        == [(staff.pk, archive.source.incident_id, [copy.pk])] * 2
    )

    page = client.get(reverse("admin:hotline_sourcearchive_change", args=[archive.pk]))
    assert page.status_code == 200
    assert url.encode() in page.content


@pytest.mark.django_db
def test_a_changed_copy_is_not_served(base, admin_client, _private_media):
    archive = _archive_of(f"{base}/page")
    _fetch(archive)
    stored = _vault_files(_private_media)[0]
    data = bytearray(stored.read_bytes())
    data[-5] ^= 1
    stored.write_bytes(bytes(data))

    response = admin_client.get(reverse("hotline:source-copy", args=[archive.copies.get().pk]))

    assert response.status_code == 409
    assert AccessEvent.objects.filter(action=AccessEvent.Action.REFUSED).exists()


@pytest.mark.django_db
def test_the_public_page_says_a_copy_is_held_and_its_date(base, client):
    incident = IncidentFactory(status=Incident.Status.PUBLISHED)
    source = SourceLinkFactory(incident=incident, url=f"{base}/page", title="Звіт")
    incident_services.source_archived(source_id=source.pk, on=datetime.date(2026, 12, 1))

    uk = client.get(incident.get_absolute_url()).content.decode()
    assert "архівну копію зберігає ІМІ" in uk and 'datetime="2026-12-01">01.12.2026' in uk
    assert f"{base}/page" in uk  # the link stays the original's; the copy is never public
    assert reverse("hotline:source-copy", args=[1]) not in uk


@pytest.mark.django_db
def test_the_incident_editor_shows_each_sources_copy(base, admin_client):
    archive = _archive_of(f"{base}/page")
    _fetch(archive)
    missing = _archive_of(f"{base}/missing")
    _fetch(missing)

    page = admin_client.get(
        reverse("admin:incidents_incident_change", args=[archive.source.incident_id])
    ).content.decode()
    other = admin_client.get(
        reverse("admin:incidents_incident_change", args=[missing.source.incident_id])
    ).content.decode()

    assert reverse("admin:hotline_sourcearchive_change", args=[archive.pk]) in page
    assert "Копію збережено · 1 версія, остання від" in page
    assert "Сторінки більше немає (404 або 410)" in other


@pytest.mark.django_db
def test_a_new_vault_key_rewraps_the_copies_too(base, settings):
    import secrets

    from hotline.vault import cipher, rekey

    archive = _archive_of(f"{base}/page")
    _fetch(archive)
    settings.EVIDENCE_KEY_FALLBACKS = [settings.EVIDENCE_KEY]
    settings.EVIDENCE_KEY = secrets.token_urlsafe(32)

    assert rekey.rekey_all().rewrapped == 1
    copy = archive.copies.get()
    assert copy.key_id == cipher.current_key()[0]
    settings.EVIDENCE_KEY_FALLBACKS = []
    body = cipher.open_verified(copy.file, copy.lock, sha256=copy.sha256, size=copy.size)
    assert b"".join(body) == PAGE


# --- What a killed worker leaves in the vault ---------------------------------------------


@pytest.mark.django_db
def test_a_file_no_copy_names_goes_after_a_day_and_every_copy_stays_readable(base, _private_media):
    archive = _archive_of(f"{base}/page")
    _fetch(archive)
    [held] = _vault_files(_private_media)
    folder = held.parent
    stray, writing = folder / ("0" * 32), folder / ("1" * 32)
    for path in (stray, writing):
        path.write_bytes(b"half a page, sealed under a key that died with its worker")
    day_ago = time.time() - 25 * 3600
    for path in (held, stray):
        os.utime(path, (day_ago, day_ago))

    assert sources.delete_stray_files() == 1

    assert not stray.exists()
    assert writing.exists()  # minutes old: a fetch may still be writing it
    copy = archive.copies.get()
    body = cipher.open_verified(copy.file, copy.lock, sha256=copy.sha256, size=copy.size)
    assert b"".join(body) == PAGE
    assert sources.delete_stray_files(older_than=datetime.timedelta(0)) == 1  # the other one
    assert [p.name for p in _vault_files(_private_media)] == [held.name]
