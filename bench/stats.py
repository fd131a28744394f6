"""Benchmark: the barometer (/stats/) against the incident list, at 1,000 and 100,000 incidents.

Not a test: it prints figures. It creates its own PostgreSQL database, migrates it, bulk-inserts
published incidents (dates spread over ten years, one or two categories each, a translation for
every twentieth), and for each size times the real views through django.test.Client:

- the stats page cold (cache cleared before each run, so every aggregate runs) and warm,
  median of 5 runs each, with its query count;
- the list page for the same URL parameters, as the baseline, in the same run;
- for two periods: the default one (the last 12 months) and all ten years.

At 20,000 incidents it also measures the streaming CSV export's peak Python memory
(tracemalloc) against materialising the same queryset with list(qs.values()), if
incidents/exports/incidents.py exists.

    .venv/bin/python bench/stats.py                 # 1000 and 100000
    .venv/bin/python bench/stats.py --sizes 1000 5000 --runs 3

The database is dropped at the end, also after an error or Ctrl-C.
"""

import argparse
import datetime
import importlib.util
import os
import random
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BATCH = 5_000
EXPORT_SIZE = 20_000


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 100_000])
    parser.add_argument("--runs", type=int, default=5, help="runs per median (5)")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="imi_bench_stats")
    parser.add_argument(
        "--redis", default="", help="REDIS_URL for the cache (default: local memory)"
    )
    parser.add_argument("--seed", type=int, default=2019)
    return parser.parse_args()


def admin_sql(server: str, statement: str):
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        connection.execute(statement)


def setup_django(args):
    os.environ["DJANGO_SETTINGS_MODULE"] = "imi_portal.settings"
    os.environ["DEBUG"] = "1"
    os.environ["DATABASE_URL"] = f"{args.postgres}/{args.database}"
    os.environ["REDIS_URL"] = args.redis
    os.environ["CONN_MAX_AGE"] = "0"
    import django

    django.setup()


# --- Data -------------------------------------------------------------------------------------


class Filler:
    """Adds published incidents until the database holds `size` originals."""

    def __init__(self, seed: int):
        from django.utils import timezone

        from incidents.models import Category, PerpetratorType, Region

        self.rng = random.Random(seed)
        self.leaves = list(Category.objects.leaves().values_list("pk", flat=True))
        self.regions = list(Region.objects.values_list("pk", flat=True))
        self.perpetrators = [value for value, _label in PerpetratorType.choices]
        self.now = timezone.now()
        self.today = timezone.localdate()
        self.originals = 0

    def grow_to(self, size: int):
        started = time.perf_counter()
        while self.originals < size:
            self._batch(min(BATCH, size - self.originals))
        print(f"  {size:,} incidents in the database ({time.perf_counter() - started:.1f} s)")

    def _batch(self, count: int):
        from django.db import transaction

        from incidents.models import Incident

        rng, start = self.rng, self.originals
        incidents = []
        for n in range(start, start + count):
            occurred = self.today - datetime.timedelta(days=rng.randint(0, 3652))
            published = datetime.datetime.combine(
                occurred + datetime.timedelta(days=rng.randint(0, 10)),
                datetime.time(rng.randint(8, 20), rng.randrange(0, 60, 5)),
                tzinfo=datetime.UTC,
            )
            incidents.append(
                Incident(
                    title=f"Bench incident {n} about a journalist",
                    slug=f"bench-{n}",
                    lead="A journalist reported an obstruction of her work.",
                    body="A journalist reported an obstruction of her work in the city.",
                    body_html="<p>A journalist reported an obstruction of her work.</p>",
                    language="uk",
                    status=Incident.Status.PUBLISHED,
                    published_at=min(published, self.now - datetime.timedelta(hours=1)),
                    occurred_on=occurred,
                    region_id=rng.choice(self.regions),
                    perpetrator_type=rng.choice(self.perpetrators),
                )
            )
        with transaction.atomic():
            created = Incident.objects.bulk_create(incidents)
            translations = [
                Incident(
                    title=f"{original.title} (English)",
                    slug=f"{original.slug}-en",
                    lead=original.lead,
                    body=original.body,
                    body_html=original.body_html,
                    language="en",
                    translation_of_id=original.pk,
                    status=original.status,
                    published_at=original.published_at,
                    occurred_on=original.occurred_on,
                    region_id=original.region_id,
                    perpetrator_type=original.perpetrator_type,
                )
                for original in created
                if int(original.slug.split("-")[1]) % 20 == 0
            ]
            created += Incident.objects.bulk_create(translations)
            through = Incident.categories.through
            links = []
            for incident in created:
                picked = rng.sample(self.leaves, 2 if rng.random() < 0.4 else 1)
                links += [through(incident_id=incident.pk, category_id=pk) for pk in picked]
            through.objects.bulk_create(links, batch_size=BATCH)
        self.originals += count


# --- Measuring ------------------------------------------------------------------------------


def client():
    from django.test import Client

    return Client(HTTP_HOST="localhost")


def timed_get(browser, path, params):
    started = time.perf_counter()
    response = browser.get(path, params)
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, (path, response.status_code)
    return elapsed


