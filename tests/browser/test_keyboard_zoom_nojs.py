"""Issue 18: the site with the keyboard alone, at 200 % zoom and with JavaScript switched off.

Keyboard journeys use page.keyboard only (Tab, Shift+Tab, typing, Space, Enter, arrows): no
click, no fill. Each tab stop on the way is checked for a visible focus indicator, and the
stops follow the page's visual order. A form sent back with mistakes announces them: its
error summary takes the focus, links to each field, and each field points to its error.
"""

import re

import pytest
from django.utils.translation import gettext, override
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from hotline.models import Attachment, CallbackRequest, CaseMessage, Complaint

from .helpers import (
    AKHMET_EN_PATH,
    AKHMET_EN_TITLE,
    AKHMET_UK_PATH,
    AKHMET_UK_TITLE,
    PHONE,
    tiny_png,
)
from .test_hotline_forms import DESCRIPTION, fill_complaint_except_contacts

pytestmark = [
    pytest.mark.browser,
    pytest.mark.one_database,  # what the browser renders
    pytest.mark.django_db(transaction=True),
]

# What the focused element is, where it is on the page and whether its focus shows.
FOCUSED = """(selectors) => {
  const e = document.activeElement;
  const r = e.getBoundingClientRect();
  const s = getComputedStyle(e);
  return {
    tag: e.tagName.toLowerCase(), id: e.id, href: e.getAttribute("href") || "",
    text: (e.innerText || e.value || "").trim().slice(0, 50),
    top: r.top + scrollY, bottom: r.bottom + scrollY, left: r.left + scrollX,
    width: r.width, height: r.height,
    indicator: (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0)
      || (s.boxShadow !== "none" && !s.boxShadow.startsWith("rgba(0, 0, 0, 0)")
          && /[1-9][0-9.]*px/.test(s.boxShadow)),
    inMain: !!e.closest("#main"),
    matches: selectors.filter((selector) => e.matches(selector)),
  };
}"""
IN_SUMMARY = "() => !!document.activeElement.closest('[data-error-summary]')"
NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"
ENGLISH_DESCRIPTION = (
    "While I was filming the protest by the city council, a man grabbed my camera, broke the "
    "lens and threatened me if I published the video."
)


@pytest.fixture
def shots(screenshot_dir):
    path = screenshot_dir / "issue18"
    path.mkdir(exist_ok=True)
    return path


def said(message, language):
    with override(language):
        return gettext(message)


def keyboard_page(new_page, width, locale):
    """A page whose transitions are off (prefers-reduced-motion, which Bootstrap honours), so
    the focus style read right after a Tab is the one the eye sees a moment later."""
    page = new_page(width=width, locale=locale)
    page.emulate_media(reduced_motion="reduce")
    return page


def press(page, key, times):
    for _ in range(times):
        page.keyboard.press(key)


def focused(page, selectors=()):
    return page.evaluate(FOCUSED, list(selectors))


def tab_to(page, until, actions=None, *, key="Tab", limit=120):
    """Press Tab until the element matching `until` has the focus; on the way, when an
    element matching a key of `actions` gets the focus, call its action (once). Returns
    every stop, each checked for a visible focus indicator."""
    actions = dict(actions or {})
    stops = []
    for _ in range(limit):
        page.keyboard.press(key)
        stop = focused(page, [until, *actions])
        stops.append(stop)
        for selector in stop["matches"]:
            if selector in actions:
                actions.pop(selector)()
        if until in stop["matches"]:
            assert not actions, f"Tab never reached {list(actions)}"
            unseen = [s for s in stops if not s["indicator"]]
            assert unseen == [], f"focus not visible on {unseen}"
            return stops
    raise AssertionError(f"Tab never reached {until}: {[s['id'] or s['text'] for s in stops]}")


def assert_visual_order(stops):
    """Each stop is to the right of the one before on the same line, or below it."""
    for before, after in zip(stops, stops[1:], strict=False):
        if (before["top"], before["left"]) == (after["top"], after["left"]):
            continue  # the same element again (the parts of a date)
        same_line = after["top"] < before["bottom"] and before["top"] < after["bottom"]
        if same_line:
            assert after["left"] >= before["left"] - 1, (before, after)
        else:
            assert after["top"] >= before["bottom"] - 1, (before, after)


