"""Settings for the test suite: the project's settings with local defaults.

Only what a test run needs differs here; DATABASE_URL and REDIS_URL pass through, so the same
suite runs on PostgreSQL and Redis when they are set. Production settings are exercised by
the `check --deploy` test, which starts a subprocess with DEBUG off.
"""

import os

os.environ.setdefault("DEBUG", "1")

from imi_portal.settings import *  # noqa: E402,F403

# Fast hashing: tests log users in often; nothing here protects a real password.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Whole-page caching of public pages is off, so a test sees the page it just changed whatever
# way it changed the data; the page cache has tests of its own that turn it on.
PUBLIC_PAGE_CACHE = False

# No test reaches the internet: cited pages are copied only in the tests that serve them
# (tests/hotline/test_source_archive.py turns this on with a local server).
SOURCE_ARCHIVE_AUTO = False

# Under pytest-xdist (make test runs the suite on every CPU) each process has its own Redis
# database, as it has its own test database: the autouse fixture that empties the cache
# between tests must not empty another process's rate limits and lockouts mid-test.
_XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if _XDIST_WORKER and REDIS_URL:  # noqa: F405
    from urllib.parse import urlsplit, urlunsplit

    # Clear of the worker tests' broker (7), the browser journeys' (1) and the benchmarks'
    # (8, 11, 12).
    _FREE_DATABASES = [2, 3, 4, 5, 6, 9, 10, 13, 14, 15]
    _db = _FREE_DATABASES[int(_XDIST_WORKER.removeprefix("gw")) % len(_FREE_DATABASES)]
    _parts = urlsplit(REDIS_URL)  # noqa: F405
    REDIS_URL = urlunsplit(_parts._replace(path=f"/{_db}"))
    CACHES["default"]["LOCATION"] = REDIS_URL  # noqa: F405
    CACHES["pages"]["LOCATION"] = REDIS_URL  # noqa: F405
    if os.environ.get("REDIS_URL") == CELERY_BROKER_URL:  # noqa: F405
        CELERY_BROKER_URL = REDIS_URL
