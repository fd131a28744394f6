"""Celery tasks: thin wrappers; incidents.services holds the logic."""

from celery import shared_task

from . import services


@shared_task(acks_late=True, soft_time_limit=50, time_limit=60)
def refresh_due_incidents() -> int:
    return services.incidents_refresh_due()


@shared_task(acks_late=True, soft_time_limit=600, time_limit=900)
def rebuild_incident_counts() -> None:
    services.incidents_rebuild()
