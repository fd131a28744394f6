"""Staff sign-in: a password alone opens nothing when the second factor is required.

Runs the real django-two-factor-auth wizards through the test client: enrolment with a TOTP
code computed from the secret the page hands out, sign-in with a code, with a backup code,
and django-axes locking an account out after repeated wrong passwords.
"""

import logging
import re
from base64 import b32decode
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext, override
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

PASSWORD = "correct horse battery staple 42"
LOGIN = "/account/login/"


@pytest.fixture
def required(settings):
    settings.TWO_FACTOR_REQUIRED = True
    return settings


@pytest.fixture
def staff(db):
    return get_user_model().objects.create_superuser("duty", "duty@imi.example", PASSWORD)


def enrolled(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="default", confirmed=True)


def code_for(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def password_step(client, username="duty", password=PASSWORD, next_url="/admin/"):
    return client.post(
        f"{LOGIN}?next={next_url}",
        {
            "login_view-current_step": "auth",
            "auth-username": username,
            "auth-password": password,
        },
    )


def token_step(client, token, next_url="/admin/"):
    return client.post(
        f"{LOGIN}?next={next_url}",
        {"login_view-current_step": "token", "token-otp_token": token},
    )


# --- The admin is closed without the second factor ------------------------------------------


@pytest.mark.django_db
def test_anonymous_admin_visit_goes_to_the_two_step_login_not_the_password_form(client, required):
    response = client.get("/admin/hotline/complaint/", follow=True)
    assert response.redirect_chain[-1][0].startswith(LOGIN)
    assert "next=/admin/hotline/complaint/" in response.redirect_chain[-1][0].replace("%2F", "/")
    assert response.status_code == 200


@pytest.mark.django_db
def test_a_password_only_session_cannot_open_any_admin_page(client, required, staff):
    enrolled(staff)
    client.force_login(staff)  # signed in, but not verified with a code
    for url in ["/admin/", "/admin/hotline/complaint/", "/admin/hotline/callbackrequest/"]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith("/admin/login/")
    # and the admin's own login page only sends them on to the two-step login
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response.url.startswith(LOGIN)


@pytest.mark.django_db
def test_without_the_requirement_a_local_admin_gets_in_with_the_password(client, settings, staff):
    settings.TWO_FACTOR_REQUIRED = False
    client.force_login(staff)
    assert client.get("/admin/").status_code == 200


def test_production_refuses_to_relax_the_second_factor():
    import secrets

    from tests.test_settings import manage, production_env

    result = manage(
        "check",
        env=production_env(SECRET_KEY=secrets.token_urlsafe(50), TWO_FACTOR_REQUIRED="0"),
    )
    assert result.returncode != 0
    assert "TWO_FACTOR_REQUIRED" in result.stderr


# --- Enrolment ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_new_staff_member_enrols_with_a_qr_code_and_then_reaches_the_admin(client, required, staff):
    response = password_step(client)
    # No device yet: signed in with the password, sent on to enrolment, admin still closed.
    response = client.get(response.url, follow=True)
    assert response.redirect_chain[-1][0] == reverse("two_factor:setup")
    with override("uk"):
        message = gettext(
            "Before you can open the administration, set up a second factor: "
            "an authenticator app on your phone."
        )
    assert escape(message) in response.content.decode()
    assert client.get("/admin/").status_code == 302

    setup = reverse("two_factor:setup")
    page = client.post(setup, {"setup_view-current_step": "welcome"}).content.decode()
    # The QR code is an image from this site, drawn on the server; no third-party QR service.
    qr_src = re.search(r'<img class="qr-code[^"]*" src="([^"]+)"', page).group(1)
    assert qr_src == reverse("two_factor:qr")
    qr = client.get(qr_src)
    assert qr.status_code == 200
    assert qr["Content-Type"].startswith("image/svg+xml")
    assert b"<svg" in qr.content
    assert "http" not in qr_src

    key = client.session["django_two_factor-qr_secret_key"]
    wrong = client.post(setup, {"setup_view-current_step": "generator", "generator-token": "0"})
    assert "not valid" in wrong.content.decode()
    assert not TOTPDevice.objects.filter(user=staff).exists()

    token = totp(b32decode(key))
    done = client.post(setup, {"setup_view-current_step": "generator", "generator-token": token})
    assert done.status_code == 302
    assert TOTPDevice.objects.get(user=staff).confirmed
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_backup_codes_are_made_on_request_and_each_works_once(client, required, staff):
    device = enrolled(staff)
    password_step(client)
    token_step(client, code_for(device))
    response = client.post(reverse("two_factor:backup_tokens"), follow=True)
    codes = re.findall(r"<li>([a-z0-9]{8})</li>", response.content.decode())
    assert len(codes) == 10
    assert StaticDevice.objects.get(user=staff).token_set.count() == 10
    client.logout()

    def sign_in_with_backup(code):
        c = client.__class__()
        password_step(c)
        c.post(LOGIN, {"login_view-current_step": "token", "wizard_goto_step": "backup"})
        c.post(
            LOGIN + "?next=/admin/", {"login_view-current_step": "backup", "backup-otp_token": code}
        )
        return c.get("/admin/").status_code

    assert sign_in_with_backup(codes[0]) == 200
    assert sign_in_with_backup(codes[0]) == 302  # used up
    assert StaticDevice.objects.get(user=staff).token_set.count() == 9


# --- Signing in -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_sign_in_needs_the_password_and_the_current_code(client, required, staff):
    device = enrolled(staff)
    response = password_step(client)
    assert response.status_code == 200
    assert 'name="token-otp_token"' in response.content.decode()
    assert client.get("/admin/").status_code == 302  # not yet

    wrong = token_step(client, "000000" if code_for(device) != "000000" else "111111")
    assert wrong.status_code == 200
    assert client.get("/admin/").status_code == 302

    # django-otp slows guessing down: right after a wrong code even the right one waits.
    throttled = token_step(client, code_for(device))
    assert throttled.status_code == 200
    assert client.get("/admin/").status_code == 302
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    # ...time passes (the wait doubles with each failure)
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=None)

    ok = token_step(client, code_for(device))
    assert ok.status_code == 302
    assert ok.url == "/admin/"
    assert client.get("/admin/hotline/complaint/").status_code == 200


