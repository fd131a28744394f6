"""The source archive: a copy of every web page an incident cites, in the evidence vault.

The rows are the truth, the broker only carries wake-ups (as in the outbox): every source
with an address gets a SourceArchive row (`watch`), and a row is due when its `next_try_at`
has come. A fetch (`archive`) claims the row first (the attempt counted and a lease set, in
its own short transaction), fetches outside any transaction (hotline.sources_fetch, with its
guard against server-side request forgery), streams the body encrypted into the vault, and
then records the outcome under the row lock: a new version when the content differs from the
latest copy, only "checked at" when it is the same, the failure and the next try otherwise.
A failed or refused fetch leaves no file behind. The public fact (the day of the copy) is
written by incidents.services.source_archived.

The wake-ups: incidents.services calls `queue_archive` (settings.SOURCE_ADDED_HOOKS) once
a writer of sources commits, and Celery beat runs `sweep` every five minutes, which finds
what a lost wake-up, a retry or a monthly re-check leaves due.
"""

import dataclasses
import datetime
import enum
import hashlib
import html.parser
import logging
import re

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from incidents.models import SourceLink
from incidents.services import source_archived

from .. import sources_fetch
from ..models import SourceArchive, SourceCopy, source_copy_path
from ..vault import cipher
from ..vault.storage import private_storage

logger = logging.getLogger(__name__)

ARCHIVE_TASK = "hotline.tasks.archive_source"
# The body's first bytes kept in memory to take an HTML page's text from.
TEXT_SOURCE_MAX = 4 * 1024 * 1024
TEXT_MAX = 500_000
# A claimed row is left to its worker this long past the fetch's own deadline.
LEASE_MARGIN_SECONDS = 120
# More ids than this from one write (an import): the sweep's work, not the hook's.
HOOK_MAX_INCIDENTS = 200
SWEEP_BATCH = 200


class Outcome(enum.StrEnum):
    ARCHIVED = "archived"  # a new version
    UNCHANGED = "unchanged"  # the same content as the latest copy
    RETRY = "retry"
    FAILED = "failed"
    REFUSED = "refused"
    SKIPPED = "skipped"


def backoff(attempts: int) -> int:
    """Seconds before the next try: doubling from SOURCE_ARCHIVE_RETRY_BASE_SECONDS, capped."""
    delay = settings.SOURCE_ARCHIVE_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return min(delay, settings.SOURCE_ARCHIVE_RETRY_MAX_SECONDS)


def _recheck_at(now):
    return now + datetime.timedelta(days=settings.SOURCE_ARCHIVE_RECHECK_DAYS)


# --- Which sources are watched, and waking the worker --------------------------------------


def watch(*, incidents: list[int] | None = None) -> list[int]:
    """Give every source with an address (of these incidents; None: all) its archive row,
    and start over for one whose address was changed (its earlier copies stay, as the
    versions they are, each naming its address). Returns the ids of the rows now due."""
    now = timezone.now()
    sources = SourceLink.objects.exclude(url="")
    archives = SourceArchive.objects.all()
    if incidents is not None:
        sources = sources.filter(incident_id__in=incidents)
        archives = archives.filter(source__incident_id__in=incidents)
    with transaction.atomic():
        new = list(sources.filter(archive__isnull=True).values_list("pk", "url"))
        SourceArchive.objects.bulk_create(
            [SourceArchive(source_id=pk, url=url, next_try_at=now) for pk, url in new],
            ignore_conflicts=True,
        )
        moved = list(
            archives.select_for_update()
            .exclude(url=F("source__url"))
            .values_list("pk", "source_id", "source__url")
        )
        for pk, source_id, url in moved:
            SourceArchive.objects.filter(pk=pk).update(
                url=url,
                status=SourceArchive.Status.PENDING,
                attempts=0,
                next_try_at=now,
                failure="",
                error="",
                checked_at=None,
                link_dead_since=None,
            )
            source_archived(source_id=source_id, on=None)
        return list(
            archives.filter(next_try_at__lte=now)
            .order_by("next_try_at")
            .values_list("pk", flat=True)[:SWEEP_BATCH]
        )


def queue(archive_ids) -> None:
    """Wake the worker for these rows. Never raises: with the broker down they stay due,
    and the sweep queues them once it is back."""
    task = current_app.tasks[ARCHIVE_TASK]
    for archive_id in archive_ids:
        try:
            task.apply_async(args=[archive_id], retry=False)
        except Exception as error:  # noqa: BLE001 -- any broker failure means "later"
            logger.warning("source archive %s stays due, broker unavailable: %s", archive_id, error)
            return


