"""Operations that change incidents. Views and admin actions call these."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import Incident


def incident_check_publication(*, incident: Incident) -> None:
    """Run the checks an incident must pass before it may be public.

    They are listed in settings.INCIDENT_PUBLICATION_CHECKS (dotted paths of callables that
    take the incident and raise ValidationError), so other apps add their rules, such as the
    hotline's consent rule, without this app importing them.
    """
    for path in getattr(settings, "INCIDENT_PUBLICATION_CHECKS", []):
        import_string(path)(incident)


@transaction.atomic
def incident_publish(*, incident: Incident, at=None) -> Incident:
    """Publish now (or at `at`); keeps an earlier publication time when republishing.

    Refuses (ValidationError) when a publication check fails. Whoever follows the incident's
    visibility (the hotline's complaint status) reads it from the incident, not from an event:
    a scheduled publication is not public until its time comes.
    """
    incident.status = Incident.Status.PUBLISHED
    incident.published_at = at or incident.published_at or timezone.now()
    incident.full_clean()
    incident_check_publication(incident=incident)
    incident.save()
    return incident


@transaction.atomic
def incident_unpublish(*, incident: Incident) -> Incident:
    """Back to draft: gone from the public pages, feeds and counts."""
    incident.status = Incident.Status.DRAFT
    incident.full_clean()
    incident.save()
    return incident
