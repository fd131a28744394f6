"""Benchmark: the record's depth (issue 17) against the plain list, on PostgreSQL.

    make bench-record                                     (20,000 incidents)
    .venv/bin/python bench/record.py --incidents 100000 --repeat 10

Re-uses bench/pages.py's archive (same database, generated once), then gives it what the
record holds: a perpetrator per incident, sources from one or two publishers, a criminal
case and three dated updates for a third of them, and one incident followed for years
(1,000 updates). Each page is requested through Django's test client in one process with
the cache cleared before every request; the plain list page (/incidents/) is timed between
them as the baseline, and each is reported as a ratio to it (the machines are noisy), with
the queries it runs. A benchmark, not a test: it asserts nothing. Written to bench/results/.
"""

import argparse
import datetime
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench.pages import HOST, RESULTS, Run, ensure_database  # noqa: E402

FOLLOWED = "bench-followed-for-years"
BASELINE = ("list, first page", "/incidents/")
CASES = [
    ("incident page (3 updates, a case)", "{ordinary}"),
    ("incident page, 1,000 updates (first page)", f"/incidents/{FOLLOWED}/"),
    ("incident page, 1,000 updates (page 50)", f"/incidents/{FOLLOWED}/?updates=50"),
    ("list: only confirmed", "/incidents/?verification=confirmed"),
    ("list: updated in the last 30 days", "/incidents/?updated=30"),
    ("list: no verdict after 2 years", "/incidents/?no_verdict=24"),
    ("barometer: only confirmed, this year", "/stats/?verification=confirmed&date_from={year}"),
    ("API list (50, with the record)", "/api/incidents/"),
    ("API: 1,000 updates, page 1", f"/api/incidents/{FOLLOWED}/updates/"),
    ("SDG 16.10.1 export, one year (JSON)", "/incidents/export/sdg-16-10-1.json?year={last}"),
]


