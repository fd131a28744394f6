"""Cross-site scripting: payloads in every field that is shown anywhere.

Every text field of the public record (incident, victims, sources, categories, regions) and
of the hotline (complaint, callback request, notes, public updates, evidence file names) is
filled with script, event-handler, `javascript:` and template payloads. The public pages,
the feeds, the tracking page and the admin must show them as text: the HTML a browser builds
from the page has no element, event handler or script URL that came from a payload. Then
Chromium opens the pages and no alert() may run.
"""

import datetime
import re
import xml.etree.ElementTree as ET

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.html import escape

from hotline.models import Attachment
from incidents.models import Category, Incident, Region
from tests.hotline.factories import (
    CallbackRequestFactory,
    CaseMessageFactory,
    NoteFactory,
    complaint_with_code,
)
from tests.hotline.helpers import callback_post_data, complaint_post_data
from tests.incidents.factories import IncidentFactory, SourceLinkFactory, VictimFactory
from tests.shared_data import shared_data

from .hostile import (
    ALL_PAYLOADS,
    IMG,
    JS_URL,
    SCRIPT,
    SHORT_PAYLOADS,
    TEMPLATE,
    TEXTAREA,
    raw_markup_in,
)

# How a page shows SCRIPT when it escapes it (no quotes in it, so one spelling only).
ESCAPED_SCRIPT = escape(SCRIPT)

BODY = f"""Intro {SCRIPT} and more.

{IMG}

[a markdown link](javascript:alert(1)) and <a href="javascript:alert(1)">a raw link</a>
and <a href="JaVaScRiPt:alert(1)">mixed case</a> and [spaced]( javascript:alert(1) ).

<svg onload=alert(1)></svg> {TEXTAREA}

<p onclick="alert(1)" style="background:url(javascript:alert(1))">para</p>
<iframe src="javascript:alert(1)"></iframe><object data="javascript:alert(1)"></object>
<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>

{TEMPLATE}
"""


def assert_shown_as_text(html: str, *, expect_escaped=True):
    assert raw_markup_in(html) == []
    if expect_escaped:
        # The payload did reach the page, escaped (so the check above was not vacuous).
        assert ESCAPED_SCRIPT in html
        assert TEMPLATE in html  # shown as typed, not evaluated


def create_hostile_record() -> Incident:
    """A published incident (and its English translation) whose every shown field carries
    the payloads. A plain function, so live-server tests can call it too."""
    group = Category.objects.create(
        slug="xss-group", name_uk=ALL_PAYLOADS, name_en=ALL_PAYLOADS, position=1
    )
    category = Category.objects.create(
        slug="xss-category", name_uk=ALL_PAYLOADS, name_en=ALL_PAYLOADS, parent=group
    )
    region = Region.objects.create(
        slug="xss-region", kind=Region.Kind.OBLAST, name_uk=ALL_PAYLOADS, name_en=ALL_PAYLOADS
    )
    today = timezone.localdate()
    incident = IncidentFactory(
        slug="xss",
        title=ALL_PAYLOADS,
        lead=ALL_PAYLOADS,
        body=BODY,
        place=ALL_PAYLOADS,
        perpetrator_detail=ALL_PAYLOADS,
        region=region,
        categories=[category],
        occurred_on=today,
        is_featured=True,
    )
    english = IncidentFactory(
        slug="xss-en",
        language="en",
        translation_of=incident,
        title=ALL_PAYLOADS,
        lead=ALL_PAYLOADS,
        body=BODY,
        place=ALL_PAYLOADS,
        region=region,
        categories=[category],
        occurred_on=today,
    )
    for article in (incident, english):
        VictimFactory(incident=article, name=ALL_PAYLOADS, outlet=ALL_PAYLOADS, role=IMG)
        VictimFactory(incident=article, name=ALL_PAYLOADS, is_anonymous=True)
        # Stored directly, past the URL validation the admin applies: the page must still
        # not link to a script.
        SourceLinkFactory(incident=article, url=JS_URL, title=ALL_PAYLOADS)
        SourceLinkFactory(incident=article, url=" javascript:alert(1)", title="")
        SourceLinkFactory(incident=article, url=f"https://example.org/{IMG}", title="")
    IncidentFactory(slug="related", categories=[category], title="Related", region=region)
    return incident


