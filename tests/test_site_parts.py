"""The parts of every page rendered once per language (imi_portal/site_parts.py): each
language keeps its own, and a changed setting shows on the next page."""

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext


def nav_and_footer(html: str) -> str:
    start = html.index('<header class="site-header')
    return html[start : html.index("</header>", start)] + html[html.index("<footer") :]


@pytest.mark.django_db
def test_each_language_keeps_its_own_header_footer_and_stylesheets(client):
    pages = {}
    for _ in range(2):  # the second time from what the first rendered
        for language, path in (("uk", "/incidents/"), ("en", "/en/stats/"), ("uk", "/")):
            html = client.get(path, follow=True).content.decode()
            pages.setdefault(language, set()).add(nav_and_footer(html))
            with translation.override(language):
                expected = [
                    f'href="{reverse("incidents:list")}">{gettext("Incidents")}</a>',
                    f'href="{reverse("hotline:complaint")}">{gettext("File a complaint")}</a>',
                    f'href="{reverse("privacy")}">{gettext("Privacy notice")}</a>',
                ]
            for part in expected:
                assert part in html, (path, part)
            assert (
                "/static/css/site" in html and 'rel="alternate" type="application/rss+xml"' in html
            )
    # One header and footer per language, whichever page showed it.
    assert {language: len(parts) for language, parts in pages.items()} == {"uk": 1, "en": 1}
    assert pages["uk"] != pages["en"]


@pytest.mark.django_db
def test_a_changed_hotline_number_or_donation_link_shows_on_the_next_page(client, settings):
    client.get("/")
    settings.HOTLINE_PHONE = "+380671234567"
    settings.DONATE_URL = "https://imi.org.ua/donate/"
    html = client.get("/").content.decode()
    assert html.count("(067) 123-45-67") >= 2  # the bar at the top and the footer
    assert 'href="https://imi.org.ua/donate/"' in html
