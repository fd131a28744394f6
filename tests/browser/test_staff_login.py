"""A new staff member's first sign-in in Chromium: password, QR enrolment, backup codes,
then the admin — all under the site's Content-Security-Policy, with nothing refused."""

import re
from base64 import b32decode

import pytest
from django.contrib.auth import get_user_model
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from hotline.models import AccessEvent

from ..hotline.factories import ComplaintFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.one_database,  # the sign-in as staff see it; its rules run on both in tests/test_staff_login.py
]

PASSWORD = "a long staff password 2026"


def watch(page):
    """Console errors (CSP refusals land there) and dialogs, collected for the assertions."""
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    page.on(
        "response",
        lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None,
    )
    return problems


# Staff pages live outside the language prefixes, like the admin: Ukrainian whatever the
# browser prefers. The two runs differ in the window: a phone and a desktop.
@pytest.mark.parametrize(
    ("width", "locale", "prefix"), [(390, "uk-UA", "uk"), (1280, "en-GB", "desktop")]
)
def test_first_sign_in_enrols_a_second_factor_then_opens_the_admin(
    live_server, new_page, screenshot_dir, settings, width, locale, prefix
):
    settings.TWO_FACTOR_REQUIRED = True
    user = get_user_model().objects.create_superuser("olha", "olha@imi.example", PASSWORD)
    complaint = ComplaintFactory()
    page = new_page(width=width, locale=locale)
    problems = watch(page)

    page.goto(f"{live_server.url}/admin/hotline/complaint/")
    page.wait_for_url(re.compile(r"/account/login/"))
    page.screenshot(path=screenshot_dir / f"staff-login-{prefix}-{width}.png", full_page=True)
    page.fill("#id_auth-username", "olha")
    page.fill("#id_auth-password", PASSWORD)
    page.locator("form [type=submit].btn-primary").click()

    # Signed in with the password only: the admin stays shut, enrolment opens instead.
    page.wait_for_url(re.compile(r"/account/two_factor/setup/$"))
    page.locator("form [type=submit].btn-primary").click()
    qr = page.locator("img.qr-code")
    expect(qr).to_be_visible()
    # The QR image really loads (from this site) and is drawn.
    page.wait_for_function("img => img.complete", arg=qr.element_handle())
    box = qr.bounding_box()
    assert box["width"] >= 200, box
    assert page.evaluate(
        "img => img.complete && img.currentSrc.startsWith(location.origin)", qr.element_handle()
    )
    page.screenshot(path=screenshot_dir / f"staff-setup-qr-{prefix}-{width}.png", full_page=True)
    secret = page.locator("code.user-select-all").inner_text().strip()
    page.fill("#id_generator-token", f"{totp(b32decode(secret)):06d}")
    page.locator("form [type=submit].btn-primary").click()

    page.wait_for_url(re.compile(r"/account/two_factor/setup/complete/$"))
    assert TOTPDevice.objects.get(user=user).confirmed
    page.locator("a[href$='/account/two_factor/backup/tokens/']").click()
    page.locator("form [type=submit].btn-primary").click()
    codes = page.locator("ul.backup-codes li")
    expect(codes).to_have_count(10)
    assert StaticDevice.objects.get(user=user).token_set.count() == 10
    page.screenshot(
        path=screenshot_dir / f"staff-backup-codes-{prefix}-{width}.png", full_page=True
    )

    page.goto(f"{live_server.url}/admin/hotline/complaint/{complaint.pk}/change/")
    expect(page.locator("#content h1, #content h2").first).to_be_visible()
    assert "/account/login/" not in page.url
    page.screenshot(
        path=screenshot_dir / f"staff-admin-complaint-{prefix}-{width}.png", full_page=True
    )
    page.goto(f"{live_server.url}/admin/hotline/accessevent/")
    expect(page.locator("#result_list")).to_be_visible()
    assert AccessEvent.objects.filter(user=user, target_id=complaint.pk, action="view").exists()

    assert problems == [], problems


def test_staff_pages_fit_a_phone(live_server, new_page, settings):
    settings.TWO_FACTOR_REQUIRED = True
    get_user_model().objects.create_superuser("petro", "p@imi.example", PASSWORD)
    page = new_page(width=390, locale="uk-UA")
    problems = watch(page)
    page.goto(f"{live_server.url}/account/login/")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.fill("#id_auth-username", "petro")
    page.fill("#id_auth-password", PASSWORD)
    page.locator("form [type=submit].btn-primary").click()
    page.wait_for_url(re.compile(r"/account/two_factor/setup/$"))
    page.locator("form [type=submit].btn-primary").click()
    expect(page.locator("img.qr-code")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert problems == [], problems
