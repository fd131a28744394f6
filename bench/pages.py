"""Benchmark: the public pages at 100,000 incidents, against a trivial view, cache on and off.

    make bench                                   (100,000 incidents, 4 gunicorn workers)
    .venv/bin/python bench/pages.py --incidents 20000 --duration 5

Needs PostgreSQL and Redis (DATABASE_URL / REDIS_URL style URLs, defaults as in CI) and wrk
(Debian's package). It generates a realistic archive once (bulk inserts with a progress bar;
re-used by the next run), starts gunicorn with production settings and a Celery worker, and
drives each page with wrk from a second process: requests/s, p50, p99, errors, and the ratio
to /bench/trivial/ measured in the same run (before and after each page set). Queries per
page are counted in-process on the 100k archive and on a 1k one. The table is printed and
written to bench/results/ (not committed). A benchmark, not a test: it asserts nothing.
"""

import argparse
import contextlib
import datetime
import json
import os
import random
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

import psycopg
import redis

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench.notify import Processes, celery_worker, free_port  # noqa: E402
from tests.hotline.live_site import wait_until_listening  # noqa: E402
from tests.hotline.worker_support import child_env  # noqa: E402

HOST = "portal.example.org"
RESULTS = BASE_DIR / "bench" / "results"

# What is measured, and the target each row must reach (issue 30): (name, path, mode,
# target). The ratio is requests/s over a trivial view's through the same front in the same
# run. Modes:
#   edge       through nginx (deploy/nginx, its micro-cache) with Django's page cache on
#   cached     gunicorn with Django's page cache on: what a reader gets on a cache hit
#   published  the same while a publisher process publishes an incident every 2 s
#   miss       gunicorn with the caches on, every request a new address (a page-cache miss,
#              as a search, an unusual filter or the first reader after a change): what a
#              miss costs when what is the same for every page is still cached
#   cold       gunicorn with every cache off, for reference
LONG_QUERY = quote(("напад на журналістку поліція провадження Київ " * 5)[:200])
PAGES = [
    ("home", "/", "edge", 0.8),
    ("list", "/incidents/", "edge", 0.8),
    ("detail", "/incidents/{slug}/", "edge", 0.8),
    ("stats, this year", "/stats/?year={this_year}", "edge", 0.8),
    ("monthly report", "/stats/{year}/{month}/", "edge", 0.8),
    ("feed (RSS)", "/incidents/feed/rss/", "edge", 0.8),
    ("home", "/", "cached", None),
    ("list", "/incidents/", "cached", None),
    ("detail", "/incidents/{slug}/", "cached", None),
    ("search, the same query again", "/incidents/?q={common}", "cached", 0.5),
    ("API list, lang=uk", "/api/incidents/?lang=uk", "cached", 0.3),
    ("API list, lang=en", "/api/incidents/?lang=en", "cached", 0.3),
    ("API list, no filter", "/api/incidents/", "cached", 0.3),
    ("API list, region + year", "/api/incidents/?region={region}&year={year}", "cached", 0.3),
    ("home", "/", "published", 0.15),
    ("list", "/incidents/", "published", 0.15),
    ("list, region + year", "/incidents/?region={region}&year={year}", "published", 0.15),
    (
        "list, group + perpetrator",
        "/incidents/?group={group}&perpetrator=police",
        "published",
        0.15,
    ),
    ("detail", "/incidents/{slug}/", "published", 0.25),
    ("home", "/", "miss", None),
    ("list", "/incidents/", "miss", None),
    ("list, region + year", "/incidents/?region={region}&year={year}", "miss", None),
    ("list, group + perpetrator", "/incidents/?group={group}&perpetrator=police", "miss", 0.1),
    (
        "list, verification + no verdict",
        "/incidents/?verification=confirmed&no_verdict=12",
        "miss",
        None,
    ),
    ("list, updated in 30 days", "/incidents/?updated=30", "miss", None),
    ("list, every language", "/incidents/?languages=all", "miss", None),
    ("detail", "/incidents/{slug}/", "miss", None),
    ("stats, this year", "/stats/?year={this_year}", "miss", 0.1),
    ("stats, all time", "/stats/?date_from=1991-01-01&date_to={today}", "miss", 0.1),
    ("monthly report", "/stats/{year}/{month}/", "miss", 0.1),
    ("search, common word (first time)", "/incidents/?q={common}", "miss", 0.1),
    ("search, rare word", "/incidents/?q={rare}", "miss", None),
    ("feed (RSS)", "/incidents/feed/rss/", "miss", None),
    ("API list, lang=uk", "/api/incidents/?lang=uk", "miss", 0.1),
    ("API list, lang=en", "/api/incidents/?lang=en", "miss", 0.1),
    ("API list, no filter", "/api/incidents/", "miss", 0.1),
    ("API list, region + year", "/api/incidents/?region={region}&year={year}", "miss", 0.1),
    (
        "API list, group + perpetrator",
        "/api/incidents/?group={group}&perpetrator=police",
        "miss",
        0.1,
    ),
    ("SDG 16.10.1 export (JSON)", "/incidents/export/sdg-16-10-1.json", "miss", None),
    (
        "CSV export, region + year",
        "/incidents/export.csv?region={region}&year={year}",
        "miss",
        None,
    ),
    ("search, ?q=a", "/incidents/?q=a", "miss", 0.05),
    ("search, ?q=the", "/incidents/?q=the", "miss", 0.05),
    ("search, 200 characters", "/incidents/?q=" + LONG_QUERY, "miss", 0.05),
    ("home", "/", "cold", None),
    ("list", "/incidents/", "cold", None),
    ("detail", "/incidents/{slug}/", "cold", None),
    ("stats, this year", "/stats/?year={this_year}", "cold", None),
    ("search, common word", "/incidents/?q={common}", "cold", None),
    ("API list, lang=uk", "/api/incidents/?lang=uk", "cold", None),
]
MODES = ("edge", "cached", "published", "miss", "cold")
# Never slower than a common word (issue 30): these rows against that one.
NOT_SLOWER_THAN_COMMON = ("search, ?q=a", "search, ?q=the", "search, 200 characters")
CALLBACK_TARGET = 0.1


