"""Each incident card's HTML, kept in the page cache per incident, language and version.

A card is the same on every page that lists its incident (the list under any filter, the
home page, a month's report): rendering 20 of them was a third of a list page's miss
(about 10 ms). The key holds the incident's mark (public_cache: the number of its last
write, so an edited or withdrawn story never shows an older card) and the number of the
last change that may show anywhere (a renamed category or region). A search's cards,
which mark the words found, are rendered each time.
"""

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe

from . import public_cache

TEMPLATE = "incidents/includes/incident_card.html"


def prepare(incidents) -> list:
    """The incidents as a list, each unmarked one with `card_html` from the cache or
    rendered now (one round trip for the versions, one for the cards, one to store)."""
    incidents = list(incidents)
    plain = [
        incident
        for incident in incidents
        if not getattr(incident, "title_marked", None) and not getattr(incident, "snippet", None)
    ]
    if not plain or not (settings.PUBLIC_PAGE_CACHE and public_cache.enabled()):
        return incidents
    hard, marks = public_cache.versions_of([incident.pk for incident in plain])
    language = translation.get_language()
    keys = {
        f"card:{language}:{incident.pk}:{marks.get(incident.pk, 0)}:{hard}": incident
        for incident in plain
    }
    cache = public_cache.page_cache()
    found = cache.get_many(list(keys))
    rendered = {}
    for key, incident in keys.items():
        html = found.get(key)
        if html is None:
            html = rendered[key] = render_to_string(TEMPLATE, {"incident": incident})
        incident.card_html = mark_safe(html)  # noqa: S308 -- the card template escaped it
    if rendered:
        cache.set_many(rendered, settings.PUBLIC_PAGE_CACHE_SECONDS)
    return incidents
