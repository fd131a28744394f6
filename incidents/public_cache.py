"""Whole public pages in the shared cache, for anonymous visitors: dropped where they changed,
refreshed in the background of a busy day.

Every change to public content takes the next number of one counter (`SEQ_KEY`), and the
services say what the change touched (`changed`):

- **an incident** (written, published, withdrawn, deleted, its victims or updates edited):
  the incident is marked with the number. A page is never served when an incident it *read*
  while it was rendered (any `Incident` loaded from the database: its cards, the article,
  its translations, related stories, "also targeted in" links, a feed's items) was marked
  after the page began to render. An unpublished story, a name taken out, a withdrawn
  consent are gone from every page that showed them at once;
- **anything else the pages show** (categories, regions, a method note, a merged person, a
  published monthly report, a rebuild): every page is dropped (`HARD_KEY`);
- and every change, of either kind, makes every page *stale* (`FRESH_KEY`): the counts, the
  first page of the list, the barometer may now differ. A stale page is still served while
  one request renders it anew (stale-while-revalidate: a lock in the cache lets one
  request through, the others get the stale page at once), so a publication on a busy day
  does not empty the site's cache the way one content version did: only what showed the
  changed incident is dropped.

The counter, the marks and the two versions live in the `default` cache (a Redis that never
evicts: a mark that an evicting cache dropped would bring back a page that showed a
withdrawn story); the pages live in the `pages` cache (an evicting Redis in production).
The counter starts from the clock, so a counter lost with its Redis restarts above every
number it gave.

What is never cached: anything for a signed-in user (staff preview drafts), a request that
carries a session or pending messages, a response that sets a cookie or used the CSRF token
(a page with a form), anything but a 200. With either cache unreachable (Redis down: the
fallback is per process and would miss the marks), pages are rendered as if there were no
cache at all. Searches are cached like any page, by their normalised query.

Django's `cache_page` keys a page by the Vary'd headers (Cookie, Accept-Language), which
splits it per visitor as soon as a csrftoken cookie exists, and it has neither marks nor a
way to drop all pages at once; hence this small decorator on Django's cache API.
"""

import contextlib
import contextvars
import functools
import hashlib
import logging
import time
from collections.abc import Iterable
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import caches
from django.utils import translation
from django.utils.cache import patch_cache_control, set_response_etag
from django.utils.http import http_date

logger = logging.getLogger(__name__)

SEQ_KEY = "public-pages:seq"
HARD_KEY = "public-pages:version"
FRESH_KEY = "public-pages:fresh"
MARK_KEY = "public-pages:incident:{}"
LOCK_KEY = "public-pages:render:{}"
SKIP_COOKIES = ("sessionid", "messages")
# How long one request may hold a stale page's re-render before another may try.
LOCK_SECONDS = 30

# The incidents a page read while it was rendered (Incident.from_db adds to it).
_reading: contextvars.ContextVar[set | None] = contextvars.ContextVar("reading", default=None)
# The two versions as a page's render began ({HARD_KEY: n, FRESH_KEY: n}), read with the
# number it began at in one round trip: what its fragments and figures are keyed by.
_begun: contextvars.ContextVar[dict | None] = contextvars.ContextVar("begun", default=None)


def page_cache():
    """The cache for pages: settings.CACHES["pages"] (an evicting Redis in production)."""
    return caches["pages"]


def control_cache():
    """The cache for the counter, the marks and the versions: one that does not evict."""
    return caches["default"]


def enabled() -> bool:
    return (
        getattr(settings, "PUBLIC_PAGE_CACHE", True)
        and not getattr(page_cache(), "is_down", False)
        and not getattr(control_cache(), "is_down", False)
    )


def _next_number() -> int:
    cache = control_cache()
    try:
        return cache.incr(SEQ_KEY)
    except ValueError:  # never set, or lost with its Redis: start above every earlier number
        start = time.time_ns()
        if cache.add(SEQ_KEY, start, None):
            # Lost with it, the versions: pages of before the start are out of date.
            for key in (HARD_KEY, FRESH_KEY):
                cache.set(key, start, None)
        return cache.incr(SEQ_KEY)


def changed(*, incidents: Iterable[int] | None = None) -> None:
    """Record a change to public content (see the module text): `incidents`, the pks of the
    incidents written; None for a change that may show on any page.

    The services call it twice: at once (so a reader in the same transaction, a test or a
    shell, never sees an older page) and after commit (so a page rendered by another request
    between the two, from the data before the commit, is dropped too)."""
    try:
        number = _next_number()
        values = {FRESH_KEY: number}
        if incidents is None:
            values[HARD_KEY] = number
        else:
            values.update({MARK_KEY.format(pk): number for pk in incidents})
        control_cache().set_many(values, None)
    except Exception:  # a cache outage must not fail the write that already committed
        logger.warning("Could not drop the cached public pages", exc_info=True)


def bump_version() -> None:
    """Every cached public page is dropped: a change that may show anywhere."""
    changed(incidents=None)


def _current(key: str, found: dict) -> int:
    value = found.get(key)
    if value is None:  # lost (or never set): everything before now is out of date
        value = _now()
        if not control_cache().add(key, value, None):
            value = control_cache().get(key) or value
    return int(value)


def version() -> str:
    """The number of the last change of any kind: what computed figures are keyed by (as
    the page being rendered began, if one is)."""
    begun = _begun.get()
    if begun is not None:
        return str(begun[FRESH_KEY])
    return str(_current(FRESH_KEY, control_cache().get_many([FRESH_KEY])))


def rendering_version() -> int | None:
    """The number of the last change that may show anywhere, as the page being rendered
    began; None outside a page's rendering (or with the cache off)."""
    begun = _begun.get()
    return None if begun is None else begun[HARD_KEY]


