import datetime
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.translation import gettext, override

from incidents.models import Category, Region

from .factories import (
    IncidentFactory,
    SourceLinkFactory,
    TranslationFactory,
    UserFactory,
    VictimFactory,
)
from .pages import card_titles, pagination_labels, parse, result_count, url_of

KYIV = zoneinfo.ZoneInfo("Europe/Kyiv")


def numbered(count, **kwargs):
    """`count` public incidents, newest first in the order created."""
    now = timezone.now()
    return [
        IncidentFactory(
            title=f"Story {n:03d}", published_at=now - datetime.timedelta(minutes=n), **kwargs
        )
        for n in range(count)
    ]


def page_numbers(response):
    return [label for label in pagination_labels(response) if label.isdigit() or label == "…"]


# --- Pagination ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_exactly_one_page_has_no_pagination(client, settings):
    settings.INCIDENTS_PER_PAGE = 3
    numbered(3)
    response = client.get("/incidents/")
    assert result_count(response) == 3
    assert card_titles(response) == ["Story 000", "Story 001", "Story 002"]
    assert parse(response).find("ul", class_="pagination") is None


@pytest.mark.django_db
def test_one_more_than_a_page_makes_two_pages(client, settings):
    settings.INCIDENTS_PER_PAGE = 3
    numbered(4)
    first = client.get("/incidents/")
    assert result_count(first) == 4
    assert card_titles(first) == ["Story 000", "Story 001", "Story 002"]
    assert page_numbers(first) == ["1", "2"]
    assert parse(first).find("a", rel="next").attrs["href"] == "?page=2"
    assert parse(first).find("a", rel="prev") is None

    last = client.get("/incidents/?page=2")
    assert result_count(last) == 4
    assert card_titles(last) == ["Story 003"]
    assert parse(last).find("a", rel="next") is None
    assert parse(last).find("a", rel="prev").attrs["href"] == "?page=1"


@pytest.mark.django_db
def test_pages_together_list_every_incident_once(client, settings):
    settings.INCIDENTS_PER_PAGE = 4
    numbered(10)
    seen = []
    for page in (1, 2, 3):
        seen += card_titles(client.get("/incidents/", {"page": page}))
    assert seen == [f"Story {n:03d}" for n in range(10)]


@pytest.mark.django_db
def test_long_page_ranges_are_elided(client, settings):
    settings.INCIDENTS_PER_PAGE = 2
    numbered(20)  # ten pages
    assert page_numbers(client.get("/incidents/?page=5")) == [
        "1", "…", "4", "5", "6", "…", "10",
    ]  # fmt: skip
    assert page_numbers(client.get("/incidents/?page=1")) == ["1", "2", "…", "10"]
    assert page_numbers(client.get("/incidents/?page=10")) == ["1", "…", "9", "10"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "requested, shown_page, first_title",
    [("abc", 1, "Story 000"), ("999999", 2, "Story 003"), ("0", 2, "Story 003"), ("-1", 2, "Story 003")],
)  # fmt: skip
def test_impossible_page_numbers_show_a_real_page_and_a_note(
    client, settings, requested, shown_page, first_title
):
    settings.INCIDENTS_PER_PAGE = 3
    numbered(4)
    for prefix, language in [("", "uk"), ("/en", "en")]:
        # languages=all: the Ukrainian stories on the English list too.
        response = client.get(f"{prefix}/incidents/", {"page": requested, "languages": "all"})
        assert response.status_code == 200
        assert card_titles(response)[0] == first_title
        with override(language):
            note = gettext("There is no page “%(requested)s”; showing page %(number)s.") % {
                "requested": requested,
                "number": shown_page,
            }
        assert note in parse(response).text


@pytest.mark.django_db
def test_valid_page_shows_no_note(client, settings):
    settings.INCIDENTS_PER_PAGE = 3
    numbered(4)
    page = client.get("/en/incidents/?page=2&languages=all").content.decode()
    assert "There is no page" not in page


@pytest.mark.django_db
def test_page_beyond_an_empty_result_is_not_an_error(client):
    response = client.get("/incidents/", {"page": "7", "region": "crimea"})
    assert response.status_code == 200
    assert result_count(response) == 0


# --- Unpublished incidents ------------------------------------------------------------------


@pytest.fixture(params=["draft", "archived", "scheduled"])
def unpublished(request, db):
    return IncidentFactory(title="Not public yet", **{request.param: True})


@pytest.mark.django_db
def test_unpublished_incident_is_not_found_by_the_public(client, unpublished):
    for language in ("uk", "en"):
        response = client.get(url_of(unpublished, language))
        assert response.status_code == 404
        assert b"Not public yet" not in response.content
    assert "Not public yet" not in card_titles(client.get("/incidents/"))
    assert "Not public yet" not in client.get("/").content.decode()


