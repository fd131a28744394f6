"""Browser tests: one Chromium for the session (tests/conftest.py), a fresh context per test.

The live server runs in a thread of this process against a transactional test database.
Each test ends with a flush, which would also remove the regions and categories that a
migration seeds; the autouse `_reference_data` fixture puts them back.
"""

import importlib
import sqlite3

import pytest
from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.core.management import call_command

from .helpers import DESKTOP, PHONE


@pytest.fixture(autouse=True)
def _reference_data(transactional_db):
    """Regions, categories and staff groups, as their migrations seed them.

    A transactional test ends with a flush that empties every table; depending on the order
    the suite runs in, the seeded rows may be gone when a browser test starts. The seeding
    functions are idempotent, so running them again is safe.
    """
    importlib.import_module("incidents.migrations.0002_seed_categories_and_regions").seed(
        apps, None
    )
    importlib.import_module("incidents.migrations.0013_record_data").seed_sdg(apps)
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0)
    importlib.import_module("hotline.migrations.0002_permission_groups").assign_groups(apps)
    # The country-wide role for the groups that read items, as on a migrated database.
    importlib.import_module("hotline.migrations.0019_staff_desks").grant_country_wide(apps)


# The database as the first `demo` of this worker left it (SQLite only): later tests get a
# copy through SQLite's backup API instead of loading it again (about 5 s a test).
_DEMO_SNAPSHOT: list = []


@pytest.fixture
def demo(_reference_data):
    """The demo record: the Akhmet article in both languages and the fictional incidents.

    Loaded once per worker; on SQLite each later test starts from a copy of the database as
    that load left it (SQLite's backup API, the whole file: the reference rows and their ids
    too), so what a test sees is exactly what `load_demo` writes."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection

    if connection.vendor != "sqlite" or not connection.is_in_memory_db():
        call_command("load_demo", "--no-admin", verbosity=0)
        return
    connection.ensure_connection()
    if _DEMO_SNAPSHOT:
        _DEMO_SNAPSHOT[0].backup(connection.connection)
        ContentType.objects.clear_cache()  # the copy's ids, not those of the last flush
        return
    call_command("load_demo", "--no-admin", verbosity=0)
    snapshot = sqlite3.connect(":memory:", check_same_thread=False)
    connection.connection.backup(snapshot)
    _DEMO_SNAPSHOT.append(snapshot)


def _new_context(browser, viewport, locale):
    context = browser.new_context(viewport=viewport, locale=locale)
    context.set_default_timeout(10_000)
    return context


@pytest.fixture
def phone_page(browser):
    context = _new_context(browser, PHONE, "uk-UA")
    yield context.new_page()
    context.close()


@pytest.fixture
def new_page(browser):
    """A factory: new_page(width, locale) -> a page in its own, fresh context."""
    contexts = []

    def make(width=390, locale="uk-UA"):
        viewport = PHONE if width == 390 else {**DESKTOP, "width": width}
        context = _new_context(browser, viewport, locale)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def signed_in(live_server):
    """signed_in(page, user): the page's browser holds that user's session (no login form:
    the two-step sign-in has browser tests of its own)."""
    from django.conf import settings
    from django.test import Client

    def sign_in(page, user):
        client = Client()
        client.force_login(user)
        page.context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                    "url": live_server.url,
                }
            ]
        )
        return page

    return sign_in
