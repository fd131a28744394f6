"""Large evidence files over real HTTP: tuspy (a tus client from Python) against gunicorn with
production settings behind the project's nginx (tests/production_front.py). The connection is
really cut (a proxy in between closes it mid-piece) and gunicorn is really killed. A 30 MB
file here (the issue speaks of 300 MB; `make bench-upload` sends 1 GB): the cuts fall at the
same fractions, and the suite stays inside its time."""

import contextlib
import hashlib
import os
import signal
import socket
import threading
import time
from pathlib import Path

import pytest
from tusclient.exceptions import TusCommunicationError, TusUploadFailed

from tests.hotline.live_site import HOST, Site
from tests.hotline.worker_support import free_port
from tests.production_front import NGINX, behind_nginx

from .uploads_support import CHUNK, Session, video_bytes

pytestmark = [
    pytest.mark.one_database,  # gunicorn on a database file of its own
    pytest.mark.xdist_group("uploads-front"),  # one front for the module
    pytest.mark.skipif(
        not os.path.exists(NGINX) and not os.environ.get("CI"),
        reason="nginx not installed (apt-get install nginx-light); CI installs it",
    ),
]

# 30 pieces in the suite (CI's time); the 300 MB case: UPLOAD_TEST_PIECES=300.
SIZE = int(os.environ.get("UPLOAD_TEST_PIECES", "30")) * CHUNK


@pytest.fixture(scope="module")
def front(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("uploads-front")
    with behind_nginx(tmp, EVIDENCE_UPLOAD_CHUNK_BYTES=str(CHUNK)) as (site, nginx):
        yield site, nginx


class CuttingProxy:
    """Forwards one TCP port to another, and can cut every connection once `limit` bytes of
    requests have gone through: a dropped mobile connection, as the server sees one."""

    def __init__(self, target: int):
        self.target = target
        self.port = free_port()
        self.limit: int | None = None
        self.sent = 0
        self.sock = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, daemon=True).start()

    def cut_after(self, limit: int):
        self.sent, self.limit = 0, limit

    def _accept(self):
        while True:
            try:
                downstream, _ = self.sock.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target))
            threading.Thread(
                target=self._pipe, args=(downstream, upstream, True), daemon=True
            ).start()
            threading.Thread(
                target=self._pipe, args=(upstream, downstream, False), daemon=True
            ).start()

    def _pipe(self, source, sink, counted):
        try:
            while block := source.recv(65536):
                if counted and self.limit is not None:
                    block = block[: max(self.limit - self.sent, 0)]
                    self.sent += len(block)
                    if self.sent >= self.limit:
                        sink.sendall(block)
                        raise ConnectionResetError
                sink.sendall(block)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()

    def close(self):
        self.sock.close()


def held(site: Site) -> list[tuple[str, int]]:
    return site.rows("select sha256, size from hotline_heldfile order by id")


def stored_files(site: Site) -> list[Path]:
    return sorted(p for p in (site.tmp / "private").rglob("*") if p.is_file())


def test_a_connection_cut_at_10_50_and_99_percent_resumes_and_the_file_is_whole(front):
    site, nginx = front
    data = video_bytes(SIZE, seed=28)
    proxy = CuttingProxy(nginx.port)
    try:
        session = Session(nginx.port)
        location = session.create(len(data))
        for fraction in (0.10, 0.50, 0.99):
            cut_at = int(SIZE * fraction)
            # A fresh client resumes from what the server has (HEAD), as after a reload.
            uploader = session.uploader(data, location, port=proxy.port)
            before = uploader.offset
            proxy.cut_after(cut_at - before + 4096)  # the piece under way when the cut comes
            with pytest.raises((TusCommunicationError, TusUploadFailed, OSError)):
                uploader.upload()
            proxy.limit = None
            offset = session.uploader(data, location).offset
            # Only whole pieces count: the offset is where the last whole piece ended.
            assert offset % CHUNK == 0 and before <= offset <= cut_at
        session.uploader(data, location, port=proxy.port).upload()
    finally:
        proxy.close()
    assert (hashlib.sha256(data).hexdigest(), SIZE) in held(site)
    # nginx held every piece in memory: nothing of the evidence in its temporary files.
    assert nginx.body_temp_files() == []


