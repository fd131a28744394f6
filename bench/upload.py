"""Benchmark: a large evidence file sent by the large-file route, through nginx and gunicorn
with the vault, against a plain `cp` of the same file on the same disk.

    python bench/upload.py                 (or: make bench-upload)
    python bench/upload.py --sizes-mb 100 1024 --chunk-mb 5

The production front of the tests (tests/production_front.py: nginx from deploy/nginx in
front of gunicorn with production settings, one worker, its own SQLite database) receives the
file from tuspy in pieces of EVIDENCE_UPLOAD_CHUNK_BYTES; each piece is encrypted as it
arrives, and the last one makes the held file (all pieces decrypted, checked, hashed and
encrypted once more). For each size, in the same run:

- throughput: the upload's MB/s, and its ratio to `cp` of the same file within the same
  temporary directory (goal: at least 0.3);
- memory: the gunicorn worker's peak resident memory during the upload (VmHWM, reset before
  it) above its resident memory at rest just before (goal: flat, under 100 MB, whatever the
  size).

Printed and written to bench/results/upload.md. Nothing is asserted about time.
"""

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS = BASE_DIR / "bench" / "results"
MB = 1024 * 1024


def write_video(path: Path, size: int) -> str:
    """An MP4 head, then random bytes (incompressible, like a real video); its SHA-256."""
    from tests.hotline.uploads_support import MP4_HEAD

    digest = hashlib.sha256()
    with open(path, "wb") as out:
        left = size
        block = MP4_HEAD + os.urandom(MB - len(MP4_HEAD))
        while left:
            piece = block[: min(len(block), left)]
            out.write(piece)
            digest.update(piece)
            left -= len(piece)
            block = os.urandom(MB)
    return digest.hexdigest()


def worker_pid(master: int) -> int:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    assert len(children) == 1, children
    return int(children[0])


def memory_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes-mb", type=int, nargs="+", default=[100, 1024])
    parser.add_argument("--chunk-mb", type=int, default=5)
    args = parser.parse_args()
    sys.path.insert(0, str(BASE_DIR))

    from tests.hotline.live_site import Site
    from tests.hotline.uploads_support import Session
    from tests.hotline.worker_support import free_port
    from tests.production_front import Nginx

    tmp = Path(tempfile.mkdtemp(prefix="imi-bench-upload-", dir=os.environ.get("BENCH_TMP")))
    site = Site(tmp, redis_port=free_port(), smtp_port=free_port())
    site.env.update(
        FORWARDED_ALLOW_IPS="127.0.0.1",
        TRUSTED_PROXY_NETWORKS="127.0.0.1/32",
        WEB_CONCURRENCY="1",
        EVIDENCE_UPLOAD_CHUNK_BYTES=str(args.chunk_mb * MB),
        EVIDENCE_UPLOAD_MAX_BYTES=str(max(args.sizes_mb) * MB * 2),
        EVIDENCE_CASE_QUOTA_BYTES=str(sum(args.sizes_mb) * MB * 4),
    )
    site.env.pop("SECURE_PROXY_SSL_HEADER", None)
    rows = []
    try:
        site.prepare()
        site.start()
        nginx = Nginx(tmp / "nginx", site.port, tmp / "static")
        nginx.start()
        worker = worker_pid(site.process.pid)
        # Warm up: every module the upload path needs is imported before "at rest" is read.
        warm = Session(nginx.port)
        warm_file = tmp / "warm.mp4"
        write_video(warm_file, 2 * args.chunk_mb * MB)
        with open(warm_file, "rb") as stream:
            location = warm.create(warm_file.stat().st_size)
            warm.uploader(stream, location, chunk_size=args.chunk_mb * MB).upload()
        for size_mb in args.sizes_mb:
            size = size_mb * MB
            source = tmp / f"video-{size_mb}.mp4"
            sha = write_video(source, size)
            copy = tmp / "copy.mp4"
            started = time.perf_counter()
            subprocess.run(["cp", str(source), str(copy)], check=True)
            subprocess.run(["sync", str(copy)], check=True)
            cp_seconds = time.perf_counter() - started
            copy.unlink()

            session = Session(nginx.port)
            rest_kb = memory_kb(worker, "VmRSS")
            Path(f"/proc/{worker}/clear_refs").write_text("5")  # resets VmHWM
            started = time.perf_counter()
            with open(source, "rb") as stream:
                location = session.create(size)
                session.uploader(stream, location, chunk_size=args.chunk_mb * MB).upload()
            upload_seconds = time.perf_counter() - started
            peak_kb = memory_kb(worker, "VmHWM")
            held = site.rows("select sha256, size from hotline_heldfile")
            assert (sha, size) in held, "the held file's SHA-256 is not the original's"
            assert worker_pid(site.process.pid) == worker, "the worker was restarted"
            source.unlink()
            rows.append(
                {
                    "size": f"{size_mb} MB",
                    "cp": f"{size / MB / cp_seconds:.0f} MB/s ({cp_seconds:.1f} s)",
                    "upload": f"{size / MB / upload_seconds:.0f} MB/s ({upload_seconds:.1f} s)",
                    "ratio": f"{cp_seconds / upload_seconds:.2f}×",
                    "rest": f"{rest_kb / 1024:.0f} MB",
                    "peak": f"{peak_kb / 1024:.0f} MB",
                    "above": f"{(peak_kb - rest_kb) / 1024:.0f} MB",
                }
            )
            print(rows[-1], flush=True)
        nginx.stop()
    finally:
        site.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    header = (
        f"Large-file upload (tuspy → nginx → gunicorn, one worker, pieces of {args.chunk_mb} MB,"
        " the vault on) against `cp` of the same file on the same disk; the worker's peak"
        " resident memory during the upload above its memory at rest.\n\n"
        "| file | cp | upload (with the final check and encryption) | upload/cp | worker at rest"
        " | worker peak | above rest |\n| --- | --- | --- | --- | --- | --- | --- |\n"
    )
    report = header + "\n".join(
        f"| {r['size']} | {r['cp']} | {r['upload']} | {r['ratio']} | {r['rest']} | {r['peak']}"
        f" | {r['above']} |"
        for r in rows
    )
    print("\n" + report)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "upload.md").write_text(report + "\n")


if __name__ == "__main__":
    main()
