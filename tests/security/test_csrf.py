"""CSRF: every form that changes something refuses a post without the token, and accepts the
same post carrying the token from its own page (so these tests can fail both ways).

The test client skips CSRF checks unless asked: every client here enforces them. The site
sends `Referrer-Policy: no-referrer`, so browsers post with `Origin: null`;
SameOriginFormPostMiddleware vouches for such a post only when the browser itself says it is
same-origin (`Sec-Fetch-Site`), and the token is checked all the same.
"""

import re
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from hotline.models import CallbackRequest, Complaint
from tests.hotline.factories import CallbackRequestFactory, complaint_with_code
from tests.hotline.helpers import callback_post_data, complaint_post_data

pytestmark = pytest.mark.django_db

PASSWORD = "a long password for csrf tests"
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture
def csrf_client():
    return Client(enforce_csrf_checks=True)


def token_from(client, path) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return TOKEN.search(response.content.decode()).group(1)


@pytest.fixture
def tracked(db):
    return complaint_with_code()


def public_forms(code):
    """(path, data, the status of an accepted post)."""
    forms = []
    for prefix in ("", "/en"):
        forms += [
            (f"{prefix}/callback/", callback_post_data, 302),
            (f"{prefix}/complaint/", complaint_post_data, 302),
            # The right code opens the case inbox: a redirect to it.
            (f"{prefix}/complaint/status/", lambda: {"code": code}, 302),
        ]
    return forms


FORM_IDS = [
    f"{lang}-{name}" for lang in ("uk", "en") for name in ("callback", "complaint", "track")
]


@pytest.mark.parametrize("index", range(6), ids=FORM_IDS)
def test_public_form_post_without_token_is_refused(csrf_client, tracked, index):
    path, data, _accepted = public_forms(tracked[1])[index]
    token_from(csrf_client, path)  # the visitor has the cookie, just not the token in the form
    response = csrf_client.post(path, data())
    assert response.status_code == 403
    assert not CallbackRequest.objects.exists()
    assert Complaint.objects.count() == 1  # only the tracked one


@pytest.mark.parametrize("index", range(6), ids=FORM_IDS)
def test_public_form_post_with_a_wrong_token_is_refused(csrf_client, tracked, index):
    path, data, _accepted = public_forms(tracked[1])[index]
    token_from(csrf_client, path)
    response = csrf_client.post(path, {**data(), "csrfmiddlewaretoken": "x" * 64})
    assert response.status_code == 403


@pytest.mark.parametrize("index", range(6), ids=FORM_IDS)
def test_public_form_post_with_the_token_is_accepted(csrf_client, tracked, index):
    path, data, accepted = public_forms(tracked[1])[index]
    token = token_from(csrf_client, path)
    response = csrf_client.post(path, {**data(), "csrfmiddlewaretoken": token})
    assert response.status_code == accepted, response.content.decode()[:1000]
    if path.endswith("/callback/"):
        assert CallbackRequest.objects.count() == 1
    if path.endswith("/complaint/"):
        assert Complaint.objects.count() == 2


# --- Origin checks, with the no-referrer policy ----------------------------------------------


@pytest.mark.parametrize(
    "headers, status",
    [
        # What Chromium sends for a same-origin form post under no-referrer.
        ({"Origin": "null", "Sec-Fetch-Site": "same-origin"}, 302),
        # Origin null from a sandboxed frame or a data: page elsewhere.
        ({"Origin": "null"}, 403),
        ({"Origin": "null", "Sec-Fetch-Site": "cross-site"}, 403),
        ({"Origin": "null", "Sec-Fetch-Site": "same-site"}, 403),
        ({"Origin": "https://evil.example", "Sec-Fetch-Site": "same-origin"}, 403),
        ({"Origin": "http://testserver.evil.example"}, 403),
        ({"Origin": "http://testserver"}, 302),
    ],
    ids=[
        "null-same-origin",
        "null-alone",
        "null-cross-site",
        "null-same-site",
        "foreign-origin",
        "look-alike-origin",
        "own-origin",
    ],
)
def test_origin_is_checked_along_with_the_token(csrf_client, headers, status):
    token = token_from(csrf_client, "/callback/")
    response = csrf_client.post(
        "/callback/", {**callback_post_data(), "csrfmiddlewaretoken": token}, headers=headers
    )
    assert response.status_code == status
    assert CallbackRequest.objects.count() == (1 if status == 302 else 0)


