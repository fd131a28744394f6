"""Benchmark: the evidence vault's cost on a 10 MB file, against an unencrypted copy.

    python bench/evidence.py            (or: make bench-evidence)

Runs the site's real views in this process (Django's test client, a throwaway SQLite
database, private storage in a temporary directory): a complaint posted with one 10 MB photo
(multipart parsing, the content checks, storage), and that photo downloaded by a staff member
(permission check, audit row, the whole streamed answer read). Each round does both three
times, in turns, so a noisy machine slows all alike:

- vault: as the site does it (encrypted by hotline.vault; at download decrypted and checked
  against the SHA-256 recorded at upload before anything is sent);
- unencrypted copy: the vault off (stored as it came), the same SHA-256 check at download;
- bare copy: the vault off and no check at all (the code as it was before this issue).

The medians and the ratios are printed and written to bench/results/evidence.md. Nothing is
asserted about time.
"""

import argparse
import contextlib
import hashlib
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS = BASE_DIR / "bench" / "results"


def setup(tmp: Path) -> None:
    sys.path.insert(0, str(BASE_DIR))
    os.environ.update(
        DJANGO_SETTINGS_MODULE="tests.settings",
        DATABASE_URL=f"sqlite:///{tmp / 'bench.sqlite3'}",
        REDIS_URL="",
        PRIVATE_MEDIA_ROOT=str(tmp / "private"),
        RATE_LIMIT_COMPLAINT="100000/h",
    )
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = ["testserver"]

    call_command("migrate", verbosity=0)


def photo_bytes(size: int) -> bytes:
    """A PNG header and then random bytes: incompressible, like a real photo."""
    sys.path.insert(0, str(BASE_DIR))
    from tests.hotline.evidence_files import png_bytes

    head = png_bytes()
    return head + os.urandom(size - len(head))


@contextlib.contextmanager
def vault_off(*, check: bool):
    """The unencrypted copy: store what came, serve what is stored (checked or not)."""
    from hotline.vault import cipher

    def store_plain(field_file, chunks, name="evidence"):
        field_file.save(name, _Chunks(chunks), save=False)
        return cipher.Lock("", "")

    def open_bare(field_file, lock, **kwargs):
        return cipher.plain_chunks(field_file, lock)

    saved = cipher.store, cipher.open_verified
    cipher.store = store_plain
    if not check:
        cipher.open_verified = open_bare
    try:
        yield
    finally:
        cipher.store, cipher.open_verified = saved


MODES = {
    "vault": contextlib.nullcontext,
    "unencrypted": lambda: vault_off(check=True),
    "bare": lambda: vault_off(check=False),
}


class _Chunks:
    def __init__(self, chunks):
        self._chunks = chunks
        self.name = None

    def chunks(self, chunk_size=None):
        return iter(self._chunks)


def complaint_data(upload):
    from incidents.models import Category, Region

    return {
        "reporter_name": "Bench",
        "role": "journalist",
        "email": "bench@example.org",
        "preferred_channel": "email",
        "occurred_on": "2026-11-20",
        "region": Region.objects.get(slug="kyiv").pk,
        "category": Category.objects.get(slug="beating").pk,
        "perpetrator_type": "unknown",
        "description": "A benchmark complaint, long enough to pass the form's minimum length.",
        "consent_processing": "on",
        "safety": "safe",
        "submission_key": str(uuid.uuid4()),
        "attachments": upload,
    }


def one_round(client, staff, data: bytes) -> tuple[float, float]:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    from hotline.models import Attachment

    upload = SimpleUploadedFile("photo.png", data, content_type="image/png")
    started = time.perf_counter()
    response = client.post("/complaint/", complaint_data(upload))
    uploaded = time.perf_counter() - started
    assert response.status_code == 302, response.status_code
    attachment = Attachment.objects.latest("pk")

    started = time.perf_counter()
    response = staff.get(f"/evidence/{attachment.pk}/")
    digest = hashlib.sha256()
    for chunk in response.streaming_content:
        digest.update(chunk)
    downloaded = time.perf_counter() - started
    assert response.status_code == 200 and digest.hexdigest() == attachment.sha256
    assert isinstance(client, Client)
    return uploaded, downloaded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--size-mb", type=float, default=10)
    args = parser.parse_args()
    size = int(args.size_mb * 1024 * 1024)

    with tempfile.TemporaryDirectory(prefix="imi-bench-evidence-") as tmp:
        setup(Path(tmp))
        from django.contrib.auth import get_user_model
        from django.test import Client

        admin = get_user_model().objects.create_superuser("bench", "b@example.org", "x" * 20)
        staff = Client()
        staff.force_login(admin)
        data = photo_bytes(size)
        times = {mode: ([], []) for mode in MODES}
        for mode in MODES:  # warm up every path
            with MODES[mode]():
                one_round(Client(), staff, data)
        order = list(MODES)
        for _n in range(args.rounds):
            # Rotate which goes first, so none always meets a warm or a cold cache.
            order = order[1:] + order[:1]
            for mode in order:
                with MODES[mode]():
                    up, down = one_round(Client(), staff, data)
                times[mode][0].append(up)
                times[mode][1].append(down)

    lines = [
        f"Evidence vault, {args.size_mb:g} MB file, {args.rounds} rounds, medians "
        "(in-process: Django's views and test client, SQLite, local disk)",
        "",
        "| | bare copy (ms) | unencrypted copy, SHA-256 checked (ms) | vault (ms) "
        "| vault ÷ unencrypted | vault ÷ bare | goal |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for index, what in enumerate(["upload (complaint with the file)", "download (staff)"]):
        bare, plain, sealed = (
            statistics.median(times[mode][index]) * 1000
            for mode in ("bare", "unencrypted", "vault")
        )
        lines.append(
            f"| {what} | {bare:.1f} | {plain:.1f} | {sealed:.1f} | {sealed / plain:.2f}× "
            f"| {sealed / bare:.2f}× | < 1.3× |"
        )
    report = "\n".join(lines)
    print(report)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "evidence.md").write_text(report + "\n")


if __name__ == "__main__":
    main()
