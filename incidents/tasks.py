"""Celery tasks: thin wrappers; incidents.services holds the logic."""

from celery import shared_task

from . import services


@shared_task(acks_late=True, soft_time_limit=50, time_limit=60)
def refresh_due_incidents() -> int:
    return services.incidents_refresh_due()


@shared_task(acks_late=True, soft_time_limit=600, time_limit=900)
def rebuild_incident_counts() -> None:
    services.incidents_rebuild()


# An archive of 20,000 items takes minutes; a 500 MB export may take an hour or two. A killed
# worker's run is redelivered (acks_late) and resumes after its last whole batch.
@shared_task(acks_late=True, soft_time_limit=4 * 3600, time_limit=4 * 3600 + 120)
def import_archive_run(run_id: int) -> None:
    from .archive import runs

    runs.import_run_execute(run_id=run_id)
