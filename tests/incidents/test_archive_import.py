"""Archive import (issue 31): a newsroom's archive becomes draft incidents, reported item by
item; duplicates are reported, never created twice; a rerun creates nothing new; bad input
gets a clear line and leaves nothing half-imported."""

import datetime
import http.server
import threading
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import translation
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from incidents.archive import parsers, runs
from incidents.archive.fetch import FetchError
from incidents.archive.markdown import html_to_markdown
from incidents.archive.matching import title_similarity
from incidents.models import ImportItem, ImportRun, Incident, Region, SourceLink
from incidents.text import render_markdown

from .factories import IncidentFactory

DATA = Path(__file__).resolve().parent.parent / "data" / "archive"
Status = ImportItem.Status


def _import(path, *, dry_run=False, format=None, mapping=None, language="", batch=100):
    path = Path(path)
    with path.open("rb") as data:
        file, sha = runs.import_file_store(
            iter(lambda: data.read(1 << 16), b""), suffix=path.suffix
        )
    if format is None:
        format = "csv" if path.suffix == ".csv" else ("wxr" if path.suffix == ".wxr" else "feed")
    run, _resumed = runs.import_run_start(
        format=format,
        source_name=path.name,
        file=file,
        sha256=sha,
        default_region=Region.objects.get(slug="kyiv"),
        language=language,
        csv_mapping=mapping,
        dry_run=dry_run,
    )
    return runs.import_run_execute(run_id=run.pk, batch=batch)


def _counts(run):
    return {s: run.items.filter(status=s).count() for s in Status.values}


def _by_position(run):
    return {item.position: item for item in run.items.all()}


@pytest.fixture(autouse=True)
def in_english():
    """The report's lines are written in the language of whoever ran the import (Ukrainian
    by default, as test_archive_admin checks); these tests read them in English."""
    with translation.override("en"):
        yield


@pytest.fixture
def small_wxr(tmp_path):
    """The sample's first 60 stories (its duplicates and broken items included) and the
    attachment: 61 items, 52 of them drafts. The 300-item file is read once, below."""
    from tests.data.archive.make_sample import wxr

    path = tmp_path / "small.wxr"
    path.write_text(wxr(60), encoding="utf-8")
    return path


def test_a_wordpress_export_becomes_drafts_with_a_report_line_per_problem(db):
    run = _import(DATA / "newsroom.wxr")
    assert run.status == ImportRun.Status.FINISHED
    items = _by_position(run)
    assert len(items) == 301  # 300 posts and an attachment
    counts = _counts(run)
    assert counts[Status.ERROR] == 5
    assert counts[Status.DUPLICATE] == 2
    assert counts[Status.SKIPPED] == 2  # the attachment, the guid seen twice
    assert counts[Status.CREATED] == 292
    # Nothing the import made is public.
    assert not Incident.objects.exclude(status=Incident.Status.DRAFT).exists()
    assert Incident.objects.count() == 292
    # Positions count every <item> of the file (the attachment is the 7th).
    assert "attachment" in items[7].message
    messages = {
        item.position: item.message for item in items.values() if item.status == Status.ERROR
    }
    assert sorted(messages.values()) == sorted(
        [
            "No title.",
            "No date.",
            "The date 1850-03-01 is before 1991: a typo?",
            "The date 2099-01-01 has not come yet.",
            "No text left once scripts, frames and styles are removed.",
        ]
    )
    duplicates = [i for i in items.values() if i.status == Status.DUPLICATE]
    assert all(d.duplicate_of_id and d.resolution == ImportItem.Resolution.OPEN for d in duplicates)
    assert {round(d.similarity, 1) for d in duplicates} <= {1.0}


def test_a_draft_has_the_item_s_text_source_language_and_guesses(db, small_wxr):
    run = _import(small_wxr)
    item = run.items.filter(status=Status.CREATED, language="en").first()
    incident = item.incident
    assert incident.status == Incident.Status.DRAFT and incident.published_at is None
    assert incident.title == item.title and incident.language == "en"
    assert "**" in incident.body and "<" not in incident.body
    assert "<strong>" in incident.body_html and "<li>" in incident.body_html
    assert incident.lead and len(incident.lead) <= 300
    assert list(incident.sources.values_list("url", flat=True)) == [item.source_url]
    assert incident.categories.exists()
    assert item.confidence == ImportItem.Confidence.HIGH
    uk = run.items.filter(status=Status.CREATED, language="uk").first().incident
    assert uk.region.slug != "abroad" and uk.categories.exists()