def test_gunicorn_killed_mid_upload_and_started_again_the_upload_resumes(front):
    site, nginx = front
    data = video_bytes(8 * CHUNK, seed=5)
    session = Session(nginx.port)
    location = session.create(len(data))
    session.uploader(data, location).upload(stop_at=3 * CHUNK)
    os.killpg(site.process.pid, signal.SIGKILL)
    site.process.wait(timeout=10)
    site.log.close()
    status, _headers, _text = session.request("HEAD", location)
    assert status == 502  # the outage is real
    site.start()
    uploader = session.uploader(data, location)
    assert uploader.offset == 3 * CHUNK
    uploader.upload()
    assert (hashlib.sha256(data).hexdigest(), len(data)) in held(site)


def test_another_session_cannot_append_read_or_delete_over_http(front):
    site, nginx = front
    data = video_bytes(2 * CHUNK, seed=9)
    owner = Session(nginx.port)
    location = owner.create(len(data))
    owner.uploader(data, location).upload(stop_at=CHUNK)
    stranger = Session(nginx.port)
    stranger.request(
        "POST", "/complaint/upload/", {"Upload-Length": "1000"}
    )  # a session of its own
    for method, extra, body in (
        (
            "PATCH",
            {"Upload-Offset": str(CHUNK), "Content-Type": "application/offset+octet-stream"},
            data[CHUNK:],
        ),
        ("HEAD", {}, None),
        ("DELETE", {}, None),
    ):
        status, _headers, _text = stranger.request(method, location, extra, body)
        assert status == 404, method
    assert owner.uploader(data, location).offset == CHUNK


def _open_body_files(nginx) -> list[str]:
    """Body files nginx's processes hold open (nginx may unlink a temporary file at once)."""
    root = str(nginx.prefix / "client_body")
    found = []
    for fd in Path("/proc").glob("[0-9]*/fd/*"):
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith(root):
            found.append(target)
    return found


def _half_sent_piece(nginx, path: str) -> list:
    """3 MB of a 6 MB piece, then a pause: what nginx has written to disk meanwhile."""
    with socket.create_connection(("127.0.0.1", nginx.port), timeout=5) as sock:
        sock.sendall(
            f"PATCH {path} HTTP/1.1\r\nHost: {HOST}\r\nTus-Resumable: 1.0.0\r\n"
            f"Upload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\n"
            f"Content-Length: {6 * 1024 * 1024}\r\n\r\n".encode()
        )
        sock.sendall(b"PLAINTEXT EVIDENCE " * (3 * 1024 * 1024 // 19))
        time.sleep(0.5)
        return nginx.body_temp_files() + _open_body_files(nginx)


def test_a_piece_on_its_way_in_is_never_buffered_to_disk_by_nginx(front):
    _site, nginx = front
    assert _half_sent_piece(nginx, "/complaint/upload/00000000-0000-4000-8000-000000000000/") == []
    assert (
        _half_sent_piece(nginx, "/en/complaint/upload/00000000-0000-4000-8000-000000000000/") == []
    )
    # The detector works: elsewhere a body this size goes to nginx's temporary files.
    assert _half_sent_piece(nginx, "/incidents/") != []


def test_a_piece_cut_off_on_its_way_into_gunicorn_leaves_nothing_and_the_upload_resumes(front):
    """Without nginx in between (a deployment without it, or a proxy that streams): the
    connection closes halfway through a piece that gunicorn is already reading."""
    site, nginx = front
    data = video_bytes(3 * CHUNK, seed=12)
    session = Session(nginx.port)
    location = session.create(len(data))
    session.uploader(data, location).upload(stop_at=CHUNK)
    headers = {
        **session.headers,
        "X-Forwarded-Proto": "https",
        "Upload-Offset": str(CHUNK),
        "Content-Type": "application/offset+octet-stream",
        "Content-Length": str(CHUNK),
    }
    with socket.create_connection(("127.0.0.1", site.port), timeout=5) as sock:
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        sock.sendall(f"PATCH {location} HTTP/1.1\r\n{head}\r\n".encode())
        sock.sendall(data[CHUNK : CHUNK + CHUNK // 2])
        time.sleep(0.3)
    time.sleep(0.5)
    assert session.uploader(data, location).offset == CHUNK
    directory = (
        site.tmp / "private" / "uploads" / location.rstrip("/").split("/")[-1].replace("-", "")
    )
    assert [p.name for p in directory.iterdir()] == [f"{0:015d}-{CHUNK:015d}"]  # no half piece
    session.uploader(data, location).upload()
    assert (hashlib.sha256(data).hexdigest(), len(data)) in held(site)
