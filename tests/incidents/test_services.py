import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from incidents.models import Incident
from incidents.services import incident_publish, incident_unpublish

from .factories import IncidentFactory

EARLIER = datetime.datetime(2019, 2, 27, 20, 25, tzinfo=datetime.UTC)


@pytest.mark.django_db
def test_publish_a_draft_now():
    draft = IncidentFactory(draft=True)
    before = timezone.now()
    incident_publish(incident=draft)
    draft.refresh_from_db()
    assert draft.status == Incident.Status.PUBLISHED
    assert before <= draft.published_at <= timezone.now()
    assert list(Incident.objects.published()) == [draft]


@pytest.mark.django_db
def test_publish_at_a_given_time_schedules_it():
    draft = IncidentFactory(draft=True)
    later = timezone.now() + datetime.timedelta(days=1)
    incident_publish(incident=draft, at=later)
    draft.refresh_from_db()
    assert draft.status == Incident.Status.PUBLISHED
    assert draft.published_at == later
    assert not Incident.objects.published().exists()


@pytest.mark.django_db
def test_republish_keeps_the_first_publication_time():
    incident = IncidentFactory(published_at=EARLIER)
    incident_unpublish(incident=incident)
    incident_publish(incident=incident)
    incident.refresh_from_db()
    assert incident.status == Incident.Status.PUBLISHED
    assert incident.published_at == EARLIER


@pytest.mark.django_db
def test_publish_refuses_an_invalid_incident_and_saves_nothing(abroad):
    draft = IncidentFactory(draft=True, region=abroad, country="")
    with pytest.raises(ValidationError):
        incident_publish(incident=draft)
    draft.refresh_from_db()
    assert draft.status == Incident.Status.DRAFT
    assert draft.published_at is None


@pytest.mark.django_db
def test_unpublish_takes_it_off_the_public_record():
    incident = IncidentFactory(published_at=EARLIER)
    incident_unpublish(incident=incident)
    incident.refresh_from_db()
    assert incident.status == Incident.Status.DRAFT
    assert incident.published_at == EARLIER
    assert not Incident.objects.published().exists()


@pytest.mark.django_db
def test_unpublish_an_archived_incident_makes_it_a_draft():
    incident = IncidentFactory(archived=True)
    incident_unpublish(incident=incident)
    incident.refresh_from_db()
    assert incident.status == Incident.Status.DRAFT
