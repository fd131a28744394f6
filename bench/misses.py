"""Benchmark: the slowest public pages on a cache miss at 100,000 incidents, on PostgreSQL.

    make bench-misses                                          (100,000 incidents)
    .venv/bin/python bench/misses.py --database imi_bench_plans --repeat 10

Re-uses bench/pages.py's archive (generated once if the database has none). Each page is
requested through Django's test client in one process, twice over: with the page cache off
(PUBLIC_PAGE_CACHE=0: nothing is cached, not even the barometer's figures) and with a cold
cache (on, but cleared before every request: the figures are computed and stored). The
plain list page (/incidents/) is timed between the pages as the baseline, and each page is
reported as a ratio to the baseline runs around it (the machines are noisy), with the trivial
view's ratio too, the queries it runs and the time they took (the rest is Python and the
templates). A benchmark, not a test: it asserts nothing. Written to bench/results/.
"""

import datetime
import json
import statistics
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench.pages import (  # noqa: E402
    HOST,
    archive_parser,
    measured_in_archive,
    write_result,
)

BASELINE = ("list, first page", "/incidents/")
TRIVIAL = "/bench/trivial/"
CASES = [
    ("list, group + perpetrator", "/incidents/?group={group}&perpetrator=police"),
    ("list, region + year", "/incidents/?region=kyiv&year={last_year}"),
    ("stats, this year", "/stats/?year={this_year}"),
    ("stats, all time", "/stats/?date_from=1991-01-01&date_to={today}"),
    ("monthly report", "/stats/{last_year}/{month}/"),
]
MODES = {"cache off": False, "cold cache": True}


def addresses() -> list[tuple[str, str]]:
    from django.utils import timezone

    from incidents.models import Category

    today = timezone.localdate()
    values = {
        "group": Category.objects.groups().first().slug,
        "this_year": today.year,
        "last_year": today.year - 1,
        "month": today.month,
        "today": today.isoformat(),
    }
    return [(name, path.format(**values)) for name, path in CASES]


def measure(repeat: int) -> list[dict]:
    """In the helper process (the bench database's settings): each page `repeat` times in
    each mode, the baseline before each; medians, ratios, queries and their time."""
    import django

    django.setup()
    from django.core.cache import caches
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings, setup_test_environment

    setup_test_environment()
    client = Client(HTTP_HOST=HOST, headers={"X-Forwarded-Proto": "https"})

    def get(path):
        for alias in ("default", "pages"):
            caches[alias].clear()
        started = time.perf_counter()
        response = client.get(path, secure=True)
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, (path, response.status_code)
        return elapsed

    cases = addresses()
    rows = []
    for mode, cache_on in MODES.items():
        with override_settings(PUBLIC_PAGE_CACHE=cache_on):
            for _ in range(3):  # warm: connections, templates, the morphology dictionaries
                get(BASELINE[1])
                for _name, path in cases:
                    get(path)
            trivial = statistics.median(get(TRIVIAL) for _ in range(repeat * 3))
            for name, path in [BASELINE, *cases]:
                base_times, case_times = [], []
                for _ in range(repeat):
                    base_times.append(get(BASELINE[1]))
                    case_times.append(get(path))
                with CaptureQueriesContext(connection) as context:
                    get(path)
                base = statistics.median(base_times)
                case = statistics.median(case_times)
                sql = sum(float(query["time"]) for query in context.captured_queries)
                rows.append(
                    {
                        "mode": mode,
                        "page": name,
                        "path": path,
                        "ms": case * 1000,
                        "baseline_ms": base * 1000,
                        "ratio": case / base,
                        "trivial_ratio": trivial / case,
                        "queries": len(context),
                        "sql_ms": sql * 1000,
                    }
                )
                print(
                    f"  {mode}, {name}: {case * 1000:.1f} ms, x{case / base:.2f} of the list, "
                    f"{trivial / case:.3f} of trivial",
                    file=sys.stderr,
                    flush=True,
                )
    return rows


def report(args, rows, started) -> str:
    lines = [
        f"# Cache misses at {args.incidents:,} incidents (PostgreSQL), {datetime.date.today()}",
        "",
        f"Each row: the median of {args.repeat} requests, cache cleared before each; the "
        "baseline is the plain list page (/incidents/) in the same mode, timed between them; "
        "\"trivial ÷ page\" is the trivial view's time over the page's. SQL ms: the queries' "
        f"own time in one more request. Took {time.monotonic() - started:.0f} s.",
        "",
        "| mode | page | median ms | list ms | × list | trivial ÷ page | queries | SQL ms |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['mode']} | {row['page']} | {row['ms']:.1f} | {row['baseline_ms']:.1f} | "
            f"{row['ratio']:.2f} | {row['trivial_ratio']:.3f} | {row['queries']} | "
            f"{row['sql_ms']:.1f} |"
        )
    return "\n".join(lines)


def parse_args():
    return archive_parser(__doc__.split("\n\n")[0], repeat=10).parse_args()


def main():
    args = parse_args()
    if args.command == "_measure":
        print(json.dumps(measure(args.repeat)))
        return
    started = time.monotonic()
    rows = measured_in_archive(args, __file__)
    write_result("misses", report(args, rows, started))


if __name__ == "__main__":
    main()
