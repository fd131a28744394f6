"""Benchmark: the barometer's embedded charts (issue 32) at 100,000 incidents, on PostgreSQL.

    make bench-embed                                           (100,000 incidents)
    .venv/bin/python bench/embed.py --database imi_bench_plans --repeat 10

Re-uses bench/pages.py's archive (generated once if the database has none). In one process,
through Django's test client, with the page cache on (Redis DB 13 by default), each embed of
this year's figures (the SVG, the page for an <iframe>, the PNG; the per-month chart and
the regions) is timed three ways:

- cold: both caches cleared before each request (the figures are counted and stored, the
  chart drawn);
- page miss: the figures cached, the page dropped from the page cache: the drawing's own
  cost;
- hit: served from the page cache.

The baseline is the barometer page of this year served from the page cache
(/stats/?year=<this year>, a hit), timed between them; each row is a ratio to the baseline
runs around it. A benchmark, not a test: it asserts nothing. Written to bench/results/.
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

CHARTS = ("months", "regions")
FORMATS = {"SVG": "{chart}.svg", "HTML (iframe)": "{chart}/", "PNG": "{chart}.png"}
MODES = ("cold", "page miss", "hit")


def measure(repeat: int) -> list[dict]:
    """In the helper process (the bench database's settings): medians and ratios."""
    import django

    django.setup()
    from django.core.cache import caches
    from django.test import Client, RequestFactory
    from django.test.utils import override_settings, setup_test_environment
    from django.utils import timezone, translation

    from incidents import public_cache

    setup_test_environment()
    factory = RequestFactory()
    client = Client(HTTP_HOST=HOST, headers={"X-Forwarded-Proto": "https"})
    year = timezone.localdate().year
    baseline = f"/stats/?year={year}"

    def get(path, *, clear=False, expect=None):
        if clear:
            for alias in ("default", "pages"):
                caches[alias].clear()
        started = time.perf_counter()
        response = client.get(path, secure=True)
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, (path, response.status_code)
        if expect:
            assert response["X-Page-Cache"] == expect, (path, response["X-Page-Cache"], expect)
        return elapsed

    def drop_page(path):
        with translation.override("uk"):  # the addresses are Ukrainian's, at the root
            caches["pages"].delete(public_cache._key(factory.get(path), ()))

    def timed(path, mode):
        if mode == "cold":
            return get(path, clear=True)
        if mode == "page miss":
            # The page dropped, the figures kept (what a publication elsewhere leaves).
            get(path)
            drop_page(path)
            return get(path, expect="miss")
        get(path)  # stored (no-op when it is)
        return get(path, expect="hit")

    rows = []
    with override_settings(PUBLIC_PAGE_CACHE=True):
        cases = [
            (f"{name}, {chart}", f"/stats/embed/{pattern.format(chart=chart)}?year={year}")
            for chart in CHARTS
            for name, pattern in FORMATS.items()
        ]
        for _ in range(2):  # warm: connections, templates, cairo's fonts
            for _name, path in cases:
                get(path, clear=True)
            get(baseline)
        for mode in MODES:
            for name, path in cases:
                base_times, case_times = [], []
                for _ in range(repeat):
                    get(baseline)  # stored again after a cold case cleared it
                    base_times.append(get(baseline, expect="hit"))
                    case_times.append(timed(path, mode))
                base = statistics.median(base_times)
                case = statistics.median(case_times)
                rows.append(
                    {
                        "mode": mode,
                        "embed": name,
                        "path": path,
                        "ms": case * 1000,
                        "baseline_ms": base * 1000,
                        "ratio": case / base,
                    }
                )
                print(
                    f"  {mode}, {name}: {case * 1000:.2f} ms, x{case / base:.2f} of the "
                    "cached barometer",
                    file=sys.stderr,
                    flush=True,
                )
    return rows


def report(args, rows, started) -> str:
    lines = [
        f"# Embedded charts at {args.incidents:,} incidents (PostgreSQL, Redis), "
        f"{datetime.date.today()}",
        "",
        f"Each row: the median of {args.repeat} requests of this year's chart; the baseline "
        "is the barometer page of this year served from the page cache (a hit), timed between "
        f"them in the same run. Took {time.monotonic() - started:.0f} s.",
        "",
        "| mode | embed | median ms | cached barometer ms | × cached barometer |",
        "|---|---|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['mode']} | {row['embed']} | {row['ms']:.2f} | {row['baseline_ms']:.2f} | "
            f"{row['ratio']:.2f} |"
        )
    return "\n".join(lines)


def parse_args():
    parser = archive_parser(__doc__.split("\n\n")[0], repeat=10)
    parser.set_defaults(redis="redis://127.0.0.1:6379/13")
    return parser.parse_args()


def main():
    args = parse_args()
    if args.command == "_measure":
        print(json.dumps(measure(args.repeat)))
        return
    started = time.monotonic()
    rows = measured_in_archive(args, __file__)
    write_result("embed", report(args, rows, started))


if __name__ == "__main__":
    main()
