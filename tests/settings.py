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