# --- The archive ------------------------------------------------------------------------

CITIES_UK = ["Київ", "Харків", "Одеса", "Львів", "Дніпро", "Запоріжжя", "Херсон", "Суми"]
CITIES_EN = ["Kyiv", "Kharkiv", "Odesa", "Lviv", "Dnipro", "Zaporizhzhia", "Kherson", "Sumy"]
OUTLETS = ["Суспільне", "Громадське", "Українська правда", "Ліга", "ZN.UA", "Детектор медіа"]
NAMES = ["Олена Коваль", "Андрій Мельник", "Ірина Шевченко", "Максим Бойко", "Наталія Ткаченко"]
SENTENCES_UK = [
    "У місті {city} невідомі напали на журналістку видання «{outlet}» під час зйомки.",
    "Поліція відкрила кримінальне провадження за статтею про перешкоджання журналістській "
    "діяльності.",
    "Журналіст повідомив Інституту масової інформації, що йому погрожували через публікацію "
    "про місцеву владу.",
    "Редакція «{outlet}» зазнала DDoS-атаки після розслідування про закупівлі.",
    "Знімальній групі не дозволили пройти на засідання міської ради в місті {city}.",
    "Російські військові обстріляли автомобіль з позначкою «Преса» поблизу міста {city}.",
    "Представники ІМІ закликали правоохоронців розслідувати інцидент якнайшвидше.",
    "Кореспондентці стерли відзняті матеріали та забрали посвідчення.",
]
SENTENCES_EN = [
    "In {city}, unknown persons attacked a reporter of {outlet} while she was filming.",
    "The police opened criminal proceedings for obstructing journalistic activity.",
    "The journalist told the Institute of Mass Information he was threatened over a story "
    "about the local authorities.",
    "The newsroom of {outlet} suffered a DDoS attack after an investigation into procurement.",
    "A film crew was not allowed into the city council session in {city}.",
    "Russian troops shelled a car marked 'Press' near {city}.",
    "IMI called on law enforcement to investigate the incident without delay.",
    "The correspondent's footage was deleted and her press card taken away.",
]
RARE_WORD = "Щедрик"  # in one incident in every ten thousand


