"""Security headers of the hotline pages, and no inline script or style anywhere public.

A reporter may file a complaint from a shared or seized device: the hotline pages are never
cached, never framed, tell no one where the reader came from, and run only the site's own
script files (a CSP without 'unsafe-inline' would block anything injected).
"""

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from tests.hotline.factories import CaseMessageFactory, complaint_with_code
from tests.hotline.helpers import callback_post_data, complaint_post_data
from tests.incidents.factories import IncidentFactory, SourceLinkFactory, VictimFactory
from tests.shared_data import shared_data

pytestmark = pytest.mark.django_db

PREFIXES = ["", "/en"]


def assert_hotline_headers(response):
    csp = response["Content-Security-Policy"]
    directives = {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}
    assert directives["default-src"] == ["'self'"], csp
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp, csp
    assert directives["script-src"] == ["'self'"], csp
    assert directives["frame-ancestors"] == ["'none'"], csp
    # This site, and the neutral site the quick exit's form (without JavaScript) redirects to.
    exit_url = urlsplit(django_settings.QUICK_EXIT_URL)
    assert directives["form-action"] == ["'self'", f"{exit_url.scheme}://{exit_url.netloc}"], csp
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response["Cache-Control"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize(
    "path",
    ["/complaint/", "/callback/", "/complaint/thanks/", "/callback/thanks/", "/complaint/status/"],
)
def test_hotline_pages_send_the_security_headers(client, prefix, path):
    response = client.get(prefix + path)
    assert response.status_code == 200
    assert_hotline_headers(response)


@pytest.mark.parametrize("prefix", PREFIXES)
def test_every_hotline_answer_sends_them_too(client, prefix):
    """The answers to posts: a form with errors, a redirect, the lookup result, thank-you."""
    complaint, code = complaint_with_code()
    CaseMessageFactory(complaint=complaint)
    responses = [
        client.post(f"{prefix}/callback/", callback_post_data(phone="")),
        client.post(f"{prefix}/complaint/", complaint_post_data(description="short")),
        client.post(f"{prefix}/complaint/status/", {"code": "nonsense"}),
        client.post(f"{prefix}/complaint/status/", {"code": code}),
    ]
    # The code opens the case inbox, which answers every post too.
    case = client.get(responses[-1].url)
    responses += [
        case,
        client.post(case.wsgi_request.path, {"action": "reply", "text": ""}),
        client.post(case.wsgi_request.path, {"action": "erase"}),
    ]
    assert [r.status_code for r in responses] == [200, 200, 200, 302, 200, 400, 400]
    assert 'id="complaint-status"' in case.content.decode()
    accepted = client.post(f"{prefix}/complaint/", complaint_post_data())
    assert accepted.status_code == 302
    responses += [accepted, client.get(accepted.url)]
    for response in responses:
        assert_hotline_headers(response)
    # The page with the tracking code, shown once.
    assert 'id="tracking-code"' in responses[-1].content.decode()


# --- No inline script or style on any public page --------------------------------------------


class InlineCollector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = []
        self._inline_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "style" in attrs:
            self.found.append(f"<{tag} style=…>")
        if any(name.startswith("on") for name in attrs):
            self.found.append(f"<{tag} on…=>")
        if tag == "style":
            self.found.append("<style>")
        self._inline_script = (
            tag == "script" and "src" not in attrs and attrs.get("type") != "application/json"
        )
        if self._inline_script:
            self.found.append(f"<script {attrs}>")
        for name in ("href", "src", "action"):
            if (attrs.get(name) or "").strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}=javascript:…>")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)


def inline_code(html: str) -> list[str]:
    collector = InlineCollector()
    collector.feed(html)
    collector.close()
    return collector.found


