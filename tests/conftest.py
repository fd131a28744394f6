import os
import shutil
from pathlib import Path

import pytest
from django.utils import translation

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Tests that read rows built once for their module (tests/shared_data.py) use the
    database (marked before pytest-django orders the tests by their use of it) and run after
    the module's other tests, which must not see those rows.

    CI runs the suite twice, on SQLite and on PostgreSQL. A test marked `one_database`
    would check the same thing both times (its server keeps a database file of its own, or
    it judges the browser's rendering), so the second run skips it: CI stays under its time."""
    from django.db import connection

    from tests.shared_data import mark_database_use, shared_data_last

    mark_database_use(items)
    yield
    shared_data_last(items)
    if connection.vendor == "sqlite":
        # A test marked `production_database` checks what a migration does to the rows of
        # a database in service (PostgreSQL); the embedded default is migrated forward for
        # every test database anyway, and the round trip cost half a minute a test here.
        skip = pytest.mark.skip(reason="production_database: checked on the PostgreSQL run")
        for item in items:
            if item.get_closest_marker("production_database"):
                item.add_marker(skip)
        return
    skip = pytest.mark.skip(reason="one_database: checked on the embedded default run")
    for item in items:
        if item.get_closest_marker("one_database"):
            item.add_marker(skip)


def pytest_configure(config):
    # The run's id, chosen here so the controller knows the workers' (PYTEST_XDIST_TESTRUNUID).
    if getattr(config.option, "testrunuid", "") is None and not hasattr(config, "workerinput"):
        import uuid

        config.option.testrunuid = uuid.uuid4().hex
        os.environ["PYTEST_XDIST_TESTRUNUID"] = config.option.testrunuid  # without workers too
    # The live server takes one request at a time on SQLite's shared in-memory database.
    from django.test.testcases import LiveServerThread

    from tests.live_server import OneRequestAtATime

    LiveServerThread.server_class = OneRequestAtATime


def pytest_sessionfinish(session):
    """The run's prepared production site (tests/hotline/live_site.prepared), 39 MB, goes
    with the run: removed by the process that started the workers, once they are done."""
    if hasattr(session.config, "workerinput"):
        return
    import tempfile

    run = getattr(session.config.option, "testrunuid", None) or f"pid{os.getpid()}"
    shutil.rmtree(Path(tempfile.gettempdir()) / f"imi-prepared-site-{run}", ignore_errors=True)


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    """Evidence and uploads go to a temporary directory, never into the repository."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private_media"
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.PRIVATE_MEDIA_ROOT


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Every test starts with an empty cache (Redis or local memory), as a new deploy would."""
    from django.core.cache import caches

    for alias in ("default", "pages"):
        caches[alias].clear()
    yield
    for alias in ("default", "pages"):
        caches[alias].clear()


@pytest.fixture(autouse=True)
def _broker_not_known_down():
    """Each test starts without the memory of an earlier test's broker outage."""
    from hotline.services import outbox

    outbox._broker_down_until = 0.0


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright. Missing in CI is a failure, locally a skip."""
    if not (shutil.which(CHROMIUM) or os.path.exists(CHROMIUM)):
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    # Playwright's sync API keeps an event loop in this thread; the ORM calls the tests make
    # between page actions are still plain synchronous calls.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def screenshot_dir():
    path = ARTIFACTS / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(autouse=True)
def _ukrainian():
    """Each test starts in the default language, whatever an earlier request activated in
    its thread (Django's LocaleMiddleware leaves the request's language active). For every
    folder: the browser tests lacked it, and one compared addresses in a leaked language."""
    with translation.override("uk"):
        yield
