"""Benchmark: the CSV exports on PostgreSQL, row by row in Python against COPY.

    make bench-exports                                (every listed incident: ~79,000 rows)
    .venv/bin/python bench/exports.py --repeat 5

Re-uses bench/pages.py's archive without touching it: the first run copies it
(`CREATE DATABASE imi_bench_copy TEMPLATE imi_bench_pages`, retried while someone is
connected to it) and analyses the copy. Each export of every listed incident (the incident
CSV in Ukrainian, and the SDG 16.10.1 CSV) is requested through Django's test client in one
process and its streamed response read to the end: by the old Python path (pgcopy.available
patched off) and by the new COPY path. Then, as floors, PostgreSQL's own
`COPY (SELECT …) TO STDOUT` of the same statement, run by psql (output dropped), and for
the incident export the COPY of the columns its Python path reads, as stored. Printed:
rows/s of each (medians of --repeat runs, taken in turns), the ratios, and whether both
paths wrote the same bytes. A benchmark, not a test: it asserts nothing. Written to
bench/results/ (not committed).

`export_throughput(client, path)` is the measurement itself, for bench/pages.py to call.
"""

import argparse
import contextlib
import datetime
import hashlib
import json
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psycopg

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench.pages import HOST, RESULTS, Run  # noqa: E402

EXPORTS = [
    ("incidents CSV, every listed incident (uk)", "/incidents/export.csv"),
    ("SDG 16.10.1 CSV, every mapped incident", "/incidents/export/sdg-16-10-1.csv"),
]


def rows_in(body: bytes) -> int:
    """The data rows of a CSV export: its lines after the "# ..." lines and the header (the
    archive's texts hold no line breaks, so a line is a row)."""
    lines = body.split(b"\r\n")
    header = next(
        n for n, line in enumerate(lines) if not line.lstrip(b'\xef\xbb\xbf"').startswith(b"#")
    )
    return len(lines) - header - 2


def export_throughput(client, path: str, *, python: bool = False, **request) -> dict:
    """One export requested through `client` (Django's test client) and read to its end:
    {"rows", "bytes", "seconds", "rows_per_s", "sha256"} (the digest without the
    generated_at line, which names the second). `python`: by the old row-by-row path."""
    from unittest import mock

    from incidents.exports import pgcopy

    patch = mock.patch.object(pgcopy, "available", lambda queryset: False)
    started = time.perf_counter()
    with patch if python else contextlib.nullcontext():
        response = client.get(path, **request)
        assert response.status_code == 200, (path, response.status_code)
        body = b"".join(response.streaming_content)
    seconds = time.perf_counter() - started
    rows = rows_in(body)
    stable = re.sub(rb"# generated_at,[^\r]*\r\n", b"", body, count=1)
    return {
        "rows": rows,
        "bytes": len(body),
        "seconds": seconds,
        "rows_per_s": rows / seconds,
        "sha256": hashlib.sha256(stable).hexdigest(),
    }


def statements(path: str, request) -> dict:
    """The export's own COPY statement ("same"), and for the incident export the COPY of the
    columns its Python path reads, as stored ("stored": no formatting, no categories)."""
    from incidents.exports import incidents, sdg

    if "sdg" in path:
        return {"same": sdg.copy_statement(sdg.SdgExport(request))}
    export = incidents.Export(request)
    query = export.queryset.query
    sql, params = query.get_compiler(using=export.queryset.db).as_sql()
    return {
        "same": export.copy_statement(),
        "stored": (f"COPY ({sql}) TO STDOUT (FORMAT csv)", params),
    }


def psql_seconds(sql: str, params) -> tuple[float, int]:
    """A COPY statement, its parameters merged, run by psql as pgcopy.stream runs it (no
    JIT), its output read and dropped: (seconds, rows)."""
    from django.db import connection

    connection.ensure_connection()
    with psycopg.ClientCursor(connection.connection) as cursor:
        merged = "SET jit = off; " + cursor.mogrify(sql, params)
    settings = connection.settings_dict
    command = [
        "psql",
        "-X",
        "-q",
        "-h",
        settings["HOST"] or "127.0.0.1",
        "-p",
        str(settings["PORT"] or 5432),
        "-U",
        settings["USER"],
        "-d",
        settings["NAME"],
        "-c",
        merged,
    ]
    started = time.perf_counter()
    output = subprocess.run(command, stdout=subprocess.PIPE, check=True).stdout
    return time.perf_counter() - started, output.count(b"\n")


