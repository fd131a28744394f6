"""The archive import's one writer: runs and their items (the report), and the review
queue's decisions. Drafts are written through incidents.services (incident_save_record,
incident_add_source, incident_delete); nothing here publishes.

A run reads its file in batches of BATCH items, each batch one transaction: its drafts,
its report lines and the run's position commit together, so an interrupted run leaves no
half-imported item and resumes after its last whole batch; each item has its own
savepoint, so one refused by the model's rules is reported and the rest are kept."""

import contextlib
import dataclasses
import datetime
import email.utils
import hashlib
import re
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import services
from ..dates import DatePrecision
from ..models import ImportItem, ImportRun, Incident, Region
from ..text import render_markdown
from . import parsers
from .guess import Guesser
from .markdown import html_to_markdown, plain_text
from .matching import Matcher, url_key

BATCH = 100
EARLIEST = datetime.date(1991, 1, 1)
LEAD_LENGTH = 300
Status = ImportItem.Status


def storage_dir() -> Path:
    return Path(settings.PRIVATE_MEDIA_ROOT) / "archive-imports"


def import_file_store(chunks, *, suffix: str) -> tuple[str, str]:
    """An uploaded archive kept for its run (the task reads it, a resume reads it again):
    returns its path under PRIVATE_MEDIA_ROOT and its SHA-256."""
    folder = storage_dir()
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    partial = folder / f"upload-{time.time_ns()}.part"
    with partial.open("wb") as out:
        for chunk in chunks:
            digest.update(chunk)
            out.write(chunk)
    name = f"{digest.hexdigest()}{suffix}"
    partial.replace(folder / name)
    return f"archive-imports/{name}", digest.hexdigest()


def import_url_store(url: str) -> tuple[str, str]:
    """A feed read from its address into the same place (fetch.py's limits apply)."""
    from .fetch import fetch

    folder = storage_dir()
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f"feed-{time.time_ns()}.part"
    try:
        with partial.open("wb") as out:
            fetch(url, out)
        with partial.open("rb") as data:
            sha = parsers.file_sha256(data)
        partial.replace(folder / f"{sha}.xml")
    finally:
        partial.unlink(missing_ok=True)
    return f"archive-imports/{sha}.xml", sha


@transaction.atomic
def import_run_start(
    *,
    format: str,
    source_name: str,
    file: str,
    sha256: str,
    default_region: Region,
    language: str = "",
    csv_mapping: dict | None = None,
    dry_run: bool = False,
    user=None,
) -> tuple[ImportRun, bool]:
    """The run for this file: the unfinished one of the same file read the same way if there
    is one (True: it resumes), else a new one."""
    if not dry_run and sha256:
        unfinished = (
            ImportRun.objects.select_for_update()
            .filter(
                sha256=sha256,
                format=format,
                dry_run=False,
                language=language,
                csv_mapping=csv_mapping or {},
                default_region=default_region,
            )
            .exclude(status=ImportRun.Status.FINISHED)
            .order_by("-pk")
            .first()
        )
        if unfinished is not None:
            return unfinished, True
    run = ImportRun(
        format=format,
        source_name=source_name[:500],
        file=file,
        sha256=sha256,
        language=language,
        csv_mapping=csv_mapping or {},
        default_region=default_region,
        dry_run=dry_run,
        started_by=user,
    )
    run.full_clean()
    run.save()
    return run, False


def import_run_fail(*, run: ImportRun, message: str) -> ImportRun:
    run.status = ImportRun.Status.FAILED
    run.message = "\n".join(filter(None, [run.message, message]))
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "message", "finished_at"])
    return run


@dataclasses.dataclass
class _Context:
    run: ImportRun
    guesser: Guesser
    matcher: Matcher
    known: dict[str, tuple[int, int]]  # key → (run, position) already imported
    today: datetime.date