def focus_reaches_the_summary(page) -> bool:
    """The error summary gets the focus. Without script it is the browser's autofocus, which
    it applies at its next rendering opportunity, after the load event: on a busy machine
    a moment later (CI saw the check run first), so the focus is waited for, as a reader
    would see it arrive, for up to 5 s."""
    try:
        page.wait_for_function(IN_SUMMARY, timeout=5000)
    except PlaywrightTimeoutError:
        return False
    return True


def assert_errors_announced(page, form):
    """The error summary has the focus; each invalid field says so and points to its error,
    which the summary lists as a link that moves the focus to the field."""
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_visible()
    assert focus_reaches_the_summary(page), focused(page)
    assert summary.get_attribute("role") == "alert" or (
        summary.get_attribute("tabindex") == "-1" and summary.locator("h2").count() == 1
    )
    invalid = page.locator(f"{form} [aria-invalid=true]").evaluate_all(
        # A choice of a group (radio buttons, check boxes): its group says it (Django puts
        # the description on the fieldset, which a screen reader reads on entering it).
        # ...and the summary leads to the group's first choice.
        "(fields) => fields.map((field) => [field.type === 'radio' || field.type === 'checkbox'"
        " ? field.form.querySelector(`[name='${field.name}']`).id : field.id,"
        " (field.getAttribute('aria-describedby')"
        " || (field.closest('fieldset[aria-describedby]') || field).getAttribute("
        "'aria-describedby') || '').split(' ').map((id) => document.getElementById(id))"
        ".filter((e) => e && e.classList.contains('invalid-feedback'))"
        ".map((e) => e.innerText.trim()).join(' ')])"
    )
    invalid = list(dict.fromkeys(map(tuple, invalid)))  # a group once
    for field_id, error in invalid:
        assert error, f"#{field_id} is invalid but describes no error"
        expect(summary.locator(f"a[href='#{field_id}']")).to_contain_text(error)
    links = summary.locator("a[href^='#']")
    targets = links.evaluate_all("(links) => links.map((a) => a.getAttribute('href').slice(1))")
    assert targets, "the summary links to no field"
    for index, target in enumerate(targets):
        links.nth(index).focus()
        page.keyboard.press("Enter")
        assert focused(page)["id"] == target
        expect(page.locator(f"#{target}")).to_be_in_viewport()
    return [field_id for field_id, _ in invalid]


# --- 1 and 2: the keyboard alone, with the focus visible -------------------------------------


def test_callback_form_by_keyboard_with_the_skip_link(live_server, new_page, shots):
    page = keyboard_page(new_page, 1280, "uk-UA")
    page.goto(f"{live_server.url}/callback/")

    # The first Tab shows the skip link; Enter on it takes the keyboard to the content.
    page.keyboard.press("Tab")
    skip = focused(page)
    assert skip["text"] == said("Skip to content", "uk")
    assert skip["width"] > 10 and skip["height"] > 10 and skip["top"] >= 0
    expect(page.locator("a[href='#main']")).to_be_in_viewport()
    assert skip["indicator"]
    page.screenshot(path=shots / "kbd-skip-link-uk-1280.png")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert focused(page)["inMain"]

    stops = tab_to(
        page,
        "#submit-id-submit",
        {
            "#id_name": lambda: page.keyboard.type("Оксана"),
            "#id_phone": lambda: page.keyboard.type("050 447 70 63"),
            "#id_topic": lambda: page.keyboard.press("ArrowDown"),
            "#id_message": lambda: page.keyboard.type("Прошу передзвонити ввечері."),
            "#id_consent": lambda: page.keyboard.press("Space"),
        },
    )
    fields = [stop["id"] for stop in stops if stop["id"].startswith("id_")]
    assert fields == [
        "id_name",
        "id_phone",
        "id_preferred_time",
        "id_topic",
        "id_message",
        "id_consent",
    ]
    assert_visual_order(stops)
    # Shift+Tab goes back the same way.
    page.keyboard.press("Shift+Tab")
    assert focused(page)["href"] == "/privacy/"  # the link in the consent's label
    page.keyboard.press("Shift+Tab")
    assert focused(page)["id"] == "id_consent"
    page.screenshot(path=shots / "kbd-callback-consent-uk-1280.png")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")

    page.wait_for_url(re.compile(r"/callback/thanks/(#main)?$"))  # the skip link's #main
    expect(page.locator("h1")).to_have_text(said("Thank you for reaching out", "uk"))
    callback = CallbackRequest.objects.get()
    assert callback.phone.as_e164 == "+380504477063"
    assert callback.topic == CallbackRequest.Topic.JOURNALISTS_RIGHTS
    assert callback.consent and callback.name == "Оксана"