@pytest.mark.django_db
def test_staff_can_preview_unpublished_incident_with_a_banner(staff_client, unpublished):
    response = staff_client.get(url_of(unpublished, "en"))
    assert response.status_code == 200
    banner = parse(response).find("div", class_="draft-banner")
    assert banner is not None and banner.text.startswith("Preview for staff")
    assert unpublished.get_status_display() in banner.text
    assert parse(response).find("meta", name="robots").attrs["content"] == "noindex"


@pytest.mark.django_db
def test_superuser_can_preview_a_draft(admin_client):
    draft = IncidentFactory(draft=True, title="Draft for the editor")
    response = admin_client.get(url_of(draft))
    assert response.status_code == 200
    assert parse(response).find("h1").text == "Draft for the editor"
    assert parse(response).find("div", class_="draft-banner") is not None


@pytest.mark.django_db
def test_preview_banner_is_absent_on_public_incidents(staff_client):
    incident = IncidentFactory()
    response = staff_client.get(url_of(incident, "en"))
    assert parse(response).find("div", class_="draft-banner") is None
    assert parse(response).find("meta", name="robots") is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    "user_kwargs",
    [
        {"is_staff": True},  # staff without the permission to view incidents
        {"is_staff": False, "permissions": ["incidents.view_incident"]},  # not staff
        {"is_staff": True, "is_active": False, "permissions": ["incidents.view_incident"]},
    ],
)
def test_draft_stays_hidden_from_users_who_may_not_preview(client, user_kwargs):
    draft = IncidentFactory(draft=True)
    client.force_login(UserFactory(**user_kwargs))
    assert client.get(url_of(draft)).status_code == 404


# --- Detail page --------------------------------------------------------------------------


@pytest.fixture
def akhmet(db, beating, threats):
    incident = IncidentFactory(
        title="Напад на журналіста Ахмета",
        slug="akhmet-attack",
        lead="Журналіста побили біля редакції.",
        body="Деталі **нападу**.",
        published_at=datetime.datetime(2019, 2, 27, 22, 25, tzinfo=KYIV),
        occurred_on=datetime.date(2019, 2, 27),
        categories=[beating, threats],
        place="Podil",
        perpetrator_type="private_persons",
    )
    VictimFactory(incident=incident, name="Ahmed Named", outlet="Kyiv Visti", role="editor")
    VictimFactory(incident=incident, name="Secret Person", is_anonymous=True)
    SourceLinkFactory(incident=incident, url="https://imi.org.ua/news/1", title="IMI report")
    SourceLinkFactory(incident=incident, url="https://example.com/untitled", title="")
    return incident


@pytest.mark.django_db
def test_detail_shows_the_facts(client, akhmet):
    response = client.get("/incidents/akhmet-attack/")
    assert response.status_code == 200
    page = parse(response)
    assert page.find("h1").text == "Напад на журналіста Ахмета"
    time = page.find("article").find("time")
    assert time.text == "27.02.2019, 22:25"
    assert time.attrs["datetime"] == "2019-02-27T22:25:00+02:00"
    text = page.text
    assert "27.02.2019" in text  # the date of the incident
    assert "Київ" in text and "Podil" in text
    categories = [a.text for a in page.find("dl").find_all("a", class_="badge-category")]
    assert categories == ["Побиття, напад", "Погрози, залякування"]
    assert "<strong>нападу</strong>" in response.content.decode()


@pytest.mark.django_db
def test_detail_time_is_kyiv_time_in_english_too(client, akhmet):
    response = client.get("/en/incidents/akhmet-attack/")
    assert parse(response).find("article").find("time").text == "27.02.2019, 22:25"
    text = parse(response).text
    assert "Beating, attack" in text and "Threats, intimidation" in text
    assert "Kyiv" in text
    assert "Private persons" in text


@pytest.mark.django_db
@pytest.mark.parametrize("prefix, language", [("", "uk"), ("/en", "en")])
def test_detail_lists_victims_and_withholds_anonymous_names(client, akhmet, prefix, language):
    response = client.get(f"{prefix}/incidents/akhmet-attack/")
    items = [li.text for li in parse(response).find("dl").find_all("li")]
    with override(language):
        withheld = gettext("Name withheld")
    assert items == ["Ahmed Named, editor (Kyiv Visti)", f"{withheld}, journalist (Demo Visti)"]
    assert "Secret Person" not in response.content.decode()