def import_run_execute(
    *, run_id: int, progress: Callable[[ImportRun], None] | None = None, batch: int = BATCH
) -> ImportRun:
    """Read the run's file from where it stopped to the end (or to an error that stops it)."""
    run = ImportRun.objects.get(pk=run_id)
    if run.status == ImportRun.Status.FINISHED:
        return run
    run.status = ImportRun.Status.RUNNING
    run.started_at = run.started_at or timezone.now()
    run.message = ""
    run.save(update_fields=["status", "started_at", "message"])
    path = Path(settings.PRIVATE_MEDIA_ROOT) / run.file
    try:
        data = path.open("rb")
    except OSError:
        return import_run_fail(run=run, message=_("The archive's file is gone: upload it again."))
    with data:
        data.seek(0, 2)
        run.bytes_total = data.tell()
        data.seek(0)
        encoding = "utf-8-sig"
        if run.format == ImportRun.Format.CSV:
            encoding = parsers.csv_encoding(data)
            if encoding == "cp1251":
                run.message = _("The CSV is not UTF-8: it was read as Windows-1251.")
        # The file's size now: the progress (share read, time left) is shown while it runs.
        run.save(update_fields=["bytes_total", "message"])
        context = _Context(
            run=run,
            guesser=Guesser(run.default_region),
            matcher=Matcher(),
            known=_known_keys(run),
            today=timezone.localdate(),
        )
        pending: list[parsers.Parsed] = []
        clock = time.monotonic()
        try:
            for parsed in parsers.read(
                data, format=run.format, mapping=run.csv_mapping, encoding=encoding
            ):
                if parsed.position <= run.position:
                    continue  # in the report already: an earlier sitting read it
                pending.append(parsed)
                if len(pending) >= batch:
                    clock = _commit(context, pending, data, clock)
                    pending = []
                    if progress:
                        progress(run)
        except parsers.ArchiveError as error:
            _commit(context, pending, data, clock)
            return import_run_fail(run=run, message=str(error))
        _commit(context, pending, data, clock)
    run.status = ImportRun.Status.FINISHED
    run.finished_at = timezone.now()
    run.bytes_done = run.bytes_total
    run.save(update_fields=["status", "finished_at", "bytes_done", "message"])
    if progress:
        progress(run)
    return run


def _known_keys(run: ImportRun) -> dict[str, tuple[int, int]]:
    rows = (
        ImportItem.objects.filter(run__dry_run=False, status__in=[Status.CREATED, Status.DUPLICATE])
        .exclude(key="")
        .values_list("key", "run_id", "position")
    )
    return {key: (run_id, position) for key, run_id, position in rows.iterator()}


def _commit(context: _Context, pending, data, clock: float) -> float:
    run = context.run
    if not pending:
        return clock
    with transaction.atomic():
        rows, created = [], []
        for parsed in pending:
            row = _item(context, parsed)
            rows.append(row)
            if row.incident_id:
                created.append(row.incident_id)
        ImportItem.objects.bulk_create(rows)
        if created:
            services.incidents_refresh(ids=created)
        now = time.monotonic()
        run.position = pending[-1].position
        run.bytes_done = min(data.tell(), run.bytes_total)
        run.seconds += now - clock
        run.save(update_fields=["position", "bytes_done", "seconds", "message"])
    return now


def _item(context: _Context, parsed) -> ImportItem:
    run = context.run
    row = ImportItem(
        run=run, position=parsed.position, key=parsed.key[:500], title=parsed.title[:300]
    )
    if isinstance(parsed, parsers.ItemSkipped):
        row.status, row.message = Status.SKIPPED, parsed.message
        return row
    if isinstance(parsed, parsers.ItemError):
        row.status, row.message = Status.ERROR, parsed.message
        return row
    try:
        record = _record(context, parsed)
    except ValidationError as error:
        row.status, row.message = Status.ERROR, " ".join(error.messages)
        return row
    row.key = record["key"][:500]
    row.occurred_on = record["fields"]["occurred_on"]
    row.language = record["fields"]["language"]
    row.source_url = record["url"]
    row.confidence = record["confidence"]
    if row.key in context.known:
        other_run, other_position = context.known[row.key]
        row.status = Status.SKIPPED
        if other_run == run.pk:
            row.message = _("The same item as item %(position)s of this file.") % {
                "position": other_position
            }
        else:
            row.message = _("Imported already (import #%(run)s, item %(position)s).") % {
                "run": other_run,
                "position": other_position,
            }
        return row
    if _duplicate(context, row, record):
        context.known[row.key] = (run.pk, row.position)
        return row
    if run.dry_run:
        row.status, row.message = Status.CREATED, _("Would be created as a draft.")
    else:
        try:
            with transaction.atomic():
                incident = _save(record)
        except ValidationError as error:
            row.status = Status.ERROR
            row.message = _("Refused by the incident's rules: %(errors)s") % {
                "errors": " ".join(error.messages)
            }
            return row
        row.status, row.incident_id = Status.CREATED, incident.pk
        row.message = _("Created as a draft.")
    context.known[row.key] = (run.pk, row.position)
    context.matcher.remember(
        url=row.source_url,
        title=row.title,
        day=row.occurred_on,
        incident_id=row.incident_id,
        position=row.position,
    )
    return row