@shared_data
def published():
    incident = IncidentFactory(
        slug="story",
        body="A **bold** claim, a [link](https://example.org/) and a table:\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
        is_featured=True,
        occurred_on=timezone.localdate(),
    )
    VictimFactory(incident=incident)
    SourceLinkFactory(incident=incident)
    IncidentFactory(slug="other")
    return incident


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/incidents/",
        "/incidents/?region=kyiv&q=x&date_from=nonsense",
        "/incidents/story/",
        "STATS",
        "STATS_MONTH",
        "/complaint/",
        "/callback/",
        "/complaint/status/",
        "/complaint/thanks/",
        "/callback/thanks/",
        "/support/",
        "/privacy/",
        "/no-such-page/",
    ],
)
def test_public_pages_have_no_inline_script_or_style(client, published, prefix, path):
    today = timezone.localdate()
    path = {
        "STATS": f"/stats/?date_from={today.replace(day=1)}&date_to={today}",
        "STATS_MONTH": f"/stats/{today.year}/{today.month}/",
    }.get(path, path)
    response = client.get(prefix + path)
    assert response.status_code in {200, 404}
    html = response.content.decode()
    assert "<script" in html  # the site's own script files are there
    assert inline_code(html) == []


def test_the_stats_page_passes_its_data_as_json_only(client, published):
    today = timezone.localdate()
    html = client.get(f"/stats/?date_from={today.replace(day=1)}&date_to={today}").content.decode()
    assert re.search(r'<script id="chart-data" type="application/json">', html)


def test_the_checker_finds_inline_code():
    html = (
        '<p style="color:red">x</p><script>alert(1)</script><style>p{}</style>'
        '<img src="/a.png" onerror="x()"><a href=" javascript:x()">a</a>'
        '<script type="application/json">{"a": 1}</script><script src="/s.js"></script>'
    )
    assert inline_code(html) == [
        "<p style=…>",
        "<script {}>",
        "<style>",
        "<img on…=>",
        "<a href=javascript:…>",
    ]


# --- In Chromium: a same-origin form post under no-referrer -----------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_callback_form_post_works_under_no_referrer_in_chromium(
    live_server, live_reference_data, browser
):
    """tests/browser/test_hotline_forms.py files the same request; here, what went over the
    wire: Chromium sends Origin null and no Referer, the post is accepted (not a 403) and
    every page on the way carries the headers."""
    from hotline.models import CallbackRequest

    context = browser.new_context(locale="uk-UA")
    context.set_default_timeout(10_000)
    page = context.new_page()
    exchanges = []
    page.on(
        "response",
        lambda response: exchanges.append(
            (response.request.method, response.url, response.status, response.request, response)
        ),
    )
    try:
        page.goto(f"{live_server.url}/callback/")
        page.fill("#id_phone", "(050) 447-70-63")
        page.select_option("#id_topic", CallbackRequest.Topic.JOURNALISTS_RIGHTS.value)
        page.check("#id_consent")
        page.locator("form.intake-form [type=submit]").click()
        page.wait_for_url(re.compile(r"/callback/thanks/$"))
        [post] = [e for e in exchanges if e[0] == "POST"]
        method, url, status, request, response = post
        sent = request.all_headers()
        assert status == 302
        assert sent.get("origin") == "null"
        assert "referer" not in sent
        assert sent.get("sec-fetch-site") == "same-origin"
        pages = [
            e[4]
            for e in exchanges
            if e[0] in {"GET", "POST"} and "/static/" not in e[1] and e[2] in {200, 302}
        ]
        assert len(pages) >= 3  # the form, the post, the thank-you page
        for response in pages:
            headers = response.all_headers()
            assert headers["referrer-policy"] == "no-referrer", response.url
            assert "no-store" in headers["cache-control"], response.url
            assert headers["x-frame-options"] == "DENY", response.url
            assert "'unsafe-inline'" not in headers["content-security-policy"], response.url
        # The static files the pages load come from this host and are not refused.
        statics = [e for e in exchanges if "/static/" in e[1]]
        assert statics and all(e[2] == 200 for e in statics)
    finally:
        context.close()
    assert CallbackRequest.objects.count() == 1
