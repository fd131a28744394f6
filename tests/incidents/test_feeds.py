import xml.etree.ElementTree as ET  # noqa: S405 -- our own responses, not untrusted input

import pytest

from .factories import IncidentFactory, TranslationFactory

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def read_xml(response):
    """Parse a feed or sitemap this site produced (trusted input), failing on malformed XML."""
    return ET.fromstring(response.content)  # noqa: S314


@pytest.fixture
def feed_data(db, beating, threats, censorship):
    IncidentFactory(title="Beating story", slug="beating-story", categories=[beating])
    IncidentFactory(title="Threat story", slug="threat-story", categories=[threats])
    IncidentFactory(title="Censorship story", slug="censorship-story", categories=[censorship])
    IncidentFactory(title="Draft story", slug="draft-story", categories=[beating], draft=True)
    IncidentFactory(title="Archived story", categories=[beating], archived=True)
    IncidentFactory(title="Scheduled story", categories=[beating], scheduled=True)


def rss_titles(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/rss+xml")
    channel = read_xml(response).find("channel")
    return {item.findtext("title") for item in channel.findall("item")}


def atom_titles(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = read_xml(response)
    assert root.tag == f"{ATOM}feed"
    return {entry.findtext(f"{ATOM}title") for entry in root.findall(f"{ATOM}entry")}


ALL = {"Beating story", "Threat story", "Censorship story"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path, expected",
    [
        ("feed/{kind}/", ALL),
        ("feed/beating/{kind}/", {"Beating story"}),
        ("feed/censorship/{kind}/", {"Censorship story"}),
        ("feed/physical-aggression/{kind}/", {"Beating story", "Threat story"}),
        ("feed/legal-pressure/{kind}/", set()),
    ],
)
def test_feeds_list_published_incidents_only(client, feed_data, path, expected):
    url = f"/incidents/{path}"
    assert rss_titles(client.get(url.format(kind="rss"))) == expected
    assert atom_titles(client.get(url.format(kind="atom"))) == expected
    # The stories are written in Ukrainian: the English feeds carry none of them.
    assert rss_titles(client.get("/en" + url.format(kind="rss"))) == set()


@pytest.mark.django_db
def test_a_feed_carries_the_articles_written_in_its_language(client, beating):
    IncidentFactory(title="Українська", language="uk", categories=[beating])
    IncidentFactory(title="English one", language="en", categories=[beating])
    assert rss_titles(client.get("/incidents/feed/rss/")) == {"Українська"}
    assert rss_titles(client.get("/en/incidents/feed/rss/")) == {"English one"}
    assert atom_titles(client.get("/en/incidents/feed/beating/atom/")) == {"English one"}


@pytest.mark.django_db
def test_rss_items_link_to_the_incident_and_carry_the_lead(client, beating):
    IncidentFactory(
        slug="linked", title="Linked", lead="The lead of it.", categories=[beating], language="en"
    )
    item = read_xml(client.get("/en/incidents/feed/rss/")).find("channel/item")
    assert item.findtext("link") == "http://testserver/en/incidents/linked/"
    assert item.findtext("description") == "The lead of it."
    assert item.findtext("category") == "Beating, attack"
    assert item.findtext("pubDate")


@pytest.mark.django_db
def test_category_feed_is_titled_after_the_category(client, feed_data):
    channel = read_xml(client.get("/en/incidents/feed/threats/rss/")).find("channel")
    assert channel.findtext("title") == "IMI Portal: Threats, intimidation"
    assert channel.findtext("link") == "http://testserver/en/incidents/?category=threats"
    group = read_xml(client.get("/en/incidents/feed/physical-aggression/rss/"))
    assert (
        group.find("channel").findtext("link").endswith("/en/incidents/?group=physical-aggression")
    )


@pytest.mark.django_db
def test_translated_story_appears_once_per_language_feed(client):
    TranslationFactory(translation_of__title="Оригінал", title="Original in English")
    assert rss_titles(client.get("/incidents/feed/rss/")) == {"Оригінал"}
    assert rss_titles(client.get("/en/incidents/feed/rss/")) == {"Original in English"}


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_unknown_category_feed_is_404(client, kind):
    assert client.get(f"/incidents/feed/no-such-category/{kind}/").status_code == 404


@pytest.mark.django_db
def test_pages_advertise_the_feeds(client):
    response = client.get("/")
    assert b'type="application/rss+xml"' in response.content
    assert b'href="/incidents/feed/rss/"' in response.content
    assert b'href="/incidents/feed/atom/"' in response.content


# --- Sitemap and robots.txt ----------------------------------------------------------------


@pytest.mark.django_db
def test_sitemap_lists_published_incidents_in_both_languages(client, feed_data):
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    root = read_xml(response)
    locations = {url.findtext(f"{SITEMAP}loc") for url in root.findall(f"{SITEMAP}url")}
    for slug in ("beating-story", "threat-story", "censorship-story"):
        assert f"http://testserver/incidents/{slug}/" in locations
        assert f"http://testserver/en/incidents/{slug}/" in locations
    assert not any("draft-story" in location for location in locations)
    assert len([loc for loc in locations if "/incidents/" in loc and "-story/" in loc]) == 6
    for page in ("/", "/incidents/", "/callback/", "/complaint/"):
        assert f"http://testserver{page}" in locations
        assert f"http://testserver/en{page}" in locations


@pytest.mark.django_db
def test_robots_txt_is_plain_text_and_names_the_sitemap(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    lines = response.content.decode().splitlines()
    assert "Sitemap: http://testserver/sitemap.xml" in lines
    assert "Disallow: /admin/" in lines
    assert client.get("/sitemap.xml").status_code == 200