@shared_data
def hostile_record():
    return create_hostile_record()


# --- Public pages ---------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["", "/en"])
@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/incidents/",
        "/incidents/?region=xss-region&category=xss-category",
        "/incidents/?group=xss-group",
        "DETAIL",
        "/incidents/related/",
        "STATS",
        "STATS_MONTH",
    ],
)
def test_public_pages_show_payloads_as_text(client, hostile_record, prefix, path):
    today = timezone.localdate()
    path = {
        "DETAIL": "/incidents/xss-en/" if prefix else "/incidents/xss/",
        "STATS": f"/stats/?date_from={today - datetime.timedelta(days=60)}&date_to={today}",
        "STATS_MONTH": f"/stats/{today.year}/{today.month}/",
    }.get(path, path)
    response = client.get(prefix + path)
    assert response.status_code == 200
    html = response.content.decode()
    # The related-incidents list shows only titles of other incidents: no payload there.
    assert_shown_as_text(html, expect_escaped=path != "/incidents/related/")


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_detail_page_article_body_is_sanitised(client, hostile_record, prefix):
    slug = "xss-en" if prefix else "xss"
    html = client.get(f"{prefix}/incidents/{slug}/").content.decode()
    body = html.split('<div class="article-body">', 1)[1].split("</div>", 1)[0]
    assert raw_markup_in(body) == []
    for dangerous in ("<script", "<img", "<svg", "<iframe", "<object", "onerror", "onload"):
        assert dangerous not in body.lower()
    # Every link left in the article goes to a web or mail address.
    hrefs = re.findall(r"href=\"([^\"]*)\"", body)
    assert all(h.startswith(("http://", "https://", "mailto:")) for h in hrefs), hrefs
    # The harmless text stays.
    assert "Intro" in body
    assert "a markdown link" in body
    assert "para" in body


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_source_links_never_point_to_a_script(client, hostile_record, prefix):
    slug = "xss-en" if prefix else "xss"
    html = client.get(f"{prefix}/incidents/{slug}/").content.decode()
    assert not [p for p in raw_markup_in(html) if "javascript" in p.lower()]
    # The stored https address with a payload in its path is still a link, escaped.
    assert escape(f"https://example.org/{IMG}") in html


