"""Parts of public pages that are the same for every reader, kept in the page cache: each
incident card per incident, language and version; the list's filter form per language,
chosen values and taxonomy.

Cards.

A card is the same on every page that lists its incident (the list under any filter, the
home page, a month's report): rendering 20 of them was a third of a list page's miss
(about 10 ms). The key holds the incident's mark (public_cache: the number of its last
write, so an edited or withdrawn story never shows an older card) and the number of the
last change that may show anywhere (a renamed category or region). A search's cards,
which mark the words found, are rendered each time.
"""

import datetime
import hashlib
import json

from django.conf import settings
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from . import public_cache, search
from .models import Incident

TEMPLATE = "incidents/includes/incident_card.html"


def per_incident(kind: str, pks: list[int], make, *, scope: str = "") -> dict | None:
    """{pk: what `make` gives for it}, from the cache where the same `kind` and `scope` of
    the incident at its mark (and the last change that may show anywhere) was made before;
    `make(missing pks)` gives {pk: value} for the others, which are stored. None when the
    cache is off (the caller makes everything). Values must be picklable."""
    if not caching():
        return None
    hard, marks = public_cache.versions_of(list(pks))
    keys = {pk: f"{kind}:{scope}:{pk}:{marks.get(pk, 0)}:{hard}" for pk in pks}
    cache = public_cache.page_cache()
    found = cache.get_many(list(keys.values()))
    result = {pk: found[key] for pk, key in keys.items() if key in found}
    missing = [pk for pk in pks if pk not in result]
    if missing:
        made = make(missing)
        cache.set_many(
            {keys[pk]: value for pk, value in made.items()}, settings.PUBLIC_PAGE_CACHE_SECONDS
        )
        result.update(made)
    return result


def cards(incidents) -> list:
    """The incidents as a list, each unmarked one with `card_html` from the cache or
    rendered now (one round trip for the versions, one for the cards, one to store).

    Given a queryset (the list's page, the home page's), only the rows' keys are read when
    the cache is on, and whole incidents (with_card_data) only for the cards not cached:
    reading 20 incidents with their categories was a third of a list's miss. A list of
    incidents already read (a search's, which marks the words found) is used as it is."""
    if isinstance(incidents, QuerySet) and caching():
        light = list(keys_only(incidents))
        model = incidents.model

        def full(pks):
            return {
                incident.pk: incident
                for incident in model.objects.filter(pk__in=pks).with_card_data()
            }

        html = per_incident(
            "card",
            [incident.pk for incident in light],
            lambda missing: {
                pk: render_to_string(TEMPLATE, {"incident": incident})
                for pk, incident in full(missing).items()
            },
            scope=translation.get_language(),
        )
        # (an incident deleted since its row was read has no card, and is left out)
        light = [incident for incident in light if incident.pk in html]
        for incident in light:
            incident.card_html = mark_safe(html[incident.pk])  # noqa: S308 -- escaped by the card
        return light
    incidents = list(incidents)
    plain = [
        incident
        for incident in incidents
        if not getattr(incident, "title_marked", None) and not getattr(incident, "snippet", None)
    ]
    if not plain:
        return incidents
    by_pk = {incident.pk: incident for incident in plain}
    html = per_incident(
        "card",
        list(by_pk),
        lambda missing: {pk: render_to_string(TEMPLATE, {"incident": by_pk[pk]}) for pk in missing},
        scope=translation.get_language(),
    )
    if html is not None:
        for pk, incident in by_pk.items():
            incident.card_html = mark_safe(html[pk])  # noqa: S308 -- the card template escaped it
    return incidents


