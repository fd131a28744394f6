"""Benchmark: callback requests over HTTP → gunicorn → PostgreSQL + Redis → Celery → SMTP.

    python bench/notify.py --n 1000          (or: make bench BENCH_ARGS="--n 1000")

Starts everything it needs from this checkout (a fresh PostgreSQL database, gunicorn, one
Celery worker, an SMTP sink in this process), submits N callback requests from a few client
threads, waits for the staff mails, prints what it measured and removes it all again, also on
Ctrl-C. A benchmark, not a test: it reports numbers and counts, it asserts nothing about time.
See bench/README.md for what the numbers mean.
"""

import argparse
import contextlib
import email
import email.policy
import http.client
import logging
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import psycopg
import redis
from aiosmtpd.controller import Controller

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from tests.hotline.worker_support import child_env  # noqa: E402

STAFF = "duty@example.org"
ADMIN_LINK = re.compile(r"/admin/hotline/callbackrequest/(\d+)/change/")
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values, fraction):
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


# --- SMTP sink ----------------------------------------------------------------------------


class Sink:
    """Records each staff mail: when it arrived, its Message-ID and the item it names."""

    def __init__(self):
        self.lock = threading.Lock()
        self.mails = []  # (arrived monotonic, message_id, callback id or None)

    async def handle_DATA(self, server, session, envelope):
        arrived = time.monotonic()
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        match = ADMIN_LINK.search(body.get_content() if body is not None else "")
        with self.lock:
            self.mails.append(
                (arrived, str(message["Message-ID"]), int(match.group(1)) if match else None)
            )
        return "250 Message accepted for delivery"

    def snapshot(self):
        with self.lock:
            return list(self.mails)


# --- Processes ----------------------------------------------------------------------------


class Processes:
    """Everything started here, stopped in reverse order whatever happens."""

    def __init__(self, logdir: Path):
        self.logdir = logdir
        self.started: list[tuple[str, subprocess.Popen]] = []

    def start(self, name, command, env):
        log = open(self.logdir / f"{name}.log", "wb")  # noqa: SIM115 -- closed with the process
        process = subprocess.Popen(
            command,
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: its children go with it
        )
        log.close()
        self.started.append((name, process))
        return process

    def log(self, name) -> str:
        path = self.logdir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def check_alive(self):
        for name, process in self.started:
            if process.poll() is not None:
                tail = "\n".join(self.log(name).splitlines()[-30:])
                raise SystemExit(f"{name} exited ({process.returncode}):\n{tail}")

    def stop(self, process) -> None:
        """Stop one process started here (TERM, then KILL after 15 s)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        _reap(process)
        self.started = [(n, p) for n, p in self.started if p is not process]

    def stop_all(self):
        for _name, process in reversed(self.started):
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        for _name, process in reversed(self.started):
            _reap(process)
        self.started.clear()


def _reap(process) -> None:
    """Wait for a process told to stop; after 15 s, kill its group."""
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def celery_worker(concurrency: int, loglevel: str = "INFO") -> list[str]:
    """The command of one Celery worker as the benchmarks run it (prefork, no chatter)."""
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "imi_portal",
        "worker",
        "--pool=prefork",
        f"--concurrency={concurrency}",
        f"--loglevel={loglevel}",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]


def run(command, env, what):
    result = subprocess.run(command, cwd=BASE_DIR, env=env, capture_output=True, text=True)
    if result.returncode:
        raise SystemExit(f"{what} failed:\n{result.stdout}\n{result.stderr}")


# --- HTTP client --------------------------------------------------------------------------


class Client:
    """One visitor's browser: a CSRF cookie and token from one GET, then form posts."""

    def __init__(self, port):
        self.port = port
        self.cookie = ""
        self.token = ""

    def request(self, method, path, body=None, headers=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            started = time.monotonic()
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            content = response.read()
            return response, content, time.monotonic() - started
        finally:
            connection.close()

    def open_form(self):
        response, content, _ = self.request("GET", "/callback/")
        if response.status != 200:
            raise RuntimeError(f"GET /callback/ answered {response.status}")
        for header in response.headers.get_all("Set-Cookie") or []:
            if header.startswith("csrftoken="):
                self.cookie = header.split(";", 1)[0]
        self.token = CSRF_INPUT.search(content.decode()).group(1)

    def post_callback(self, submission_key):
        body = urlencode(
            {
                "csrfmiddlewaretoken": self.token,
                "name": "Bench Visitor",
                "phone": "(050) 447-70-63",
                "preferred_time": "any",
                "topic": "journalists_rights",
                "message": "Benchmark submission.",
                "consent": "on",
                "website": "",
                "submission_key": submission_key,
            }
        )
        response, _content, took = self.request(
            "POST",
            "/callback/",
            body=body,
            headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": self.cookie},
        )
        return response.status, took

    def health(self):
        response, _content, took = self.request("GET", "/health/")
        return response.status, took


# --- The run ------------------------------------------------------------------------------


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="callback requests to submit")
    parser.add_argument("--clients", type=int, default=8, help="client threads")
    parser.add_argument("--repeat", type=float, default=0.02, help="share re-posted as-is")
    parser.add_argument(
        "--postgres", default="postgres://postgres@127.0.0.1:5432", help="server, no database"
    )
    parser.add_argument("--database", default="imi_bench", help="dropped and created anew")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/8", help="flushed first")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=2, help="Celery prefork processes")
    parser.add_argument("--wait", type=float, default=300, help="seconds to wait for mails")
    parser.add_argument("--seed", type=int, default=None)
    return parser.parse_args()


