"""An incident drafted from a complaint has an address that tells nothing (issue 26, item 6):
made from its title like every incident's, never "complaint" or the complaint's number; the
addresses given before are replaced, and the old ones answer 404."""

import importlib
import uuid

import pytest
from django.apps import apps
from django.db import transaction
from django.urls import reverse
from hypothesis import given
from hypothesis import settings as examples
from hypothesis import strategies as st

from hotline.models import Complaint
from hotline.services import publication
from incidents.models import Category, Incident
from incidents.services import incident_publish
from incidents.text import slug_from_title
from tests.incidents.factories import IncidentFactory

from .factories import ComplaintFactory

migration = importlib.import_module("incidents.migrations.0014_addresses_from_titles")

# The words staff name categories with: Ukrainian letters, apostrophes, hyphens, spaces,
# Latin; no digits, so any digit in an address could only have come from elsewhere.
UKRAINIAN = "абвгґдеєжзиіїйклмнопрстуфхцчшщьюяАБВГҐДЕЄЖЗИІЇЙКЛМНОПРСТУФХЦЧШЩЬЮЯ"
category_names = st.text(alphabet=UKRAINIAN + "'ʼ’- abcxyzQW", min_size=1, max_size=80).filter(
    str.strip
)


def verified(**kwargs):
    return ComplaintFactory(status=Complaint.Status.VERIFIED, consent_publish=True, **kwargs)


@pytest.mark.django_db
@examples(max_examples=60, deadline=None)
@given(pk=st.integers(min_value=1, max_value=2**31 - 1), name=category_names)
def test_a_draft_is_addressed_by_its_title_never_by_the_complaint(pk, name):
    with transaction.atomic():  # each example starts from the same database
        beating = Category.objects.get(slug="beating")
        category = Category.objects.create(
            slug=f"generated-{uuid.uuid4().hex[:12]}",
            name_uk=name,
            name_en=name,
            parent_id=beating.parent_id,
        )
        complaint = verified(pk=pk, category=category)

        incident = publication.incident_draft_from_complaint(complaint=complaint)

        assert incident.slug == (slug_from_title(incident.title) or "incident")
        assert "complaint" not in incident.slug
        assert str(pk) not in incident.slug
        assert not any(ch.isdigit() for ch in incident.slug)
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_a_ukrainian_title_is_transliterated_by_the_national_table():
    complaint = verified(pk=9)
    incident = publication.incident_draft_from_complaint(complaint=complaint)
    assert incident.title == "Побиття, напад: Київ"
    assert incident.slug == "pobyttia-napad-kyiv"  # KMU 2010: и → y, я → ia, ї → i


@pytest.mark.django_db
def test_two_drafts_of_the_same_title_get_distinct_addresses():
    first = publication.incident_draft_from_complaint(complaint=verified())
    second = publication.incident_draft_from_complaint(complaint=verified())
    third = publication.incident_draft_from_complaint(complaint=verified())
    assert first.title == second.title == third.title
    assert [first.slug, second.slug, third.slug] == [
        "pobyttia-napad-kyiv",
        "pobyttia-napad-kyiv-2",
        "pobyttia-napad-kyiv-3",
    ]


def _public_everywhere(client) -> str:
    """What the public reads about incidents: sitemap, exports, API, in one text."""
    pages = [
        reverse("sitemap"),
        reverse("incidents:export-csv"),
        reverse("incidents:export-json"),
        reverse("incidents:sdg-csv"),
        "/api/incidents/",
    ]
    text = ""
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        text += b"".join(response).decode() if response.streaming else response.content.decode()
    return text


@pytest.mark.django_db
def test_the_migration_gives_old_complaint_addresses_a_title_and_the_old_one_answers_404(
    client, settings
):
    settings.PUBLIC_PAGE_CACHE = True  # as in production: a cached old page must go too
    # An incident drafted before this change, then written and published.
    old = IncidentFactory(title="Напад на журналістку в Києві", slug="complaint-9-x7k2pq")
    verified(incident=old)
    # Another article already has the address the title makes.
    IncidentFactory(title="Напад на журналістку в Києві", slug="napad-na-zhurnalistku-v-kyievi")
    unrelated = IncidentFactory(title="Обшук у редакції", slug="obshuk-u-redaktsii")
    old_url = old.get_absolute_url()
    assert client.get(old_url).status_code == 200  # and now in the page cache
    assert "complaint-9-x7k2pq" in _public_everywhere(client)

    renamed = migration.rename_complaint_addresses(apps)

    assert renamed == 1
    old.refresh_from_db()
    assert old.slug == "napad-na-zhurnalistku-v-kyievi-2"
    unrelated.refresh_from_db()
    assert unrelated.slug == "obshuk-u-redaktsii"
    assert not Incident.objects.filter(slug__startswith="complaint").exists()
    # No redirect keeps the old word alive: the old address is simply gone.
    assert client.get(old_url).status_code == 404
    page = client.get(old.get_absolute_url())
    assert page.status_code == 200
    assert "Напад на журналістку в Києві" in page.content.decode()
    public = _public_everywhere(client)
    assert "complaint-9" not in public
    assert old.slug in public
    # Run again (a second deploy): nothing left to rename.
    assert migration.rename_complaint_addresses(apps) == 0


@pytest.mark.django_db
def test_a_published_draft_is_served_at_its_title_address(client):
    complaint = verified()
    incident = publication.incident_draft_from_complaint(complaint=complaint)
    incident.lead, incident.body = "Журналіста побили біля суду.", "Що сталося."
    incident.save()
    incident_publish(incident=incident)
    assert client.get(f"/incidents/{incident.slug}/").status_code == 200
    assert client.get(f"/incidents/complaint-{complaint.pk}/").status_code == 404