@pytest.mark.parametrize(
    "path",
    [
        "/incidents/feed/rss/",
        "/incidents/feed/atom/",
        "/en/incidents/feed/rss/",
        "/incidents/feed/xss-category/rss/",
        "/incidents/feed/xss-group/atom/",
    ],
)
def test_feeds_carry_payloads_as_text_not_markup(client, hostile_record, path):
    response = client.get(path)
    assert response.status_code == 200
    root = ET.fromstring(response.content)  # noqa: S314 -- our own feed, just rendered
    texts = [element.text or "" for element in root.iter()]
    # Feed readers render description/summary as HTML: after XML parsing, the lead must still
    # be escaped HTML (so the reader shows the text), never markup.
    descriptions = [
        element.text or ""
        for element in root.iter()
        if element.tag.rsplit("}", 1)[-1] in {"description", "summary", "content"}
    ]
    assert any(ESCAPED_SCRIPT in d for d in descriptions), descriptions
    for description in descriptions:
        assert raw_markup_in(description) == []
    assert any(text == ALL_PAYLOADS for text in texts)  # titles are plain text elements


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_case_inbox_shows_messages_as_text(client, db, prefix):
    complaint, code = complaint_with_code(place=ALL_PAYLOADS, description=ALL_PAYLOADS * 2)
    CaseMessageFactory(complaint=complaint, text=f"{ALL_PAYLOADS}\nsecond line {IMG}")
    CaseMessageFactory(complaint=complaint, sender="reporter", text=f"{ALL_PAYLOADS}\nmy reply")
    response = client.post(f"{prefix}/complaint/status/", {"code": code}, follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="complaint-status"' in html
    assert_shown_as_text(html)
    assert "<br>second line" in html  # linebreaksbr still works, after escaping


@pytest.mark.parametrize("prefix", ["", "/en"])
@pytest.mark.parametrize("payload", [SCRIPT, IMG, TEXTAREA, ALL_PAYLOADS])
def test_forms_echo_typed_payloads_escaped(client, db, prefix, payload):
    """Reflected: a refused form shows back what was typed, in inputs and textareas."""
    callback = client.post(
        f"{prefix}/callback/",
        callback_post_data(name=payload, message=payload, consent=None, topic=payload),
    )
    complaint = client.post(
        f"{prefix}/complaint/",
        complaint_post_data(
            reporter_name=payload,
            outlet=payload,
            safe_times=payload,
            place=payload,
            description=payload * 20,
            links=payload,
            occurred_on=payload,
            email=payload,
            consent_processing=None,
        ),
    )
    track = client.post(f"{prefix}/complaint/status/", {"code": payload})
    for response in (callback, complaint, track):
        assert response.status_code == 200
        html = response.content.decode()
        assert raw_markup_in(html) == []
        assert escape(payload) in html


@pytest.mark.parametrize("prefix", ["", "/en"])
@pytest.mark.parametrize(
    "path",
    [
        "/incidents/?q={p}&region={p}&date_from={p}&page={p}",
        "/stats/?q={p}&date_from=2024-01-01&date_to={p}&region={p}",
        "/incidents/export.csv?q={p}",
        "/nonexistent/{p}/",
    ],
)
def test_reflected_parameters_are_escaped(client, hostile_record, prefix, path):
    from urllib.parse import quote

    response = client.get(prefix + path.format(p=quote(ALL_PAYLOADS)))
    assert response.status_code in {200, 404}
    if response.streaming:
        return  # a CSV file, not a page
    assert raw_markup_in(response.content.decode()) == []


# --- The admin ------------------------------------------------------------------------------


@pytest.fixture
def hostile_hotline(db):
    complaint, code = complaint_with_code(
        reporter_name=SHORT_PAYLOADS,
        outlet=ALL_PAYLOADS,
        email="reporter@example.org",
        safe_times=ALL_PAYLOADS,
        place=ALL_PAYLOADS,
        description=ALL_PAYLOADS * 3,
        links=f"{JS_URL}\n{ALL_PAYLOADS}\nhttps://example.org/{IMG}",
    )
    NoteFactory(complaint=complaint, text=ALL_PAYLOADS)
    CaseMessageFactory(complaint=complaint, text=ALL_PAYLOADS)
    CaseMessageFactory(complaint=complaint, sender="reporter", text=ALL_PAYLOADS)
    Attachment.objects.create(
        complaint=complaint,
        file="evidence/2024/01/0123456789abcdef",
        original_name=f"{IMG}.png",
        content_type="image/png",
        size=10,
        sha256="0" * 64,
    )
    callback = CallbackRequestFactory(name=SHORT_PAYLOADS, message=ALL_PAYLOADS)
    NoteFactory(complaint=None, callback=callback, text=ALL_PAYLOADS)
    return complaint, callback


def admin_pages(complaint, callback, incident):
    return [
        "/admin/hotline/complaint/",
        f"/admin/hotline/complaint/?q={ALL_PAYLOADS}",
        f"/admin/hotline/complaint/{complaint.pk}/change/",
        f"/admin/hotline/complaint/{complaint.pk}/history/",
        "/admin/hotline/callbackrequest/",
        f"/admin/hotline/callbackrequest/{callback.pk}/change/",
        f"/admin/hotline/callbackrequest/{callback.pk}/history/",
        "/admin/incidents/incident/",
        f"/admin/incidents/incident/?q={ALL_PAYLOADS}",
        f"/admin/incidents/incident/{incident.pk}/change/",
        "/admin/incidents/category/",
        "/admin/incidents/region/",
        "/admin/hotline/notification/",
    ]


def test_admin_pages_show_payloads_as_text(admin_client, hostile_record, hostile_hotline):
    complaint, callback = hostile_hotline
    for path in admin_pages(complaint, callback, hostile_record):
        response = admin_client.get(path)
        assert response.status_code == 200, path
        html = response.content.decode()
        assert raw_markup_in(html) == [], path
    # The evidence link carries its file name as text.
    html = admin_client.get(f"/admin/hotline/complaint/{complaint.pk}/change/").content.decode()
    assert escape(f"{IMG}.png") in html
    assert ESCAPED_SCRIPT in html


@pytest.mark.parametrize(
    "url", [JS_URL, " javascript:alert(1)", "JAVASCRIPT:alert(1)", "data:text/html,<script>x"]
)
def test_admin_source_link_field_refuses_script_urls(rf, admin_user, url):
    """The validation that keeps `javascript:` out of source links typed in the admin."""
    from django.contrib import admin
    from django.core.exceptions import ValidationError

    from incidents.admin import SourceLinkInline
    from incidents.models import SourceLink

    request = rf.get("/admin/")
    request.user = admin_user
    field = SourceLinkInline(Incident, admin.site).formfield_for_dbfield(
        SourceLink._meta.get_field("url"), request
    )
    with pytest.raises(ValidationError):
        field.clean(url)


# --- In a real browser ----------------------------------------------------------------------


def _watch(page, dialogs, console):
    def on_dialog(dialog):
        dialogs.append(f"{dialog.type}: {dialog.message} on {page.url}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on(
        "console",
        lambda message: (
            console.append(f"{page.url}: {message.text}") if message.type == "error" else None
        ),
    )
    page.on("pageerror", lambda error: console.append(f"{page.url}: page error {error}"))


def _own_assets_blocked(console, origin):
    """Console errors saying the CSP blocked one of the site's own files."""
    return [line for line in console if "Refused to" in line and f"{origin}/static/" in line]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_no_payload_runs_in_chromium(live_server, live_reference_data, browser, client):
    incident = create_hostile_record()
    complaint, code = complaint_with_code(
        reporter_name=SHORT_PAYLOADS, outlet=ALL_PAYLOADS, description=ALL_PAYLOADS * 3
    )
    CaseMessageFactory(complaint=complaint, text=ALL_PAYLOADS)
    CaseMessageFactory(complaint=complaint, sender="reporter", text=ALL_PAYLOADS)
    NoteFactory(complaint=complaint, text=ALL_PAYLOADS)
    Attachment.objects.create(
        complaint=complaint,
        file="evidence/2024/01/0123456789abcdef",
        original_name=f"{IMG}.png",
        content_type="image/png",
        size=10,
        sha256="0" * 64,
    )
    admin = get_user_model().objects.create_superuser("root", "root@example.org", "a long pw 123")
    client.force_login(admin)
    session = client.cookies["sessionid"].value

    context = browser.new_context(locale="uk-UA")
    context.set_default_timeout(10_000)
    context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])
    dialogs, console = [], []
    page = context.new_page()
    _watch(page, dialogs, console)
    try:
        for path in (
            f"/incidents/{incident.slug}/",
            "/incidents/",
            "/",
            f"/incidents/?q={ALL_PAYLOADS}",
            f"/admin/hotline/complaint/{complaint.pk}/change/",
            "/admin/hotline/complaint/",
            f"/admin/incidents/incident/{incident.pk}/change/",
        ):
            page.goto(live_server.url + path)
            page.wait_for_load_state("load")
            assert page.title(), path
        # The tracking page after a lookup, through the form.
        page.goto(f"{live_server.url}/complaint/status/")
        page.fill("#id_code", code)
        page.locator("#main form [type=submit]").click()
        page.wait_for_selector("#complaint-status")
        assert ALL_PAYLOADS in page.inner_text("#main")
        # The payload typed into a form that is refused and shown again.
        page.goto(f"{live_server.url}/callback/")
        page.fill("#id_name", ALL_PAYLOADS)
        page.fill("#id_message", ALL_PAYLOADS)
        page.locator("form.intake-form [type=submit]").click()
        page.wait_for_load_state("load")
        assert page.input_value("#id_name") == ALL_PAYLOADS[:120]  # the field's maxlength
        # The watch itself works: a dialog opened from outside the page is caught.
        page.evaluate("window.alert('probe')")
        assert dialogs.pop().endswith(f"probe on {page.url}")
    finally:
        context.close()
    if console:
        print("Console errors (CSP reports among them):", *console, sep="\n  ")
    assert dialogs == []
    assert _own_assets_blocked(console, live_server.url) == []