def admin_connection(args):
    return psycopg.connect(f"{args.postgres}/postgres", autocommit=True)


def create_database(args):
    with admin_connection(args) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{args.database}"')


def drop_database(args):
    with admin_connection(args) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')


def wait_until(predicate, timeout, what, processes):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        processes.check_alive()
        if predicate():
            return
        time.sleep(0.2)
    raise SystemExit(f"timed out waiting for {what}")


def http_ok(port, path):
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        connection.request("GET", path)
        return connection.getresponse().status == 200
    except OSError:
        return False


def submit_all(args, port):
    """N submissions from a pool of clients; each also times a GET /health/ alongside."""
    rng = random.Random(args.seed)
    keys = [str(uuid.uuid4()) for _ in range(args.n)]
    repeats = set(rng.sample(range(args.n), round(args.n * args.repeat)))
    local = threading.local()
    stop = threading.Event()

    def one(index):
        if stop.is_set():
            return None
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = Client(port)
            client.open_form()
        key = keys[index]
        started = time.monotonic()
        status, post_took = client.post_callback(key)
        repeat_status = client.post_callback(key)[0] if index in repeats else None
        _health_status, health_took = client.health()
        return key, status, started, post_took, health_took, repeat_status

    pool = ThreadPoolExecutor(max_workers=args.clients)
    began = time.monotonic()
    try:
        futures = [pool.submit(one, index) for index in range(args.n)]
        # (key, status, started, post seconds, health seconds, repeat status)
        results = [future.result() for future in futures]
    except BaseException:
        stop.set()  # Ctrl-C: no new requests, leave the ones in flight
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    ended = time.monotonic()
    pool.shutdown()
    return results, ended - began


def database_counts(args):
    with psycopg.connect(f"{args.postgres}/{args.database}") as conn:
        rows = dict(
            conn.execute("SELECT id, submission_key::text FROM hotline_callbackrequest").fetchall()
        )
        statuses = dict(
            conn.execute(
                "SELECT status, count(*) FROM hotline_notification GROUP BY status"
            ).fetchall()
        )
        attempts = conn.execute(
            "SELECT coalesce(sum(attempts), 0) FROM hotline_notification"
        ).fetchone()[0]
    return rows, statuses, attempts


