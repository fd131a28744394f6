"""Operations that change incidents. Views and admin actions call these."""

from django.db import transaction
from django.utils import timezone

from .models import Incident
from .signals import incident_published


@transaction.atomic
def incident_publish(*, incident: Incident, at=None) -> Incident:
    """Publish now (or at `at`); keeps an earlier publication time when republishing."""
    incident.status = Incident.Status.PUBLISHED
    incident.published_at = at or incident.published_at or timezone.now()
    incident.full_clean()
    incident.save()
    transaction.on_commit(lambda: incident_published.send(sender=Incident, incident=incident))
    return incident


@transaction.atomic
def incident_unpublish(*, incident: Incident) -> Incident:
    """Back to draft: gone from the public pages, feeds and counts."""
    incident.status = Incident.Status.DRAFT
    incident.full_clean()
    incident.save()
    return incident
