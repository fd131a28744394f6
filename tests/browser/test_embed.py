"""A barometer chart on another site (issue 32): the snippets copied from the statistics
page's "Embed" dialog, pasted into a plain page served from another port, in Chromium. The
iframe shows the chart; the image loads; a page that tries to frame /stats/ is refused."""

import datetime
import http.server
import threading

import pytest

from incidents.models import Category, Region

from ..incidents.factories import IncidentFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.one_database,  # what the browser draws
    pytest.mark.django_db(transaction=True),
]

PREFIX = {"uk": "", "en": "/en"}
PERIOD = "date_from=2019-01-01&date_to=2019-12-31"


@pytest.fixture
def incidents(_reference_data):
    regions = [Region.objects.get(slug=slug) for slug in ("kyiv", "kharkiv", "lviv")]
    leaves = [Category.objects.get(slug=slug) for slug in ("beating", "threats", "detention")]
    for n in range(18):
        IncidentFactory(
            occurred_on=datetime.date(2019, 1 + n % 12, 1 + n),
            region=regions[n % 3],
            categories=[leaves[n % 3]],
            perpetrator_type="russian_forces" if n % 2 else "police",
        )


@pytest.fixture
def other_site():
    """other_site(html) -> the address of a page with that HTML, served from another port."""
    pages = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 -- http.server's name
            body = pages.get(self.path, "").encode()
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def serve(html: str) -> str:
        path = f"/page-{len(pages)}.html"
        pages[path] = html
        return f"http://127.0.0.1:{server.server_port}{path}"

    yield serve
    server.shutdown()
    server.server_close()


def partner_page(body: str) -> str:
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>A partner's report</title></head><body><h1>Our report</h1>{body}</body></html>"
    )


@pytest.mark.parametrize("language", ["uk", "en"])
def test_a_chart_embedded_on_another_site(
    live_server, incidents, new_page, other_site, screenshot_dir, settings, language
):
    settings.SITE_URL = live_server.url  # the snippets' address
    stats = new_page(1280, "uk-UA" if language == "uk" else "en-US")
    stats.goto(f"{live_server.url}{PREFIX[language]}/stats/?region=kyiv&{PERIOD}")
    stats.locator("#section-months details.embed-dialog summary").click()
    iframe = stats.locator("#embed-iframe-months").input_value()
    img = stats.locator("#embed-img-regions").input_value()
    assert f"{live_server.url}{PREFIX[language]}/stats/embed/months/?region=kyiv" in iframe
    address = other_site(partner_page(iframe + "<h2>As an image</h2>" + img))
    assert not address.startswith(live_server.url)
    for width in (390, 1280):
        page = new_page(width, "uk-UA")
        refused = []
        page.on("console", lambda m, r=refused: r.append(m.text) if m.type == "error" else None)
        page.goto(address, wait_until="networkidle")
        frame = page.frame_locator("iframe")
        chart = frame.locator("svg[role=img]")
        chart.wait_for()
        assert frame.locator("svg rect").count() > 3
        caption = frame.locator("figcaption").inner_text()
        assert (
            "live as of" if language == "en" else "станом на"
        ) in caption or "live as of" in caption
        box = page.locator("iframe").bounding_box()
        assert box["width"] > 300
        assert page.evaluate("document.querySelector('img').naturalWidth") == 480
        assert not [text for text in refused if "Refused" in text], refused
        page.screenshot(path=screenshot_dir / f"embed-{language}-{width}.png", full_page=True)


def test_another_site_may_not_frame_other_pages(live_server, incidents, new_page, other_site):
    address = other_site(
        partner_page(
            f'<iframe src="{live_server.url}/stats/?{PERIOD}" width="600" height="400"></iframe>'
        )
    )
    page = new_page(1280, "uk-UA")
    refused = []
    page.on("console", lambda m: refused.append(m.text))
    page.goto(address, wait_until="networkidle")
    framed = [frame for frame in page.frames if frame != page.main_frame]
    assert len(framed) == 1
    # Chromium shows its error page in place of the refused document.
    assert framed[0].url.startswith("chrome-error://") or not framed[0].query_selector("h1")
    assert any("frame-ancestors" in text or "X-Frame-Options" in text for text in refused), refused