def test_rerunning_the_same_file_creates_nothing_new(db, small_wxr):
    first = _import(small_wxr)
    made = Incident.objects.count()
    again = _import(small_wxr)
    assert again.pk != first.pk and again.status == ImportRun.Status.FINISHED
    assert Incident.objects.count() == made
    counts = _counts(again)
    assert counts[Status.CREATED] == 0 and counts[Status.DUPLICATE] == 0
    assert f"Imported already (import #{first.pk}" in again.items.get(position=1).message


def test_an_interrupted_run_resumes_after_its_last_whole_batch(db, small_wxr, monkeypatch):
    real = runs._item
    calls = {"n": 0}

    def dies_at_the_35th(context, parsed):
        calls["n"] += 1
        if calls["n"] == 35:
            raise KeyboardInterrupt
        return real(context, parsed)

    monkeypatch.setattr(runs, "_item", dies_at_the_35th)
    with pytest.raises(KeyboardInterrupt):
        _import(small_wxr, batch=10)
    run = ImportRun.objects.get()
    # The batch in progress left nothing: every draft has its report line.
    assert run.position == 30 and run.items.count() == 30
    assert Incident.objects.count() == run.items.filter(status=Status.CREATED).count()
    monkeypatch.setattr(runs, "_item", real)
    resumed = _import(small_wxr, batch=10)
    assert resumed.pk == run.pk and resumed.status == ImportRun.Status.FINISHED
    assert resumed.items.count() == 61
    assert _counts(resumed)[Status.CREATED] == 52 == Incident.objects.count()


def test_a_dry_run_reports_and_writes_no_incident(db, small_wxr):
    run = _import(small_wxr, dry_run=True)
    counts = _counts(run)
    assert counts[Status.CREATED] == 52 and counts[Status.DUPLICATE] == 2
    assert Incident.objects.count() == 0
    assert run.items.filter(status=Status.CREATED).first().message == "Would be created as a draft."
    # and a real run afterwards is not fooled by it
    assert _counts(_import(small_wxr))[Status.CREATED] == 52


def test_an_address_already_on_record_is_a_duplicate_to_merge(db):
    existing = IncidentFactory(
        title="Something else entirely", occurred_on=datetime.date(2020, 1, 1)
    )
    SourceLink.objects.create(
        incident=existing, url="http://newsroom.example.org/rss/3", publisher="Newsroom"
    )
    run = _import(DATA / "feed.rss")
    item = run.items.get(position=3)
    assert item.status == Status.DUPLICATE and item.duplicate_of == existing
    assert _counts(run)[Status.CREATED] == 19
    runs.import_item_merge(item=item)
    item.refresh_from_db()
    assert item.resolution == ImportItem.Resolution.MERGED
    assert existing.sources.count() == 2  # the feed's address added, no new incident
    assert Incident.objects.filter(title=item.title).count() == 0


def test_review_keep_and_dismiss(db, small_wxr):
    run = _import(small_wxr)
    duplicate = run.items.filter(status=Status.DUPLICATE).first()
    runs.import_item_keep(item=duplicate)
    duplicate.refresh_from_db()
    assert duplicate.resolution == ImportItem.Resolution.KEPT
    assert duplicate.incident.status == Incident.Status.DRAFT
    with pytest.raises(runs.ReviewRefused):
        runs.import_item_merge(item=duplicate)
    created = run.items.filter(status=Status.CREATED).first()
    gone = created.incident_id
    runs.import_item_dismiss(item=created)
    assert not Incident.objects.filter(pk=gone).exists()


def test_feeds_rss_and_atom(db):
    for name in ("feed.rss", "feed.atom"):
        run = _import(DATA / name)
        assert _counts(run)[Status.CREATED] == 20, name
    atom = ImportRun.objects.get(source_name="feed.atom").items.first()
    assert atom.key.startswith("tag:") and atom.source_url.startswith("https://")


