"""Every kind of page, public and staff, runs under the site's Content-Security-Policy with
nothing refused: no inline script or style, nothing from another host, in Chromium."""

import pytest
from django.contrib.auth import get_user_model

from hotline.models import CallbackRequest, Complaint, Note
from incidents.models import Incident

from ..hotline.factories import CallbackRequestFactory, ComplaintFactory
from .helpers import AKHMET_EN_PATH, AKHMET_UK_PATH

pytestmark = [
    pytest.mark.browser,
    pytest.mark.one_database,  # what the browser renders
    pytest.mark.django_db(transaction=True),
]

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""

PUBLIC = [
    "/",
    "/en/",
    "/incidents/",
    AKHMET_UK_PATH,
    "/en" + AKHMET_EN_PATH,
    "/stats/",
    "/en/stats/2019/2/",
    "/callback/",
    "/en/complaint/",
    "/complaint/status/",
    "/privacy/",
    "/en/support/",
    "/api/docs/",
    "/account/login/",
]


def _violations(page, url):
    problems = []
    page.on(
        "console",
        lambda m: (
            problems.append(m.text)
            if m.type == "error" and ("Content Security Policy" in m.text or "Refused" in m.text)
            else None
        ),
    )
    response = page.goto(url, wait_until="networkidle")
    assert response.status == 200, url
    assert "default-src 'self'" in response.headers["content-security-policy"]
    return problems + page.evaluate("window.__cspViolations")


def test_public_pages_break_no_rule_of_the_policy(live_server, demo, new_page):
    page = new_page(width=1280, locale="uk-UA")
    page.add_init_script(RECORD_VIOLATIONS)
    found = {}
    for path in PUBLIC:
        violations = _violations(page, live_server.url + path)
        if violations:
            found[path] = violations
    assert found == {}


def test_admin_pages_break_no_rule_of_the_policy(live_server, demo, new_page, signed_in):
    boss = get_user_model().objects.create_superuser("boss", "boss@imi.example", "pw 12345678")
    complaint = ComplaintFactory()
    Note.objects.create(complaint=complaint, text="Called back, waiting for photos.", author=boss)
    callback = CallbackRequestFactory()
    incident = Incident.objects.filter(status=Incident.Status.PUBLISHED).first()
    page = signed_in(new_page(width=1280, locale="uk-UA"), boss)
    page.add_init_script(RECORD_VIOLATIONS)
    paths = [
        "/admin/",
        "/admin/hotline/complaint/",
        f"/admin/hotline/complaint/{complaint.pk}/change/",
        f"/admin/hotline/complaint/{complaint.pk}/history/",
        "/admin/hotline/callbackrequest/",
        f"/admin/hotline/callbackrequest/{callback.pk}/change/",
        "/admin/hotline/notification/",
        "/admin/hotline/accessevent/",
        "/admin/incidents/incident/",
        f"/admin/incidents/incident/{incident.pk}/change/",
        "/admin/incidents/incident/add/",
        "/account/two_factor/",
    ]
    found = {}
    for path in paths:
        violations = _violations(page, live_server.url + path)
        if violations:
            found[path] = violations
    assert found == {}
    assert Complaint.objects.filter(pk=complaint.pk).exists()
    assert CallbackRequest.objects.filter(pk=callback.pk).exists()
