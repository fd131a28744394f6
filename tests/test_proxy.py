"""The production front: nginx (deploy/nginx) in front of gunicorn, on loopback, for real.

Shown here: slow-header and slow-body attackers holding hundreds of connections do not stop
a visitor from loading the home page and sending the callback form; a 1 GiB upload is
refused at once and nothing reaches the disk; a client that talks to gunicorn directly and
claims HTTPS is not believed. Figures are printed (pytest -s), never asserted as times.
"""

import contextlib
import os
import re
import select
import socket
import threading
import time
import uuid
from pathlib import Path

import pytest

from tests.hotline.live_site import HOST, Browser
from tests.hotline.worker_support import free_port
from tests.production_front import NGINX, Nginx, behind_nginx

pytestmark = [
    pytest.mark.one_database,  # gunicorn on a database file of its own
    pytest.mark.xdist_group("proxy-front"),  # one front for the module
    pytest.mark.skipif(
        not os.path.exists(NGINX) and not os.environ.get("CI"),
        reason="nginx not installed (apt-get install nginx-light); CI installs it",
    ),
]


@pytest.fixture(scope="module")
def front(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("front")
    (tmp / "gunicorn-tmp").mkdir()
    with behind_nginx(
        tmp,
        WEB_CONCURRENCY="2",
        TMPDIR=str(tmp / "gunicorn-tmp"),
        RATE_LIMIT_CALLBACK="1000/h",
    ) as (site, nginx):
        yield site, nginx


def visitor_via(nginx) -> Browser:
    return Browser(nginx.port)


def callback_data():
    return {
        "phone": "(050) 447-70-63",
        "preferred_time": "any",
        "topic": "journalists_rights",
        "consent": "on",
        "submission_key": str(uuid.uuid4()),
    }


def test_pages_and_static_files_through_the_proxy(front):
    site, nginx = front
    status, headers, page, _ = visitor_via(nginx).get("/")
    assert status == 200, page[-500:]
    css = re.search(r'href="(/static/[^"]+\.css)"', page)[1]
    status, headers, _body, _ = visitor_via(nginx).get(css)
    assert status == 200
    assert "immutable" in headers["Cache-Control"]
    assert headers.get("Server") == "nginx"  # served by nginx, not gunicorn


def test_https_claimed_directly_at_gunicorn_is_not_trusted(front):
    site, nginx = front
    connection_from_elsewhere = ("127.0.0.5", 0)
    with socket.create_connection(
        ("127.0.0.1", site.port), timeout=5, source_address=connection_from_elsewhere
    ) as sock:
        sock.sendall(
            f"GET / HTTP/1.1\r\nHost: {HOST}\r\nX-Forwarded-Proto: https\r\n"
            "Connection: close\r\n\r\n".encode()
        )
        answer = sock.recv(4096).decode(errors="replace")
    # Not believed: Django sees plain http and sends the client to https.
    assert answer.startswith("HTTP/1.1 301"), answer[:200]
    # Through nginx, which says https for everyone it serves, the page answers.
    assert visitor_via(nginx).get("/")[0] == 200


class Attackers:
    """Slow clients from many addresses (127.0.1.x): slow headers, slow bodies."""

    def __init__(self, port: int, slow_headers: int, slow_bodies: int):
        self.port = port
        self.plan = [("header", i) for i in range(slow_headers)] + [
            ("body", i) for i in range(slow_bodies)
        ]
        self.sockets: list[socket.socket] = []
        self.stop = threading.Event()

    def __enter__(self):
        for kind, i in self.plan:
            source = (f"127.0.1.{i % 50 + 1}", 0)
            try:
                sock = socket.create_connection(("127.0.0.1", self.port), 5, source)
            except OSError:
                continue
            if kind == "header":
                sock.sendall(f"GET / HTTP/1.1\r\nHost: {HOST}\r\n".encode())
            else:
                sock.sendall(
                    f"POST /callback/ HTTP/1.1\r\nHost: {HOST}\r\nContent-Length: 100000\r\n"
                    "Content-Type: application/x-www-form-urlencoded\r\n\r\nphone=".encode()
                )
            self.sockets.append(sock)
        self.thread = threading.Thread(target=self._trickle, daemon=True)
        self.thread.start()
        return self

    def _trickle(self):
        while not self.stop.wait(1.0):
            for sock in list(self.sockets):
                try:
                    sock.sendall(b"X")  # a byte a second: never done, never quite idle
                except OSError:
                    self.sockets.remove(sock)

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=5)
        for sock in self.sockets:
            sock.close()