def queue_archive(*, incidents: list[int]) -> None:
    """The hook incidents.services.sources_written calls after a commit (SOURCE_ADDED_HOOKS):
    watch these incidents' sources and fetch what is due. Off unless SOURCE_ARCHIVE_AUTO."""
    if not settings.SOURCE_ARCHIVE_AUTO:
        return
    if len(incidents) > HOOK_MAX_INCIDENTS:
        return  # a batch import: the sweep, every five minutes, takes them in turn
    try:
        due = watch(incidents=incidents)
    except Exception:  # noqa: BLE001 -- the writer's work is done; the sweep catches up
        logger.exception("source archive: watching incidents %s failed", incidents)
        return
    queue(due)


def sweep() -> list[int]:
    """Watch every source and queue the rows whose time has come (beat, every five minutes)."""
    if not settings.SOURCE_ARCHIVE_AUTO:
        return []
    due = watch()
    queue(due)
    return due


def try_again(*, ids: list[int]) -> int:
    """Staff's "try again now": the rows start a fresh round of attempts and are queued."""
    with transaction.atomic():
        count = SourceArchive.objects.filter(pk__in=ids).update(
            attempts=0,
            next_try_at=timezone.now(),
            status=SourceArchive.Status.PENDING,
        )
        transaction.on_commit(lambda: queue(ids))
    return count


def delete_stray_files(*, older_than: datetime.timedelta = datetime.timedelta(days=1)) -> int:
    """Delete the files under the vault's sources/ that no copy names and that are older than
    `older_than` (a fetch still writing one is minutes old at most): what a worker killed in
    the middle of a body leaves, encrypted under a key that died with it. Daily (beat).
    Returns how many went."""
    cutoff = timezone.now() - older_than
    stray, deleted = [], 0

    def settle():
        nonlocal deleted
        kept = set(SourceCopy.objects.filter(file__in=stray).values_list("file", flat=True))
        for name in stray:
            if name not in kept:
                private_storage.delete(name)
                deleted += 1
        stray.clear()

    for name in _stored_names("sources"):
        if private_storage.get_modified_time(name) < cutoff:
            stray.append(name)
            if len(stray) >= SWEEP_BATCH:
                settle()
    settle()
    if deleted:
        logger.info("source archive: %s stray files deleted", deleted)
    return deleted


def _stored_names(folder: str):
    if not private_storage.exists(folder):
        return
    folders, files = private_storage.listdir(folder)
    for name in files:
        yield f"{folder}/{name}"
    for sub in folders:
        yield from _stored_names(f"{folder}/{sub}")


# --- One fetch --------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Fetched:
    url: str
    status: int
    content_type: str
    size: int
    sha256: str
    name: str  # in the vault
    lock: cipher.Lock
    text: str


def _claim(archive_id: int) -> str | None:
    """Count the attempt and set a lease, committed before anything is fetched, so a fetch
    that kills the worker still uses up its attempts. The address to fetch, or None when
    the row is not due (another worker has it, it was done, or it is gone)."""
    now = timezone.now()
    with transaction.atomic():
        row = (
            SourceArchive.objects.select_for_update()
            .filter(pk=archive_id, next_try_at__lte=now)
            .first()
        )
        if row is None:
            return None
        if row.attempts >= settings.SOURCE_ARCHIVE_MAX_ATTEMPTS:
            _give_up(row, now, row.error or "the worker stopped while fetching, every attempt")
            row.save()
            return None
        row.attempts += 1
        row.tried_at = now
        row.next_try_at = now + datetime.timedelta(
            seconds=settings.SOURCE_ARCHIVE_DEADLINE + LEASE_MARGIN_SECONDS
        )
        row.save(update_fields=["attempts", "tried_at", "next_try_at"])
        return row.url


def archive(archive_id: int) -> tuple[Outcome, int | None]:
    """Fetch one due source and record what came of it. Returns the outcome and, for a
    retry, the delay in seconds. Idempotent: a row not due is skipped."""
    url = _claim(archive_id)
    if url is None:
        return Outcome.SKIPPED, None
    try:
        fetched = _fetch(url)
    except sources_fetch.FetchError as error:
        return _record_failure(archive_id, url, error.kind, error.detail)
    except Exception as error:  # noqa: BLE001 -- recorded and retried, never lost
        logger.exception("source archive %s: storing the copy failed", archive_id)
        return _record_failure(
            archive_id, url, SourceArchive.Failure.ERROR, f"{url}: {type(error).__name__}"
        )
    try:
        return _record_copy(archive_id, url, fetched), None
    except BaseException:
        private_storage.delete(fetched.name)
        raise


def _fetch(url: str) -> Fetched:
    with sources_fetch.open_url(url) as response:
        digest, size, head = hashlib.sha256(), 0, bytearray()

        def body():
            nonlocal size
            for piece in response.chunks():
                digest.update(piece)
                size += len(piece)
                if len(head) < TEXT_SOURCE_MAX:
                    head.extend(piece[: TEXT_SOURCE_MAX - len(head)])
                yield piece

        name, lock = cipher.store_as(private_storage, source_copy_path(None, ""), body())
        content_type = response.content_type
        text = page_text(bytes(head), content_type) if is_html(content_type, bytes(head)) else ""
        return Fetched(
            url=response.url[:2000],
            status=response.status,
            content_type=content_type,
            size=size,
            sha256=digest.hexdigest(),
            name=name,
            lock=lock,
            text=text,
        )