def search_cards(incidents, terms) -> list:
    """A search's page: each incident's card with the words found marked, kept per
    incident, mark, language and the search's terms (a word asked again, with other filters
    or on another page, is marked and rendered once). With the cache on, only the page's keys
    are read (`keys_only`), and whole incidents (with their text, for the passage shown) for
    the cards not cached; with it off, `incidents` are the whole ones, marked here."""
    if not caching():
        incidents = list(incidents)
        for incident in incidents:
            _mark(incident, terms)
        return incidents
    incidents = list(keys_only(incidents))

    def render(missing):
        found = Incident.objects.filter(pk__in=missing).with_card_data()
        found = found.defer(None).defer(*Incident.HEAVY_FIELDS[2:])
        return {
            incident.pk: render_to_string(TEMPLATE, {"incident": _mark(incident, terms)})
            for incident in found
        }

    scope = json.dumps(
        [translation.get_language(), [(t.typed, t.prefix, t.lemmas) for t in terms]],
        ensure_ascii=False,
    )
    scope = hashlib.sha256(scope.encode()).hexdigest()
    html = per_incident("search-card", [incident.pk for incident in incidents], render, scope=scope)
    incidents = [incident for incident in incidents if incident.pk in html]
    for incident in incidents:
        incident.card_html = mark_safe(html[incident.pk])  # noqa: S308 -- escaped by the card
    return incidents


def _mark(incident, terms):
    incident.title_marked = search.highlight(incident.title, terms)
    incident.snippet = search.snippet([incident.lead, incident.body_html], terms)
    return incident


def keys_only(incidents):
    """A queryset of incidents reduced to their keys (a list is left as it is): what a page
    whose cards are cached reads; loading them still records the page's dependence on them
    (Incident.from_db)."""
    if isinstance(incidents, QuerySet):
        return incidents.select_related(None).prefetch_related(None).only("pk")
    return incidents


def caching() -> bool:
    return bool(settings.PUBLIC_PAGE_CACHE and public_cache.enabled())


FILTER_PANEL = "incidents/includes/filter_panel.html"


def kept(parts: list, make):
    """What `parts` (JSON-able: the language, the data version, what it shows) determine,
    any picklable value: from the cache, or `make()` now and stored. Made each time when the
    cache is off.

    The incidents read while it was made are kept with it, and a page served with it from
    the cache depends on them as if it had read them (public_cache.read): a story withdrawn
    later drops that page at once, not after a stale copy."""
    if not caching():
        return make()
    key = "kept:" + hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()
    cache = public_cache.page_cache()
    found = cache.get(key)
    if isinstance(found, tuple):
        value, shown = found
        for pk in shown:
            public_cache.read(pk)
        return value
    with public_cache.reading() as seen:
        value = make()
    cache.set(key, (value, sorted(seen)), settings.PUBLIC_PAGE_CACHE_SECONDS)
    return value


def html(parts: list, render) -> str:
    """HTML that `parts` determine, kept as `kept` keeps any value (rendered each time when
    the cache is off)."""
    return mark_safe(kept(["html", *parts], render))  # noqa: S308 -- a template rendered it


def filter_panel(filterset, *, action=None, submit_label=None, clear_label=None) -> str:
    """The filter form as HTML (the list's unless told another page's address and
    buttons), from the cache where the same page, language, chosen values, taxonomy (the
    number of the last change that may show anywhere) and year were rendered before (8 of a
    list miss's 27 ms). A form with errors is rendered for this reader alone: its errors
    are marked on the fields."""
    context = {
        "filter": filterset,
        "action": action or reverse("incidents:list"),
        "submit_label": submit_label or gettext("Show incidents"),
        "clear_label": clear_label or gettext("Clear all filters"),
    }
    if filterset.form.errors:
        return mark_safe(render_to_string(FILTER_PANEL, context))  # noqa: S308 -- escaped
    data = filterset.data or {}
    chosen = sorted(
        (name, data.getlist(name) if hasattr(data, "getlist") else [data.get(name)])
        for name in filterset.form.fields
        if data.get(name) not in (None, "")
    )
    hard, _marks = public_cache.versions_of([]) if caching() else (0, {})
    parts = [
        "filter-panel",
        translation.get_language(),
        context["action"],
        hard,
        datetime.date.today().year,
        chosen,
    ]
    return html(parts, lambda: render_to_string(FILTER_PANEL, context))