@pytest.mark.django_db
def test_detail_lists_sources(client, akhmet):
    page = parse(client.get("/en/incidents/akhmet-attack/"))
    heading = [h for h in page.find_all("h2") if h.text == "Sources"]
    assert heading
    links = heading[0].parent.find_all("ul")[-1].find_all("a")
    assert [(a.attrs["href"], a.text) for a in links] == [
        ("https://imi.org.ua/news/1", "IMI report"),
        ("https://example.com/untitled", "https://example.com/untitled"),
    ]
    assert all("noreferrer" in a.attrs["rel"] for a in links)


@pytest.mark.django_db
@pytest.mark.parametrize("prefix, language", [("", "uk"), ("/en", "en")])
def test_approximate_date_shows_month_and_year_only(client, prefix, language):
    incident = IncidentFactory(occurred_on=datetime.date(2019, 2, 10), occurred_precision="month")
    response = client.get(url_of(incident, language))
    dd = parse(response).find("dl").find_all("dd")[0]
    with override(language):
        unknown = gettext("exact date unknown")
    month_year = {"uk": "лютий 2019", "en": "February 2019"}[language]
    assert dd.text == f"{month_year} ({unknown})"
    assert "10.02.2019" not in dd.text
    if language == "en":
        assert dd.text == "February 2019 (exact date unknown)"


@pytest.mark.django_db
def test_detail_shows_related_incidents_sharing_a_category(client, beating, censorship):
    incident = IncidentFactory(categories=[beating], title="Main")
    IncidentFactory(categories=[beating], title="Related one")
    IncidentFactory(categories=[censorship], title="Unrelated")
    IncidentFactory(categories=[beating], title="Related draft", draft=True)
    TranslationFactory(translation_of=incident, categories=[beating], title="Main in English")
    page = parse(client.get(url_of(incident, "en")))
    related = page.find("section", **{"aria-labelledby": "related-heading"})
    assert [a.text for a in related.find_all("a")] == ["Related one"]


@pytest.mark.django_db
def test_detail_without_related_incidents_has_no_related_section(client):
    incident = IncidentFactory()
    response = client.get(url_of(incident))
    assert parse(response).by_id("related-heading") is None


@pytest.mark.django_db
def test_donation_prompt_leads_to_the_support_page(client, akhmet):
    for prefix in ("", "/en"):
        page = parse(client.get(f"{prefix}/incidents/akhmet-attack/"))
        button = page.find("aside", class_="donate").find("a")
        assert button.attrs["href"] == f"{prefix}/support/"
        assert client.get(button.attrs["href"]).status_code == 200


@pytest.mark.django_db
def test_donation_prompt_uses_the_configured_address(client, settings, akhmet):
    settings.DONATE_URL = "https://donate.example.org/imi"
    page = parse(client.get("/incidents/akhmet-attack/"))
    assert page.find("aside", class_="donate").find("a").attrs["href"] == settings.DONATE_URL


@pytest.mark.django_db
def test_detail_has_opengraph_tags(client, akhmet):
    page = parse(client.get("/incidents/akhmet-attack/"))
    meta = {
        m.attrs["property"]: m.attrs["content"]
        for m in page.find_all("meta")
        if "property" in m.attrs
    }
    assert meta["og:type"] == "article"
    assert meta["og:title"] == "Напад на журналіста Ахмета"
    assert meta["og:description"] == "Журналіста побили біля редакції."
    assert meta["og:url"] == "http://testserver/incidents/akhmet-attack/"
    assert meta["og:locale"] == "uk_UA"
    assert meta["article:published_time"] == "2019-02-27T22:25:00+02:00"
    description = page.find("meta", name="description").attrs["content"]
    assert description == "Журналіста побили біля редакції."


@pytest.mark.django_db
def test_detail_links_to_its_translation_and_back(client):
    translation = TranslationFactory(slug="attack-en", translation_of__slug="attack-uk")
    original = parse(client.get("/incidents/attack-uk/")).find("p", class_="incident-meta")
    link = original.find("a", hreflang="en")
    assert link.attrs["href"] == "/incidents/attack-en/"
    assert link.text == "Read in English"

    back = parse(client.get(url_of(translation, "en"))).find("p", class_="incident-meta")
    link = back.find("a", hreflang="uk")
    assert link.attrs["href"] == "/en/incidents/attack-uk/"
    assert link.text == "Читати українською"


@pytest.mark.django_db
def test_detail_does_not_link_to_an_unpublished_translation(client):
    TranslationFactory(slug="attack-en", translation_of__slug="attack-uk", draft=True)
    meta = parse(client.get("/incidents/attack-uk/")).find("p", class_="incident-meta")
    assert meta.find("a") is None


