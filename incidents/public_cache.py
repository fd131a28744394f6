"""Whole public pages in the shared cache, for anonymous visitors, dropped on every change.

Every cached page is stored with the *content version* it was rendered at, a token in the
cache that the incident services replace (`bump_version`) when a write commits: a published,
edited or deleted incident, a category, region or method note changed, a scheduled article
gone live. A page of an older version is never served; it is rendered anew. The version and
the page come back from Redis in one round trip.

What is never cached: anything for a signed-in user (staff preview drafts), a request that
carries a session or pending messages, a response that sets a cookie or used the CSRF token
(a page with a form), anything but a 200. With the cache unreachable (Redis down: the
default cache's fallback is per process and would miss version bumps), pages are rendered
as if there were no cache at all.

Django's `cache_page` keys a page by the Vary'd headers (Cookie, Accept-Language), which
splits it per visitor as soon as a csrftoken cookie exists, and it has no version to drop
all pages at once; hence this small decorator on Django's cache API.
"""

import functools
import hashlib
import logging
import time

from django.conf import settings
from django.core.cache import caches
from django.utils import translation
from django.utils.cache import patch_cache_control, set_response_etag
from django.utils.http import http_date

logger = logging.getLogger(__name__)

VERSION_KEY = "public-pages:version"
SKIP_COOKIES = ("sessionid", "messages")


def page_cache():
    """The cache for pages: settings.CACHES["pages"] (an evicting Redis in production)."""
    return caches["pages"]


def enabled() -> bool:
    return getattr(settings, "PUBLIC_PAGE_CACHE", True) and not getattr(
        page_cache(), "is_down", False
    )


def bump_version() -> None:
    """A new content version: every cached public page is stale from now on.

    The services call it twice: at once (so a reader in the same transaction, a test or a
    shell, never sees an older page) and after commit (so a page rendered by another request
    between the two, from the data before the commit, is dropped too)."""
    try:
        page_cache().set(VERSION_KEY, str(time.time_ns()), None)
    except Exception:  # a cache outage must not fail the write that already committed
        logger.warning("Could not drop the cached public pages", exc_info=True)


def version() -> str:
    cache = page_cache()
    token = cache.get(VERSION_KEY)
    if token is None:
        token = str(time.time_ns())
        if not cache.add(VERSION_KEY, token, None):
            token = cache.get(VERSION_KEY) or token
    return token


def last_modified(token: str) -> str:
    """The content version as an HTTP date: when public content last changed."""
    return http_date(int(token) // 1_000_000_000)


def _cacheable_request(request) -> bool:
    if request.method not in ("GET", "HEAD"):
        return False
    if request.GET.get("q"):
        return False  # searches: endless addresses, each rarely asked twice
    if any(name in request.COOKIES for name in SKIP_COOKIES):
        return False
    user = getattr(request, "user", None)
    return not (user is not None and user.is_authenticated)


def _cacheable_response(request, response) -> bool:
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        and not request.META.get("CSRF_COOKIE_USED")
        and "private" not in response.get("Cache-Control", "")
    )


def _key(request) -> str:
    source = "\n".join([translation.get_language() or "", request.get_full_path()])
    return "public-page:" + hashlib.sha256(source.encode()).hexdigest()


def cached_page(view):
    """Serve the page from the shared cache for anonymous visitors (see the module text)."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not (_cacheable_request(request) and enabled()):
            return view(request, *args, **kwargs)
        cache = page_cache()
        key = _key(request)
        # One round trip: the current version and the page, stored with the version it was
        # rendered at; a page of an older version is rendered anew and replaces it.
        found = cache.get_many([VERSION_KEY, key])
        token = found.get(VERSION_KEY) or version()
        stored = found.get(key)
        if stored is not None and stored[0] == token:
            response = stored[1]
            response["X-Page-Cache"] = "hit"
            return response
        response = view(request, *args, **kwargs)
        if hasattr(response, "render") and callable(response.render):
            response = response.render()
        if _cacheable_response(request, response):
            # One piece: a feed is written in hundreds of small pieces, and gunicorn sends
            # each with its own system call (a cached feed served at a fifth of a list's rate).
            response.content = response.content
            # Validators, so a browser or a feed reader asks again with If-None-Match or
            # If-Modified-Since and gets a 304 (ConditionalGetMiddleware answers those).
            response.setdefault("Last-Modified", last_modified(token))
            set_response_etag(response)
            patch_cache_control(response, no_cache=True)
            cache.set(key, (token, response), settings.PUBLIC_PAGE_CACHE_SECONDS)
            response["X-Page-Cache"] = "miss"
        return response

    return wrapper