@contextlib.contextmanager
def reading():
    """Collect the incidents loaded from the database in this block (Incident.from_db).
    Inside a page's rendering (a fragment of it) they count for the page too."""
    outer = _reading.get()
    seen: set = set()
    token = _reading.set(seen)
    try:
        yield seen
    finally:
        _reading.reset(token)
        if outer is not None:
            outer.update(seen)


def read(pk) -> None:
    """An incident was loaded: the page being rendered depends on it."""
    seen = _reading.get()
    if seen is not None:
        seen.add(pk)


def _cacheable_request(request) -> bool:
    if request.method not in ("GET", "HEAD"):
        return False
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


def normalised_query(request) -> str:
    """The query string as the page reads it: parameters in order, empty ones left out, the
    search's spaces collapsed. "?q=напад  на&region=" and "?q=напад на" are one page."""
    pairs = []
    for name in sorted(request.GET):
        for value in request.GET.getlist(name):
            value = " ".join(value.split()) if name == "q" else value
            if value != "":
                pairs.append((name, value))
    return urlencode(pairs)


def _key(request, vary: tuple[str, ...]) -> str:
    parts = [translation.get_language() or "", request.path, normalised_query(request)]
    parts += [request.META.get(header, "") for header in vary]
    return "public-page:" + hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _valid(entry) -> str:
    """ "fresh", "stale" or "" (never to be served) for a stored (number, incidents, response):
    the versions and the marks of its incidents come back from the cache in one round trip."""
    number, incidents, _response = entry
    marks = [MARK_KEY.format(pk) for pk in incidents]
    control = control_cache().get_many([HARD_KEY, FRESH_KEY, *marks])
    if number < _current(HARD_KEY, control):
        return ""
    if any(int(control[mark]) > number for mark in marks if mark in control):
        return ""
    return "fresh" if number >= _current(FRESH_KEY, control) else "stale"


def versions_of(incidents: list) -> tuple[int, dict]:
    """(the number of the last change that may show anywhere, {pk: its mark}) for these
    incidents, in one round trip: what a fragment of one incident is keyed by."""
    marks = {MARK_KEY.format(pk): pk for pk in incidents}
    begun = _begun.get()
    if begun is not None and not marks:
        return begun[HARD_KEY], {}
    control = control_cache().get_many([HARD_KEY, *marks])
    found = {marks[key]: int(value) for key, value in control.items() if key in marks}
    hard = begun[HARD_KEY] if begun is not None else _current(HARD_KEY, control)
    return hard, found


def _now() -> int:
    """The number of the last change: a page rendered from now on includes it."""
    cache = control_cache()
    value = cache.get(SEQ_KEY)
    return int(value) if value is not None else _next_number()


def _render(view, request, args, kwargs):
    """The view's response, rendered, with the incidents it read and the number it began at
    (read with the versions its parts are keyed by, in one round trip)."""
    found = control_cache().get_many([SEQ_KEY, HARD_KEY, FRESH_KEY])
    number = int(found[SEQ_KEY]) if SEQ_KEY in found else _next_number()
    token = _begun.set({key: _current(key, found) for key in (HARD_KEY, FRESH_KEY)})
    try:
        with reading() as seen:
            response = view(request, *args, **kwargs)
            if hasattr(response, "render") and callable(response.render):
                response = response.render()
    finally:
        _begun.reset(token)
    return number, seen, response


def _for_the_edge(response) -> None:
    """How long nginx's micro-cache may keep this public page (deploy/nginx: it keeps
    nothing else). Browsers never see the header: nginx does not pass X-Accel-* on."""
    seconds = settings.PUBLIC_PAGE_EDGE_SECONDS
    if seconds > 0:
        response["X-Accel-Expires"] = str(seconds)


def _serve(response, state: str):
    response["X-Page-Cache"] = state
    return response


def cached_page(view=None, *, vary: tuple[str, ...] = ()):
    """Serve the page from the shared cache for anonymous visitors (see the module text).
    `vary`: request headers (META names) that choose between answers, such as HTTP_ACCEPT."""
    if view is None:
        return functools.partial(cached_page, vary=vary)

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not (_cacheable_request(request) and settings.PUBLIC_PAGE_CACHE):
            return view(request, *args, **kwargs)
        if not enabled():  # Redis unreachable: rendered each time, kept only at the edge
            response = view(request, *args, **kwargs)
            if hasattr(response, "render") and callable(response.render):
                response = response.render()
            if _cacheable_response(request, response):
                _for_the_edge(response)
            return response
        cache = page_cache()
        key = _key(request, vary)
        entry = cache.get(key)
        lock = None
        if entry is not None:
            state = _valid(entry)
            if state == "fresh":
                return _serve(entry[2], "hit")
            if state == "stale":
                lock = LOCK_KEY.format(key)
                if not cache.add(lock, 1, LOCK_SECONDS):
                    return _serve(entry[2], "stale")  # another request is rendering it
        try:
            number, seen, response = _render(view, request, args, kwargs)
            if _cacheable_response(request, response):
                # One piece: a feed is written in hundreds of small pieces, and gunicorn
                # sends each with its own system call.
                response.content = response.content
                # Validators, so a browser or a feed reader asks again with If-None-Match or
                # If-Modified-Since and gets a 304 (ConditionalGetMiddleware answers those).
                response.setdefault("Last-Modified", http_date(time.time()))
                set_response_etag(response)
                patch_cache_control(response, no_cache=True)
                _for_the_edge(response)
                cache.set(key, (number, sorted(seen), response), settings.PUBLIC_PAGE_CACHE_SECONDS)
                response["X-Page-Cache"] = "miss"
            return response
        finally:
            if lock is not None:
                cache.delete(lock)

    return wrapper