@pytest.mark.django_db
def test_the_login_page_cannot_send_staff_to_another_site(client, required, staff):
    device = enrolled(staff)
    password_step(client, next_url="https://evil.example/")
    response = token_step(client, code_for(device), next_url="https://evil.example/")
    assert response.status_code == 302
    assert "evil.example" not in response.url


@pytest.mark.django_db
def test_no_one_can_switch_their_own_second_factor_off(client, required, staff):
    device = enrolled(staff)
    password_step(client)
    token_step(client, code_for(device))
    assert client.get("/account/two_factor/disable/").status_code == 404
    profile = client.get(reverse("two_factor:profile")).content.decode()
    assert "disable" not in profile.lower()


# --- Lockout (django-axes) ------------------------------------------------------------------


@pytest.mark.django_db
def test_five_wrong_passwords_lock_the_account_for_that_client_and_leave_no_address(
    client, required, staff, caplog, settings
):
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    enrolled(staff)
    caplog.set_level(logging.WARNING, logger="axes")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = password_step(client, password="wrong")
        assert response.status_code == 200
        assert "alert-danger" in response.content.decode()  # "enter a correct username…"
    locked = password_step(client, password="wrong")
    assert locked.status_code == 429
    assert "registration/locked_out.html" in [t.name for t in locked.templates]
    # Even the right password is refused now, from this client, for this account...
    again = password_step(client)
    assert again.status_code == 429
    assert 'name="token-otp_token"' not in again.content.decode()
    # ...but the same account from another connection is not locked out, nor is
    # another account from this one.
    other = client.__class__(REMOTE_ADDR="198.51.100.23")
    assert 'name="token-otp_token"' in password_step(other).content.decode()

    # The lockout lives in the cache only: no address in the database, none in the log.
    assert not AccessAttempt.objects.exists()
    assert not AccessLog.objects.exists()
    assert not AccessFailureLog.objects.exists()
    assert caplog.records, "axes logged the failures"
    for record in caplog.records:
        assert "127.0.0.1" not in record.getMessage()


