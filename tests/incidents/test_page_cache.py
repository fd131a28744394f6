"""The public page cache on a busy day: a change drops the pages that read what changed, the
others are refreshed in the background of their next request (stale-while-revalidate), and
nothing withdrawn is ever served again, from any page, whoever is rendering it."""

import datetime
import re

import pytest
from django.core.cache import caches
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from incidents import public_cache, services
from incidents.models import Category, Incident, Region

from .factories import IncidentFactory
from .pages import card_titles, filter_form_html, result_count, url_of


def category(slug):
    return [Category.objects.get(slug=slug)]


def text_of(response) -> str:
    """The page's text without its tags (a search marks the words it found)."""
    return re.sub(r"<[^>]+>", "", response.content.decode())


def page_key(url):
    """The page's key in the cache, as the view builds it (language from the address)."""
    language = "en" if url.startswith("/en/") else "uk"
    with translation.override(language):
        return public_cache._key(RequestFactory().get(url), ())


def someone_is_rendering(client, url):
    """Another request holds the re-render of this page (the lock it takes in the cache)."""
    caches["pages"].set(public_cache.LOCK_KEY.format(page_key(url)), 1, 60)


@pytest.mark.django_db
def test_a_publication_keeps_the_pages_warm_and_the_next_request_refreshes_them(client, page_cache):
    older = IncidentFactory(title="An older story", categories=category("threats"))
    unrelated = IncidentFactory(title="Unrelated story", categories=category("cyberattack"))
    for url in ("/incidents/", url_of(older), url_of(unrelated)):
        assert client.get(url)["X-Page-Cache"] == "miss"
    IncidentFactory(title="Just published", categories=category("threats"))
    # Nothing that was cached read the new story: while one request re-renders a page, the
    # others are answered from the cache at once, not all at the database together.
    for url in ("/incidents/", url_of(older), url_of(unrelated)):
        someone_is_rendering(client, url)
        assert client.get(url)["X-Page-Cache"] == "stale", url
    caches["pages"].clear()  # the renders are done
    listing = client.get("/incidents/")
    assert listing["X-Page-Cache"] == "miss"
    assert card_titles(listing)[0] == "Just published"
    related = client.get(url_of(older)).content.decode()
    assert "Just published" in related


@pytest.mark.django_db
def test_while_one_request_renders_a_stale_page_the_others_get_it_at_once(client, page_cache):
    IncidentFactory(title="First story")
    assert client.get("/incidents/")["X-Page-Cache"] == "miss"
    IncidentFactory(title="Second story")
    someone_is_rendering(client, "/incidents/")
    stale = client.get("/incidents/")
    assert stale["X-Page-Cache"] == "stale"
    assert card_titles(stale) == ["First story"]
    caches["pages"].delete(public_cache.LOCK_KEY.format(page_key("/incidents/")))
    fresh = client.get("/incidents/")
    assert fresh["X-Page-Cache"] == "miss"
    assert card_titles(fresh) == ["Second story", "First story"]
    assert client.get("/incidents/")["X-Page-Cache"] == "hit"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "withdraw",
    [
        lambda incident: services.incident_unpublish(incident=incident),
        lambda incident: services.incident_archive(incident=incident),
        lambda incident: services.incident_delete(incident=incident),
    ],
    ids=["unpublished", "archived", "deleted"],
)
def test_a_withdrawn_story_is_gone_from_every_page_at_once(client, page_cache, withdraw):
    kept = IncidentFactory(title="Kept story", categories=category("threats"))
    gone = IncidentFactory(title="Withdrawn story", categories=category("threats"))
    urls = ["/", "/incidents/", "/incidents/?q=story", url_of(kept), "/incidents/feed/rss/"]
    for url in urls:
        assert "Withdrawn story" in text_of(client.get(url)), url
    withdraw(gone)
    for url in urls:
        # Even while another request is said to be re-rendering the page.
        someone_is_rendering(client, url)
        response = client.get(url)
        assert response.status_code == 200
        assert "Withdrawn story" not in text_of(response), url
        assert response["X-Page-Cache"] != "stale", url


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["", "/en"])
def test_a_months_report_kept_as_a_fragment_drops_a_withdrawn_story_at_once(
    client, page_cache, language
):
    """The monthly report's body is kept per month, language and data version
    (fragments.html). A page built from the kept body (another address of the same month,
    here with a parameter no page reads) still depends on the stories the body shows."""
    day = datetime.date(2023, 5, 10)
    kept = IncidentFactory(title="Kept story", occurred_on=day, language=language[1:] or "uk")
    gone = IncidentFactory(title="Withdrawn story", occurred_on=day, language=kept.language)
    month = f"{language}/stats/2023/5/"
    first = client.get(month)
    assert {"Kept story", "Withdrawn story"} <= set(card_titles(first))
    other_address = f"{month}?from=newsletter"
    second = client.get(other_address)
    assert second["X-Page-Cache"] == "miss"
    assert "Withdrawn story" in card_titles(second)
    services.incident_unpublish(incident=gone)
    for url in (month, other_address):
        someone_is_rendering(client, url)
        response = client.get(url)
        assert response["X-Page-Cache"] == "miss", url
        assert card_titles(response) == ["Kept story"], url


