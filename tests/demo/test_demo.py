"""The demo data that `make run` loads (the `demo` app): written through the services that
own each state, so what it publishes has passed the publication checks."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from incidents.models import Incident
from tests.hotline.factories import ComplaintFactory

pytestmark = pytest.mark.django_db

AKHMET = "kazakh-journalist-claimed-about-provocation-targeting-tv-channel-she-ran"


def load_demo() -> str:
    out = io.StringIO()
    call_command("load_demo", "--no-admin", stdout=out)
    return out.getvalue()


def test_the_printed_demo_login_follows_the_port(settings):
    """`make run PORT=8011` passes --site: the login printed is where the site is (issue 18)."""
    settings.DEBUG = True
    out = io.StringIO()
    call_command("load_demo", "--site", "http://127.0.0.1:8011", stdout=out)
    assert "Demo admin: http://127.0.0.1:8011/admin/  login admin /" in out.getvalue()


def test_the_demo_publishes_nothing_the_publication_checks_refuse():
    """The demo publishes its articles through incidents.services: the same checks as an
    editor's "Publish" hold the real article when a reporter who asked not to be named has
    the name of its journalist, and nothing of the demo is written."""
    ComplaintFactory(reporter_name="Zhanara Akhmet", anonymous=True)
    with translation.override("en"), pytest.raises(CommandError, match=f"{AKHMET}: Held"):
        load_demo()
    assert not Incident.objects.exists()


def test_each_demo_incident_went_from_draft_to_its_state_through_the_services_once():
    """Written as a draft, then published (at its own time) and, if archived, archived: the
    history shows the owners' steps; listed and searchable like any published article. A
    second run writes nothing, not even `updated_at`."""
    assert "80 created, 0 updated, 0 unchanged" in load_demo()
    steps = {}
    for row in Incident.history.order_by("history_id").values("id", "status"):
        steps.setdefault(row["id"], []).append(row["status"])
    wanted = {
        "draft": ["draft"],
        "published": ["draft", "published"],
        "archived": ["draft", "published", "archived"],
    }
    incidents = list(Incident.objects.all())
    assert {i.status for i in incidents} == set(wanted)
    for incident in incidents:
        assert steps[incident.pk] == wanted[incident.status], incident.slug
        assert (incident.published_at is None) == (incident.status == "draft")
        assert incident.search_document
    akhmet = Incident.objects.get(slug=AKHMET)
    assert akhmet.listed_en and akhmet.published_at.isoformat() == "2019-02-27T20:25:00+00:00"

    before = {i.pk: i.updated_at for i in incidents}
    history = Incident.history.count()
    assert "0 created, 0 updated, 80 unchanged (80 in all)" in load_demo()
    assert {i.pk: i.updated_at for i in Incident.objects.all()} == before
    assert Incident.history.count() == history