def count_queries(browser, path, params, clear: bool):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if clear:
        cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = browser.get(path, params)
    assert response.status_code == 200
    return len(queries)


def median(values):
    return statistics.median(values)


def measure_page(params, runs: int) -> dict:
    from django.core.cache import cache

    browser = client()
    # One request each first: connections, templates and URL resolvers warmed up.
    cache.clear()
    timed_get(browser, "/stats/", params)
    timed_get(browser, "/incidents/", params)
    cold, warm, listing = [], [], []
    for _ in range(runs):
        cache.clear()
        cold.append(timed_get(browser, "/stats/", params))
        warm.append(timed_get(browser, "/stats/", params))
        listing.append(timed_get(browser, "/incidents/", params))
    return {
        "cold": median(cold),
        "warm": median(warm),
        "list": median(listing),
        "queries_cold": count_queries(browser, "/stats/", params, clear=True),
        "queries_warm": count_queries(browser, "/stats/", params, clear=False),
        "queries_list": count_queries(browser, "/incidents/", params, clear=False),
    }


def periods(today):
    from incidents.barometer.stats import default_period

    start, end = default_period(today)
    return {
        "last 12 months": {"date_from": start.isoformat(), "date_to": end.isoformat()},
        "ten years": {
            "date_from": (today - datetime.timedelta(days=3653)).isoformat(),
            "date_to": today.isoformat(),
        },
    }


def report_stats(size: int, runs: int):
    from django.utils import timezone

    from incidents.models import Incident

    for label, params in periods(timezone.localdate()).items():
        matching = Incident.objects.public().filter(
            occurred_on__gte=params["date_from"], occurred_on__lte=params["date_to"]
        )
        result = measure_page(params, runs)
        print(
            f"  N={size:>7,}  {label:<15} ({matching.count():>6,} in the period)  "
            f"stats cold {result['cold']:7.1f} ms ({result['queries_cold']} queries)  "
            f"warm {result['warm']:6.1f} ms ({result['queries_warm']} queries)  "
            f"list {result['list']:6.1f} ms ({result['queries_list']} queries)  "
            f"cold/list {result['cold'] / result['list']:5.2f}  "
            f"warm/list {result['warm'] / result['list']:5.2f}"
        )


def report_export():
    if importlib.util.find_spec("incidents.exports.incidents") is None:
        print("  skipped: incidents/exports/incidents.py does not exist")
        return
    from django.urls import NoReverseMatch, reverse

    try:
        path = reverse("incidents:export-csv")
    except NoReverseMatch:
        print("  skipped: no URL named incidents:export-csv")
        return
    from incidents.models import Incident

    browser = client()
    browser.get(path).close()  # warm-up (imports, URL resolver)

    tracemalloc.start()
    tracemalloc.reset_peak()
    started = time.perf_counter()
    response = browser.get(path)
    assert response.status_code == 200, response.status_code
    size = lines = 0
    for chunk in response.streaming_content:
        size += len(chunk)
        lines += chunk.count(b"\n")
    response.close()
    export_ms = (time.perf_counter() - started) * 1000
    export_peak = tracemalloc.get_traced_memory()[1]

    tracemalloc.reset_peak()
    started = time.perf_counter()
    rows = list(Incident.objects.public().values())
    list_ms = (time.perf_counter() - started) * 1000
    list_peak = tracemalloc.get_traced_memory()[1]
    count = len(rows)
    del rows
    tracemalloc.stop()
    print(
        f"  streaming CSV: {lines - 1:,} lines, {size / 1e6:.1f} MB in {export_ms:.0f} ms, "
        f"peak {export_peak / 1e6:.1f} MB"
    )
    print(
        f"  list(qs.values()) of the same {count:,} incidents: {list_ms:.0f} ms, "
        f"peak {list_peak / 1e6:.1f} MB"
    )
    print(f"  export peak / materialised peak: {export_peak / list_peak:.2f}")


def main():
    args = parse_args()
    print(f"Database {args.database} on {args.postgres} (dropped and created)")
    admin_sql(args.postgres, f'DROP DATABASE IF EXISTS "{args.database}"')
    admin_sql(args.postgres, f'CREATE DATABASE "{args.database}"')
    try:
        setup_django(args)
        from django.core.management import call_command
        from django.db import connection
        from django.utils import translation

        call_command("migrate", verbosity=0)
        translation.activate("uk")
        filler = Filler(args.seed)
        steps = sorted({*args.sizes, EXPORT_SIZE})
        print(
            f"Median of {args.runs} runs; cold = cache cleared before the request, "
            "warm = the same request again; list = /incidents/ with the same parameters."
        )
        for size in steps:
            filler.grow_to(size)
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            if size in args.sizes:
                report_stats(size, args.runs)
            if size == EXPORT_SIZE:
                print(f"Export memory at {EXPORT_SIZE:,} incidents:")
                report_export()
    finally:
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: S110 -- Django may not have started
            pass
        admin_sql(args.postgres, f'DROP DATABASE IF EXISTS "{args.database}"')
        print(f"Database {args.database} dropped")


if __name__ == "__main__":
    main()