def test_csv_with_a_mapping_and_a_windows_1251_csv(db):
    run = _import(
        DATA / "newsroom.csv",
        mapping={"title": "Заголовок", "date": "Дата", "body": "Текст", "url": "Посилання"},
    )
    assert run.status == ImportRun.Status.FINISHED
    counts = _counts(run)
    assert (
        counts[Status.CREATED]
        + counts[Status.DUPLICATE]
        + counts[Status.ERROR]
        + counts[Status.SKIPPED]
        == 200
    )
    assert counts[Status.ERROR] == 5
    cp = _import(DATA / "newsroom-1251.csv")
    assert "Windows-1251" in cp.message
    incident = cp.items.filter(status=Status.CREATED).first().incident
    assert "провадження" in incident.body


def test_a_csv_without_the_columns_says_which_mapping_it_needs(db, tmp_path):
    path = tmp_path / "odd.csv"
    path.write_text("Headline;When\nA;2020-01-01\n", encoding="utf-8")
    run = _import(path)
    assert run.status == ImportRun.Status.FAILED
    assert run.message == "No column for the date: give the mapping (date=column)."
    run = _import(path, mapping={"date": "When"})
    assert run.status == ImportRun.Status.FINISHED
    assert run.items.get().message == "No text."


def test_a_file_that_is_not_xml(db, tmp_path):
    path = tmp_path / "export.wxr"
    path.write_bytes(b"\x89PNG\r\n\x1a\n not xml at all")
    run = _import(path)
    assert run.status == ImportRun.Status.FAILED
    assert run.message.startswith("The file is not XML")
    assert run.items.count() == 0


def test_xml_that_breaks_midway_keeps_the_whole_items_before(db, tmp_path):
    text = (DATA / "feed.rss").read_text()
    cut = text.index("<item>", len(text) // 2)
    path = tmp_path / "broken.rss"
    path.write_text(text[:cut] + "<item><title>Half</tit")
    run = _import(path)
    assert run.status == ImportRun.Status.FAILED and "breaks at line" in run.message
    assert Incident.objects.count() == run.items.filter(status=Status.CREATED).count() > 0


def test_entities_are_refused(db, tmp_path):
    path = tmp_path / "bomb.rss"
    path.write_text(
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;">]>'
        "<rss><channel><item><title>&b;</title></item></channel></rss>"
    )
    run = _import(path)
    assert run.status == ImportRun.Status.FAILED and "entities" in run.message


def test_the_html_cleaning_keeps_what_the_site_renders_and_drops_scripts():
    markdown = html_to_markdown(
        '<p>A <b>bold</b> <a href="https://x.example/a">link</a><script>bad()</script></p>'
        '<iframe src="https://evil.example"></iframe><ol><li>one</li><li>two</li></ol>'
        '<p onclick="x()">*not emphasis* <a href="javascript:alert(1)">js</a></p>'
    )
    html = render_markdown(markdown)
    assert "<strong>bold</strong>" in html and 'href="https://x.example/a"' in html
    assert "<ol>" in html and "bad()" not in markdown and "iframe" not in markdown
    assert "javascript" not in html and "<em>" not in html


@hsettings(max_examples=30, deadline=None)
@given(
    words=st.lists(
        st.sampled_from(
            [
                "журналіста",
                "побили",
                "Києві",
                "оператор",
                "Journalist",
                "beaten",
                "Kyiv",
                "редакція",
            ]
        ),
        min_size=3,
        max_size=7,
    ),
    punctuation=st.sampled_from(["", "!", ".", " — ", "?"]),
    upper=st.booleans(),
)
def test_a_title_retyped_still_matches(words, punctuation, upper):
    title = " ".join(words)
    retyped = " ".join(words).replace("а", "a") + punctuation
    retyped = retyped.upper() if upper else retyped
    assert title_similarity(title, retyped) == 1.0


@hsettings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    title=st.sampled_from(
        ["Журналістку побили у Харкові", "Reporter detained in Odesa", "Погрози редакції «Краю»"]
    ),
    shift=st.integers(min_value=-2, max_value=2),
    far=st.integers(min_value=5, max_value=400),
)
def test_duplicates_by_title_and_date_in_either_alphabet(db, tmp_path, title, shift, far):
    with transaction.atomic():
        sid = transaction.savepoint()
        day = datetime.date(2021, 6, 15)
        IncidentFactory(title=title, occurred_on=day)
        rows = [
            ("key-near", title.upper() + "!", day + datetime.timedelta(days=shift)),
            ("key-far", title, day + datetime.timedelta(days=far)),
        ]
        path = tmp_path / f"t{shift}{far}.csv"
        path.write_text(
            "id,title,date,body\n"
            + "".join(f'{k},"{t}",{d.isoformat()},Text\n' for k, t, d in rows),
            encoding="utf-8",
        )
        run = _import(path)
        items = _by_position(run)
        assert items[1].status == Status.DUPLICATE
        assert items[2].status == Status.CREATED
        transaction.savepoint_rollback(sid)