@pytest.mark.django_db
def test_the_totals_kept_in_the_cache_follow_every_publication_and_withdrawal(client, page_cache):
    """The list's and the API's totals are kept per data version (counts.filtered_total):
    every address asks again after a change, whatever it was, and never shows an old one."""
    kyiv = {"region": "kyiv"}
    addresses = [("/incidents/", {}), ("/incidents/", kyiv), ("/en/incidents/", {})]
    first = IncidentFactory(title="First", region=Region.objects.get(slug="kyiv"))
    language = {"/incidents/": "uk", "/en/incidents/": "en"}

    def totals(n):
        shown = [result_count(client.get(path, {**params, "n": n})) for path, params in addresses]
        api = client.get("/api/incidents/", {**kyiv, "n": n}).json()["count"]
        return shown, api

    def expected():
        public = Incident.objects.published()
        return [
            public.filter(
                language=language[path], **{f"{k}__slug": v for k, v in p.items()}
            ).count()
            for path, p in addresses
        ], public.filter(language="uk", region__slug="kyiv").count()

    assert totals(0) == expected() == ([1, 1, 0], 1)
    second = IncidentFactory(title="Second", region=first.region)
    assert totals(1) == expected() == ([2, 2, 0], 2)
    services.incident_unpublish(incident=second)
    services.incident_unpublish(incident=first)
    assert totals(2) == expected() == ([0, 0, 0], 0)


@pytest.mark.django_db
def test_an_edited_name_never_comes_back_from_the_cache(client, page_cache):
    incident = IncidentFactory(title="Attack on Olena Koval")
    other = IncidentFactory(title="Another story")
    for url in ("/incidents/", url_of(incident), url_of(other), "/incidents/?q=Koval"):
        client.get(url)
    incident.title = "Attack on a journalist"
    incident.save()
    services.incidents_refresh(ids=[incident.pk])
    for url in ("/incidents/", url_of(incident), "/incidents/?q=attack"):
        someone_is_rendering(client, url)
        assert "Koval" not in text_of(client.get(url)), url


@pytest.mark.django_db
def test_a_search_asked_again_comes_from_the_cache(client, page_cache):
    IncidentFactory(title="Напад на журналістку у Києві")
    first = client.get("/incidents/", {"q": "напад на"})
    assert first["X-Page-Cache"] == "miss"
    # The same search typed with other spaces, and with an empty filter beside it.
    again = client.get("/incidents/", {"q": "  напад   на ", "region": ""})
    assert again["X-Page-Cache"] == "hit"
    assert card_titles(again) == ["Напад на журналістку у Києві"]
    assert client.get("/en/incidents/", {"q": "напад на"})["X-Page-Cache"] == "miss"


