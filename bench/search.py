"""Benchmark: the search at 100,000 incidents, against the plain list, on PostgreSQL.

    make bench-search                                    (100,000 incidents)
    .venv/bin/python bench/search.py --incidents 20000 --repeat 10

Re-uses bench/pages.py's archive (same database, generated once with a progress bar). Each
search page is requested through Django's test client in one process with the cache
cleared before every request, so what is timed is the view, the search and the template,
not a cached copy; the plain list page (/incidents/, no search) is timed between the
searches as the baseline, and each search is reported as a ratio to the baseline runs
around it (the machines are noisy). Also printed: the matches each search finds and the
queries it runs. A benchmark, not a test: it asserts nothing. Written to bench/results/.
"""

import datetime
import json
import re
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench.pages import (  # noqa: E402
    HOST,
    RARE_WORD,
    archive_parser,
    measured_in_archive,
    write_result,
)

BASELINE = ("list, no search", "/incidents/")
# A sentence pasted from an article, as long as the search box takes (200 characters).
LONG_QUERY = (
    "Поліція відкрила кримінальне провадження за статтею про перешкоджання журналістській "
    "діяльності після того, як невідомі напали на журналістку видання під час зйомки у місті "
    "Харків минулого тижня"
)
# (name, path): what readers type. Forms the articles do not contain on purpose: the
# archive's sentences say "журналістку", "Поліція", "у місті Харків", "кримінальне".
CASES = [
    ("common word: журналіст", "/incidents/?q=" + quote("журналіст")),
    ("another form: журналістці", "/incidents/?q=" + quote("журналістці")),
    ("lower case: поліція", "/incidents/?q=" + quote("поліція")),
    ("inflected place: Харкові", "/incidents/?q=" + quote("Харкові")),
    ("two words: поліція провадження", "/incidents/?q=" + quote("поліція провадження")),
    (f"rare word: {RARE_WORD.lower()}", "/incidents/?q=" + quote(RARE_WORD.lower())),
    ("outlet: Суспільне", "/incidents/?q=" + quote("Суспільне")),
    ("misspelt (did you mean): Харкв", "/incidents/?q=" + quote("Харкв")),
    ("nothing found: qwxyzt", "/incidents/?q=qwxyzt"),
    ("every language: Київ", "/incidents/?languages=all&q=" + quote("Київ")),
    ("English: attacked", "/en/incidents/?q=attacked"),
    # What a new reader types: one letter, a joining word, a pasted sentence, a noun for
    # what the articles say with a verb (and a category is named), stop words, a place.
    ("one letter: a", "/incidents/?q=a"),
    ("stop word: the", "/incidents/?q=the"),
    ("200 characters", "/incidents/?q=" + quote(LONG_QUERY)),
    ("derived form: побиття", "/incidents/?q=" + quote("побиття")),
    ("with stop words: напад на журналістку", "/incidents/?q=" + quote("напад на журналістку")),
    ("place after a preposition: у Харкові", "/incidents/?q=" + quote("у Харкові")),
]


def measure(repeat: int) -> list[dict]:
    """In the helper process (the bench database's settings): each case `repeat` times,
    the baseline before each of them; medians, ratios, matches and queries."""
    import django

    django.setup()
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    setup_test_environment()
    client = Client(HTTP_HOST=HOST, headers={"X-Forwarded-Proto": "https"})

    def get(path):
        cache.clear()
        started = time.perf_counter()
        response = client.get(path, secure=True)
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, (path, response.status_code)
        return elapsed, response

    def matches(response) -> str:
        html = response.content.decode()
        count = re.search(r'id="result-count"[^>]*>(.*?)<', html, re.S)
        found = re.findall(r"[\d\u00a0 ]*\d", count[1]) if count else []
        text = found[0].replace("\u00a0", "").replace(" ", "") if found else "0"
        suggestion = re.search(r'id="did-you-mean".*?<strong>(.*?)</strong>', html, re.S)
        if suggestion:
            text += f" (did you mean: {suggestion[1]})"
        return text

    for _ in range(3):  # warm: connections, templates, the morphology dictionaries
        get(BASELINE[1])
        get(CASES[0][1])
    rows = []
    for name, path in CASES:
        base_times, case_times = [], []
        for _ in range(repeat):
            base_times.append(get(BASELINE[1])[0])
            case_times.append(get(path)[0])
        with CaptureQueriesContext(connection) as context:
            _elapsed, response = get(path)
        base = statistics.median(base_times)
        case = statistics.median(case_times)
        rows.append(
            {
                "search": name,
                "path": path,
                "ms": case * 1000,
                "p90_ms": statistics.quantiles(case_times, n=10)[-1] * 1000,
                "baseline_ms": base * 1000,
                "ratio": case / base,
                "matches": matches(response),
                "queries": len(context),
            }
        )
        print(f"  {name}: {case * 1000:.1f} ms, x{case / base:.2f}", file=sys.stderr, flush=True)
    return rows


def report(args, rows, started) -> str:
    lines = [
        f"# Search at {args.incidents:,} incidents (PostgreSQL), {datetime.date.today()}",
        "",
        f"Each row: the median of {args.repeat} requests, cache cleared before each; the "
        "baseline is the plain list page (/incidents/, first page, no search), timed "
        "between them. Took "
        f"{time.monotonic() - started:.0f} s.",
        "",
        "| search | median ms | p90 ms | list ms | × list | matches | queries |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['search']} | {row['ms']:.1f} | {row['p90_ms']:.1f} | "
            f"{row['baseline_ms']:.1f} | {row['ratio']:.2f} | {row['matches']} | "
            f"{row['queries']} |"
        )
    return "\n".join(lines)


def parse_args():
    return archive_parser(__doc__.split("\n\n")[0], repeat=15).parse_args()


def main():
    args = parse_args()
    if args.command == "_measure":
        print(json.dumps(measure(args.repeat)))
        return
    started = time.monotonic()
    rows = measured_in_archive(args, __file__)
    write_result("search", report(args, rows, started))


if __name__ == "__main__":
    main()