@pytest.mark.django_db
def test_the_admin_shows_no_device_secret_or_backup_code_even_to_superusers(client, staff):
    device = enrolled(staff)
    static = StaticDevice.objects.create(user=staff, name="backup")
    static.token_set.create(token="k7qz2m4x")
    client.force_login(staff)
    totp_page = client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/")
    assert totp_page.status_code == 200
    assert device.key not in totp_page.content.decode()
    assert "config_url" not in totp_page.content.decode()
    static_page = client.get(f"/admin/otp_static/staticdevice/{static.pk}/change/")
    assert static_page.status_code == 200
    assert "k7qz2m4x" not in static_page.content.decode()
    # removing a lost device stays possible
    assert (
        client.post(f"/admin/otp_totp/totpdevice/{device.pk}/delete/", {"post": "yes"}).status_code
        == 302
    )
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()


@pytest.mark.django_db
def test_every_admin_page_links_to_the_sign_in_security_page(client, staff):
    client.force_login(staff)
    page = client.get("/admin/hotline/complaint/").content.decode()
    assert f'href="{reverse("two_factor:profile")}"' in page
    profile = client.get(reverse("two_factor:profile")).content.decode()
    assert reverse("two_factor:setup") in profile  # no device yet: it offers enrolment


@pytest.mark.django_db
def test_locally_the_demo_admin_signs_in_with_the_password_alone(client, settings, staff):
    # `make run` (DEBUG on): the README's demo login must work without a phone.
    settings.TWO_FACTOR_REQUIRED = False
    response = password_step(client)
    assert response.status_code == 302
    assert client.get(response.url).status_code == 200
    assert client.get("/admin/hotline/complaint/").status_code == 200


@pytest.mark.django_db
def test_a_staff_session_ends_after_two_idle_hours_not_two_busy_ones(client, staff, settings):
    from django.contrib.sessions.models import Session

    assert settings.SESSION_COOKIE_AGE == 2 * 60 * 60
    client.force_login(staff)
    key = client.session.session_key
    Session.objects.filter(pk=key).update(expire_date=timezone.now() + timedelta(minutes=5))
    assert client.get("/admin/").status_code == 200  # working: the clock starts again
    remaining = Session.objects.get(pk=key).expire_date - timezone.now()
    assert remaining > timedelta(minutes=119)
    # the cookie does not outlive the browser
    assert client.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == ""

    Session.objects.filter(pk=key).update(expire_date=timezone.now() - timedelta(seconds=1))
    assert client.get("/admin/").status_code == 302  # idle too long: signed out


@pytest.mark.django_db
def test_the_admin_index_opens_on_the_hotline_then_the_record(client):
    from django.contrib.auth import get_user_model

    boss = get_user_model().objects.create_superuser("boss", "boss@imi.example", "pw 12345678")
    client.force_login(boss)
    apps = [app["app_label"] for app in client.get("/admin/").context["app_list"]]
    assert apps[:2] == ["hotline", "incidents"]
    assert "axes" in apps[2:]


@pytest.mark.django_db
@pytest.mark.parametrize(("chosen", "expected"), [("en", "Complaints"), ("uk", "Скарги")])
def test_each_staff_member_reads_the_admin_in_their_language(client, chosen, expected):
    from django.contrib.auth import get_user_model

    from hotline.models import StaffProfile

    boss = get_user_model().objects.create_superuser("boss", "boss@imi.example", "pw 12345678")
    StaffProfile.objects.create(user=boss, language=chosen)
    client.force_login(boss)
    page = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="uk" if chosen == "en" else "en")
    assert f'<html lang="{chosen}"' in page.content.decode()
    assert expected in page.content.decode()