OPERATIONS = st.lists(
    st.tuples(
        st.sampled_from(["publish", "unpublish", "retitle", "delete", "render"]),
        st.integers(min_value=0, max_value=3),
        st.booleans(),  # whether another request is re-rendering the page asked for
    ),
    min_size=1,
    max_size=10,
)


@pytest.mark.django_db
@hypothesis_settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=OPERATIONS)
def test_no_cached_page_shows_a_title_that_is_not_public_now(client, page_cache, operations):
    """Whatever the order of publications, withdrawals, edits, deletions and renders, and
    whoever holds a re-render, a page served from the cache never shows the title of a story
    that is not public now (a withdrawn one, or an edited one's old title)."""
    caches["pages"].clear()
    Incident.objects.all().delete()
    stories = [
        IncidentFactory(title=f"Story {n} version 0", categories=category("threats"))
        for n in range(4)
    ]
    versions = [0] * 4
    urls = ["/", "/incidents/", "/incidents/?q=story", "/incidents/feed/atom/"]
    for operation, index, locked in operations:
        incident = stories[index]
        exists = Incident.objects.filter(pk=incident.pk).exists()
        if operation == "publish" and exists:
            services.incident_publish(incident=incident)
        elif operation == "unpublish" and exists:
            services.incident_unpublish(incident=incident)
        elif operation == "retitle" and exists:
            versions[index] += 1
            incident.title = f"Story {index} version {versions[index]}"
            incident.save()
            services.incidents_refresh(ids=[incident.pk])
        elif operation == "delete" and exists:
            services.incident_delete(incident=incident)
        public = set(
            Incident.objects.public().filter(language="uk").values_list("title", flat=True)
        )
        shown_urls = urls + [url_of(s) for s in stories if s.title in public]
        for url in shown_urls:
            if locked:
                someone_is_rendering(client, url)
            text = text_of(client.get(url))
            for n in range(4):
                for v in range(versions[n] + 1):
                    title = f"Story {n} version {v}"
                    if title not in public:
                        assert title not in text, (url, title, operations)


@pytest.mark.django_db
def test_the_api_answers_from_the_cache_per_accept_header_and_drops_a_withdrawn_story(
    client, page_cache
):
    story = IncidentFactory(title="Story in the API")
    first = client.get("/api/incidents/?lang=uk", HTTP_ACCEPT="application/json")
    assert first["X-Page-Cache"] == "miss" and "Story in the API" in first.content.decode()
    again = client.get("/api/incidents/?lang=uk", HTTP_ACCEPT="application/json")
    assert again["X-Page-Cache"] == "hit" and again.content == first.content
    other = client.get("/api/incidents/?lang=uk", HTTP_ACCEPT="*/*")
    assert other["X-Page-Cache"] == "miss"
    services.incident_unpublish(incident=story)
    someone_is_rendering(client, "/api/incidents/?lang=uk")  # the key differs: no effect
    gone = client.get("/api/incidents/?lang=uk", HTTP_ACCEPT="application/json")
    assert "Story in the API" not in gone.content.decode()


@pytest.mark.django_db
def test_an_api_page_made_of_kept_items_drops_a_withdrawn_story_at_once(client, page_cache):
    """The second address lists the story from its kept item (no incident loaded): it still
    depends on the story, and is never served with it once it is withdrawn, not even stale
    while another request renders it."""
    story = IncidentFactory(title="Kept in the API")
    assert "Kept in the API" in client.get("/api/incidents/?lang=uk").content.decode()
    second = "/api/incidents/?lang=uk&other=1"
    assert "Kept in the API" in client.get(second).content.decode()
    services.incident_unpublish(incident=story)
    # Another request re-renders it (the API's pages are kept per Accept header).
    with translation.override("uk"):
        key = public_cache._key(RequestFactory().get(second), ("HTTP_ACCEPT",))
    assert caches["pages"].get(key) is not None
    caches["pages"].set(public_cache.LOCK_KEY.format(key), 1, 60)
    assert "Kept in the API" not in client.get(second).content.decode()