def measure(repeat: int) -> list[dict]:
    """In the helper process (the bench database's settings): each export by both paths and
    by psql, `repeat` times in turns; medians and ratios."""
    import django

    django.setup()
    from django.test import Client, RequestFactory
    from django.test.utils import setup_test_environment

    setup_test_environment()
    client = Client(HTTP_HOST=HOST, headers={"X-Forwarded-Proto": "https"})
    factory = RequestFactory(HTTP_HOST=HOST, headers={"X-Forwarded-Proto": "https"})
    results = []
    for name, path in EXPORTS:
        export_throughput(client, path, secure=True)  # warm: connection, plans, caches
        python, copy, raw, stored = [], [], [], []
        for _ in range(repeat):
            python.append(export_throughput(client, path, python=True, secure=True))
            copy.append(export_throughput(client, path, secure=True))
            sql = statements(path, factory.get(path, secure=True))
            raw.append(psql_seconds(*sql["same"]))
            if "stored" in sql:
                stored.append(psql_seconds(*sql["stored"]))
        rows = copy[0]["rows"]
        seconds = {
            "python": statistics.median(run["seconds"] for run in python),
            "copy": statistics.median(run["seconds"] for run in copy),
            "raw": statistics.median(run[0] for run in raw),
        }
        if stored:
            seconds["stored"] = statistics.median(run[0] for run in stored)
        results.append(
            {
                "export": name,
                "path": path,
                "rows": rows,
                "raw_rows": raw[0][1],
                "mb": copy[0]["bytes"] / 1e6,
                "identical": len({run["sha256"] for run in python + copy}) == 1,
                **{f"{key}_s": value for key, value in seconds.items()},
                **{f"{key}_rows_per_s": rows / value for key, value in seconds.items()},
            }
        )
        row = results[-1]
        print(
            f"  {name}: python {row['python_rows_per_s']:,.0f} rows/s, "
            f"COPY {row['copy_rows_per_s']:,.0f}, psql {row['raw_rows_per_s']:,.0f}",
            file=sys.stderr,
            flush=True,
        )
    return results


def report(args, rows, started) -> str:
    lines = [
        f"# CSV exports by COPY on PostgreSQL ({args.database}), {datetime.date.today()}",
        "",
        f"Each figure: the median of {args.repeat} runs, taken in turns. python: the old "
        "row-by-row path; COPY: the new one, through Django's view (test client, the "
        "streamed response read to its end); psql: the same COPY statement run by psql, "
        "its output dropped; psql, stored columns: COPY of the SELECT the Python path reads "
        "(the columns as stored: no formatting, no categories, perpetrators nor cases). "
        f"Rows are data rows of the CSV. Took {time.monotonic() - started:.0f} s.",
        "",
        "| export | rows | MB | python rows/s | COPY rows/s | psql rows/s | psql, stored "
        "columns rows/s | COPY ÷ python | COPY ÷ psql | COPY ÷ stored | same bytes |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        stored = row.get("stored_rows_per_s")
        ratio_stored = f"{row['copy_rows_per_s'] / stored:.2f}" if stored else "–"
        lines.append(
            f"| {row['export']} | {row['rows']:,} | {row['mb']:.1f} "
            f"| {row['python_rows_per_s']:,.0f} | {row['copy_rows_per_s']:,.0f} "
            f"| {row['raw_rows_per_s']:,.0f} | {f'{stored:,.0f}' if stored else '–'} "
            f"| {row['copy_rows_per_s'] / row['python_rows_per_s']:.1f} "
            f"| {row['copy_rows_per_s'] / row['raw_rows_per_s']:.2f} "
            f"| {ratio_stored} "
            f"| {'yes' if row['identical'] else 'NO'} |"
        )
    return "\n".join(lines)


def ensure_copy(args) -> None:
    """The archive's copy, made once (CREATE DATABASE … TEMPLATE needs nobody connected to
    the template: retried) and analysed."""
    with psycopg.connect(f"{args.postgres}/postgres", autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [args.database]
        ).fetchone()
        if exists:
            return
        for attempt in range(20):
            try:
                connection.execute(f'CREATE DATABASE "{args.database}" TEMPLATE "{args.template}"')
                break
            except psycopg.errors.ObjectInUse:
                print(f"{args.template} is in use, retrying ({attempt + 1})", flush=True)
                time.sleep(3)
        else:
            raise SystemExit(f"could not copy {args.template}: someone stays connected")
    with psycopg.connect(f"{args.postgres}/{args.database}", autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", nargs="?", default="run", choices=["run", "_measure"])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--template", default="imi_bench_pages")
    parser.add_argument("--database", default="imi_bench_copy")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/12")
    parser.add_argument("--smtp-port", type=int, default=2525)  # unused: nothing is mailed
    return parser.parse_args()


def main():
    args = parse_args()
    if args.command == "_measure":
        print(json.dumps(measure(args.repeat)))
        return
    started = time.monotonic()
    ensure_copy(args)
    run = Run(args)
    env = run.env(args.database)
    run.manage(env, "migrate", "--noinput", "-v0")
    print("measuring", flush=True)
    result = subprocess.run(
        [sys.executable, __file__, "_measure", "--repeat", str(args.repeat)],
        cwd=BASE_DIR,
        env=env,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    text = report(args, json.loads(result.stdout), started)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"exports-{datetime.datetime.now():%Y%m%d-%H%M%S}.md"
    out.write_text(text + "\n")
    print("\n" + text + f"\n\nwritten to {out.relative_to(BASE_DIR)}")


if __name__ == "__main__":
    main()