def prepare() -> None:
    """The record's rows for the archive, in bulk, once."""
    import django

    django.setup()
    from django.db import transaction
    from tqdm import tqdm

    from incidents import services
    from incidents.models import (
        PERPETRATOR_CATEGORY,
        CriminalCase,
        Incident,
        IncidentUpdate,
        Perpetrator,
        SourceLink,
    )

    if Incident.objects.filter(slug=FOLLOWED).exists():
        print("record: already there, re-used", flush=True)
        return
    rows = Incident.objects.order_by("pk").values_list(
        "pk", "perpetrator_type", "occurred_on", "status"
    )
    today = datetime.date.today()
    with transaction.atomic():
        perpetrators, sources, cases, updates = [], [], [], []
        for n, (pk, kind, day, _status) in enumerate(tqdm(rows.iterator(chunk_size=5000))):
            perpetrators.append(Perpetrator(incident_id=pk, category=PERPETRATOR_CATEGORY[kind]))
            if n % 2:
                sources.append(SourceLink(incident_id=pk, publisher="Другий монітор"))
            if n % 3 == 0:
                opened = min(day + datetime.timedelta(days=3), today)
                verdict = n % 9 == 0 and opened + datetime.timedelta(days=200) <= today
                cases.append(
                    CriminalCase(
                        incident_id=pk,
                        number=f"1202{n:012d}",
                        article="171",
                        opened_on=opened,
                        status="verdict" if verdict else "investigating",
                        verdict_on=opened + datetime.timedelta(days=200) if verdict else None,
                    )
                )
                for step in range(3):
                    on = min(opened + datetime.timedelta(days=30 * step), today)
                    updates.append(IncidentUpdate(incident_id=pk, on=on, text=f"Крок {step}."))
        for model, batch in (
            (Perpetrator, perpetrators),
            (SourceLink, sources),
            (CriminalCase, cases),
            (IncidentUpdate, updates),
        ):
            model.objects.bulk_create(batch, batch_size=5000)
        followed = Incident.objects.filter(status="published").order_by("-published_at").first()
        start = followed.occurred_on
        followed.slug = FOLLOWED
        followed.save(update_fields=["slug"])
        IncidentUpdate.objects.bulk_create(
            IncidentUpdate(
                incident=followed,
                on=min(start + datetime.timedelta(days=n // 5), today),
                text=f"Запис {n}.",
            )
            for n in range(1000)
        )
        services.incidents_rebuild()


def measure(repeat: int) -> list[dict]:
    import django

    django.setup()
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    from incidents.models import Incident, IncidentUpdate

    setup_test_environment()
    client = Client(HTTP_HOST=HOST, headers={"X-Forwarded-Proto": "https"})
    ordinary = (
        Incident.objects.published()
        .for_language("uk")
        .filter(language="uk", cases__isnull=False)
        .exclude(slug=FOLLOWED)
        .order_by("-published_at")
        .first()
    )
    values = {
        "ordinary": ordinary.get_absolute_url(),
        "year": f"{datetime.date.today().year}-01-01",
        "last": str(datetime.date.today().year - 1),
    }

    def get(path):
        cache.clear()
        started = time.perf_counter()
        response = client.get(path, secure=True)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, (path, response.status_code)
        return elapsed, len(body)

    for _ in range(3):
        get(BASELINE[1])
    rows = []
    for name, template in CASES:
        path = template.format(**values)
        base_times, case_times = [], []
        for _ in range(repeat):
            base_times.append(get(BASELINE[1])[0])
            case_times.append(get(path)[0])
        with CaptureQueriesContext(connection) as context:
            _elapsed, size = get(path)
        base, case = statistics.median(base_times), statistics.median(case_times)
        rows.append(
            {
                "page": name,
                "path": path,
                "ms": case * 1000,
                "baseline_ms": base * 1000,
                "ratio": case / base,
                "kb": size / 1024,
                "queries": len(context),
            }
        )
        print(f"  {name}: {case * 1000:.1f} ms, x{case / base:.2f}", file=sys.stderr, flush=True)
    rows.append({"page": "dated updates in the archive", "count": IncidentUpdate.objects.count()})
    return rows


def report(args, rows, started) -> str:
    updates = rows.pop()["count"]
    lines = [
        f"# The record at {args.incidents:,} incidents (PostgreSQL), {datetime.date.today()}",
        "",
        f"{updates:,} dated updates in all. Each row: the median of {args.repeat} requests, "
        "cache cleared before each; the baseline is the plain list page (/incidents/), "
        f"timed between them. Took {time.monotonic() - started:.0f} s.",
        "",
        "| page | median ms | list ms | × list | KB | queries |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['page']} | {row['ms']:.1f} | {row['baseline_ms']:.1f} | "
            f"{row['ratio']:.2f} | {row['kb']:.0f} | {row['queries']} |"
        )
    return "\n".join(lines)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "command", nargs="?", default="run", choices=["run", "_prepare", "_measure"]
    )
    parser.add_argument("--incidents", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="imi_bench_record")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/12")
    parser.add_argument("--smtp-port", type=int, default=2525)  # Run.env wants one: unused
    return parser.parse_args()


def main():
    args = parse_args()
    if args.command == "_prepare":
        prepare()
        return
    if args.command == "_measure":
        print(json.dumps(measure(args.repeat)))
        return
    started = time.monotonic()
    run = Run(args)
    ensure_database(args, args.database)
    env = run.env(args.database)
    print(f"{args.database}: migrate, then {args.incidents} incidents", flush=True)
    run.manage(env, "migrate", "--noinput", "-v0")
    pages = str(BASE_DIR / "bench" / "pages.py")
    generate = [sys.executable, pages, "_generate", "--incidents", str(args.incidents)]
    subprocess.run(generate, cwd=BASE_DIR, env=env, check=True)
    subprocess.run([sys.executable, __file__, "_prepare"], cwd=BASE_DIR, env=env, check=True)
    run.manage(env, "collectstatic", "--noinput", "-v0")
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
    out = RESULTS / f"record-{datetime.datetime.now():%Y%m%d-%H%M%S}.md"
    out.write_text(text + "\n")
    print("\n" + text + f"\n\nwritten to {out.relative_to(BASE_DIR)}")


if __name__ == "__main__":
    main()