def card_templates(response) -> int:
    return sum(t.name == "incidents/includes/incident_card.html" for t in response.templates)


@pytest.mark.django_db
def test_a_card_is_rendered_once_and_never_shown_older_than_its_incident(client, page_cache):
    """Each card is kept per incident, language and version: a second list that misses the
    page cache (another filter) renders no card again; an edited title, a renamed
    category show at once."""
    story = IncidentFactory(title="Card story", categories=category("threats"))
    first = client.get("/incidents/", {"region": ""})
    assert card_templates(first) == 1
    with CaptureQueriesContext(connection) as captured:
        other_address = client.get("/incidents/", {"year": str(story.occurred_on.year)})
    assert other_address["X-Page-Cache"] == "miss"
    assert card_templates(other_address) == 0
    # A cached card needs only its incident's key: no category or region is read for it.
    assert not [q for q in captured if "incidents_incident_categories" in q["sql"]]
    assert card_titles(other_address) == ["Card story"]
    assert card_titles(client.get("/en/incidents/", {"languages": "all"})) == ["Card story"]

    story.title = "Card story, corrected"
    story.save()
    services.incidents_refresh(ids=[story.pk])
    assert card_titles(client.get("/incidents/", {"perpetrator": ""})) == ["Card story, corrected"]
    assert card_titles(client.get("/")) == ["Card story, corrected"]

    threats = Category.objects.get(slug="threats")
    threats.name_uk = "Погрози (перейменовано)"
    threats.save()
    services.content_changed()  # as the category admin does
    assert "Погрози (перейменовано)" in text_of(client.get("/incidents/", {"q": ""}))


@pytest.mark.django_db
def test_a_search_card_is_marked_once_per_words_and_never_older_than_its_incident(
    client, page_cache
):
    """A search's cards (the words found marked) are kept per incident and words: the same
    word with another filter marks and renders no card again; another word marks its own;
    an edit shows at once."""
    story = IncidentFactory(
        title="Побиття журналіста у Львові", lead="Журналіста побили біля редакції."
    )
    year = str(story.occurred_on.year)
    first = client.get("/incidents/", {"q": "журналіста"})
    assert card_templates(first) == 1
    assert "<mark>журналіста</mark>" in first.content.decode()
    again = client.get("/incidents/", {"q": "журналіста", "year": year})
    assert again["X-Page-Cache"] == "miss" and card_templates(again) == 0
    assert "<mark>журналіста</mark>" in again.content.decode()
    other_word = client.get("/incidents/", {"q": "Львові"})
    assert card_templates(other_word) == 1
    html = other_word.content.decode()
    assert "<mark>Львові</mark>" in html and "<mark>журналіста</mark>" not in html

    story.title = "Побиття журналіста у Львові: суд"
    story.save()
    services.incidents_refresh(ids=[story.pk])
    edited = client.get("/incidents/", {"q": "журналіста", "region": ""})
    assert "у Львові: суд" in text_of(edited)


def api_titles(response) -> list[str]:
    return [item["title"] for item in response.json()["results"]]


@pytest.mark.django_db
def test_an_api_item_is_serialized_once_and_never_older_than_its_incident(client, page_cache):
    """Each incident's API item is kept per incident and version: another filter that misses
    the page cache reads no victim, source or update again; an edited title, a withdrawn
    story, a renamed category show at once."""
    story = IncidentFactory(title="API story", categories=category("threats"))
    IncidentFactory(title="Other API story", categories=category("threats"))
    first = client.get("/api/incidents/", {"region": ""})
    assert sorted(api_titles(first)) == ["API story", "Other API story"]
    with CaptureQueriesContext(connection) as captured:
        other_address = client.get("/api/incidents/", {"year": str(story.occurred_on.year)})
    assert other_address["X-Page-Cache"] == "miss"
    assert other_address.json()["results"] == first.json()["results"]
    assert not [q for q in captured if "incidents_victim" in q["sql"]]

    story.title = "API story, corrected"
    story.save()
    services.incidents_refresh(ids=[story.pk])
    assert "API story, corrected" in api_titles(client.get("/api/incidents/", {"month": ""}))

    threats = Category.objects.get(slug="threats")
    threats.name_en = "Threats (renamed)"
    threats.save()
    services.content_changed()  # as the category admin does
    items = client.get("/api/incidents/", {"perpetrator": ""}).json()["results"]
    assert {item["categories"][0]["name_en"] for item in items} == {"Threats (renamed)"}

    services.incident_unpublish(incident=story)
    assert api_titles(client.get("/api/incidents/", {"date_from": ""})) == ["Other API story"]


