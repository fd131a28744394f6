"""The barometer in a real browser: the charts are drawn, the layout holds, printing works."""

import pytest
from playwright.sync_api import expect

pytestmark = [
    pytest.mark.browser,
    pytest.mark.one_database,  # what the browser draws
    pytest.mark.django_db(transaction=True),
]

PREFIX = {"uk": "", "en": "/en"}
LOCALE = {"uk": "uk-UA", "en": "en-US"}
CHARTS = ["months", "russia", "groups", "categories", "regions", "perpetrators"]
# The page's CSP has no 'unsafe-eval': wait with a locator, not a string predicate.
DRAWN = 'canvas[data-drawn="true"]'

CANVASES = """() => [...document.querySelectorAll("canvas[data-chart]")].map((canvas) => {
  const box = canvas.getBoundingClientRect();
  return {
    name: canvas.dataset.chart,
    drawn: canvas.dataset.drawn || null,
    width: canvas.width,
    height: canvas.height,
    boxWidth: box.width,
    boxHeight: box.height,
  };
})"""


def open_page(new_page, width, language):
    page = new_page(width, LOCALE[language])
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return page, problems


def scroll_width(page):
    return page.evaluate("document.documentElement.scrollWidth")


def check_stats_page(page, problems, language, width):
    expect(page.locator("html")).to_have_attribute("lang", language)
    assert "date_from=" in page.url and "date_to=" in page.url, page.url
    expect(page.locator(DRAWN)).to_have_count(len(CHARTS), timeout=10_000)
    canvases = page.evaluate(CANVASES)
    assert [c["name"] for c in canvases] == CHARTS
    for canvas in canvases:
        assert canvas["drawn"] == "true", canvas
        assert canvas["width"] > 0 and canvas["height"] > 0, canvas
        assert canvas["boxWidth"] > 0 and canvas["boxHeight"] > 0, canvas
        assert canvas["boxWidth"] <= width, canvas
    # The demo has incidents in the last twelve months: the months table is not all zeros.
    totals = page.locator("#table-months tbody tr td:nth-of-type(1)").all_inner_texts()
    assert len(totals) == 12 and sum(int(t) for t in totals) > 0, totals
    if width == 390:
        assert scroll_width(page) <= 390 + 1, f"scrolls sideways: {scroll_width(page)} px wide"
    assert problems == [], problems


@pytest.mark.parametrize("language", ["uk", "en"])
def test_stats_page_draws_every_chart(live_server, demo, new_page, screenshot_dir, language):
    """Both widths are checked and screenshotted even when the first one fails."""
    failures = []
    for width in (1280, 390):
        page, problems = open_page(new_page, width, language)
        label = f"stats-{language}-{width}"
        try:
            response = page.goto(f"{live_server.url}{PREFIX[language]}/stats/")
            assert response.status == 200
            check_stats_page(page, problems, language, width)
        except AssertionError as error:
            failures.append(f"{label}: {error}")
        finally:
            page.screenshot(path=screenshot_dir / f"{label}.png", full_page=True)
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("language", ["uk", "en"])
def test_stats_tables_print(live_server, demo, new_page, screenshot_dir, language):
    page, problems = open_page(new_page, 1280, language)
    page.goto(f"{live_server.url}{PREFIX[language]}/stats/")
    expect(page.locator(DRAWN)).to_have_count(len(CHARTS))
    page.emulate_media(media="print")
    for name in CHARTS:
        table = page.locator(f"#table-{name}")
        expect(table).to_be_visible()
        box = table.bounding_box()
        assert box["height"] > 20, (name, box)
    # What the screen has only for the screen stays out of the print.
    expect(page.locator("#filter-form")).to_be_hidden()
    page.screenshot(path=screenshot_dir / f"stats-print-{language}-1280.png", full_page=True)
    # Back on screen, the tables the visitor had closed are closed again.
    page.emulate_media(media="screen")
    expect(page.locator("#table-groups")).to_be_hidden()
    expect(page.locator("#table-months")).to_be_visible()
    assert problems == [], problems


def test_monthly_report_on_a_phone(live_server, demo, new_page, screenshot_dir):
    page, problems = open_page(new_page, 390, "uk")
    response = page.goto(f"{live_server.url}/stats/2019/02/")
    assert response.status == 200
    page.screenshot(path=screenshot_dir / "stats-month-2019-02-uk-390.png", full_page=True)
    # The Akhmet article of 27 February 2019 is in February's report.
    expect(page.locator("#month-total")).not_to_have_text("0", timeout=2_000)
    assert page.locator("h3.card-title").count() >= 1
    expect(page.locator("a[rel=prev]")).to_have_attribute("href", "/stats/2019/1/")
    expect(page.locator("a[rel=next]")).to_have_attribute("href", "/stats/2019/3/")
    assert scroll_width(page) <= 390 + 1, f"scrolls sideways: {scroll_width(page)} px wide"
    assert problems == [], problems