def generate(total: int, seed: int) -> None:
    """Published incidents (a quarter of the Ukrainian ones with an English translation),
    with categories, victims and sources, in bulk; then the listing flags and counts."""
    import django

    django.setup()
    from django.db import connection, transaction
    from django.utils import timezone
    from django.utils.html import escape
    from tqdm import tqdm

    from incidents import services
    from incidents.models import (
        Category,
        Incident,
        PerpetratorType,
        Region,
        SourceLink,
        Victim,
    )

    have = Incident.objects.count()
    if have >= total:
        print(f"archive: {have} incidents already there, re-used", flush=True)
        return
    if have:
        print(f"archive: {have} incidents, fewer than {total}: generated anew", flush=True)
        with connection.cursor() as cursor:
            cursor.execute(
                "TRUNCATE incidents_incident, incidents_victim, incidents_sourcelink, "
                "incidents_incident_categories, incidents_dailycount, incidents_monthlycount CASCADE"
            )
    rng = random.Random(seed)
    leaves = list(Category.objects.leaves())
    regions = list(Region.objects.all())
    weights = [8 if r.slug in ("kyiv", "kharkiv", "donetsk") else 1 for r in regions]
    perpetrators = [value for value, _label in PerpetratorType.choices]
    now = timezone.now()
    start = datetime.date(2014, 1, 1)
    span = (timezone.localdate() - start).days
    through = Incident.categories.through
    made = 0
    batch = 1000
    with tqdm(total=total, unit="incident", desc="archive", smoothing=0.1) as progress:
        while made < total:
            originals, translations = [], []
            for _ in range(min(batch, total - made)):
                made += 1
                day = start + datetime.timedelta(days=rng.randrange(span))
                original = made % 4 != 0 or made == 1
                language = "uk" if original else "en"
                city = rng.randrange(len(CITIES_UK))
                outlet = rng.choice(OUTLETS)
                sentences = SENTENCES_UK if language == "uk" else SENTENCES_EN
                cities = CITIES_UK if language == "uk" else CITIES_EN
                body = [
                    rng.choice(sentences).format(city=cities[city], outlet=outlet)
                    for _ in range(rng.randint(4, 9))
                ]
                if made % 10_000 == 7:
                    body.append(f"{RARE_WORD} {RARE_WORD}.")
                title = body[0][:120]
                published = datetime.datetime.combine(
                    day, datetime.time(12), tzinfo=datetime.UTC
                ) + datetime.timedelta(hours=rng.randint(1, 400))
                incident = Incident(
                    title=title,
                    slug=f"bench-{made}",
                    lead=" ".join(body[:2]),
                    body="\n\n".join(body),
                    body_html="".join(f"<p>{escape(p)}</p>" for p in body),
                    language=language,
                    status=Incident.Status.PUBLISHED,
                    published_at=min(published, now),
                    occurred_on=day,
                    occurred_until=day,  # bulk_create skips save(), which derives it
                    region=rng.choices(regions, weights)[0],
                    perpetrator_type=rng.choice(perpetrators),
                )
                if incident.region.kind == Region.Kind.ABROAD:
                    incident.country = "Poland"
                (originals if original else translations).append(incident)
            with transaction.atomic():
                Incident.objects.bulk_create(originals)
                # Each translation translates the last original made before it.
                for translation in translations:
                    source = rng.choice(originals)
                    translation.translation_of = source
                    translation.occurred_on = source.occurred_on
                    translation.occurred_until = source.occurred_until
                    translation.region = source.region
                    translation.country = source.country
                    translation.perpetrator_type = source.perpetrator_type
                seen, unique = set(), []
                for translation in translations:
                    if translation.translation_of.pk not in seen:
                        seen.add(translation.translation_of.pk)
                        unique.append(translation)
                    else:
                        translation.translation_of = None
                        translation.language = "uk"
                        unique.append(translation)
                Incident.objects.bulk_create(unique)
                rows = originals + unique
                links, victims, sources = [], [], []
                chosen = {}
                for incident in rows:
                    key = incident.translation_of.pk if incident.translation_of else incident.pk
                    picked = chosen.setdefault(key, rng.sample(leaves, rng.choice([1, 1, 2, 3])))
                    links += [through(incident_id=incident.pk, category_id=c.pk) for c in picked]
                    for _ in range(rng.choice([1, 1, 2])):
                        victims.append(
                            Victim(
                                incident=incident,
                                name=rng.choice(NAMES),
                                is_anonymous=rng.random() < 0.1,
                                outlet=rng.choice(OUTLETS),
                                role="журналіст",
                            )
                        )
                    sources.append(
                        SourceLink(
                            incident=incident,
                            url=f"https://example.org/news/{incident.slug}",
                            title="Джерело",
                        )
                    )
                through.objects.bulk_create(links)
                Victim.objects.bulk_create(victims)
                SourceLink.objects.bulk_create(sources)
            progress.update(len(rows))
    started = time.monotonic()
    services.incidents_rebuild()
    print(f"listing flags and counts rebuilt in {time.monotonic() - started:.1f} s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def targets() -> dict:
    """Values for the page addresses, read off the archive."""
    import django

    django.setup()
    from django.utils import timezone

    from incidents.models import Category, Incident

    today = timezone.localdate()
    busiest = (
        Incident.objects.published()
        .filter(listed_uk=True, region__slug="kyiv")
        .order_by("-occurred_on")
        .first()
    )
    day = busiest.occurred_on if busiest else today
    return {
        "region": "kyiv",
        "year": str(day.year - 1),
        "month": str(day.month),
        "this_year": str(today.year),
        "today": today.isoformat(),
        "group": Category.objects.groups().first().slug,
        "common": quote("журналіст"),
        "rare": quote(RARE_WORD),
        "slug": Incident.objects.published().filter(listed_uk=True).order_by("pk").first().slug,
    }


def explain() -> str:
    """EXPLAIN ANALYZE of the queries behind the main pages, on this archive."""
    import django

    django.setup()
    from django.utils import translation

    from incidents.filters import IncidentFilter
    from incidents.models import Incident

    translation.activate("uk")
    cases = {
        "list, page 1": Incident.objects.public().with_card_data()[:20],
        "list, region + year": IncidentFilter(
            {"region": "kyiv", "year": "2024"}, queryset=Incident.objects.public()
        ).qs[:20],
        "list, group": IncidentFilter(
            {"group": "physical-aggression"}, queryset=Incident.objects.public()
        ).qs[:20],
        "featured": Incident.objects.public().filter(is_featured=True)[:3],
        "search, common word": IncidentFilter(
            {"q": "журналіст"}, queryset=Incident.objects.public()
        ).qs[:20],
        "detail": Incident.objects.published().filter(slug="bench-1"),
    }
    parts = []
    for name, queryset in cases.items():
        plan = queryset.explain(analyze=True)
        parts.append(f"### {name}\n\n" + "\n".join("    " + line for line in plan.splitlines()))
    return "\n\n".join(parts)


def count_queries(paths: dict) -> dict:
    """Queries each page runs (Django's test client, this process, DEBUG-style capture)."""
    import django

    django.setup()
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    setup_test_environment()
    client = Client(HTTP_HOST=HOST, headers={"X-Forwarded-Proto": "https"})
    result = {}
    for name, path in paths.items():
        cache.clear()
        with CaptureQueriesContext(connection) as context:
            response = client.get(path, secure=True)
        result[name] = (
            len(context) if response.status_code == 200 else f"HTTP {response.status_code}"
        )
    return result


# --- For the in-process benchmarks (search.py, misses.py): the archive, then a helper ---


def archive_parser(description: str, repeat: int) -> argparse.ArgumentParser:
    """The options of a benchmark that times pages in-process on this file's archive."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("command", nargs="?", default="run", choices=["run", "_measure"])
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=repeat)
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="imi_bench_pages")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/12")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--smtp-port", type=int, default=2525)  # unused: nothing is mailed
    return parser


def measured_in_archive(args, script: str) -> list[dict]:
    """The archive made (or re-used), then `script _measure` run with its settings: the
    rows it prints as JSON."""
    run = Run(args)
    ensure_database(args, args.database)
    env = run.env(args.database)
    print(f"{args.database}: migrate, then {args.incidents} incidents", flush=True)
    run.manage(env, "migrate", "--noinput", "-v0")
    subprocess.run(
        [sys.executable, __file__, "_generate", "--incidents", str(args.incidents)],
        cwd=BASE_DIR,
        env=env,
        check=True,
    )
    run.manage(env, "collectstatic", "--noinput", "-v0")
    print("measuring", flush=True)
    result = subprocess.run(
        [sys.executable, script, "_measure", "--repeat", str(args.repeat)],
        cwd=BASE_DIR,
        env=env,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return json.loads(result.stdout)


def write_result(name: str, text: str) -> None:
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"{name}-{datetime.datetime.now():%Y%m%d-%H%M%S}.md"
    out.write_text(text + "\n")
    print("\n" + text + f"\n\nwritten to {out.relative_to(BASE_DIR)}")


# --- Running the site and loading it ----------------------------------------------------


class Run:
    def __init__(self, args):
        self.args = args
        self.tmp = Path(tempfile.mkdtemp(prefix="imi-bench-pages-"))
        self.processes = Processes(self.tmp)
        self.redis_url = args.redis

    def env(self, database: str, **extra) -> dict:
        return child_env(
            drop=("DJANGO_", "CELERY_", "DATABASE_", "REDIS_", "EMAIL_"),
            DJANGO_SETTINGS_MODULE="bench.settings",
            DEBUG="0",
            SECRET_KEY=secrets.token_urlsafe(50),
            EVIDENCE_KEY=secrets.token_urlsafe(32),
            ALLOWED_HOSTS=HOST,
            SECURE_PROXY_SSL_HEADER="1",
            DATABASE_URL=f"{self.args.postgres}/{database}",
            REDIS_URL=self.redis_url,
            CACHE_KEY_PREFIX="bench-pages",
            STATIC_ROOT=str(self.tmp / "static"),
            PRIVATE_MEDIA_ROOT=str(self.tmp / "private"),
            EMAIL_URL=f"smtp://127.0.0.1:{self.args.smtp_port}",
            STAFF_NOTIFY_EMAILS="duty@example.org",
            RATE_LIMIT_CALLBACK="100000000/h",
            API_ANON_RATE="100000000/min",
            **extra,
        )

    def manage(self, env, *argv):
        subprocess.run([sys.executable, "manage.py", *argv], cwd=BASE_DIR, env=env, check=True)

    def helper(self, env, command, *argv) -> str:
        result = subprocess.run(
            [sys.executable, __file__, command, *argv],
            cwd=BASE_DIR,
            env=env,
            check=True,
            stdout=subprocess.PIPE,
            text=True,
        )
        return result.stdout


def ensure_database(args, name: str) -> None:
    with psycopg.connect(f"{args.postgres}/postgres", autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')


WRK_HEADERS = f"""
wrk.headers["Host"] = "{HOST}"
wrk.headers["X-Forwarded-Proto"] = "https"
"""
WRK_REPORT = """
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout + summary.errors.status
  io.write(string.format("JSON {\\"requests\\": %d, \\"seconds\\": %f, \\"bytes\\": %d, "
    .. "\\"p50\\": %f, \\"p99\\": %f, \\"errors\\": %d, \\"status_errors\\": %d}\\n",
    summary.requests, summary.duration / 1e6, summary.bytes,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, errors,
    summary.errors.status))
end
"""


def wrk(args, port: int, path: str, script: str = "") -> dict:
    lua = Path(tempfile.mkstemp(suffix=".lua")[1])
    lua.write_text(WRK_HEADERS + script + WRK_REPORT)
    try:
        result = subprocess.run(
            [
                "wrk",
                f"-t{args.threads}",
                f"-c{args.connections}",
                f"-d{args.duration}s",
                "--timeout",
                "10s",
                "-s",
                str(lua),
                f"http://127.0.0.1:{port}{path}",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        lua.unlink()
    line = next(x for x in result.stdout.splitlines() if x.startswith("JSON "))
    data = json.loads(line[5:])
    data["rps"] = data["requests"] / data["seconds"] if data["seconds"] else 0.0
    return data


def miss_script(path: str) -> str:
    """A wrk script that asks for `path` with a parameter no page reads, new for every
    request: each one misses the page cache (as a new search or filter would)."""
    joiner = "&" if "?" in path else "?"
    return f"""
local counter = 0
local prefix = 0
function init(args)
  math.randomseed(os.time() + (tonumber(string.sub(tostring({{}}), 8), 16) or 0))
  prefix = math.random(0, 1000000)
end
request = function()
  counter = counter + 1
  return wrk.format(nil, "{path}{joiner}bench_miss=" .. prefix .. "-" .. counter)
end
"""


def callback_script(port: int) -> str:
    """A wrk script that posts the callback form, each post with its own submission key."""
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", "/callback/", headers={"Host": HOST, "X-Forwarded-Proto": "https"})
    response = connection.getresponse()
    page = response.read().decode()
    cookie = next(
        value.split(";", 1)[0]
        for name, value in response.getheaders()
        if name.lower() == "set-cookie" and value.startswith("csrftoken=")
    )
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
    fields = urlencode(
        {
            "csrfmiddlewaretoken": token,
            "name": "Bench Visitor",
            "preferred_time": "any",
            "topic": "journalists_rights",
            "message": "Benchmark submission.",
            "consent": "on",
            "website": "",
        }
    )
    return f"""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = "{cookie}"
wrk.headers["Origin"] = "https://{HOST}"
wrk.headers["Referer"] = "https://{HOST}/callback/"
local counter = 0
local prefix = 0
function init(args)
  -- Each wrk thread a different sequence (they start with the same seed).
  math.randomseed(os.time() + (tonumber(string.sub(tostring({{}}), 8), 16) or 0))
  prefix = math.random(0, 999)
end
request = function()
  counter = counter + 1
  local key = string.format("%08x-%04x-4%03x-8%03x-%012x", math.random(0, 0x7fffffff),
    counter % 0x10000, math.random(0, 0xfff), math.random(0, 0xfff),
    math.random(0, 0x7fffffff) * 4096 + counter % 4096)
  -- A number of its own for each visitor: the hotline takes one request per number at a
  -- time (a repeat is answered as already received, and stored once).
  local phone = string.format("050%03d%04d", prefix, counter % 10000)
  return wrk.format(nil, nil, nil, "{fields}&phone=" .. phone .. "&submission_key=" .. key)
end
"""


def warm(port: int, path: str) -> None:
    """Imports, templates, connections and (where on) the caches, before a row is timed."""
    subprocess.run(
        ["wrk", "-t1", "-c2", "-d1s", "-H", f"Host: {HOST}", "-H", "X-Forwarded-Proto: https"]
        + [f"http://127.0.0.1:{port}{path}"],
        capture_output=True,
        check=False,
    )


PUBLISHER = """
import sys, time, django
django.setup()
from incidents import services
from incidents.models import Incident
drafts = list(Incident.objects.filter(slug__startswith="bench-draft-").order_by("pk"))
for incident in drafts:
    services.incident_publish(incident=incident)
    print("published", incident.pk, flush=True)
    time.sleep(float(sys.argv[1]))
"""


def make_drafts(count: int) -> None:
    """Drafts the publisher makes public during the 'published' rows (made again each run)."""
    import django

    django.setup()
    from django.utils import timezone

    from incidents.models import Incident

    Incident.objects.filter(slug__startswith="bench-draft-").delete()
    model = Incident.objects.get(slug="bench-1")
    Incident.objects.bulk_create(
        Incident(
            title=f"Bench publication {n}",
            slug=f"bench-draft-{n}",
            lead=model.lead,
            body=model.body,
            body_html=model.body_html,
            language="uk",
            status=Incident.Status.DRAFT,
            occurred_on=timezone.localdate(),
            occurred_until=timezone.localdate(),
            region=model.region,
            perpetrator_type=model.perpetrator_type,
        )
        for n in range(count)
    )


def measure_mode(args, run: Run, env: dict, rows_in_mode: list, mode: str) -> list[dict]:
    port = free_port()
    cache = mode != "cold"
    mode_env = {**env, "PUBLIC_PAGE_CACHE": "1" if cache else "0"}
    name = f"gunicorn-{mode}"
    gunicorn = run.processes.start(
        name,
        [sys.executable, "-m", "gunicorn", "imi_portal.wsgi:application"]
        + ["--workers", str(args.workers), "--bind", f"127.0.0.1:{port}"]
        + ["--worker-class", "sync", "--backlog", "2048"],
        mode_env,
    )
    front = None
    publisher = None
    rows = []
    try:
        wait_until_listening(port, timeout=60, message=lambda: run.processes.log(name))
        target_port = port
        if mode == "edge":
            from tests.production_front import Nginx

            front = Nginx(run.tmp / "nginx", port, run.tmp / "static")
            front.start()
            target_port = front.port
        for _name, path, _target in rows_in_mode:
            warm(target_port, path)
        if mode == "published":
            run.helper(env, "_drafts")
            publisher = run.processes.start(
                "publisher", [sys.executable, "-c", PUBLISHER, str(args.publish_every)], env
            )
        baseline = []
        for row_name, path, target in [("trivial view (baseline)", "/bench/trivial/", None)] + [
            (n, p, t) for n, p, t in rows_in_mode
        ]:
            script = (
                miss_script(path)
                if mode == "miss" and row_name != "trivial view (baseline)"
                else ""
            )
            result = wrk(args, target_port, path, script)
            result.update(page=row_name, mode=mode, target=target, path=path)
            if row_name.startswith("trivial"):
                baseline.append(result["rps"])
            rows.append(result)
            print(f"  {mode:9} {row_name:36} {result['rps']:8.1f} req/s", flush=True)
        after = wrk(args, target_port, "/bench/trivial/")
        baseline.append(after["rps"])
        base = sum(baseline) / len(baseline)
        rows[0]["rps_after"] = after["rps"]
        for row in rows:
            row["ratio"] = row["rps"] / base if base else 0.0
        if publisher is not None:
            run.processes.stop(publisher)
            published = run.processes.log("publisher").count("published ")
            for row in rows:
                row["published"] = published
        if mode == "miss":
            # The callback form, posted by wrk, with the worker delivering the staff mails.
            before = callback_rows(args)
            posted = wrk(args, port, "/callback/", callback_script(port))
            posted.update(
                page="callback POST (real worker)", mode=mode, target=CALLBACK_TARGET, path=""
            )
            posted["ratio"] = posted["rps"] / base if base else 0.0
            posted["stored"] = callback_rows(args) - before
            rows.append(posted)
            print(
                f"  callback POST {posted['rps']:8.1f} req/s, {posted['stored']} stored", flush=True
            )
    finally:
        if publisher is not None:
            run.processes.stop(publisher)
        if front is not None:
            front.stop()
        run.processes.stop(gunicorn)
    return rows


def callback_rows(args) -> int:
    with psycopg.connect(f"{args.postgres}/{args.database}") as connection:
        return connection.execute("SELECT count(*) FROM hotline_callbackrequest").fetchone()[0]


def notifications(args) -> dict:
    with psycopg.connect(f"{args.postgres}/{args.database}") as connection:
        rows = connection.execute(
            "SELECT status, count(*) FROM hotline_notification WHERE kind = 'new_callback' "
            "GROUP BY status"
        ).fetchall()
    return dict(rows)


def verdicts(rows: list[dict], csv: dict | None) -> list[str]:
    """Each row with a target: met or missed; the searches that must not be slower than a
    common word; the CSV export's rows/s."""
    missed = []
    for row in rows:
        target = row.get("target")
        if target is not None:
            row["met"] = row["ratio"] >= target and not row["errors"]
            if not row["met"]:
                missed.append(f"{row['mode']}: {row['page']} {row['ratio']:.3f} < {target}")
    common = next((r for r in rows if r["page"] == "search, common word (first time)"), None)
    for row in rows:
        if common and row["page"] in NOT_SLOWER_THAN_COMMON and row["rps"] < common["rps"]:
            row["met"] = False
            missed.append(f"{row['page']}: slower than a common word")
    if csv is not None and csv["rows_per_second"] < 100_000:
        missed.append(f"CSV export: {csv['rows_per_second']:.0f} rows/s < 100,000")
    return missed


def report(args, rows, queries_small, queries_large, mails, started, csv, load) -> str:
    lines = [
        f"# Pages benchmark, {datetime.datetime.now():%Y-%m-%d %H:%M}",
        "",
        f"{args.incidents} incidents on PostgreSQL; gunicorn {args.workers} sync workers; "
        f"wrk {args.threads} threads, {args.connections} connections, {args.duration} s per "
        f"row; {os.cpu_count()} CPUs shared by everything; load average before/after: "
        f"{' / '.join(load)}. "
        "Ratio: requests/s over the trivial view's through the same front in the same mode "
        "(mean of before and after). Modes: edge = nginx micro-cache + Django's page cache; "
        "cached = gunicorn, Django's page cache (hits); published = the same while an "
        f"incident is published every {args.publish_every} s; miss = the caches on, every "
        "request a new address (a page-cache miss); cold = every cache off.",
        "",
        "| mode | page | req/s | p50 ms | p99 ms | errors | ratio | target | met | queries "
        f"1k | queries {args.incidents // 1000}k |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    missed = verdicts(rows, csv)
    for row in rows:
        name = row["page"]
        target = row.get("target")
        met = "" if "met" not in row else ("yes" if row["met"] else "**no**")
        extra = ""
        if name.startswith("CSV") and row.get("csv_rows"):
            extra = f" ({row['rps'] * row['csv_rows']:.0f} rows/s)"
        queries = row["mode"] == "miss"
        lines.append(
            f"| {row['mode']} | {name}{extra} | {row['rps']:.1f} | {row['p50']:.1f} | "
            f"{row['p99']:.1f} | {row['errors']} | {row['ratio']:.3f} | "
            f"{'' if target is None else target} | {met} | "
            f"{queries_small.get(name, '') if queries else ''} | "
            f"{queries_large.get(name, '') if queries else ''} |"
        )
    posted = sum(r.get("stored", 0) for r in rows)
    published = max((r.get("published", 0) for r in rows), default=0)
    lines += [
        "",
        f"Incidents published during the 'published' rows: {published}.",
        f"Callback POSTs stored: {posted}; their staff notifications: {mails}.",
    ]
    if csv is not None:
        lines.append(
            f"CSV export of every listed incident ({csv['rows']} rows): "
            f"{csv['rows_per_second']:.0f} rows/s; PostgreSQL's own COPY of the same columns: "
            f"{csv['copy_rows_per_second']:.0f} rows/s (ratio {csv['ratio_to_copy']:.2f})."
        )
    lines += ["", "Targets missed: " + ("none" if not missed else "")]
    lines += [f"- {line}" for line in missed]
    lines.append(f"\nWhole run: {time.monotonic() - started:.0f} s.")
    return "\n".join(lines)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "command",
        nargs="?",
        default="run",
        choices=["run", "_generate", "_targets", "_queries", "_explain", "_drafts", "_csv"],
    )
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="imi_bench_pages")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/12")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=2, help="Celery worker processes")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--paths", default="{}")
    parser.add_argument("--smtp-port", type=int, default=0)
    parser.add_argument("--publish-every", type=float, default=2.0)
    parser.add_argument("--modes", default=",".join(MODES), help="a comma-separated subset")
    return parser.parse_args()


