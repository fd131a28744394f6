"""Past one machine, shown with local processes: 3 gunicorn instances behind nginx, 2 Celery
workers and beat, one PostgreSQL database, one Redis; N callback submissions spread over
them, with one web instance and one worker killed (SIGKILL) mid-run.

    make bench-replicas                 (python bench/replicas.py --n 1000)

Needs DATABASE_URL (PostgreSQL; a database named imi_replicas is made fresh beside it),
REDIS_URL (its DB 11 is used and flushed) and nginx. Prints, and asserts nothing about time:
accepted submissions, rows stored, staff notification rows and their state, mails received,
and mails received more than once (same Message-ID: a worker killed after the SMTP server
took the mail but before the row was marked sent; the receiver can drop the repeat).
"""

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import redis

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from tests.hotline.live_site import Browser, Site  # noqa: E402
from tests.hotline.worker_support import SmtpSink, wait_for  # noqa: E402
from tests.test_proxy import Nginx  # noqa: E402

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def database_urls():
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL server (the run makes its own database).")
    parts = urlsplit(url)
    return parts._replace(path="/postgres").geturl(), parts._replace(path="/imi_replicas").geturl()


def fresh_database(admin_url):
    with psycopg.connect(admin_url, autocommit=True) as db:
        db.execute("DROP DATABASE IF EXISTS imi_replicas WITH (FORCE)")
        db.execute("CREATE DATABASE imi_replicas")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=12)
    args = parser.parse_args()

    admin_url, db_url = database_urls()
    redis_url = urlsplit(os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0")
    redis_url = redis_url._replace(path="/11").geturl()
    redis.Redis.from_url(redis_url).flushdb()
    fresh_database(admin_url)
    tmp = Path(tempfile.mkdtemp(prefix="imi-replicas-"))
    processes = []

    with SmtpSink() as smtp:
        sites = []
        for i in range(3):
            site = Site(tmp / f"web{i}", redis_port=0, smtp_port=smtp.port, database_url=db_url)
            (tmp / f"web{i}").mkdir()
            site.env.update(
                REDIS_URL=redis_url,
                WEB_CONCURRENCY="2",
                FORWARDED_ALLOW_IPS="127.0.0.1",
                TRUSTED_PROXY_NETWORKS="127.0.0.1/32",
                RATE_LIMIT_CALLBACK="100000/h",
                STATIC_ROOT=str(tmp / "static"),
                PRIVATE_MEDIA_ROOT=str(tmp / "private"),  # shared, as the volume is
                NOTIFY_SWEEP_AFTER_SECONDS="5",
            )
            site.env.pop("SECURE_PROXY_SSL_HEADER", None)
            sites.append(site)
        sites[0].prepare()
        for site in sites:
            site.start()
        nginx = Nginx(tmp / "nginx", sites[0].port, tmp / "static")
        # All load comes from one address here: lift the per-address limits for the run.
        conf = nginx.prefix / "conf.d" / "imi.conf"
        text = conf.read_text().replace("rate=30r/m", "rate=100000r/m")
        text = text.replace("limit_conn imi_per_address 64;", "limit_conn imi_per_address 4096;")
        upstreams = "; server ".join(f"127.0.0.1:{s.port}" for s in sites)
        text = text.replace(f"server 127.0.0.1:{sites[0].port} ", f"server {upstreams} ")
        conf.write_text(text)
        nginx.start()

        def celery(*argv, name):
            log = open(tmp / f"{name}.log", "wb")  # noqa: SIM115 -- lives with the process
            process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "imi_portal", *argv],
                cwd=BASE_DIR,
                env=sites[0].env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            processes.append(process)
            return process

        workers = [
            celery("worker", "--concurrency=2", "-n", f"w{i}@%h", "--loglevel=INFO", name=f"w{i}")
            for i in range(2)
        ]
        celery("beat", "--schedule", str(tmp / "beat-schedule"), name="beat")
        time.sleep(5)

        accepted, failed, retried = [], Counter(), Counter()
        lock = threading.Lock()
        done = Counter()
        killed = threading.Event()

        def submit(_):
            visitor = Browser(nginx.port, timeout=30)
            key = str(uuid.uuid4())
            for attempt in range(4):  # a 502 while an instance dies: send the same form again
                try:
                    status, _h, page, _ = visitor.get("/callback/")
                    if status != 200:
                        raise RuntimeError(f"GET {status}")
                    data = {
                        "csrfmiddlewaretoken": CSRF.search(page)[1],
                        "phone": "(050) 447-70-63",
                        "preferred_time": "any",
                        "topic": "journalists_rights",
                        "consent": "on",
                        "submission_key": key,
                    }
                    status, _h, _page, _ = visitor.request("POST", "/callback/", data)
                    if status == 302:
                        with lock:
                            accepted.append(key)
                            done["n"] += 1
                            if attempt:
                                retried["retried and accepted"] += 1
                        return
                    raise RuntimeError(f"POST {status}")
                except Exception as error:  # noqa: BLE001
                    with lock:
                        failed[str(error)[:60]] += 1
                    time.sleep(0.5)

        def chaos():
            wait_for(lambda: done["n"] >= args.n // 3, timeout=600, message="no progress")
            os.killpg(sites[1].process.pid, signal.SIGKILL)  # a web instance, master and workers
            os.killpg(workers[0].pid, signal.SIGKILL)  # a Celery worker, whatever it holds
            killed.set()

        started = time.monotonic()
        threading.Thread(target=chaos, daemon=True).start()
        with ThreadPoolExecutor(args.clients) as pool:
            list(pool.map(submit, range(args.n)))
        elapsed = time.monotonic() - started

        with psycopg.connect(db_url) as db:

            def one(sql):
                return db.execute(sql).fetchone()[0]

            def outbox_settled():
                return one("select count(*) from hotline_notification where status='pending'") == 0

            try:
                wait_for(outbox_settled, timeout=300, message="outbox still pending")
            except AssertionError as error:
                print(error)
            keys = set(accepted)
            stored = one("select count(*) from hotline_callbackrequest")
            stored_keys = {
                str(k) for (k,) in db.execute("select submission_key from hotline_callbackrequest")
            }
            notified = db.execute(
                "select status, count(*) from hotline_notification group by status"
            ).fetchall()
            per_row = db.execute(
                "select count(*) from (select callback_id from hotline_notification "
                "where channel='email' group by callback_id having count(*) <> 1) x"
            ).fetchone()[0]
        mails = smtp.handler.received()
        ids = Counter(m.message_id for m in mails)
        repeats = {k: v for k, v in ids.items() if v > 1}

    for site in sites:
        if site.process and site.process.poll() is None:
            site.stop()
    nginx.stop()
    for process in processes:
        process.kill()
    shutil.rmtree(tmp, ignore_errors=True)
    with psycopg.connect(admin_url, autocommit=True) as db:
        db.execute("DROP DATABASE IF EXISTS imi_replicas WITH (FORCE)")

    print("\nReplica run: 3 gunicorn (2 workers each) behind nginx, 2 Celery workers, beat")
    print(f"submissions sent: {args.n}, in {elapsed:.1f} s ({args.n / elapsed:.0f}/s)")
    print(f"killed mid-run: web instance 2 and worker 1: {killed.is_set()}")
    print(f"accepted (302): {len(keys)}; errors seen and retried: {dict(failed)} {dict(retried)}")
    print(f"rows stored: {stored}; every accepted one stored: {keys <= stored_keys}")
    print(
        f"notification rows by status: {dict(notified)}; rows with != 1 staff mail row: {per_row}"
    )
    print(f"mails received: {len(mails)}; distinct Message-IDs: {len(ids)}; repeated: {repeats}")


if __name__ == "__main__":
    main()