def report(args, results, submit_seconds, sink, rows, statuses, attempts, waited):
    ms = 1000.0
    accepted = sum(1 for r in results if r[1] == 302)
    repeats = [r for r in results if r[5] is not None]
    repeats_accepted = sum(1 for r in repeats if r[5] == 302)
    submitted_at = {r[0]: r[2] for r in results}
    post_times = [r[3] for r in results if r[1] == 302]
    health_times = [r[4] for r in results]

    mails = sink.snapshot()
    per_row: dict[str, int] = {}
    for _arrived, message_id, _item in mails:
        per_row[message_id] = per_row.get(message_id, 0) + 1
    beyond_one = sum(count - 1 for count in per_row.values())
    first_arrival: dict[int, float] = {}
    for arrived, _message_id, item in mails:
        if item is not None:
            first_arrival[item] = min(arrived, first_arrival.get(item, arrived))
    delivery = [
        first_arrival[pk] - submitted_at[key]
        for pk, key in rows.items()
        if pk in first_arrival and key in submitted_at
    ]
    keys_stored = set(rows.values())
    extra_rows = len(rows) - len(keys_stored)

    health_p50 = percentile(health_times, 0.5)
    post_p50 = percentile(post_times, 0.5)
    delivery_p50 = percentile(delivery, 0.5)
    line = "-" * 72
    print(line)
    print(
        f"IMI notify benchmark: n={args.n}, {args.clients} client threads, "
        f"gunicorn {args.web_workers} sync workers, Celery prefork x{args.concurrency}"
    )
    print(
        "  web and worker run with DEBUG=1: over plain http DEBUG=0 makes the CSRF cookie "
        "Secure and needs collectstatic"
    )
    print(line)
    print(f"submitted            {len(results)} (+ {len(repeats)} re-posted with the same key)")
    print(
        f"accepted (302)       {accepted} of {len(results)}; repeats {repeats_accepted} of {len(repeats)}"
    )
    print(f"stored rows          {len(rows)} CallbackRequest")
    print(
        "notifications        "
        + ", ".join(f"{status} {count}" for status, count in sorted(statuses.items()))
        + f"; attempts {attempts}"
    )
    print(f"mails at the sink    {len(mails)} ({len(per_row)} distinct rows)")
    print(
        f"duplicates           extra rows for a repeated key: {extra_rows}; mails beyond one per row: {beyond_one}"
    )
    print(line)
    print("round trip, ms       p50       p99")
    print(f"  GET /health/   {health_p50 * ms:8.1f}  {percentile(health_times, 0.99) * ms:8.1f}")
    print(f"  POST /callback/{post_p50 * ms:8.1f}  {percentile(post_times, 0.99) * ms:8.1f}")
    print(
        f"  submit → mail  {delivery_p50 * ms:8.1f}  {percentile(delivery, 0.99) * ms:8.1f}"
        f"   ({len(delivery)} matched)"
    )
    print(f"ratios               delivery p50 / health p50 = {delivery_p50 / health_p50:.1f}")
    print(f"                     POST p50 / health p50     = {post_p50 / health_p50:.1f}")
    print(
        f"throughput           {len(results) / submit_seconds:.0f} submissions/s over "
        f"{submit_seconds:.1f} s; all mails in {waited:.1f} s after the first submission"
    )
    print(line)


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main():
    args = parse_args()
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)  # also when started in the background
    logdir = Path(tempfile.mkdtemp(prefix="imi-bench-"))
    processes = Processes(logdir)
    sink = Sink()
    smtp = Controller(sink, hostname="127.0.0.1", port=free_port())
    broker = redis.Redis.from_url(args.redis)
    created = False
    try:
        smtp.start()
        broker.flushdb()
        create_database(args)
        created = True
        redis_parts = urlsplit(args.redis)
        web_port = free_port()
        env = child_env(
            DJANGO_SETTINGS_MODULE="imi_portal.settings",
            DEBUG="1",
            SECRET_KEY=secrets.token_urlsafe(64),
            ALLOWED_HOSTS="127.0.0.1",
            SECURE_SSL_REDIRECT="0",
            RATE_LIMIT_CALLBACK="1000000/h",
            DATABASE_URL=f"{args.postgres}/{args.database}",
            REDIS_URL=redis_parts.geturl(),
            CACHE_KEY_PREFIX="imi-bench",
            EMAIL_URL=f"smtp://127.0.0.1:{smtp.port}",
            STAFF_NOTIFY_EMAILS=STAFF,
            SITE_URL=f"http://127.0.0.1:{web_port}",
        )
        print(f"logs in {logdir}; migrating {args.database} ...", flush=True)
        run([sys.executable, "manage.py", "migrate", "--noinput"], env, "migrate")

        processes.start(
            "gunicorn",
            [
                sys.executable,
                "-m",
                "gunicorn",
                "imi_portal.wsgi:application",
                "--workers",
                str(args.web_workers),
                "--bind",
                f"127.0.0.1:{web_port}",
            ],
            env,
        )
        processes.start("celery", celery_worker(args.concurrency), env)
        wait_until(lambda: http_ok(web_port, "/health/"), 60, "gunicorn", processes)
        wait_until(lambda: " ready." in processes.log("celery"), 60, "the Celery worker", processes)
        print(f"submitting {args.n} callback requests ...", flush=True)

        first = time.monotonic()
        results, submit_seconds = submit_all(args, web_port)
        expected = sum(1 for r in results if r[1] == 302)

        def delivered():
            processes.check_alive()
            return len({m[1] for m in sink.snapshot()}) >= expected

        deadline = time.monotonic() + args.wait
        while time.monotonic() < deadline and not delivered():
            time.sleep(0.2)
        time.sleep(2)  # room for late duplicates to show
        waited = max((m[0] for m in sink.snapshot()), default=first) - first
        rows, statuses, attempts = database_counts(args)
        report(args, results, submit_seconds, sink, rows, statuses, attempts, waited)
    except KeyboardInterrupt:
        print("\ninterrupted: cleaning up", file=sys.stderr)
        raise SystemExit(130) from None
    finally:
        processes.stop_all()
        smtp.stop()
        broker.flushdb()
        broker.close()
        if created:
            drop_database(args)


if __name__ == "__main__":
    main()