def test_slow_clients_do_not_take_the_site_down(front):
    site, nginx = front
    with Attackers(nginx.port, slow_headers=200, slow_bodies=200) as attack:
        time.sleep(1.5)
        held = len(attack.sockets)
        timings = []
        for _ in range(3):
            visitor = visitor_via(nginx)
            visitor.timeout = 2  # the failure mode: no answer within 2 s
            status, _h, _page, elapsed = visitor.get("/")
            assert status == 200
            timings.append(("home", elapsed))
            status, headers, _page, elapsed = visitor.post_form("/callback/", callback_data())
            assert status == 302, _page[-500:]
            timings.append(("callback POST", elapsed))
    print(f"\nslow clients held: {held}; visitor answers under attack:", timings)
    assert held >= 300


def test_a_1_gib_upload_is_refused_at_once_and_nothing_is_written(front):
    site, nginx = front
    gunicorn_tmp = Path(site.env["TMPDIR"])
    for port, who in ((nginx.port, "nginx"), (site.port, "gunicorn directly")):
        started = time.monotonic()
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(
                f"POST /complaint/ HTTP/1.1\r\nHost: {HOST}\r\nX-Forwarded-Proto: https\r\n"
                f"Content-Type: multipart/form-data; boundary=x\r\n"
                f"Content-Length: {1024**3}\r\n\r\n".encode()
            )
            # The first megabyte of it (refused before we finish: all the better).
            with contextlib.suppress(OSError):
                sock.sendall(b"\0" * (1024 * 1024))
            answer = sock.recv(4096).decode(errors="replace")
        elapsed = time.monotonic() - started
        print(f"\n1 GiB upload to {who}: {answer.splitlines()[0]!r} after {elapsed:.3f} s")
        assert " 413 " in answer.splitlines()[0]
    assert nginx.body_temp_files() == []
    assert [p for p in gunicorn_tmp.rglob("*") if p.is_file()] == []


