"""Celery tasks: thin wrappers; hotline.services.outbox and hotline.retention hold the logic."""

from celery import shared_task
from django.conf import settings

from . import retention
from .services import intake, outbox, publication, sources, uploads


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=None,  # the row's attempts counter decides when to give up
    soft_time_limit=settings.NOTIFY_TIMEOUT_SECONDS * 4,
    time_limit=settings.NOTIFY_TIMEOUT_SECONDS * 6,
)
def deliver_notification(self, notification_id: int) -> str:
    outcome, delay = outbox.deliver(notification_id)
    if outcome == outbox.Outcome.RETRY and not self.request.is_eager:
        raise self.retry(countdown=delay)
    return outcome.value


@shared_task(acks_late=True, soft_time_limit=50, time_limit=60)
def sweep_outbox() -> int:
    return len(outbox.sweep())


@shared_task(acks_late=True, soft_time_limit=50, time_limit=60)
def escalate_overdue() -> int:
    return outbox.escalate()


# Under the broker's visibility timeout (CELERY_VISIBILITY_TIMEOUT, 300 s by default), so a
# late-acknowledged run is not handed to a second worker while it still works. Each item is
# its own transaction: what a run leaves undone, the next night's run does.
@shared_task(acks_late=True, soft_time_limit=240, time_limit=270)
def erase_personal_data() -> dict[str, int]:
    return retention.erase_due().counts()


@shared_task(acks_late=True, soft_time_limit=50, time_limit=60)
def sync_published_complaints() -> dict[str, int]:
    return publication.complaint_publication_sync()


@shared_task(acks_late=True, soft_time_limit=50, time_limit=60)
def delete_expired_held_files() -> int:
    return intake.held_files_purge()


@shared_task(acks_late=True, soft_time_limit=50, time_limit=60)
def delete_abandoned_uploads() -> int:
    return uploads.uploads_purge()


# A fetch may take SOURCE_ARCHIVE_DEADLINE (redirects included), then the vault's write.
@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=None,  # the row's attempts counter decides when to give up
    soft_time_limit=settings.SOURCE_ARCHIVE_DEADLINE + 60,
    time_limit=settings.SOURCE_ARCHIVE_DEADLINE + 90,
)
def archive_source(self, archive_id: int) -> str:
    outcome, delay = sources.archive(archive_id)
    if outcome == sources.Outcome.RETRY and not self.request.is_eager:
        raise self.retry(countdown=delay)
    return outcome.value


@shared_task(acks_late=True, soft_time_limit=50, time_limit=60)
def archive_sources() -> int:
    return len(sources.sweep())


@shared_task(acks_late=True, soft_time_limit=300, time_limit=330)
def delete_stray_source_files() -> int:
    return sources.delete_stray_files()