def test_same_origin_header_does_not_replace_the_token(csrf_client):
    token_from(csrf_client, "/callback/")
    response = csrf_client.post(
        "/callback/",
        callback_post_data(),
        headers={"Origin": "null", "Sec-Fetch-Site": "same-origin"},
    )
    assert response.status_code == 403
    assert not CallbackRequest.objects.exists()


# --- Staff login and the admin --------------------------------------------------------------


@pytest.fixture
def staff(db):
    return get_user_model().objects.create_superuser("duty", "duty@example.org", PASSWORD)


def login_data():
    return {
        "login_view-current_step": "auth",
        "auth-username": "duty",
        "auth-password": PASSWORD,
    }


def test_staff_login_without_token_is_refused(csrf_client, staff):
    token_from(csrf_client, "/account/login/")
    response = csrf_client.post("/account/login/", login_data())
    assert response.status_code == 403
    assert "_auth_user_id" not in csrf_client.session


def test_staff_login_with_token_is_accepted(csrf_client, staff):
    token = token_from(csrf_client, "/account/login/")
    response = csrf_client.post("/account/login/", {**login_data(), "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert csrf_client.session["_auth_user_id"] == str(staff.pk)


def _action_data(callback, token=None):
    data = {"action": "assign_to_me", "_selected_action": [callback.pk], "index": 0}
    if token:
        data["csrfmiddlewaretoken"] = token
    return data


def test_admin_action_without_token_is_refused(csrf_client, staff):
    callback = CallbackRequestFactory()
    csrf_client.force_login(staff)
    token_from(csrf_client, "/admin/hotline/callbackrequest/")
    response = csrf_client.post("/admin/hotline/callbackrequest/", _action_data(callback))
    assert response.status_code == 403
    callback.refresh_from_db()
    assert callback.assignee is None


def test_admin_action_with_token_is_accepted(csrf_client, staff):
    callback = CallbackRequestFactory()
    csrf_client.force_login(staff)
    token = token_from(csrf_client, "/admin/hotline/callbackrequest/")
    response = csrf_client.post("/admin/hotline/callbackrequest/", _action_data(callback, token))
    assert response.status_code == 302
    callback.refresh_from_db()
    assert callback.assignee == staff


def test_admin_change_form_without_token_is_refused(csrf_client, staff):
    callback = CallbackRequestFactory(message="before")
    csrf_client.force_login(staff)
    path = f"/admin/hotline/callbackrequest/{callback.pk}/change/"
    token_from(csrf_client, path)
    response = csrf_client.post(path, {"message": "changed by a forged post"})
    assert response.status_code == 403
    callback.refresh_from_db()
    assert callback.message == "before"


def test_logout_is_a_post_and_needs_the_token(csrf_client, staff):
    csrf_client.force_login(staff)
    token_from(csrf_client, "/admin/")
    assert csrf_client.post("/admin/logout/").status_code == 403
    assert "_auth_user_id" in csrf_client.session
    # A GET does not log out either (Django 5 admin: POST only).
    assert csrf_client.get("/admin/logout/").status_code == 405
    assert "_auth_user_id" in csrf_client.session


def test_submission_keys_are_not_a_csrf_bypass(csrf_client):
    """A forged post with a fresh submission key is refused like any other."""
    token_from(csrf_client, "/complaint/")
    data = complaint_post_data(submission_key=str(uuid.uuid4()))
    assert csrf_client.post("/complaint/", data).status_code == 403