def test_complaint_tracking_and_reply_by_keyboard(live_server, new_page, shots, tmp_path):
    """In English on a phone: the complaint with a photo, the code typed back, the case
    opened with the code and a reply sent, every step with the keyboard."""
    photo = tmp_path / "camera.png"
    photo.write_bytes(tiny_png())
    page = keyboard_page(new_page, 390, "en-GB")
    page.goto(f"{live_server.url}/en/complaint/")

    def attach():
        # Space opens the file chooser; on a loaded machine Chromium once let it pass without
        # a dialog (seen once in CI), so a person's second try, Enter, opens it then.
        try:
            with page.expect_file_chooser(timeout=5_000) as chooser:
                page.keyboard.press("Space")
        except PlaywrightTimeoutError:
            with page.expect_file_chooser() as chooser:
                page.keyboard.press("Enter")
        chooser.value.set_files(photo)

    stops = tab_to(
        page,
        "form.intake-form [type=submit]",
        {
            "#id_safety_0": lambda: page.keyboard.press("Space"),
            "#id_reporter_name": lambda: page.keyboard.type("Oksana Testenko"),
            "#id_email": lambda: page.keyboard.type("oksana@example.org"),
            "#id_region": lambda: page.keyboard.press("ArrowDown"),
            "#id_category": lambda: page.keyboard.press("ArrowDown"),
            "#id_description": lambda: page.keyboard.type(ENGLISH_DESCRIPTION),
            "#id_attachments": attach,
            "#id_consent_processing": lambda: page.keyboard.press("Space"),
        },
    )
    # From the top of the page (the skip link aside: it moves the page while it shows):
    # the header, the menu button, the hotline box, then the form in its order.
    assert stops[0]["href"] == "#main"
    assert_visual_order(stops[1:])
    fields = [stop["id"] for stop in stops if stop["id"].startswith("id_")]
    assert fields.index("id_reporter_name") < fields.index("id_email")
    assert fields.index("id_attachments") < fields.index("id_consent_processing")
    page.screenshot(path=shots / "kbd-complaint-submit-en-390.png")
    page.keyboard.press("Enter")

    page.wait_for_url(re.compile(r"/complaint/thanks/$"))
    complaint = Complaint.objects.get()
    assert (complaint.email, complaint.language) == ("oksana@example.org", "en")
    assert complaint.region is not None and complaint.category is not None
    assert list(Attachment.objects.values_list("original_name", flat=True)) == ["camera.png"]

    # The code typed back from where it was kept, then on to "My case".
    code = page.locator("#tracking-code").inner_text().strip()
    tab_to(page, "#id_typed", {})
    page.keyboard.type(code)
    page.keyboard.press("Enter")
    expect(page.locator("#code-confirmed")).to_be_visible()
    tab_to(page, "#main a.btn[href='/en/complaint/status/']")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/en/complaint/status/$"))
    tab_to(page, "#id_code")
    page.keyboard.type(code)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/en/complaint/case/$"))

    tab_to(
        page,
        ".reply-form [type=submit]",
        {"#id_text": lambda: page.keyboard.type("One more photo follows by post.")},
    )
    page.keyboard.press("Enter")
    expect(page.locator(".alert-success").first).to_contain_text(
        said("Sent. IMI staff have been told there is a reply.", "en")
    )
    page.screenshot(path=shots / "kbd-case-reply-en-390.png", full_page=True)
    reply = CaseMessage.objects.get()
    assert reply.text == "One more photo follows by post."