def _duplicate(context: _Context, row: ImportItem, record: dict) -> bool:
    found, incident_id = context.matcher.by_url(row.source_url)
    if found:
        row.duplicate_of_id, row.similarity = incident_id, 1.0
        row.message = _("Its address is already a source of an incident.")
    else:
        match = context.matcher.by_title(row.title, row.occurred_on)
        if match is None:
            return False
        incident_id, position, score = match
        row.duplicate_of_id, row.similarity = incident_id, round(score, 3)
        if incident_id is None:
            row.message = _(
                "Title and date as item %(position)s of this file (similarity %(score).2f)."
            ) % {"position": position, "score": score}
        else:
            row.message = _("Title and date close to an incident's (similarity %(score).2f).") % {
                "score": score
            }
    row.status, row.resolution = Status.DUPLICATE, ImportItem.Resolution.OPEN
    record = dict(record)
    record["fields"] = {
        **record["fields"],
        "occurred_on": record["fields"]["occurred_on"].isoformat(),
    }
    row.record = record
    return True


def _save(record: dict) -> Incident:
    fields = dict(record["fields"])
    if isinstance(fields["occurred_on"], str):
        fields["occurred_on"] = datetime.date.fromisoformat(fields["occurred_on"])
    source = {
        "url": record["url"],
        "title": fields["title"][:300],
        "publisher": record["publisher"][:200],
        # The article's day, when the item gave one (a month or a year is no day).
        "published_on": fields["occurred_on"]
        if fields.get("occurred_precision", DatePrecision.DAY) == DatePrecision.DAY
        else None,
    }
    incident, _state = services.incident_save_record(
        slug=services.incident_unique_slug(fields["title"]),
        fields=fields,
        categories=record["categories"],
        sources=[source] if record["url"] or record["publisher"] else [],
        refresh=False,
    )
    return incident


# --- An item's record: its fields judged ----------------------------------------------------


def _problem(message: str):
    return ValidationError(message)


def parse_period(text: str) -> tuple[datetime.date, str] | None:
    """An item's date and how precisely it is known: a cell "2022-03" (or "03.2022") is the
    month, "2022" the year, anything parse_date reads the day."""
    text = (text or "").strip()
    found = re.fullmatch(r"(\d{4})-(\d{1,2})|(\d{1,2})[./](\d{4})", text)
    if found:
        year, month = (found[1], found[2]) if found[1] else (found[4], found[3])
        if 1 <= int(month) <= 12:
            return datetime.date(int(year), int(month), 1), DatePrecision.MONTH
        return None
    if re.fullmatch(r"\d{4}", text):
        return datetime.date(int(text), 1, 1), DatePrecision.YEAR
    day = parse_date(text)
    return None if day is None else (day, DatePrecision.DAY)


def parse_date(text: str) -> datetime.date | None:
    text = (text or "").strip()
    if not text:
        return None
    moment = None
    with contextlib.suppress(ValueError):
        moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment is None:
        try:
            moment = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            moment = None
    if moment is None:
        found = re.fullmatch(r"(\d{1,2})[./](\d{1,2})[./](\d{4})(?:[ T].*)?", text)
        if found:
            day, month, year = map(int, found.groups())
            try:
                return datetime.date(year, month, day)
            except ValueError:
                return None
        return None
    if moment.tzinfo is not None:
        moment = timezone.localtime(moment)
    return moment.date()


_CYRILLIC = re.compile(r"[А-Яа-яІіЇїЄєҐґ]")
_LATIN = re.compile(r"[A-Za-z]")


def language_of(declared: str, text: str) -> str:
    declared = (declared or "").strip().lower()
    if declared[:2] in ("uk", "ua") or declared.startswith("укр"):
        return "uk"
    if declared[:2] == "en" or declared.startswith("англ"):
        return "en"
    sample = text[:2000]
    return "uk" if len(_CYRILLIC.findall(sample)) >= len(_LATIN.findall(sample)) else "en"


