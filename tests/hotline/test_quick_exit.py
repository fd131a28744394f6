"""'Leave this site quickly' on every hotline page: the session forgets what it held (files
kept from a form, a tracking code on the thank-you page, an open case inbox) and the
browser goes to a neutral page. A refused token never keeps anyone on the page."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import get_resolver

from hotline.models import HeldFile

from .evidence_files import png_bytes
from .helpers import complaint_post_data, shown

pytestmark = pytest.mark.django_db

EXIT = "https://weather.example/"
FORM = re.compile(
    r'<form id="quick-exit"[^>]*action="(?P<action>[^"]+)"[^>]*data-exit-url="(?P<url>[^"]+)"'
)


def hotline_pages():
    """Every page of the hotline that answers a plain GET (its namespace, without a prefix)."""
    paths = set()

    def walk(resolver, prefix, inside):
        for entry in resolver.url_patterns:
            pattern = str(entry.pattern)
            if hasattr(entry, "url_patterns"):
                walk(entry, prefix + pattern, inside or entry.namespace == "hotline")
            elif inside and "<" not in pattern:
                paths.add("/" + prefix + pattern)

    walk(get_resolver(), "", False)
    # Not pages: the quick exit itself, and the large-file protocol (no GET at all).
    not_pages = {"/leave/", "/complaint/upload/"}
    return sorted(path.replace("/en/", "/", 1) for path in paths - not_pages)


@pytest.fixture(autouse=True)
def _exit(settings):
    settings.QUICK_EXIT_URL = EXIT


def test_the_hotline_has_these_pages():
    assert {"/callback/", "/complaint/", "/complaint/status/", "/complaint/case/"} <= set(
        hotline_pages()
    )


@pytest.mark.parametrize(("prefix", "language"), [("", "uk"), ("/en", "en")])
def test_every_hotline_page_offers_the_quick_exit_in_its_language(client, prefix, language):
    for path in hotline_pages():
        response = client.get(prefix + path, follow=True)
        page = response.content.decode()
        form = FORM.search(page)
        assert form, f"{prefix}{path}: no quick exit"
        assert form["action"] == f"{prefix}/leave/"
        assert form["url"] == EXIT
        assert shown("Leave this site quickly", language) in page, path
        assert "js/quick_exit.js" in page


def test_pages_outside_the_hotline_have_none(client):
    for path in ("/", "/incidents/", "/stats/", "/privacy/"):
        assert 'id="quick-exit"' not in client.get(path, follow=True).content.decode()


def test_leaving_forgets_the_held_files_and_the_session(client, django_capture_on_commit_callbacks):
    photo = SimpleUploadedFile("photo.png", png_bytes(), "image/png")
    client.post(
        "/complaint/", {**complaint_post_data(description="Too short."), "attachments": [photo]}
    )
    assert HeldFile.objects.count() == 1
    session_key = client.session.session_key
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/leave/", {"csrfmiddlewaretoken": _token(client)})
    assert response.status_code == 303
    assert response["Location"] == EXIT
    assert response["Clear-Site-Data"] == '"cache"'
    assert not HeldFile.objects.exists()
    assert client.session.session_key != session_key
    # The form comes back empty: nothing of the visit is held any more.
    assert 'id="held-files"' not in client.get("/complaint/").content.decode()


def test_the_thank_you_page_no_longer_shows_the_tracking_code(client):
    assert client.post("/complaint/", complaint_post_data()).status_code == 302
    assert 'id="tracking-code"' in client.get("/complaint/thanks/").content.decode()
    client.post("/leave/", {"csrfmiddlewaretoken": _token(client)})
    assert 'id="tracking-code"' not in client.get("/complaint/thanks/").content.decode()


def test_a_post_without_this_sites_token_still_leaves_and_forgets_nothing():
    client = Client()
    client.post(
        "/complaint/",
        {
            **complaint_post_data(description="Too short."),
            "attachments": [SimpleUploadedFile("photo.png", png_bytes(), "image/png")],
        },
    )
    client.handler.enforce_csrf_checks = True
    response = client.post("/leave/", {})
    assert (response.status_code, response["Location"]) == (303, EXIT)
    assert HeldFile.objects.count() == 1


def test_only_a_post_leaves(client):
    assert client.get("/leave/").status_code == 405


def test_the_neutral_page_may_receive_the_forms_answer(client):
    """Without JavaScript the form's answer is a redirect there: the policy allows it."""
    policy = client.get("/complaint/")["Content-Security-Policy"]
    form_action = next(part for part in policy.split(";") if "form-action" in part)
    assert "'self'" in form_action and "https://meteo.gov.ua" in form_action


def _token(client) -> str:
    page = client.get("/complaint/").content.decode()
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