def test_list_filters_and_language_switch_by_keyboard(live_server, demo, new_page, shots):
    page = keyboard_page(new_page, 1280, "uk-UA")
    page.goto(f"{live_server.url}/incidents/")
    regions = page.locator("#id_region option").evaluate_all(
        "(options) => options.map((o) => o.value)"
    )
    stops = tab_to(
        page,
        "#filter-form [type=submit]",
        {
            "#id_q": lambda: page.keyboard.type("журналістка"),
            "#id_region": lambda: press(page, "ArrowDown", regions.index("kyiv")),
        },
    )
    assert_visual_order(stops[1:])
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/incidents/\?.*region=kyiv"))
    assert "q=%D0%B6" in page.url  # the search, as typed
    expect(page.locator("#main").get_by_role("link", name=AKHMET_UK_TITLE)).to_be_visible()
    page.screenshot(path=shots / "kbd-list-filtered-uk-1280.png")

    # The language switch, there and back.
    tab_to(page, ".language-switcher a")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/en/incidents/"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    tab_to(page, ".language-switcher a")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/incidents/"))
    expect(page.locator("html")).to_have_attribute("lang", "uk")


# --- 3: mistakes announced -------------------------------------------------------------------


def test_form_errors_are_announced(live_server, new_page, shots):
    from tests.hotline.factories import complaint_with_code

    site = live_server.url
    page = keyboard_page(new_page, 390, "uk-UA")

    page.goto(f"{site}/callback/")
    page.locator("form.intake-form [type=submit]").click()
    page.wait_for_load_state()
    invalid = assert_errors_announced(page, "form.intake-form")
    assert {"id_phone", "id_topic", "id_consent"} <= set(invalid)
    page.goto(f"{site}/callback/")  # the focus on the summary, for the picture
    page.locator("form.intake-form [type=submit]").click()
    page.wait_for_load_state()
    page.screenshot(path=shots / "kbd-callback-errors-uk-390.png")

    english = keyboard_page(new_page, 1280, "en-GB")
    english.goto(f"{site}/en/complaint/")
    english.locator("form.intake-form [type=submit]").click()
    english.wait_for_load_state()
    invalid = assert_errors_announced(english, "form.intake-form")
    assert {"id_reporter_name", "id_description", "id_consent_processing"} <= set(invalid)
    # The form's own error (no way to reach the reporter) leads to the e-mail field.
    expect(english.locator("#error-summary a[href='#id_email']")).to_contain_text(
        said("Give us an e-mail or a phone number, so that we can reach you.", "en")
    )
    english.screenshot(path=shots / "kbd-complaint-errors-en-1280.png")

    # The tracking page: a code of the wrong shape, then a code that finds nothing.
    page.goto(f"{site}/complaint/status/")
    page.locator("#id_code").press_sequentially("12345")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert assert_errors_announced(page, "#main form") == ["id_code"]
    page.locator("#id_code").fill("K7Q4-9XMD-2RHP-5WNA")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    expect(page.locator("#not-found")).to_be_focused()
    expect(page.locator("#not-found")).to_have_attribute("role", "alert")
    page.screenshot(path=shots / "kbd-track-not-found-uk-390.png")

    # The case inbox: a reply with neither words nor a file.
    _, code = complaint_with_code(language="en")
    english.goto(f"{site}/en/complaint/status/")
    english.locator("#id_code").fill(code)
    english.keyboard.press("Enter")
    english.wait_for_url(re.compile(r"/complaint/case/$"))
    english.locator(".reply-form [type=submit]").click()
    english.wait_for_load_state()
    assert_errors_announced(english, ".reply-form")
    expect(english.locator("#error-summary a[href='#id_text']")).to_contain_text(
        said("Write a reply or add a file.", "en")
    )
    english.screenshot(path=shots / "kbd-reply-errors-en-1280.png")


