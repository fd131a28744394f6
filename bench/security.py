"""Benchmark: what the safety features cost, each against a baseline measured in the same run.

Not a test: it prints figures. Three features, three ratios (median of --repeat runs each):

- log redaction: N typical log records (one in five with a phone number, an e-mail address, a
  tracking code or an IP address) through a StreamHandler into io.StringIO, with the project's
  RedactPersonalData filter on the handler and without it;
- the admin's access audit: GET of a complaint's change page through django.test.Client as a
  superuser, which writes an AccessEvent row, against the same GET with
  hotline.admin.record_access replaced by a no-op; with the queries of each;
- the retention job: erase_due() over N complaints closed two years ago, each with two evidence
  files on disk, against creating those N complaints with their files.

It also checks what the features promise (nothing personal left in the filtered log, exactly
one INSERT more per audited page, every due complaint erased and its files gone) and exits
non-zero if any check fails.

    .venv/bin/python bench/security.py                   # temporary SQLite file
    .venv/bin/python bench/security.py --database postgres://postgres@127.0.0.1:5432/imi_bench_security
    .venv/bin/python bench/security.py --n 100 --repeat 3

A PostgreSQL database is dropped and created first and dropped at the end, also after an
error or Ctrl-C; the SQLite file and the evidence files live in a temporary directory.
"""

import argparse
import hashlib
import io
import logging
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_PG_DATABASE = "imi_bench_security"
# The format of the project's console handler (imi_portal.settings.LOGGING).
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--database",
        default="",
        help="postgres://user@host:port/name (dropped and created); default: a temporary SQLite file",
    )
    parser.add_argument("--n", type=int, default=300, help="complaints per retention run (300)")
    parser.add_argument("--records", type=int, default=20_000, help="log records per run (20000)")
    parser.add_argument(
        "--requests", type=int, default=30, help="admin GETs per repeat and case (30)"
    )
    parser.add_argument("--repeat", type=int, default=5, help="runs per median (5)")
    return parser.parse_args()


# --- Database ---------------------------------------------------------------------------------


