"""Outside checkers in the browser (issue 18): axe-core finds no serious or critical
violation on the public pages, in both languages, on a phone and a desktop.

axe-core is vendored for the tests only (tests/browser/vendor/axe-core-4.14.1, MPL-2.0) and
run through Playwright's evaluate, never served by the site.
"""

from pathlib import Path

import pytest

from .helpers import AKHMET_EN_PATH, AKHMET_UK_PATH

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

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