# --- 4: 200 % zoom ---------------------------------------------------------------------------

ZOOMED = {"width": 640, "height": 400}  # a 1280×800 window at 200 %
PAGES = ["/", "/incidents/", "{article}", "/stats/", "/callback/", "/complaint/"]


def zoomed_page(browser, locale, **options):
    context = browser.new_context(viewport=ZOOMED, device_scale_factor=2, locale=locale, **options)
    context.set_default_timeout(10_000)
    return context


@pytest.mark.parametrize(
    ("prefix", "language", "locale"), [("", "uk", "uk-UA"), ("/en", "en", "en-GB")]
)
def test_the_site_at_200_percent_zoom(live_server, demo, browser, shots, prefix, language, locale):
    before = CallbackRequest.objects.count(), Complaint.objects.count()  # the demo has some
    context = zoomed_page(browser, locale)
    page = context.new_page()
    article = AKHMET_UK_PATH if language == "uk" else AKHMET_EN_PATH
    try:
        for path in PAGES:
            page.goto(f"{live_server.url}{prefix}{path.format(article=article)}")
            assert page.evaluate(NO_SIDEWAYS_SCROLL), (
                path,
                page.evaluate("document.documentElement.scrollWidth"),
            )
            name = path.strip("/").replace("/", "-").replace("{article}", "article") or "home"
            page.screenshot(path=shots / f"zoom-{name}-{language}.png")

        # The menu folds behind its button and opens from it.
        page.goto(f"{live_server.url}{prefix}/")
        statistics = page.locator("#site-nav").get_by_role(
            "link", name=said("Statistics", language)
        )
        expect(statistics).to_be_hidden()
        page.locator(".navbar-toggler").click()
        expect(statistics).to_be_visible()
        page.screenshot(path=shots / f"zoom-menu-open-{language}.png")
        statistics.click()
        page.wait_for_url(re.compile(r"/stats/"))

        # Both forms can be sent.
        page.goto(f"{live_server.url}{prefix}/callback/")
        page.fill("#id_phone", "(050) 447-70-63")
        page.select_option("#id_topic", CallbackRequest.Topic.OTHER.value)
        page.check("#id_consent")
        page.locator("form.intake-form [type=submit]").click()
        page.wait_for_url(re.compile(r"/callback/thanks/$"))
        assert page.evaluate(NO_SIDEWAYS_SCROLL)
        page.goto(f"{live_server.url}{prefix}/complaint/")
        fill_complaint_except_contacts(page)
        page.fill("#id_phone", "(050) 447-70-63")
        page.locator("form.intake-form [type=submit]").click()
        page.wait_for_url(re.compile(r"/complaint/thanks/$"))
        assert page.evaluate(NO_SIDEWAYS_SCROLL)
        page.screenshot(path=shots / f"zoom-complaint-thanks-{language}.png")
    finally:
        context.close()
    assert (CallbackRequest.objects.count(), Complaint.objects.count()) == (
        before[0] + 1,
        before[1] + 1,
    )


# --- 5: JavaScript switched off --------------------------------------------------------------


def no_script(browser, locale):
    context = browser.new_context(viewport=PHONE, locale=locale, java_script_enabled=False)
    context.set_default_timeout(10_000)
    return context


