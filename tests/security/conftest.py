"""The hostile-input suite: what every test here shares.

Fuzzing posts the hotline forms hundreds of times from one address, so the rate limits are
raised out of the way (the limits themselves are tested in tests/hotline). Evidence goes to a
temporary directory, and queueing a notification is recorded instead of reaching a broker.
"""

import importlib

import pytest
from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group

from tests.hotline.conftest import record_queued
from tests.hotline.factories import UserFactory

UNLIMITED = "100000/h"


@pytest.fixture(autouse=True)
def _hostile_settings(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private_media"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.NOTIFY_WEBHOOK_URL = ""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    for name in (
        "RATE_LIMIT_CALLBACK",
        "RATE_LIMIT_COMPLAINT",
        "RATE_LIMIT_TRACK",
        "RATE_LIMIT_TRACK_FAILURES",
        "RATE_LIMIT_TRACK_PREFIX",
        "RATE_LIMIT_TRACK_OLD",
    ):
        setattr(settings, name, UNLIMITED)
    # DRF reloads its settings when REST_FRAMEWORK changes; the throttle reads them per request.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": UNLIMITED},
    }
    return settings


@pytest.fixture(autouse=True)
def broker(monkeypatch):
    """Notifications are recorded as queued, never sent to Celery or Redis."""
    return record_queued(monkeypatch)


@pytest.fixture
def triage(db):
    """A staff member allowed to open complaints and download their evidence."""
    user = UserFactory(username="triage", is_staff=True)
    user.groups.add(Group.objects.get(name="Triage"))
    return user


@pytest.fixture
def live_reference_data(transactional_db):
    """Regions, categories and staff groups for a live_server test (see tests/browser/conftest)."""
    importlib.import_module("incidents.migrations.0002_seed_categories_and_regions").seed(
        apps, None
    )
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0)
    importlib.import_module("hotline.migrations.0002_permission_groups").assign_groups(apps)
    # The country-wide role for the groups that read items, as on a migrated database.
    importlib.import_module("hotline.migrations.0019_staff_desks").grant_country_wide(apps)