def postgres_parts(url: str) -> tuple[str, str]:
    """The server URL without a database, and the database name."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/") or DEFAULT_PG_DATABASE
    return urlunsplit((parts.scheme, parts.netloc, "", "", "")), name


def admin_sql(server: str, statement: str):
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        connection.execute(statement)


def setup_django(database_url: str, workdir: Path):
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    os.environ["DEBUG"] = "1"
    os.environ["DATABASE_URL"] = database_url
    os.environ["REDIS_URL"] = ""  # local-memory cache, Celery eager: nothing else to start
    os.environ["CELERY_BROKER_URL"] = ""
    os.environ["CONN_MAX_AGE"] = "0"
    os.environ["TWO_FACTOR_REQUIRED"] = "0"
    os.environ["PRIVATE_MEDIA_ROOT"] = str(workdir / "private_media")
    os.environ["MEDIA_ROOT"] = str(workdir / "media")
    os.environ["STAFF_NOTIFY_EMAILS"] = ""
    os.environ["NOTIFY_WEBHOOK_URL"] = ""
    import django

    django.setup()
    # The retention job logs a summary per run at INFO; the table below says the same.
    logging.getLogger("hotline").setLevel(logging.WARNING)


def median(values):
    return statistics.median(values)


# --- 1. Log redaction -------------------------------------------------------------------------

PERSONAL = {
    "phone": "+380 50 447 70 63",
    "email": "reporter17@example.org",
    "code": "7K3M-Q9XA-2BCD",
    "ip": "203.0.113.7",
}
PERSONAL_TEMPLATES = [
    (logging.INFO, "callback request from %s: asked for a call back (%s)", "phone"),
    (logging.WARNING, "mail to %s for complaint %s bounced", "email"),
    (logging.INFO, "tracking code %s looked up, complaint %s", "code"),
    (logging.WARNING, "client %s rate-limited on %s", "ip"),
]
PLAIN_TEMPLATES = [
    (logging.INFO, '"GET /incidents/?page=%s HTTP/1.1" 200 %s'),
    (logging.INFO, "notification %s sent by email, attempt %s"),
    (logging.INFO, "outbox: %s queued, %s stuck"),
    (logging.INFO, "stats cache miss for 2024-01-01..2024-12-31, version %s (%s)"),
]


def log_records(count: int) -> tuple[list, int]:
    """(level, message, args) for `count` records: every fifth carries personal data."""
    records, personal = [], 0
    for n in range(count):
        if n % 5 == 4:
            level, message, kind = PERSONAL_TEMPLATES[(n // 5) % len(PERSONAL_TEMPLATES)]
            records.append((level, message, (PERSONAL[kind], n)))
            personal += 1
        else:
            level, message = PLAIN_TEMPLATES[n % len(PLAIN_TEMPLATES)]
            records.append((level, message, (n, n * 7 % 9973)))
    return records, personal


def bench_logger(name: str, redacting: bool) -> tuple[logging.Logger, logging.StreamHandler]:
    from imi_portal.logs import RedactPersonalData

    logger = logging.getLogger(f"bench.security.{name}")
    logger.handlers.clear()
    logger.propagate = False
    logger.setLevel(logging.INFO)
    handler = logging.StreamHandler(io.StringIO())
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    if redacting:
        handler.addFilter(RedactPersonalData())
    logger.addHandler(handler)
    return logger, handler


def emit_all(logger, handler, records) -> tuple[float, str]:
    stream = io.StringIO()
    handler.setStream(stream)
    log = logger.log
    started = time.perf_counter()
    for level, message, args in records:
        log(level, message, *args)
    elapsed = time.perf_counter() - started
    return elapsed, stream.getvalue()


def measure_logging(count: int, repeat: int) -> dict:
    records, personal = log_records(count)
    plain = bench_logger("plain", redacting=False)
    redacting = bench_logger("redacting", redacting=True)
    emit_all(*plain, records[:500])  # warm-up
    emit_all(*redacting, records[:500])
    times = {"plain": [], "redacting": []}
    outputs = {}
    for run in range(repeat):
        order = [("plain", plain), ("redacting", redacting)]
        for label, (logger, handler) in order if run % 2 == 0 else reversed(order):
            elapsed, outputs[label] = emit_all(logger, handler, records)
            times[label].append(elapsed)
    left = {kind: outputs["redacting"].count(value) for kind, value in PERSONAL.items()}
    shown = sum(outputs["plain"].count(value) for value in PERSONAL.values())
    return {
        "plain_us": median(times["plain"]) / count * 1e6,
        "redacting_us": median(times["redacting"]) / count * 1e6,
        "personal": personal,
        "left": left,
        "shown": shown,
        "lines": (outputs["plain"].count("\n"), outputs["redacting"].count("\n")),
    }


# --- Evidence and complaints -------------------------------------------------------------------

EVIDENCE = b"\x89PNG\r\n\x1a\n" + b"bench evidence " * 20
EVIDENCE_SHA256 = hashlib.sha256(EVIDENCE).hexdigest()
REFERENCE: dict[str, int] = {}  # the region and category every complaint gets


def datetime_now():
    from django.utils import timezone

    return timezone.now()


def load_reference():
    from incidents.models import Category, Region

    region = Region.objects.filter(slug="kyiv").first() or Region.objects.first()
    category = Category.objects.filter(slug="beating").first() or Category.objects.leaves().first()
    REFERENCE["region"], REFERENCE["category"] = region.pk, category.pk


def create_complaint(n: int, status: str, closed_at=None, files: int = 2):
    """One complaint and its evidence files in one transaction, as a submission saves them."""
    from django.core.files.base import ContentFile
    from django.db import transaction

    from hotline import tracking
    from hotline.models import Attachment, Complaint

    with transaction.atomic():
        complaint = Complaint.objects.create(
            tracking_code_hash=tracking.digest(tracking.generate()),
            language="uk",
            reporter_name=f"Reporter {n}",
            outlet="Demo Visti",
            email=f"reporter{n}@example.org",
            phone="+380671234567",
            occurred_on=datetime_now().date(),
            region_id=REFERENCE["region"],
            category_id=REFERENCE["category"],
            place="Kyiv, Shevchenkivskyi district court",
            description=(
                "Police officers pushed me away from the entrance of the court and broke my "
                f"camera while I was filming the hearing ({n})."
            ),
            consent_processing=True,
            status=status,
            closed_at=closed_at,
        )
        for _ in range(files):
            attachment = Attachment(
                complaint=complaint,
                original_name="photo.png",
                content_type="image/png",
                size=len(EVIDENCE),
                sha256=EVIDENCE_SHA256,
            )
            attachment.file.save("evidence", ContentFile(EVIDENCE), save=False)
            attachment.save()
    return complaint


# --- 2. The admin's access audit ----------------------------------------------------------------


def measure_audit(requests: int, repeat: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    import hotline.admin
    from hotline.models import AccessEvent, Complaint

    user = get_user_model().objects.create_superuser("bench-admin", "bench@example.org", None)
    complaint = create_complaint(0, Complaint.Status.TRIAGE)
    url = reverse("admin:hotline_complaint_change", args=[complaint.pk])
    browser = Client(HTTP_HOST="localhost")
    browser.force_login(user)
    audited = hotline.admin.record_access

    def no_audit(**kwargs):
        return None

    def get(audit: bool) -> float:
        hotline.admin.record_access = audited if audit else no_audit
        try:
            started = time.perf_counter()
            response = browser.get(url)
            elapsed = (time.perf_counter() - started) * 1000
        finally:
            hotline.admin.record_access = audited
        assert response.status_code == 200, response.status_code
        return elapsed

    def queries(audit: bool) -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            get(audit)
        return [query["sql"] for query in captured.captured_queries]

    for _ in range(3):  # warm-up: templates, URL resolvers, the session
        get(True)
        get(False)
    rows_before = AccessEvent.objects.count()
    with_audit, without = [], []
    counts = {True: 0, False: 0}
    for run in range(repeat):
        per_run = {True: [], False: []}
        for i in range(requests):
            for audit in (True, False) if (run + i) % 2 == 0 else (False, True):
                per_run[audit].append(get(audit))
                counts[audit] += 1
        with_audit.append(median(per_run[True]))
        without.append(median(per_run[False]))
    rows_written = AccessEvent.objects.count() - rows_before
    audited_sql, plain_sql = queries(True), queries(False)
    inserts = [sql for sql in audited_sql if sql.lstrip().upper().startswith("INSERT")]
    plain_inserts = [sql for sql in plain_sql if sql.lstrip().upper().startswith("INSERT")]
    extra = [sql for sql in inserts if "accessevent" in sql.lower()]
    return {
        "audit_ms": median(with_audit),
        "plain_ms": median(without),
        "audit_queries": len(audited_sql),
        "plain_queries": len(plain_sql),
        "extra_inserts": len(inserts) - len(plain_inserts),
        "accessevent_inserts": len(extra),
        "audited_gets": counts[True],
        "plain_gets": counts[False],
        "rows_written": rows_written,
        "complaint": complaint.pk,
    }


# --- 3. The retention job -----------------------------------------------------------------------


def measure_retention(n: int, repeat: int) -> dict:
    import datetime

    from django.conf import settings

    from hotline import retention
    from hotline.models import Attachment, Complaint

    root = Path(settings.PRIVATE_MEDIA_ROOT)
    closed_at = datetime_now() - datetime.timedelta(days=730)
    create_times, erase_times = [], []
    totals = {"complaints": 0, "files": 0, "erased": 0, "not_erased": 0}
    totals.update({"files_left": 0, "rows_left": 0, "failed": 0, "reported": 0})
    serial = 1_000
    for _ in range(repeat):
        started = time.perf_counter()
        created = []
        for _ in range(n):
            serial += 1
            created.append(create_complaint(serial, Complaint.Status.CLOSED, closed_at).pk)
        create_times.append(time.perf_counter() - started)
        names = list(
            Attachment.objects.filter(complaint_id__in=created).values_list("file", flat=True)
        )
        on_disk = sum((root / name).is_file() for name in names)

        started = time.perf_counter()
        report = retention.erase_due(now=datetime_now())
        erase_times.append(time.perf_counter() - started)

        erased = Complaint.objects.filter(pk__in=created, erased_at__isnull=False).count()
        totals["complaints"] += n
        totals["files"] += on_disk
        totals["erased"] += erased
        totals["not_erased"] += n - erased
        totals["reported"] += len(set(report.complaints) & set(created))
        totals["failed"] += len(report.failed)
        totals["files_left"] += sum((root / name).exists() for name in names)
        totals["rows_left"] += Attachment.objects.filter(complaint_id__in=created).count()
    create_s, erase_s = median(create_times), median(erase_times)
    return {
        "create_per_s": n / create_s,
        "erase_per_s": n / erase_s,
        "create_s": create_s,
        "erase_s": erase_s,
        **totals,
    }


# --- Report -------------------------------------------------------------------------------------


def report(args, logs, audit, keep) -> list[str]:
    """Prints the table and the checks; returns the failed checks."""
    rows = [
        (
            "log redaction",
            f"µs per record ({args.records:,})",
            f"{logs['plain_us']:.2f} without filter",
            f"{logs['redacting_us']:.2f} with filter",
            f"{logs['redacting_us'] / logs['plain_us']:.2f}",
        ),
        (
            "admin access audit",
            "ms per GET change page",
            f"{audit['plain_ms']:.1f} no-op audit",
            f"{audit['audit_ms']:.1f} audited",
            f"{audit['audit_ms'] / audit['plain_ms']:.2f}",
        ),
        (
            "",
            "queries per GET",
            f"{audit['plain_queries']}",
            f"{audit['audit_queries']}",
            f"+{audit['audit_queries'] - audit['plain_queries']}",
        ),
        (
            "retention erase_due()",
            f"complaints/s ({args.n:,}, 2 files each)",
            f"{keep['create_per_s']:.0f} creating",
            f"{keep['erase_per_s']:.0f} erasing",
            f"{keep['erase_s'] / keep['create_s']:.2f}",
        ),
    ]
    header = ("feature", "measure", "baseline", "with the feature", "ratio")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(5)]
    for row in [header, *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    print(
        "ratio = with / baseline, medians of the same run: log µs per record; admin ms per GET; "
        "retention erase time / create time for the same complaints "
        f"({keep['erase_s']:.2f} s / {keep['create_s']:.2f} s)"
    )

    failed = []
    print("Checks:")
    left = sum(logs["left"].values())
    line = (
        f"  redaction: {logs['personal']:,} of {args.records:,} records carried personal data; "
        f"{left} occurrences left in the filtered output "
        f"({logs['shown']:,} in the unfiltered one); lines {logs['lines'][0]:,} / "
        f"{logs['lines'][1]:,}"
    )
    print(line)
    if left or logs["lines"][0] != logs["lines"][1] or logs["shown"] < logs["personal"]:
        failed.append("redaction")
    expected_rows = audit["audited_gets"]
    print(
        f"  audit: +{audit['extra_inserts']} INSERT per audited GET "
        f"({audit['accessevent_inserts']} into hotline_accessevent); "
        f"{audit['audited_gets']} audited GETs and {audit['plain_gets']} baseline GETs wrote "
        f"{audit['rows_written']} AccessEvent rows (expected {expected_rows})"
    )
    if (
        audit["extra_inserts"] != 1
        or audit["accessevent_inserts"] != 1
        or audit["audit_queries"] - audit["plain_queries"] != 1
        or audit["rows_written"] != expected_rows
    ):
        failed.append("audit")
    print(
        f"  retention: {keep['erased']:,} of {keep['complaints']:,} complaints have erased_at "
        f"set ({keep['reported']:,} in the job's report, {keep['failed']} failed); "
        f"{keep['files']:,} evidence files were on disk before, {keep['files_left']} left "
        f"after; {keep['rows_left']} evidence rows left"
    )
    if (
        keep["not_erased"]
        or keep["reported"] != keep["complaints"]
        or keep["failed"]
        or keep["files"] != 2 * keep["complaints"]
        or keep["files_left"]
        or keep["rows_left"]
    ):
        failed.append("retention")
    return failed


def main():
    args = parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="imi-bench-security-"))
    server = name = None
    if args.database:
        server, name = postgres_parts(args.database)
        database_url = f"{server}/{name}"
        label = f"PostgreSQL database {name} on {server} (dropped and created)"
        admin_sql(server, f'DROP DATABASE IF EXISTS "{name}"')
        admin_sql(server, f'CREATE DATABASE "{name}"')
    else:
        database_url = f"sqlite:///{workdir / 'bench.sqlite3'}"
        label = f"SQLite file {workdir / 'bench.sqlite3'}"
    print(label)
    failed = []
    try:
        setup_django(database_url, workdir)
        from django.core.management import call_command
        from django.db import connection
        from django.utils import translation

        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        print(f"Migrated ({connection.vendor}) in {time.perf_counter() - started:.1f} s")
        translation.activate("uk")
        load_reference()
        print(
            f"Median of {args.repeat} runs each; log runs of {args.records:,} records, "
            f"{args.requests} admin GETs per case and run, retention runs of {args.n:,} "
            "complaints."
        )
        started = time.perf_counter()
        logs = measure_logging(args.records, args.repeat)
        audit = measure_audit(args.requests, args.repeat)
        keep = measure_retention(args.n, args.repeat)
        print(f"Measured in {time.perf_counter() - started:.1f} s\n")
        failed = report(args, logs, audit, keep)
    finally:
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: S110 -- Django may not have started
            pass
        if server is not None:
            admin_sql(server, f'DROP DATABASE IF EXISTS "{name}"')
            print(f"Database {name} dropped")
        shutil.rmtree(workdir, ignore_errors=True)
    if failed:
        print(f"FAILED: {', '.join(failed)}")
        sys.exit(1)
    print("All checks passed.")


if __name__ == "__main__":
    main()
