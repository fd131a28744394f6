"""Browser tests: one Chromium for the session (tests/conftest.py), a fresh context per test.

The live server runs in a thread of this process against a transactional test database.
Each test ends with a flush, which would also remove the regions and categories that a
migration seeds; the autouse `_reference_data` fixture puts them back.
"""

import importlib

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


@pytest.fixture
def demo():
    """The demo record: the Akhmet article in both languages and the fictional incidents."""
    call_command("load_demo", "--no-admin", verbosity=0)


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
