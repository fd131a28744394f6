"""Outside checkers in the browser (issue 18): axe-core finds no serious or critical
violation on the public pages, in both languages, on a phone and a desktop.

axe-core is vendored for the tests only (tests/browser/vendor/axe-core-4.14.1, MPL-2.0) and
run through Playwright's evaluate, never served by the site.
"""

import re
from pathlib import Path

import pytest

from .helpers import AKHMET_EN_PATH, AKHMET_UK_PATH, DESKTOP

pytestmark = [
    pytest.mark.browser,
    pytest.mark.one_database,  # what the browser renders
    pytest.mark.django_db(transaction=True),
]

AXE = (Path(__file__).parent / "vendor" / "axe-core-4.14.1" / "axe.min.js").read_text()
RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
}"""
PAGES = [
    "/",
    "/incidents/",
    "{article}",
    "/stats/",
    "/callback/",
    "/complaint/",
    "/support/",
    "/incidents/export/sdg-16-10-1/",
]


def violations(page) -> list[str]:
    page.evaluate(AXE)
    return page.evaluate(RUN)


@pytest.mark.parametrize("width", [390, 1280])
def test_axe_finds_nothing_serious_on_the_public_pages(live_server, demo, new_page, width):
    found = []
    for language, prefix, article in (("uk", "", AKHMET_UK_PATH), ("en", "/en", AKHMET_EN_PATH)):
        page = new_page(width=width, locale="uk-UA" if language == "uk" else "en-US")
        for path in PAGES:
            address = f"{live_server.url}{prefix}{path.format(article=article)}"
            page.goto(address)
            found += [f"{address}: {problem}" for problem in violations(page)]
    assert found == [], "\n".join(found)


def test_axe_finds_nothing_serious_on_the_duty_desk(live_server, new_page, signed_in):
    from django.contrib.auth import get_user_model

    staff = get_user_model().objects.create_superuser("desk", "desk@imi.example", "pw 123456")
    for language in ("uk-UA", "en-US"):
        page = signed_in(new_page(width=1280, locale=language), staff)
        page.goto(f"{live_server.url}/admin/")
        page.locator("#auto-refresh").wait_for()
        assert violations(page) == []


@pytest.mark.parametrize(("prefix", "locale"), [("", "uk-UA"), ("/en", "en-GB")])
def test_axe_finds_nothing_serious_after_a_submission(live_server, new_page, prefix, locale):
    """What a reporter meets once they press Send: both forms sent back with mistakes, both
    thank-you pages, the receipt after a mistyped code, the tracking page after a code of the
    wrong shape and after one that finds nothing, and the case inbox (also after an empty
    reply), on a phone and the inbox on a desktop too."""
    from hotline.models import CallbackRequest
    from tests.hotline.factories import CaseMessageFactory, complaint_with_code

    from .test_hotline_forms import fill_complaint_except_contacts

    site = f"{live_server.url}{prefix}"
    page = new_page(width=390, locale=locale)
    found = []

    def check(what):
        found.extend(f"{what} ({page.url}): {problem}" for problem in violations(page))

    page.goto(f"{site}/callback/")
    page.locator("form.intake-form [type=submit]").click()
    page.locator("#error-summary").wait_for()
    check("callback form with mistakes")
    page.fill("#id_phone", "(050) 447-70-63")
    page.select_option("#id_topic", CallbackRequest.Topic.OTHER.value)
    page.check("#id_consent")
    page.locator("form.intake-form [type=submit]").click()
    page.wait_for_url(re.compile(r"/callback/thanks/$"))
    check("callback thank-you page")

    page.goto(f"{site}/complaint/")
    page.locator("form.intake-form [type=submit]").click()
    page.locator("#error-summary").wait_for()
    check("complaint form with mistakes")
    fill_complaint_except_contacts(page)
    page.fill("#id_email", "oksana@example.org")
    page.locator("form.intake-form [type=submit]").click()
    page.wait_for_url(re.compile(r"/complaint/thanks/$"))
    check("complaint thank-you page")
    page.fill("#id_typed", "AAAA-BBBB-CCCC-DDDD")
    page.locator(".code-check [type=submit]").click()
    page.locator("#typed-error").wait_for()
    check("receipt after a mistyped code")

    page.goto(f"{site}/complaint/status/")
    page.fill("#id_code", "12345")
    page.locator("#main form [type=submit]").click()
    page.locator("#error-summary").wait_for()
    check("tracking page, a code of the wrong shape")
    page.fill("#id_code", "K7Q4-9XMD-2RHP-5WNA")
    page.locator("#main form [type=submit]").click()
    page.locator("#not-found").wait_for()
    check("tracking page, a code that finds nothing")

    complaint, code = complaint_with_code(language=prefix.strip("/") or "uk")
    CaseMessageFactory(complaint=complaint)
    CaseMessageFactory(complaint=complaint, sender="reporter", text="Thank you.")
    page.fill("#id_code", code)
    page.locator("#main form [type=submit]").click()
    page.wait_for_url(re.compile(r"/complaint/case/$"))
    check("case inbox")
    page.locator(".reply-form [type=submit]").click()
    page.locator("#error-summary").wait_for()
    check("case inbox, an empty reply")
    page.set_viewport_size(DESKTOP)
    check("case inbox on a desktop")
    assert found == [], "\n".join(found)
