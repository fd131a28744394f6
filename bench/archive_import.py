"""Benchmark: the archive import (issue 31) against a plain bulk_create of the same rows.

    make bench-import                                (20,000 items)
    .venv/bin/python bench/archive_import.py --items 5000

Generates a WordPress export of N items in a temporary directory (the sample archive's
generator, tests/data/archive/make_sample.py), imports it into a PostgreSQL database of its
own (imi_bench_import, emptied of incidents first) through the real path (stream parse,
HTML to Markdown, guesses, duplicate search, incident_save_record, report rows, batch
transactions), then writes the same incidents and sources with bulk_create in the same
process, and prints items/s for both, the ratio, and the peak memory (RSS) before and after
the import. A benchmark, not a test: it asserts nothing.
"""

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="imi_bench_import")
    args = parser.parse_args()

    import psycopg

    with psycopg.connect(f"{args.postgres}/postgres", autocommit=True) as connection:
        if not connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [args.database]
        ).fetchone():
            connection.execute(f'CREATE DATABASE "{args.database}"')
    os.environ.update(
        DATABASE_URL=f"{args.postgres}/{args.database}",
        DEBUG="1",
        DJANGO_SETTINGS_MODULE="imi_portal.settings",
        PRIVATE_MEDIA_ROOT=tempfile.mkdtemp(prefix="imi-bench-import-"),
    )
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction

    from incidents.archive import parsers, runs
    from incidents.models import ImportRun, Incident, Region, SourceLink
    from tests.data.archive.make_sample import wxr

    call_command("migrate", "--noinput", "-v0")
    ImportRun.objects.all().delete()
    Incident.objects.all().delete()

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.wxr"
        path.write_text(wxr(args.items, seed=20), encoding="utf-8")
        size = path.stat().st_size
        with path.open("rb") as data:
            file, sha = runs.import_file_store(iter(lambda: data.read(1 << 20), b""), suffix=".wxr")
        kyiv = Region.objects.get(slug="kyiv")
        run, _ = runs.import_run_start(
            format="wxr", source_name=path.name, file=file, sha256=sha, default_region=kyiv
        )
        before = peak_mb()
        started = time.perf_counter()
        run = runs.import_run_execute(run_id=run.pk)
        import_seconds = time.perf_counter() - started
        after = peak_mb()
        created = run.items.filter(status="created").count()
        read = run.items.count()

        # The same rows, written plainly: the records the import made, in bulk.
        Incident.objects.all().delete()
        context = runs._Context(
            run=run,
            guesser=runs.Guesser(kyiv),
            matcher=None,
            known={},
            today=django.utils.timezone.localdate(),
        )
        records = []
        with path.open("rb") as data:
            for parsed in parsers.read_xml(data):
                if isinstance(parsed, parsers.RawItem):
                    try:
                        records.append(runs._record(context, parsed))
                    except Exception:  # noqa: S112 - the same items the import refused
                        continue
        records = records[:created]
        started = time.perf_counter()
        with transaction.atomic():
            rows = [
                Incident(slug=f"bench-{i}", **record["fields"]) for i, record in enumerate(records)
            ]
            for row in rows:
                row.normalise_dates()  # the derived date fields save() would fill in
            incidents = Incident.objects.bulk_create(rows, batch_size=1000)
            SourceLink.objects.bulk_create(
                [
                    SourceLink(incident=incident, url=record["url"], publisher=record["publisher"])
                    for incident, record in zip(incidents, records, strict=True)
                ],
                batch_size=1000,
            )
        bulk_seconds = time.perf_counter() - started

    import_rate = read / import_seconds
    bulk_rate = len(records) / bulk_seconds
    print(
        f"WXR: {args.items:,} posts, {size / 1e6:.1f} MB; {read:,} items read, {created:,} drafts"
    )
    print(f"import:      {import_seconds:8.1f} s  {import_rate:8.0f} items/s")
    print(f"bulk_create: {bulk_seconds:8.1f} s  {bulk_rate:8.0f} rows/s")
    print(f"ratio:       {import_rate / bulk_rate:.3f}x of bulk_create")
    print(f"peak RSS:    {before:.0f} MB before the import, {after:.0f} MB after")


if __name__ == "__main__":
    main()