def test_public_pages_without_javascript(live_server, demo, browser, shots):
    context = no_script(browser, "uk-UA")
    page = context.new_page()
    site = live_server.url
    try:
        # On a phone the menu cannot fold away: without a script nothing would unfold it.
        page.goto(f"{site}/")
        expect(page.locator(".navbar-toggler")).to_be_hidden()
        for name in ("Incidents", "Statistics", "Request a callback", "My case"):
            expect(
                page.locator("#site-nav").get_by_role("link", name=said(name, "uk"), exact=True)
            ).to_be_visible()
        assert page.evaluate(NO_SIDEWAYS_SCROLL)
        page.screenshot(path=shots / "nojs-home-uk-390.png", full_page=True)

        # The list: the filters are open, a search and a filter work.
        page.locator("#site-nav").get_by_role("link", name=said("Incidents", "uk")).click()
        page.wait_for_url(re.compile(r"/incidents/$"))
        expect(page.locator("#filter-form")).to_be_visible()
        page.fill("#id_q", "журналістка")
        page.select_option("#id_region", "kyiv")
        page.locator("#filter-form [type=submit]").click()
        page.wait_for_url(re.compile(r"region=kyiv"))
        link = page.locator("#main").get_by_role("link", name=AKHMET_UK_TITLE)
        expect(link).to_be_visible()
        page.screenshot(path=shots / "nojs-list-filtered-uk-390.png", full_page=True)
        link.click()
        page.wait_for_url(re.compile(re.escape(AKHMET_UK_PATH)))
        expect(page.locator("h1")).to_have_text(AKHMET_UK_TITLE)

        # The language switch, from the article to its English version.
        page.locator(".language-switcher a[hreflang=en]").click()
        page.wait_for_url(re.compile(re.escape("/en" + AKHMET_EN_PATH)))
        expect(page.locator("h1")).to_have_text(AKHMET_EN_TITLE)
        expect(page.locator("html")).to_have_attribute("lang", "en")

        # The statistics: the numbers in tables, the map drawn by the server.
        page.goto(f"{site}/stats/")
        expect(page.locator("#section-months table")).to_be_visible()
        expect(page.locator("#section-map .tile-link").first).to_be_visible()
        assert page.locator("#section-map .tile-link").count() >= 25
        assert page.evaluate(NO_SIDEWAYS_SCROLL)
        page.screenshot(path=shots / "nojs-stats-uk-390.png", full_page=True)
    finally:
        context.close()


def test_forms_without_javascript(live_server, browser, shots, tmp_path):
    photo = tmp_path / "photo.png"
    photo.write_bytes(tiny_png())
    site = live_server.url
    context = no_script(browser, "uk-UA")
    page = context.new_page()
    try:
        # A mistake: the summary still takes the focus (autofocus, no script needed).
        page.goto(f"{site}/callback/")
        page.locator("form.intake-form [type=submit]").click()
        page.wait_for_load_state()
        expect(page.locator("#error-summary")).to_be_visible()
        assert focus_reaches_the_summary(page), focused(page)
        page.fill("#id_phone", "(050) 447-70-63")
        page.select_option("#id_topic", CallbackRequest.Topic.JOURNALISTS_RIGHTS.value)
        page.check("#id_consent")
        page.locator("form.intake-form [type=submit]").click()
        page.wait_for_url(re.compile(r"/callback/thanks/$"))
        assert CallbackRequest.objects.count() == 1

        page.goto(f"{site}/complaint/")
        fill_complaint_except_contacts(page)
        page.fill("#id_email", "oksana@example.org")
        page.set_input_files("#id_attachments", [photo])
        page.locator("form.intake-form [type=submit]").click()
        page.wait_for_url(re.compile(r"/complaint/thanks/$"))
        code = page.locator("#tracking-code").inner_text().strip()
        expect(page.locator("#print-card")).to_be_hidden()  # it needs a script; Save does not
        expect(page.locator("#save-card")).to_be_visible()
        page.screenshot(path=shots / "nojs-complaint-thanks-uk-390.png", full_page=True)
        complaint = Complaint.objects.get()
        assert complaint.description == DESCRIPTION
        assert Attachment.objects.filter(complaint=complaint).count() == 1

        page.fill("#id_typed", code)
        page.locator(".code-check [type=submit]").click()
        expect(page.locator("#code-confirmed")).to_be_visible()
        page.goto(f"{site}/complaint/status/")
        page.fill("#id_code", code)
        page.locator("#main form [type=submit]").click()
        page.wait_for_url(re.compile(r"/complaint/case/$"))
        expect(page.locator("#complaint-status")).to_have_text(said("Received", "uk"))
        page.screenshot(path=shots / "nojs-case-uk-390.png", full_page=True)
    finally:
        context.close()
