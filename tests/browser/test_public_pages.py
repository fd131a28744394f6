"""The public pages in a real browser: layout at phone width, the hotline, navigation."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from .helpers import (
    AKHMET_EN_PATH,
    AKHMET_EN_TITLE,
    AKHMET_UK_PATH,
    AKHMET_UK_TITLE,
    HOTLINE_DISPLAY,
    HOTLINE_TEL,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.one_database,  # what the browser renders of the demo record
]

PREFIX = {"uk": "", "en": "/en"}
LOCALE = {"uk": "uk-UA", "en": "en-US"}
PAGES = {
    "home": {"uk": "/", "en": "/"},
    "list": {"uk": "/incidents/", "en": "/incidents/"},
    "akhmet": {"uk": AKHMET_UK_PATH, "en": AKHMET_EN_PATH},
}


# How many lines the phone number takes inside an element (-1: not found in one text node).
LINES_OF_NUMBER = """(element, number) => {
  const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const start = node.data.indexOf(number);
    if (start >= 0) {
      const range = document.createRange();
      range.setStart(node, start);
      range.setEnd(node, start + number.length);
      return new Set([...range.getClientRects()].map((rect) => Math.round(rect.top))).size;
    }
  }
  return -1;
}"""


def url(live_server, language, path):
    return f"{live_server.url}{PREFIX[language]}{path}"


def assert_hotline_in_header(page):
    link = page.locator(".hotline-bar a.hotline-number")
    expect(link).to_be_visible()
    expect(link).to_contain_text(HOTLINE_DISPLAY)
    expect(link).to_have_attribute("href", HOTLINE_TEL)
    box = link.bounding_box()
    assert box["y"] < 100, f"the hotline number should sit at the top, it is at y={box['y']}"


def scroll_width(page):
    return page.evaluate("document.documentElement.scrollWidth")


def check_layout(page, name, language, width):
    expect(page.locator("html")).to_have_attribute("lang", language)
    if name == "akhmet":
        title = AKHMET_UK_TITLE if language == "uk" else AKHMET_EN_TITLE
        expect(page.locator("h1")).to_have_text(title)
    if width == 390:
        assert scroll_width(page) <= 390 + 1, f"scrolls sideways: {scroll_width(page)} px wide"
    assert_hotline_in_header(page)
    if name == "home":
        # The number on the big "Call" button is never broken across two lines.
        lines = page.locator(".hero a[href^='tel:']").evaluate(LINES_OF_NUMBER, HOTLINE_DISPLAY)
        assert lines == 1, f"the number on the Call button takes {lines} lines"


@pytest.mark.parametrize("name", list(PAGES))
def test_page_layout_and_hotline(live_server, demo, new_page, screenshot_dir, name):
    """Each page in both languages, on a desktop and on a phone; one demo load per page.

    Every combination is checked and screenshotted even when an earlier one fails, and the
    failures are reported together.
    """
    failures = []
    for language in ("uk", "en"):
        for width in (1280, 390):
            label = f"{name}-{language}-{width}"
            page = new_page(width, LOCALE[language])
            response = page.goto(url(live_server, language, PAGES[name][language]))
            page.screenshot(path=screenshot_dir / f"{label}.png", full_page=True)
            try:
                assert response.status == 200, f"status {response.status}"
                check_layout(page, name, language, width)
            except (AssertionError, PlaywrightError) as error:
                failures.append(f"{label}: {error}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    "language, titles",
    [("uk", (AKHMET_UK_TITLE, AKHMET_EN_TITLE)), ("en", (AKHMET_EN_TITLE,))],
)
def test_akhmet_is_two_clicks_from_home(live_server, demo, new_page, language, titles):
    page = new_page(1280, LOCALE[language])
    page.goto(url(live_server, language, "/"))

    # Click 1: the year in the "Archive by year" section.
    archive = page.locator("section[aria-labelledby=archive-heading]")
    archive.locator("a[href$='?year=2019']").click()
    page.wait_for_url(re.compile(r"/incidents/\?year=2019$"))

    # Click 2: the article in the first page of 2019.
    links = page.locator("#main .incident-card h3 a")
    listed = links.all_inner_texts()
    candidates = [title for title in titles if title in listed]
    assert candidates, f"the Akhmet article is not on the first page of 2019: {listed}"
    links.filter(has_text=candidates[0]).click()

    expect(page.locator("article h1")).to_have_text(candidates[0])
    assert urlsplit(page.url).path in (
        f"{PREFIX[language]}{AKHMET_UK_PATH}",
        f"{PREFIX[language]}{AKHMET_EN_PATH}",
    )


def test_filters_on_a_phone(live_server, demo, new_page, screenshot_dir):
    page = new_page(390, "uk-UA")
    page.goto(url(live_server, "uk", "/incidents/"))
    count = page.locator("#result-count")
    before = count.inner_text()
    form = page.locator("#filter-form")
    expect(form).to_be_hidden()

    toggle = page.locator("button[aria-controls=filter-form]")
    expect(toggle).to_be_visible()
    toggle.click()
    expect(form).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")

    form.locator("select[name=region]").select_option("kyiv")
    page.screenshot(path=screenshot_dir / "list-filters-open-uk-390.png", full_page=True)
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"[?&]region=kyiv(&|$)"))

    expect(count).not_to_have_text(before)
    assert parse_qs(urlsplit(page.url).query)["region"] == ["kyiv"]
    assert scroll_width(page) <= 390 + 1


def test_language_switch_keeps_the_filter(live_server, demo, new_page):
    page = new_page(1280, "uk-UA")
    page.goto(url(live_server, "uk", "/incidents/?region=kyiv&languages=all"))
    ukrainian_count = page.locator("#result-count").inner_text()

    switcher = page.locator("nav.language-switcher")
    expect(switcher.locator("[aria-current=true]")).to_have_text("UK")
    switcher.locator("a[hreflang=en]").click()

    page.wait_for_url(re.compile(r"/en/incidents/\?region=kyiv&languages=all$"))
    parts = urlsplit(page.url)
    assert parts.path == "/en/incidents/"
    assert parse_qs(parts.query) == {"region": ["kyiv"], "languages": ["all"]}
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#result-count")).to_contain_text("match")
    # Every language asked for: a translated story is counted once, so the numbers agree.
    assert re.findall(r"\d+", page.locator("#result-count").inner_text()) == re.findall(
        r"\d+", ukrainian_count
    )
    # Back to this page's own language: English stories only, the box unticked.
    page.get_by_label("Also show incidents written in other languages").uncheck()
    page.get_by_role("button", name="Show incidents").click()
    page.wait_for_url(re.compile(r"/en/incidents/\?.*region=kyiv"))
    assert "languages" not in parse_qs(urlsplit(page.url).query)
    expect(page.locator("article.incident-card").first).to_be_visible()
    expect(page.locator("article.incident-card .card-language")).to_have_count(0)


@pytest.mark.parametrize("language", ["uk", "en"])
def test_no_request_leaves_the_site(live_server, demo, new_page, language):
    page = new_page(390, LOCALE[language])
    requested = []
    page.on("request", lambda request: requested.append(request.url))

    detail = AKHMET_UK_PATH if language == "uk" else AKHMET_EN_PATH
    for path in ["/", "/incidents/", detail, "/callback/", "/complaint/"]:
        response = page.goto(url(live_server, language, path))
        assert response.status == 200, path
        page.wait_for_load_state("networkidle")

    host = urlsplit(live_server.url).netloc
    # Inline data: URIs (Bootstrap's icons) never leave the browser; everything else must
    # come from the site itself: no CDN, font service, analytics or tracking pixel.
    network = [u for u in requested if not u.startswith("data:")]
    assert len(network) >= 5
    elsewhere = sorted({u for u in network if urlsplit(u).netloc != host})
    assert elsewhere == []