def _lead(body: str) -> str:
    for block in body.split("\n\n"):
        if block.lstrip().startswith(("#", "---", "```")):
            continue
        text = plain_text(render_markdown(block))
        if text:
            if len(text) <= LEAD_LENGTH:
                return text
            return text[: LEAD_LENGTH - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return ""


def _record(context: _Context, raw: parsers.RawItem) -> dict:
    """The draft an item would become, or a ValidationError saying why it cannot be one."""
    title = " ".join(raw.title.split())
    if not title:
        raise _problem(_("No title."))
    if len(title) > 300:
        title = title[:299].rsplit(" ", 1)[0] + "…"
    if not raw.date.strip():
        raise _problem(_("No date."))
    period = parse_period(raw.date)
    if period is None:
        raise _problem(_("A date that cannot be read: “%(date)s”.") % {"date": raw.date[:40]})
    day, precision = period
    if day < EARLIEST:
        raise _problem(
            _("The date %(date)s is before %(year)s: a typo?")
            % {"date": day.isoformat(), "year": EARLIEST.year}
        )
    if day > context.today:
        raise _problem(_("The date %(date)s has not come yet.") % {"date": day.isoformat()})
    body = html_to_markdown(raw.body_html)
    if not body:
        raise _problem(
            _("No text left once scripts, frames and styles are removed.")
            if raw.body_html.strip()
            else _("No text.")
        )
    url = raw.url.strip()
    if url and not re.match(r"https?://[^\s/]+", url, re.IGNORECASE):
        url = ""
    url = url[:500]
    language = context.run.language or language_of(raw.language, f"{title} {body}")
    guess = context.guesser.guess(
        terms=raw.terms, region=raw.region, text=f"{title}\n{body[:1000]}"
    )
    key = raw.key.strip() or url
    if not key:
        key = "sha256:" + hashlib.sha256(f"{title}|{day.isoformat()}".encode()).hexdigest()
    host = url_key(url).split("/", 1)[0] if url else ""
    return {
        "key": key,
        "url": url,
        "publisher": host,
        "categories": guess.categories,
        "confidence": guess.confidence,
        "fields": {
            "title": title,
            "lead": _lead(body) or title,
            "body": body,
            "language": language,
            "occurred_on": day,
            "occurred_precision": precision,
            "region_id": guess.region.pk,
        },
    }


# --- The review queue ------------------------------------------------------------------------


class ReviewRefused(Exception):
    pass


@transaction.atomic
def import_item_merge(*, item: ImportItem) -> ImportItem:
    """A duplicate merged: its address becomes a source of the incident it duplicates, and
    no draft is made of it."""
    item = ImportItem.objects.select_for_update().get(pk=item.pk)
    if item.status != Status.DUPLICATE or item.duplicate_of_id is None:
        raise ReviewRefused(_("Only a duplicate of an incident on record can be merged."))
    if item.resolution != ImportItem.Resolution.OPEN:
        raise ReviewRefused(_("Decided already."))
    if item.source_url:
        services.incident_add_source(
            incident=item.duplicate_of,
            url=item.source_url,
            title=item.title,
            publisher=item.record.get("publisher", ""),
            published_on=item.occurred_on,
        )
    item.resolution = ImportItem.Resolution.MERGED
    item.save(update_fields=["resolution"])
    return item


@transaction.atomic
def import_item_dismiss(*, item: ImportItem) -> ImportItem:
    """Not wanted: a duplicate left aside; a draft made by the import deleted, if it is
    still an untouched draft."""
    item = ImportItem.objects.select_for_update().get(pk=item.pk)
    if item.resolution not in ("", ImportItem.Resolution.OPEN):
        raise ReviewRefused(_("Decided already."))
    if item.status == Status.CREATED and item.incident_id:
        incident = item.incident
        if incident.status != Incident.Status.DRAFT:
            raise ReviewRefused(_("Its incident is no longer a draft: it stays."))
        services.incident_delete(incident=incident)
        item.incident = None
    elif item.status not in (Status.CREATED, Status.DUPLICATE):
        raise ReviewRefused(_("Only a draft or a duplicate can be dismissed."))
    item.resolution = ImportItem.Resolution.DISMISSED
    item.save(update_fields=["resolution", "incident"])
    return item


@transaction.atomic
def import_item_keep(*, item: ImportItem) -> ImportItem:
    """A duplicate that is not one after all: made a draft of its own."""
    item = ImportItem.objects.select_for_update().get(pk=item.pk)
    if item.status != Status.DUPLICATE or item.resolution != ImportItem.Resolution.OPEN:
        raise ReviewRefused(_("Only an open duplicate can be kept as a new draft."))
    if item.run.dry_run or not item.record:
        raise ReviewRefused(_("A dry run's item: run the import for real."))
    incident = _save(item.record)
    services.incidents_refresh(ids=[incident.pk])
    item.incident = incident
    item.resolution = ImportItem.Resolution.KEPT
    item.save(update_fields=["resolution", "incident"])
    return item