@pytest.mark.django_db
def test_unknown_incident_is_404_with_the_site_page(client):
    response = client.get("/en/incidents/no-such-thing/")
    assert response.status_code == 404
    assert "Page not found" in parse(response).find("h1").text


# --- Home ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_home_lists_latest_incidents(client):
    numbered(8)
    IncidentFactory(draft=True, title="Home draft")
    IncidentFactory(is_featured=True, title="Featured story")
    response = client.get("/")
    page = parse(response)
    latest = page.find("section", **{"aria-labelledby": "latest-heading"})
    assert card_titles(latest) == [f"Story {n:03d}" for n in range(6)]
    featured = page.find("section", **{"aria-labelledby": "featured-heading"})
    assert card_titles(featured) == ["Featured story"]
    assert "Home draft" not in page.text


@pytest.mark.django_db
def test_home_counts_this_months_incidents(client, beating, censorship):
    today = timezone.localdate()
    last_month = today.replace(day=1) - datetime.timedelta(days=1)
    IncidentFactory(occurred_on=today.replace(day=1), categories=[beating])
    IncidentFactory(occurred_on=today, categories=[beating, Category.objects.get(slug="threats")])
    IncidentFactory(occurred_on=today, categories=[censorship])
    IncidentFactory(occurred_on=last_month, categories=[beating])
    IncidentFactory(occurred_on=today, categories=[beating], draft=True)
    page = parse(client.get("/en/"))
    cards = {
        card.find("div", class_="card-body").children[-1].text: card.find(
            "div", class_="stat-number"
        ).text
        for card in page.find("section", **{"aria-labelledby": "month-heading"}).find_all(
            "a", class_="card"
        )
    }
    assert cards["incidents recorded"] == "3"
    assert cards["Physical aggression"] == "2"
    assert cards["Censorship and access to information"] == "1"
    assert cards["Legal pressure"] == "0"


@pytest.mark.django_db
def test_home_month_count_links_to_the_matching_list(client):
    today = timezone.localdate()
    IncidentFactory(occurred_on=today)
    page = parse(client.get("/"))
    link = page.find("section", **{"aria-labelledby": "month-heading"}).find("a")
    assert link.attrs["href"] == f"/incidents/?year={today.year}&month={today.month}"
    assert result_count(client.get(link.attrs["href"])) == 1


@pytest.mark.django_db
def test_home_without_incidents_says_so(client):
    response = client.get("/en/")
    assert "No incidents have been published yet." in response.content.decode()
    assert parse(response).find("div", class_="stat-number").text == "0"


PUBLIC_PAGES = ["/", "/incidents/", "/callback/", "/complaint/", "/support/"]


@pytest.mark.django_db
@pytest.mark.parametrize("prefix", ["", "/en"])
@pytest.mark.parametrize("path", [*PUBLIC_PAGES, "DETAIL", "/no-such-page/"])
def test_every_page_shows_the_hotline_as_a_phone_link(client, prefix, path):
    incident = IncidentFactory()
    if path == "DETAIL":
        path = url_of(incident)
    response = client.get(prefix + path)
    assert response.status_code == (404 if path == "/no-such-page/" else 200)
    hotline = parse(response).find("a", class_="hotline-number")
    assert hotline.attrs["href"] == "tel:+380504477063"
    assert hotline.text.endswith("(050) 447-70-63")


@pytest.mark.django_db
@pytest.mark.parametrize("prefix", ["", "/en"])
def test_home_links_to_callback_and_complaint(client, prefix):
    page = parse(client.get(f"{prefix}/"))
    hero = page.find("section", class_="hero")
    hrefs = [a.attrs["href"] for a in hero.find_all("a")]
    assert hrefs == ["tel:+380504477063", f"{prefix}/callback/", f"{prefix}/complaint/"]
    for href in hrefs[1:]:
        response = client.get(href)
        assert response.status_code == 200
        assert "(050) 447-70-63" in parse(response).find("main").text


# --- Languages ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_root_is_ukrainian_and_en_is_english(client):
    assert parse(client.get("/")).find("html").attrs["lang"] == "uk"
    assert parse(client.get("/en/")).find("html").attrs["lang"] == "en"
    with override("uk"):
        assert gettext("Latest incidents") in client.get("/").content.decode()
    assert "Latest incidents" in client.get("/en/").content.decode()


@pytest.mark.django_db
def test_language_switcher_keeps_the_filters(client):
    switcher = parse(client.get("/incidents/?region=kyiv")).find("nav", class_="language-switcher")
    assert [a.attrs["href"] for a in switcher.find_all("a")] == ["/en/incidents/?region=kyiv"]

    switcher = parse(client.get("/en/incidents/?region=kyiv")).find(
        "nav", class_="language-switcher"
    )
    assert [a.attrs["href"] for a in switcher.find_all("a")] == ["/incidents/?region=kyiv"]


