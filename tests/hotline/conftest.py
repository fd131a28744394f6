import importlib
import types

import pytest
from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group

from incidents.models import Category, Region

from .factories import UserFactory


@pytest.fixture(autouse=True)
def _hotline_settings(settings, _private_media):
    """No webhook; the hotline's number as the tests read it. Returns where evidence goes
    (tests/conftest.py's temporary directory)."""
    settings.NOTIFY_WEBHOOK_URL = ""
    settings.HOTLINE_PHONE = "+380504477063"
    return _private_media


@pytest.fixture(autouse=True)
def _steady_ratelimit_clock(monkeypatch):
    """Rate-limit windows are aligned to the clock; a fixed clock keeps a test in one window."""
    import time

    import django_ratelimit.core

    now = int(time.time())
    monkeypatch.setattr(django_ratelimit.core, "time", types.SimpleNamespace(time=lambda: now))


@pytest.fixture
def kyiv(db):
    return Region.objects.get(slug="kyiv")


@pytest.fixture
def beating(db):
    return Category.objects.get(slug="beating")


def _staff_in(group_name, username):
    user = UserFactory(username=username, is_staff=True)
    user.groups.add(Group.objects.get(name=group_name))
    return user


@pytest.fixture
def operator(db):
    return _staff_in("Hotline operators", "operator")


@pytest.fixture
def triage(db):
    return _staff_in("Triage", "triage")


@pytest.fixture
def editor(db):
    return _staff_in("Editors", "editor")


@pytest.fixture
def triage_client(client, triage):
    client.force_login(triage)
    return client


class BrokerStub:
    """Stands in for the broker: records which notifications were queued, or is down."""

    def __init__(self):
        self.queued: list[int] = []
        self.down = False

    def apply_async(self, args=None, kwargs=None, **options):
        from kombu.exceptions import OperationalError

        if self.down:
            raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
        self.queued.append(args[0])


def record_queued(monkeypatch) -> BrokerStub:
    """Queueing a notification is recorded instead of sent to Celery (eager or not)."""
    from hotline.tasks import deliver_notification

    stub = BrokerStub()
    monkeypatch.setattr(deliver_notification, "apply_async", stub.apply_async)
    return stub


@pytest.fixture
def broker(monkeypatch):
    return record_queued(monkeypatch)


@pytest.fixture
def notify_settings(settings):
    """One duty address, nothing else: no webhook, no escalation list, default language."""
    settings.STAFF_NOTIFY_EMAILS = ["duty@example.org"]
    settings.ESCALATION_EMAILS = []
    settings.STAFF_NOTIFY_LANGUAGE = "uk"
    settings.NOTIFY_WEBHOOK_URL = ""
    settings.NOTIFY_WEBHOOK_SECRET = ""
    settings.SITE_URL = "https://portal.example.org"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return settings


@pytest.fixture
def reference_data(transactional_db):
    """Regions, categories and groups as their migrations seed them: a transactional test
    ends with a flush that empties every table, so they may be gone by now."""
    importlib.import_module("incidents.migrations.0002_seed_categories_and_regions").seed(
        apps, None
    )
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0)
    importlib.import_module("hotline.migrations.0002_permission_groups").assign_groups(apps)
    # The country-wide role for the groups that read items, as on a migrated database.
    importlib.import_module("hotline.migrations.0019_staff_desks").grant_country_wide(apps)