def main():
    args = parse_args()
    if args.command == "_generate":
        generate(args.incidents, args.seed)
        return
    if args.command == "_csv":
        print(json.dumps(csv_figures()))
        return
    if args.command == "_drafts":
        make_drafts(200)
        return
    if args.command == "_targets":
        print(json.dumps(targets()))
        return
    if args.command == "_explain":
        print(explain())
        return
    if args.command == "_queries":
        print(json.dumps(count_queries(json.loads(args.paths))))
        return
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")
    started = time.monotonic()
    from tests.hotline.worker_support import SmtpSink

    sink = SmtpSink()
    sink.__enter__()
    args.smtp_port = sink.port
    run = Run(args)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    try:
        redis.Redis.from_url(args.redis).flushdb()
        for name in (f"{args.database}_small", args.database):
            with (
                contextlib.suppress(psycopg.Error),
                psycopg.connect(f"{args.postgres}/{name}") as db,
            ):
                # This run's callbacks and mails only: the archive is re-used, they are not.
                db.execute("TRUNCATE hotline_callbackrequest, hotline_notification CASCADE")
        small_db = f"{args.database}_small"
        for name, size in [(small_db, args.small), (args.database, args.incidents)]:
            ensure_database(args, name)
            env = run.env(name)
            print(f"{name}: migrate, then {size} incidents", flush=True)
            run.manage(env, "migrate", "--noinput", "-v0")
            subprocess.run(
                [sys.executable, __file__, "_generate", "--incidents", str(size)],
                cwd=BASE_DIR,
                env=env,
                check=True,
            )
        env = run.env(args.database)
        run.manage(env, "collectstatic", "--noinput", "-v0")
        values = json.loads(run.helper(env, "_targets"))
        uncached = [(n, p) for n, p, mode, _t in PAGES if mode == "miss"]
        paths = {name: path.format(**values) for name, path in uncached}
        print("counting queries per page", flush=True)
        queries_large = json.loads(run.helper(env, "_queries", "--paths", json.dumps(paths)))
        small_env = run.env(small_db)
        small_values = json.loads(run.helper(small_env, "_targets"))
        small_paths = {name: path.format(**small_values) for name, path in uncached}
        queries_small = json.loads(
            run.helper(small_env, "_queries", "--paths", json.dumps(small_paths))
        )
        worker = run.processes.start(
            "celery", celery_worker(args.concurrency, loglevel="WARNING"), env
        )
        rows = []
        load = [f"{os.getloadavg()[0]:.2f}"]
        chosen = [m for m in args.modes.split(",") if m in MODES]
        for mode in chosen:
            print(f"load, {mode}", flush=True)
            in_mode = [(n, p.format(**values), t) for n, p, m, t in PAGES if m == mode]
            rows += measure_mode(args, run, env, in_mode, mode)
        load.append(f"{os.getloadavg()[0]:.2f}")
        csv_rows = export_rows(args, paths)
        for row in rows:
            if row["page"].startswith("CSV"):
                row["csv_rows"] = csv_rows
        csv = export_figures(env, run)
        deadline = time.monotonic() + 300
        stored = sum(r.get("stored", 0) for r in rows)
        while time.monotonic() < deadline and notifications(args).get("sent", 0) < stored:
            time.sleep(1)
        mails = {**notifications(args), "mails at the SMTP sink": len(sink.handler.mails)}
        run.processes.stop(worker)
        plans = run.helper(env, "_explain")
        text = report(args, rows, queries_small, queries_large, mails, started, csv, load)
        text += "\n\n## Query plans at this size\n\n" + plans
        RESULTS.mkdir(exist_ok=True)
        out = RESULTS / f"pages-{datetime.datetime.now():%Y%m%d-%H%M%S}.md"
        out.write_text(text + "\n")
        print("\n" + text + f"\n\nwritten to {out.relative_to(BASE_DIR)}; logs in {run.tmp}")
    finally:
        run.processes.stop_all()
        sink.__exit__(None, None, None)