def total_of(response) -> int:
    """The number in "N incidents match" on the statistics page."""
    html = response.content.decode()
    return int(re.search(r'id="stats-total">\D*(\d+)', html).group(1))


def rendered(response, name: str) -> int:
    return sum(t.name == name for t in response.templates)


@pytest.mark.django_db
def test_the_statistics_are_rendered_once_per_filters_language_and_data(client, page_cache):
    """Below its filters the statistics page is the same for every reader of the same
    filters, language and data: another address with the same filters (parameters in
    another order, an unknown one) renders no chart section again and links without the
    unknown parameter; a publication shows at once; Ukrainian and English are kept apart."""
    story = IncidentFactory(categories=category("threats"))
    year = str(story.occurred_on.year)
    body = "incidents/includes/stats_body.html"
    first = client.get(f"/stats/?year={year}&rule=")
    assert rendered(first, body) == 1
    assert total_of(first) == 1
    again = client.get(f"/stats/?utm_source=mail&year={year}")
    assert again["X-Page-Cache"] == "miss"
    assert rendered(again, body) == 0
    assert total_of(again) == 1  # the figures the top says, kept with the body
    below_the_filters = again.content.decode().split('<div class="col-lg-9">', 1)[1]
    assert "utm_source" not in below_the_filters  # the tables' CSV links, the map's
    assert 'href="/incidents/?year=' + year in first.content.decode()
    english = client.get(f"/en/stats/?year={year}")
    assert rendered(english, body) == 1 and "Table" in text_of(english)

    IncidentFactory(categories=category("threats"), occurred_on=story.occurred_on)
    after = client.get(f"/stats/?year={year}&page=2")
    assert rendered(after, body) == 1
    assert total_of(after) == 2
    table = re.search(
        r'<table class="table table-sm stats-table" id="table-groups">.*?</table>',
        after.content.decode(),
        re.S,
    )
    assert ">2</td>" in table.group(0)


@pytest.mark.django_db
@hypothesis_settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    params=st.fixed_dictionaries(
        {},
        optional={
            "region": st.sampled_from(["kyiv", "kharkiv", "nowhere", ""]),
            "year": st.sampled_from(["2024", "1850", "abc", ""]),
            "group": st.sampled_from(["physical-aggression", "censorship-access", "x"]),
            "q": st.text(alphabet="аб <>\"'&ц", max_size=8),
            "languages": st.sampled_from(["all", "no"]),
        },
    ),
    english=st.booleans(),
)
def test_the_filter_form_from_the_cache_is_the_one_rendered_for_the_request(
    client, settings, params, english
):
    """Whatever was chosen (valid or not, escaped or not), the list's filter form kept in
    the cache is the form the request would have rendered, asked twice with the cache on,
    and once with it off."""
    path = "/en/incidents/" if english else "/incidents/"
    settings.PUBLIC_PAGE_CACHE = False
    expected = filter_form_html(client.get(path, params))
    settings.PUBLIC_PAGE_CACHE = True
    for n in range(2):
        # Another address each time (an unread parameter): the page itself is a miss.
        response = client.get(path, {**params, "n": f"{n}-{id(params)}"})
        assert filter_form_html(response) == expected
