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


@pytest.mark.one_database  # its own database file, as `make run` has
def test_make_run_prints_the_login_last_and_the_mail_links_follow_the_port(tmp_path):
    """As `make run PORT=8021` does it (the Makefile's variables, DEBUG, mail printed to the
    console, Celery eager): the demo's mail links say :8021, and the login is the last line,
    not 1,500 lines of mail above the end."""
    import subprocess

    from tests.hotline.live_site import Site
    from tests.hotline.worker_support import free_port
    from tests.test_settings import ROOT

    planned = subprocess.run(
        ["make", "-n", "run", "PORT=8021"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert "load_demo --site http://127.0.0.1:8021" in planned
    database = subprocess.run(  # make's rules as read, with the run target's own variables
        ["make", "-n", "-p", "run", "PORT=8021"], cwd=ROOT, capture_output=True, text=True
    ).stdout
    assert "run: SITE_URL = http://$(HOST):$(PORT)" in database
    site = Site(tmp_path, redis_port=free_port(), smtp_port=free_port())
    site.prepare()  # a migrated database file of its own
    site.env = {
        **{
            k: v
            for k, v in site.env.items()
            if k not in ("REDIS_URL", "CELERY_BROKER_URL", "EMAIL_URL")
        },
        "DEBUG": "1",
        "SITE_URL": "http://127.0.0.1:8021",  # as the Makefile's run target exports it
        "STAFF_NOTIFY_EMAILS": "hotline-duty@localhost",
    }
    output = site.manage("load_demo", "--site", "http://127.0.0.1:8021")
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) > 100  # the demo's mail, printed to the console
    assert lines[-1] == "Demo admin: http://127.0.0.1:8021/admin/  login admin / imi-demo-admin"
    links = [line for line in lines if "http://127.0.0.1:" in line]
    assert links and all("http://127.0.0.1:8021" in line for line in links)