@hsettings(max_examples=20, deadline=None)
@given(
    day=st.dates(min_value=datetime.date(1800, 1, 1), max_value=datetime.date(2200, 1, 1)),
    style=st.sampled_from(["iso", "dotted", "rfc822", "wp"]),
)
def test_dates_in_every_style_are_read_or_refused_clearly(day, style):
    text = {
        "iso": day.isoformat(),
        "dotted": f"{day.day:02d}.{day.month:02d}.{day.year}",
        "rfc822": f"{day:%a, %d %b} {day.year} 12:00:00 +0000",
        "wp": f"{day.isoformat()} 12:00:00",
    }[style]
    assert runs.parse_date(text) == day


def test_the_command_reports_and_dry_runs(db, capsys):
    call_command("import_archive", str(DATA / "feed.atom"), "--dry-run", "--no-progress")
    out = capsys.readouterr().out
    assert "20 would be created" in out and Incident.objects.count() == 0
    with pytest.raises(CommandError):
        call_command("import_archive", str(DATA / "nope.xml"), "--no-progress")


class _Redirects(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path.startswith("/feed"):
            body = (DATA / "feed.rss").read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_response(302)
        self.send_header("Location", f"/loop{int(self.path.removeprefix('/loop') or 0) + 1}")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def local_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Redirects)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_feed_url_is_read_and_a_redirect_loop_is_refused(db, settings, local_server, capsys):
    settings.ARCHIVE_FETCH_ALLOW_PRIVATE = True
    call_command("import_archive", f"{local_server}/feed.rss", "--no-progress")
    assert Incident.objects.count() == 20
    with pytest.raises(CommandError, match="redirects in a loop"):
        call_command("import_archive", f"{local_server}/loop", "--no-progress")


def test_a_private_address_is_refused_by_default(db, settings, local_server):
    settings.ARCHIVE_FETCH_ALLOW_PRIVATE = False
    with pytest.raises(CommandError, match="private network"):
        call_command("import_archive", f"{local_server}/feed.rss", "--no-progress")
    with pytest.raises(FetchError, match="Only http"):
        runs.import_url_store("file:///etc/passwd")


def test_a_large_export_streams_in_flat_memory(tmp_path):
    """A 12 MB export is parsed with memory growth far below its size (items are dropped
    from the tree once read)."""
    import tracemalloc

    path = tmp_path / "large.wxr"
    from tests.data.archive.make_sample import wxr

    chunk = wxr(400)
    head, _, tail = chunk.partition("<item>")
    items = "<item>" + tail.rsplit("</channel>", 1)[0]
    with path.open("w", encoding="utf-8") as out:
        out.write(head)
        while out.tell() < 12 * 1024 * 1024:
            out.write(items)
        out.write("</channel></rss>\n")
    tracemalloc.start()
    count = 0
    with path.open("rb") as data:
        for _item in parsers.read_xml(data):
            count += 1
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert count > 10_000
    assert peak < 2 * 1024 * 1024, peak


def test_progress_is_known_while_the_run_reads(db, small_wxr):
    seen = []
    path = Path(small_wxr)
    with path.open("rb") as data:
        file, sha = runs.import_file_store(iter(lambda: data.read(1 << 16), b""), suffix=".wxr")
    run, _ = runs.import_run_start(
        format="wxr",
        source_name="s",
        file=file,
        sha256=sha,
        default_region=Region.objects.get(slug="kyiv"),
    )
    runs.import_run_execute(
        run_id=run.pk,
        batch=20,
        progress=lambda r: seen.append(
            ImportRun.objects.values_list("bytes_total", "bytes_done").get(pk=r.pk)
        ),
    )
    total, done = seen[0]
    assert total == path.stat().st_size and 0 < done < total