@pytest.mark.django_db
def test_accept_language_does_not_move_the_ukrainian_root(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert parse(response).find("html").attrs["lang"] == "uk"


@pytest.mark.django_db
def test_region_names_follow_the_language(client, lviv):
    IncidentFactory(region=lviv)
    assert "Львівська область" in parse(client.get("/incidents/")).text
    assert "Lviv Oblast" in parse(client.get("/en/incidents/")).text
    assert Region.objects.count() == 28


# --- Query counts ---------------------------------------------------------------------------


def rich_incidents(count):
    beating = Category.objects.get(slug="beating")
    censorship = Category.objects.get(slug="censorship")
    incidents = numbered(count, categories=[beating, censorship])
    for incident in incidents:
        VictimFactory(incident=incident)
        VictimFactory(incident=incident, is_anonymous=True)
        SourceLinkFactory(incident=incident)
    return incidents


def count_queries(client, url):
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context)


@pytest.mark.django_db
def test_list_and_detail_queries_do_not_grow_with_the_data(client, settings):
    settings.INCIDENTS_PER_PAGE = 100
    few = rich_incidents(5)
    list_few = count_queries(client, "/incidents/")
    detail_few = count_queries(client, url_of(few[2]))
    home_few = count_queries(client, "/")

    many = rich_incidents(45)
    assert result_count(client.get("/incidents/")) == 50
    assert count_queries(client, "/incidents/") == list_few
    assert count_queries(client, url_of(many[2])) == detail_few
    assert count_queries(client, "/") == home_few


@pytest.mark.django_db
def test_list_page_query_count(client, django_assert_num_queries):
    """Count, the page, its categories, and the filter form's groups, categories and regions;
    each filter given by slug adds the one lookup that validates it."""
    rich_incidents(5)
    with django_assert_num_queries(6):
        response = client.get("/en/incidents/?languages=all")
    assert len(card_titles(response)) == 5
    with django_assert_num_queries(8):
        response = client.get("/incidents/?region=kyiv&group=physical-aggression")
    assert result_count(response) == 5


@pytest.mark.django_db
def test_detail_page_query_count(client, django_assert_num_queries):
    incidents = rich_incidents(5)
    # The seven of before, and the record's (issue 17): perpetrators, criminal cases, where
    # else its people were targeted, and the timeline's count (its page only when there is
    # one: tests/incidents/test_record.py).
    with django_assert_num_queries(11):
        response = client.get(url_of(incidents[0]))
    assert len(parse(response).find("dl").find_all("li")) == 2


@pytest.mark.django_db
def test_a_lead_that_opens_the_body_is_shown_once(client):
    repeated = IncidentFactory(
        lead="Police came to the newsroom.",
        body="Police came to the newsroom.\n\nThey left an hour later.",
    )
    separate = IncidentFactory(lead="A short summary.", body="The full story, told at length.")
    repeated_html = client.get(url_of(repeated, "uk")).content.decode()
    separate_html = client.get(url_of(separate, "uk")).content.decode()
    assert '<p class="lead">Police came to the newsroom.</p>' not in repeated_html
    assert "<p>Police came to the newsroom.</p>" in repeated_html
    assert '<p class="lead">A short summary.</p>' in separate_html


@pytest.mark.django_db
def test_the_prompt_and_the_support_page_fit_a_record_of_violence(client, akhmet, settings):
    """No "did you like it" under a report of a beating; and the support page never sends
    donors to the emergency line, which is kept for journalists in trouble (issue 18)."""
    for prefix in ("", "/en"):
        prompt = parse(client.get(f"{prefix}/incidents/akhmet-attack/")).find(
            "aside", class_="donate"
        )
        assert "Liked" not in prompt.text and "Сподобалася" not in prompt.text
        support = parse(client.get(f"{prefix}/support/")).by_id("main")
        ways = [a.attrs["href"] for a in support.find("ul", class_="support-ways").find_all("a")]
        assert f"{prefix}/incidents/" in ways and f"{prefix}/complaint/" in ways
        assert not [href for href in ways if href.startswith("tel:")]
        assert "call" not in support.find("p", class_="lead").text.lower()
    settings.DONATE_URL = "https://donate.imi.example/"
    support = parse(client.get("/en/support/")).by_id("main")
    first = support.find("ul", class_="support-ways").find("a")
    assert (first.attrs["href"], first.text) == ("https://donate.imi.example/", "Make a donation")
