"""PostgreSQL restarted mid-submission: the visitor is told "not sent, try again", keeps
every word, and the same post goes through once the database is back.

A real fault: a PostgreSQL cluster of this test's own (initdb in a temporary folder, on a
free port), served by gunicorn with production settings, stopped with `pg_ctl -m immediate`
(what a crash or a hard restart does) between loading the form and sending it. The shared
PostgreSQL on 5432 is never touched.
"""

import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg
import pytest

from .live_site import Browser, Site, complaint_data
from .worker_support import free_port

PG_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"))), None)

pytestmark = [
    pytest.mark.one_database,  # a PostgreSQL of its own and gunicorn on it, whichever run
    pytest.mark.skipif(
        PG_BIN is None or not shutil.which("runuser") or os.geteuid() != 0,
        reason="needs Debian's PostgreSQL binaries and root (to run them as the postgres user)",
    ),
]


class OwnPostgres:
    def __init__(self):
        # Outside pytest's private temporary root, which the postgres user cannot enter.
        self.dir = Path(tempfile.mkdtemp(prefix="imi-pg-"))
        self.port = free_port()

    def _as_postgres(self, *command, check=True):
        return subprocess.run(
            ["runuser", "-u", "postgres", "--", *command],
            capture_output=True,
            text=True,
            timeout=120,
            check=check,
        )

    def init(self):
        shutil.chown(self.dir, "postgres", "postgres")
        self._as_postgres(str(PG_BIN / "initdb"), "-D", str(self.dir / "data"), "-A", "trust")
        return self

    def start(self):
        self._as_postgres(
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(self.dir / "data"),
            "-l",
            str(self.dir / "log"),
            "-o",
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1",
            "-w",
            "start",
        )

    def stop(self):
        self._as_postgres(
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(self.dir / "data"),
            "-m",
            "immediate",
            "stop",
            check=False,
        )

    def remove(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    @property
    def url(self):
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def count(self, table):
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres") as db:
            return db.execute(f"select count(*) from {table}").fetchone()[0]  # noqa: S608


def test_postgres_restarted_mid_submission_keeps_the_statement(tmp_path):
    postgres = OwnPostgres().init()
    postgres.start()
    site = Site(tmp_path, redis_port=free_port(), smtp_port=free_port(), database_url=postgres.url)
    # No Redis at all: this test is about the database (the cache falls back locally).
    site.prepare()
    site.start()
    try:
        visitor = Browser(site.port)
        status, _h, form, _ = visitor.get("/en/complaint/")
        assert status == 200
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)[1]
        region = re.search(r'<option value="(\d+)">Kyiv', form)[1]
        category = re.search(r'<option value="(\d+)">[^<]*Beating', form)
        statement = "They took my camera at the checkpoint and held me for three hours."
        data = complaint_data(
            region=region,
            category=category[1] if category else "",
            description=statement,
            csrfmiddlewaretoken=token,
        )

        postgres.stop()  # the database goes away while the visitor is typing
        status, _h, page, _ = visitor.request("POST", "/en/complaint/", data)
        assert status == 503
        assert 'id="not-sent"' in page
        assert "Not sent: please try again" in page
        assert statement in page  # every word kept
        assert "Traceback" not in page and "OperationalError" not in page
        # The API says so in JSON, with a hint to retry, not the site's HTML error page.
        status, headers, body, _ = visitor.get("/api/incidents/")
        assert status == 503
        assert headers["Content-Type"].startswith("application/json")
        assert json.loads(body)["detail"]
        # Issue 29: the pages too say what happened, in their language, with the hotline
        # (they used to be the generic 500 page with no number). Uncached pages, for a
        # visitor with a session and one without.
        for path, language in (("/complaint/", "uk"), ("/en/incidents/?q=camera", "en")):
            for who in (visitor, Browser(site.port)):
                status, headers, body, _ = who.get(path)
                assert status in (500, 503), (path, status)
                assert f'<html lang="{language}">' in body, path
                assert 'href="tel:+380' in body, path
                assert "Traceback" not in body and "OperationalError" not in body
                assert headers.get("Cache-Control") == "no-store"
        resend = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page))
        assert resend["submission_key"] == data["submission_key"]

        postgres.start()  # back after the restart: "Send again" posts the same form
        resend["csrfmiddlewaretoken"] = re.search(
            r'name="csrfmiddlewaretoken" value="([^"]+)"', page
        )[1]
        status, headers, _page, _ = visitor.request("POST", "/en/complaint/", resend)
        assert status == 302, _page[-2000:]
        assert headers["Location"].endswith("/complaint/thanks/")
        assert postgres.count("hotline_complaint") == 1
    finally:
        site.stop()
        postgres.remove()