def _half_sent_upload(nginx, path: str) -> list[Path]:
    """Send 1 MB of a 2 MB upload and stop: what nginx has written to disk meanwhile."""
    with socket.create_connection(("127.0.0.1", nginx.port), timeout=5) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: {HOST}\r\nX-Forwarded-Proto: https\r\n"
            f"Content-Type: multipart/form-data; boundary=x\r\n"
            f"Content-Length: {2 * 1024 * 1024}\r\n\r\n".encode()
        )
        sock.sendall(b"PLAINTEXT EVIDENCE " * (1024 * 1024 // 19))
        time.sleep(0.5)
        return nginx.body_temp_files() + _open_body_files(nginx)


def _open_body_files(nginx) -> list[str]:
    """Body files nginx's processes hold open (nginx may unlink a temporary file at once)."""
    root = str(nginx.prefix / "client_body")
    found = []
    for fd in Path("/proc").glob("[0-9]*/fd/*"):
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith(root):
                found.append(target)
    return found


def test_evidence_on_its_way_in_is_never_buffered_to_disk_by_nginx(front):
    """The hotline's uploads are held in memory by nginx: no temporary file with a
    reporter's plaintext evidence, even for a moment (the vault encrypts it in Django)."""
    _site, nginx = front
    assert _half_sent_upload(nginx, "/complaint/") == []
    assert _half_sent_upload(nginx, "/en/complaint/case/") == []
    # The detector works: elsewhere a body this size goes to nginx's temporary files.
    assert _half_sent_upload(nginx, "/incidents/") != []


def _oversized_post(port: int, path: str) -> tuple[str, str]:
    """A 60 MB video on the complaint form, as a browser without the page's script sends it
    (the headers say how large; the refusal comes before the body is read)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: {HOST}\r\nX-Forwarded-Proto: https\r\n"
            f"Content-Type: multipart/form-data; boundary=x\r\nConnection: close\r\n"
            f"Content-Length: {60 * 1024 * 1024}\r\n\r\n".encode()
        )
        with contextlib.suppress(OSError):
            sock.sendall(b"\0" * (256 * 1024))
        answer = b""
        with contextlib.suppress(OSError):
            while chunk := sock.recv(65536):
                answer += chunk
    head, _, body = answer.decode(errors="replace").partition("\r\n\r\n")
    return head, body


@pytest.mark.parametrize(("path", "language"), [("/complaint/", "uk"), ("/en/complaint/", "en")])
def test_an_oversized_upload_gets_the_sites_page_in_its_language_from_nginx_and_gunicorn(
    front, path, language
):
    """Issue 28: nginx's own page, or the bare "Request body too large.", was all a reporter
    with a 60 MB video saw. Now nginx (error_page, a page collectstatic wrote) and gunicorn
    (the middleware, the same template) answer with the site's page."""
    from tests.hotline.helpers import said

    site, nginx = front
    pages = {}
    for port, who in ((nginx.port, "nginx"), (site.port, "gunicorn")):
        head, body = _oversized_post(port, path)
        assert " 413 " in head.splitlines()[0], (who, head)
        assert "text/html" in head.lower(), (who, head)
        if "chunked" in head.lower():  # gunicorn may chunk it; the page is what matters
            body = re.sub(r"(?m)^[0-9a-f]+\r\n", "", body)
        assert f'<html lang="{language}">' in body, who
        assert said("Too large to send in one go", language) in body, who
        assert "tel:+380" in body, who  # the hotline, as on every page
        pages[who] = body
        # Its styles are the site's own, from this site.
        for href in re.findall(r'href="(/static/[^"]+\.css)"', body):
            with socket.create_connection(("127.0.0.1", nginx.port), timeout=5) as sock:
                sock.sendall(
                    f"GET {href} HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n".encode()
                )
                assert " 200 " in sock.recv(200).decode().splitlines()[0], href
    assert "nginx" not in pages["nginx"].lower()
    assert nginx.body_temp_files() == []


# --- Issue 29: the edge keeps no trace of visitors and never shows a bare error ------------

SECRET_AGENT = "Mozilla/5.0 (SecretAgentOfTheReporter 7.1)"
SECRET_REFERRER = "https://referrer.example/where-the-reporter-came-from"


def _raw(port: int, request: bytes, *, read: bool = True) -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        with contextlib.suppress(OSError):
            while read and (chunk := sock.recv(65536)):
                answer += chunk
    return answer.decode(errors="replace")


def _get(port: int, path: str, **headers) -> str:
    lines = [f"GET {path} HTTP/1.1", f"Host: {HOST}", "Connection: close"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return _raw(port, ("\r\n".join(lines) + "\r\n\r\n").encode())


def test_nginx_logs_no_address_agent_or_referrer_of_any_hotline_visitor(front):
    site, nginx = front
    pages = [
        "/callback/",
        "/complaint/",
        "/complaint/status/",
        "/complaint/case/",
        "/en/complaint/",
        "/leave/",
        "/no-such-page/",
        "/static/css/site.css",
    ]
    for path in pages:
        _get(nginx.port, path, User_Agent=SECRET_AGENT, Referer=SECRET_REFERRER)
    visitor = visitor_via(nginx)
    visitor.post_form("/callback/", {"phone": "(050) 123-45-69", "topic": "other", "consent": "on"})
    _oversized_post(nginx.port, "/complaint/")
    time.sleep(0.3)  # nginx writes its log lines as each request ends
    logged = nginx.logs()
    # It does log requests (the refused upload's page is a static file's: not logged).
    assert '"GET /complaint/status/" 200' in logged and '"POST /callback/"' in logged
    for trace in ("127.0.0.1", "SecretAgent", "referrer.example", "where-the-reporter"):
        assert trace not in logged, trace
    print(f"\nnginx logged {len(logged.splitlines())} lines, e.g. {logged.splitlines()[0]!r}")


def test_a_1_gib_chunked_body_is_refused_before_a_byte_is_written(front):
    """Without a declared length nginx could only measure the body by buffering it: 34-52 MiB
    of plaintext evidence reached its temp directory before the 413. Now it is refused on
    the headers, with the site's page, on every location."""
    from tests.hotline.helpers import said

    _site, nginx = front
    for path in (
        "/complaint/",
        "/en/complaint/",
        "/complaint/upload/",  # the large-file route's own location
        "/callback/",
        "/admin/login/",
        "/",
    ):
        with socket.create_connection(("127.0.0.1", nginx.port), timeout=10) as sock:
            sock.sendall(
                f"POST {path} HTTP/1.1\r\nHost: {HOST}\r\nX-Forwarded-Proto: https\r\n"
                "Content-Type: multipart/form-data; boundary=x\r\n"
                "Transfer-Encoding: chunked\r\n\r\n".encode()
            )
            sent = 0
            chunk = b"100000\r\n" + b"E" * 0x100000 + b"\r\n"  # 1 MiB a chunk
            with contextlib.suppress(OSError):
                while sent < 1024**3 and not select.select([sock], [], [], 0)[0]:
                    sock.sendall(chunk)  # until nginx answers (or the whole GiB is sent)
                    sent += 0x100000
            answer = b""
            with contextlib.suppress(OSError):
                # The whole page, without waiting for nginx's lingering close to end.
                while b"</html>" not in answer and (part := sock.recv(65536)):
                    answer += part
        head, _, body = answer.decode(errors="replace").partition("\r\n\r\n")
        print(f"\nchunked POST {path}: {head.splitlines()[0]!r} after {sent >> 20} MiB sent")
        assert " 411 " in head.splitlines()[0], path
        language = "en" if path.startswith("/en/") else "uk"
        assert said("Not received", language) in body and "tel:+380" in body, path
        assert nginx.body_temp_files() == [], path
        assert _open_body_files(nginx) == [], path


def test_static_files_say_nosniff_and_only_hashed_names_are_immutable(front):
    import json

    site, nginx = front
    manifest = json.loads((site.tmp / "static" / "staticfiles.json").read_text())["paths"]
    hashed = manifest["css/site.css"]
    plain = _get(nginx.port, "/static/css/site.css").split("\r\n\r\n")[0].lower()
    assert " 200 " in plain.splitlines()[0]
    assert "x-content-type-options: nosniff" in plain
    assert "immutable" not in plain and "max-age=3600" in plain
    fixed = _get(nginx.port, f"/static/{hashed}").split("\r\n\r\n")[0].lower()
    assert "x-content-type-options: nosniff" in fixed
    assert "max-age=31536000, immutable" in fixed


@pytest.mark.parametrize(("path", "language"), [("/complaint/", "uk"), ("/en/incidents/", "en")])
def test_with_gunicorn_gone_nginx_answers_with_the_sites_page_and_the_hotline(
    front, tmp_path, path, language
):
    """A real fault: an nginx of the same configuration whose gunicorn is a closed port."""
    from tests.hotline.helpers import said

    site, _nginx = front
    orphan = Nginx(tmp_path / "nginx", free_port(), site.tmp / "static")
    orphan.start()
    try:
        head, _, body = _get(orphan.port, path).partition("\r\n\r\n")
        lowered = body.lower()
    finally:
        orphan.stop()
    assert " 502 " in head.splitlines()[0]
    assert f'<html lang="{language}">' in body
    assert said("The site is not answering right now", language) in body
    assert "tel:+380" in body and "nginx" not in lowered
    assert "back button" in lowered or "назад" in lowered  # what was typed: how to keep it


def test_trace_is_refused_with_the_allowed_methods_everywhere(front):
    _site, nginx = front
    for path, allowed in (("/static/css/site.css", "GET, HEAD"), ("/", "GET, HEAD, OPTIONS")):
        head = _raw(
            nginx.port,
            f"TRACE {path} HTTP/1.1\r\nHost: {HOST}\r\nX-Forwarded-Proto: https\r\n"
            "Connection: close\r\n\r\n".encode(),
        ).split("\r\n\r\n")[0]
        assert " 405 " in head.splitlines()[0], (path, head)
        assert f"allow: {allowed}".lower() in head.lower(), (path, head)


# --- The micro-cache: public pages for a second, nothing private, a withdrawal gone ----------

SHELL_PUBLISH = """
import datetime
from django.utils import timezone
from incidents import services
from incidents.models import Incident, Region
incident = Incident.objects.create(
    title="{title}", slug="{slug}", lead="Lead.", body="Body.", language="uk",
    occurred_on=timezone.localdate(), region=Region.objects.get(slug="kyiv"),
)
services.incident_publish(incident=incident)
"""
SHELL_UNPUBLISH = """
from incidents import services
from incidents.models import Incident
services.incident_unpublish(incident=Incident.objects.get(slug="{slug}"))
"""


def test_the_edge_keeps_public_pages_a_second_and_nothing_private(front):
    site, nginx = front
    site.manage("shell", "-c", SHELL_PUBLISH.format(title="Edge cached story", slug="edge-story"))
    visitor = visitor_via(nginx)
    first = visitor.get("/incidents/")
    assert first[0] == 200 and "Edge cached story" in first[2]
    # nginx stores the copy just after the reader has it: the next ones, a moment later, get it.
    again = [visitor.get("/incidents/")[1] for _ in range(5)]
    assert "HIT" in [headers["X-Edge-Cache"] for headers in again]
    assert not any("X-Accel-Expires" in headers for headers in again)  # never passed on
    # A signed-in visitor (a session cookie) always reaches Django, and nothing of theirs is kept.
    staff = visitor.request("GET", "/incidents/", headers={"Cookie": "sessionid=abc"})
    assert staff[1]["X-Edge-Cache"] == "BYPASS"
    # A page with a form (it sets the CSRF cookie) is never kept.
    for _ in range(2):
        form = visitor.get("/callback/")
        assert form[0] == 200 and form[1].get("X-Edge-Cache") != "HIT"
    # Withdrawn: gone from the edge within PUBLIC_PAGE_EDGE_SECONDS (1 s).
    site.manage("shell", "-c", SHELL_UNPUBLISH.format(slug="edge-story"))
    time.sleep(1.2)
    for path in ("/incidents/", "/", "/incidents/feed/rss/"):
        status, headers, page, _ = visitor.get(path)
        assert status == 200 and "Edge cached story" not in page, (path, headers)


def test_whole_archive_downloads_are_limited_per_address_not_refused(front):
    """The exports take seconds each on a large archive: a client asking in a loop gets
    429 after a few, while the pages stay open to it."""
    site, nginx = front
    visitor = visitor_via(nginx)
    answers = [visitor.get("/en/incidents/export/sdg-16-10-1.json") for _ in range(12)]
    assert answers[0][0] == 200
    refused = [page for status, _headers, page, _ in answers if status == 429]
    assert refused, [answer[0] for answer in answers]
    # The site's own page, in the address's language, with the hotline: not nginx's.
    assert 'lang="en"' in refused[0] and "Too many requests at once" in refused[0]
    assert 'href="tel:' in refused[0]
    assert visitor.get("/incidents/")[0] == 200
