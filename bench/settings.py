"""Settings for bench/pages.py only: the site's own, plus the trivial baseline view."""

from imi_portal.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
