"""'Leave this site quickly' as a person at risk uses it: a tap on a phone or Esc twice on a
desktop, in Ukrainian and English; Back then does not return to the hotline page, and what
the session held (the tracking code on the thank-you page) is gone. Without JavaScript the
button still leaves."""

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from .helpers import PHONE
from .test_hotline_forms import fill_complaint_except_contacts

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.one_database,  # what the browser does; the server's side runs on both in tests/hotline
]

LOCALE = {"uk": "uk-UA", "en": "en-GB"}
PREFIX = {"uk": "", "en": "/en"}
LABEL = {"uk": "Швидко вийти з сайту", "en": "Leave this site quickly"}


@pytest.fixture
def neutral(live_server, settings):
    """The neutral page: a page of the test server (no other host is reachable here)."""
    settings.QUICK_EXIT_URL = f"{live_server.url}/robots.txt"
    return settings.QUICK_EXIT_URL


@pytest.mark.parametrize(
    ("width", "language", "how"),
    [(390, "uk", "tap"), (1280, "en", "escape"), (390, "en", "tap"), (1280, "uk", "escape")],
)
def test_leaving_leaves_no_way_back_to_the_hotline_page(
    live_server, neutral, new_page, screenshot_dir, width, language, how
):
    page = new_page(width, LOCALE[language])
    home = f"{live_server.url}{PREFIX[language]}/"
    page.goto(home)
    page.goto(f"{live_server.url}{PREFIX[language]}/complaint/")
    button = page.locator("#quick-exit button")
    expect(button).to_contain_text(LABEL[language])
    expect(button).to_be_in_viewport()
    page.screenshot(path=screenshot_dir / f"quick-exit-{language}-{width}.png")
    page.fill("#id_description", "Те, що ніхто інший не має побачити")
    # At the end of the page the button covers nothing: the form's own button is above it.
    page.locator("form.intake-form [type=submit]").scroll_into_view_if_needed()
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    sent, leave = (
        page.locator("form.intake-form [type=submit]").bounding_box(),
        button.bounding_box(),
    )
    assert sent["y"] + sent["height"] <= leave["y"] or leave["x"] + leave["width"] <= sent["x"]
    page.screenshot(path=screenshot_dir / f"quick-exit-{language}-{width}-end.png")

    if how == "tap":
        button.click()
    else:
        page.locator("body").press("Escape")
        page.locator("body").press("Escape")
    page.wait_for_url(neutral)
    page.go_back()
    assert page.url == home, "Back must not return to the hotline page"


def test_one_escape_does_nothing(live_server, neutral, new_page):
    page = new_page(1280, "uk-UA")
    page.goto(f"{live_server.url}/callback/")
    page.locator("body").press("Escape")
    page.wait_for_timeout(1200)
    page.locator("body").press("Escape")
    assert urlsplit(page.url).path == "/callback/"


def test_leaving_after_sending_forgets_the_tracking_code(live_server, neutral, phone_page):
    page = phone_page
    page.goto(f"{live_server.url}/complaint/")
    fill_complaint_except_contacts(page)
    page.fill("#id_email", "reporter@example.org")
    page.locator("form.intake-form [type=submit]").click()
    page.wait_for_url(re.compile(r"/complaint/thanks/$"))
    expect(page.locator("#tracking-code")).to_be_visible()
    expect(page.locator("#clear-history summary")).to_be_visible()
    page.locator("#quick-exit button").click()
    page.wait_for_url(neutral)
    page.goto(f"{live_server.url}/complaint/thanks/")
    expect(page.locator("h1")).to_be_visible()
    assert page.locator("#tracking-code").count() == 0


def test_without_javascript_the_button_still_leaves(live_server, neutral, browser):
    context = browser.new_context(viewport=PHONE, locale="uk-UA", java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/complaint/")
        page.locator("#quick-exit button").click()
        page.wait_for_url(neutral)
    finally:
        context.close()