def _record_copy(archive_id: int, url: str, fetched: Fetched) -> Outcome:
    """Keep the fetched file as a new version, or drop it (the same content as the latest
    copy, or a row that is no longer this address's): either way no stray file stays."""
    now = timezone.now()
    with transaction.atomic():
        row = SourceArchive.objects.select_for_update().filter(pk=archive_id).first()
        if row is None or row.url != url:
            # The source was deleted or given another address meanwhile: not its copy.
            outcome, copy = Outcome.SKIPPED, None
        else:
            copy = row.copies.order_by("-version").first()
            if copy and (copy.sha256, copy.size) == (fetched.sha256, fetched.size):
                copy.checked_at = now
                copy.save(update_fields=["checked_at"])
                outcome = Outcome.UNCHANGED
            else:
                copy = SourceCopy.objects.create(
                    archive=row,
                    version=copy.version + 1 if copy else 1,
                    url=fetched.url,
                    fetched_at=now,
                    checked_at=now,
                    status_code=fetched.status,
                    content_type=fetched.content_type,
                    size=fetched.size,
                    sha256=fetched.sha256,
                    file=fetched.name,
                    text=fetched.text,
                    key_id=fetched.lock.key_id,
                    wrapped_key=fetched.lock.wrapped_key,
                )
                outcome = Outcome.ARCHIVED
            row.status = SourceArchive.Status.ARCHIVED
            row.attempts = 0
            row.failure = row.error = ""
            row.checked_at = now
            row.link_dead_since = None
            row.next_try_at = _recheck_at(now)
            row.save()
            source_archived(source_id=row.source_id, on=timezone.localdate(copy.fetched_at))
    if outcome != Outcome.ARCHIVED:
        private_storage.delete(fetched.name)  # referenced by no row
    logger.info("source archive %s: %s", archive_id, outcome)
    return outcome


def _give_up(row: SourceArchive, now, error: str) -> None:
    row.error = error[:500]
    row.attempts = 0
    if row.copies.exists():
        # A copy is held: the page is looked at again at the next re-check.
        row.status, row.next_try_at = SourceArchive.Status.ARCHIVED, _recheck_at(now)
    else:
        row.status, row.next_try_at = SourceArchive.Status.FAILED, None


def _record_failure(archive_id: int, url: str, kind: str, detail: str):
    now = timezone.now()
    with transaction.atomic():
        row = SourceArchive.objects.select_for_update().filter(pk=archive_id).first()
        if row is None or row.url != url:
            return Outcome.SKIPPED, None
        row.failure, row.error = kind, detail[:500]
        has_copy = row.copies.exists()
        if kind in (SourceArchive.Failure.GONE, SourceArchive.Failure.DNS) and has_copy:
            row.link_dead_since = row.link_dead_since or now
        delay = None
        if kind in sources_fetch.PERMANENT:
            row.status, row.next_try_at = SourceArchive.Status.REFUSED, None
            outcome = Outcome.REFUSED
        elif row.attempts >= settings.SOURCE_ARCHIVE_MAX_ATTEMPTS:
            _give_up(row, now, detail)
            outcome = Outcome.FAILED
        else:
            delay = backoff(row.attempts)
            row.next_try_at = now + datetime.timedelta(seconds=delay)
            row.status = (
                SourceArchive.Status.ARCHIVED if has_copy else SourceArchive.Status.RETRYING
            )
            outcome = Outcome.RETRY
        row.save()
    logger.warning("source archive %s: %s (%s)", archive_id, outcome, detail)
    return outcome, delay


# --- The text of an HTML page -----------------------------------------------------------

_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([\w-]+)""", re.IGNORECASE)


def is_html(content_type: str, head: bytes) -> bool:
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind in ("text/html", "application/xhtml+xml"):
        return True
    start = head[:512].lstrip().lower()
    return not kind and (start.startswith(b"<!doctype html") or start.startswith(b"<html"))


class _Text(html.parser.HTMLParser):
    SKIP = {"script", "style", "noscript", "template", "svg", "head"}
    BREAK = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self.skipping = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BREAK:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self.SKIP and self.skipping:
            self.skipping -= 1

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def page_text(body: bytes, content_type: str) -> str:
    """The readable text of an HTML page (its charset from the header or a meta tag)."""
    charset = re.search(r"charset=([\w-]+)", content_type, re.IGNORECASE)
    charset = charset.group(1) if charset else None
    if charset is None and (meta := _CHARSET.search(body[:4096])):
        charset = meta.group(1).decode("ascii")
    try:
        decoded = body.decode(charset or "utf-8", errors="replace")
    except LookupError:
        decoded = body.decode("utf-8", errors="replace")
    parser = _Text()
    parser.feed(decoded)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)[:TEXT_MAX]