def export_figures(env, run) -> dict:
    """The CSV export of every listed incident through Django (its COPY path) against
    PostgreSQL's own COPY of the same statement by psql, in a helper process."""
    return json.loads(run.helper(env, "_csv"))


def csv_figures() -> dict:
    import statistics

    import django

    django.setup()
    from django.test import Client, RequestFactory
    from django.test.utils import setup_test_environment

    from bench.exports import export_throughput, psql_seconds, statements

    setup_test_environment()
    client = Client(HTTP_HOST=HOST, headers={"X-Forwarded-Proto": "https"})
    path = "/incidents/export.csv"
    export_throughput(client, path, secure=True)  # warm
    ours, raw = [], []
    for _ in range(3):
        ours.append(export_throughput(client, path, secure=True))
        sql = statements(path, RequestFactory(HTTP_HOST=HOST).get(path, secure=True))["same"]
        raw.append(psql_seconds(*sql))
    rows = ours[0]["rows"]
    ours_rate = rows / statistics.median(run["seconds"] for run in ours)
    raw_rate = rows / statistics.median(seconds for seconds, _rows in raw)
    return {
        "rows": rows,
        "rows_per_second": ours_rate,
        "copy_rows_per_second": raw_rate,
        "ratio_to_copy": ours_rate / raw_rate,
    }


def export_rows(args, paths) -> int:
    """Rows in the CSV export that was measured: its requests/s times this is rows/s."""
    query = urlsplit(paths["CSV export, region + year"]).query
    year = int(re.search(r"year=(\d+)", query)[1])
    with psycopg.connect(f"{args.postgres}/{args.database}") as db:
        return db.execute(
            "SELECT count(*) FROM incidents_incident i JOIN incidents_region r ON r.id = "
            "i.region_id WHERE i.listed_uk AND i.status = 'published' AND r.slug = 'kyiv' "
            "AND i.occurred_on >= %s AND i.occurred_until < %s",
            [datetime.date(year, 1, 1), datetime.date(year + 1, 1, 1)],
        ).fetchone()[0]


if __name__ == "__main__":
    main()
