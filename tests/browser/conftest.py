"""Browser tests: one Chromium for the session (tests/conftest.py), a fresh context per test.

The live server runs in a thread of this process against a transactional test database.
Each test ends with a flush, which would also remove the regions and categories that a
migration seeds; `serialized_rollback` puts them back before the next test.
"""

import pytest
from django.core.management import call_command

from .helpers import DESKTOP, PHONE


@pytest.fixture
def demo():
    """The demo record: the Akhmet article in both languages and the fictional incidents."""
    call_command("load_demo", "--no-admin", verbosity=0)


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    """Evidence files go to a temporary directory, never into the repository."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private_media"


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
