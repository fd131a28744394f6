"""Issue 29: Django's 500 page is the site's, in the address's language, with the hotline, and
it needs neither the database nor the cache (nginx's pages: tests/test_proxy.py)."""

import pytest
from django.test import Client
from django.urls import path

from imi_portal.error_pages import PAGES, render_page
from imi_portal.urls import handler500
from imi_portal.urls import urlpatterns as site_patterns
from tests.hotline.helpers import said


def broken(request):
    raise RuntimeError("something in a view broke")


urlpatterns = [path("broken/", broken), path("en/broken/", broken), *site_patterns]
handler500 = handler500  # noqa: PLW0127 (this module is the URLconf of the tests below)


@pytest.mark.django_db
@pytest.mark.urls("tests.test_error_pages")
@pytest.mark.parametrize(("url", "language"), [("/broken/", "uk"), ("/en/broken/", "en")])
def test_a_view_that_breaks_gets_the_sites_500_page(url, language):
    response = Client(raise_request_exception=False).get(url)
    page = response.content.decode()
    assert response.status_code == 500
    assert f'<html lang="{language}">' in page
    assert said("Something went wrong", language) in page
    assert 'href="tel:+380' in page
    assert "RuntimeError" not in page and "Traceback" not in page


@pytest.mark.parametrize("kind", sorted(PAGES))
@pytest.mark.parametrize("language", ["uk", "en"])
def test_every_error_page_has_the_hotline_and_says_how_to_keep_what_was_typed(kind, language):
    """Rendered here without database access (no django_db mark): none is needed."""
    page = render_page(kind, language)
    assert 'href="tel:+380' in page
    assert f'<html lang="{language}">' in page
    back = said(
        "Press your browser's Back button: the form usually still holds what you typed.", language
    )
    keeps = said(
        "If you were sending a form: press your browser's Back button, where what you typed"
        " usually still is, and copy it somewhere safe before you try again. If it was sent,"
        " sending it again does no harm: we recognise a repeat.",
        language,
    )
    said_back = (
        "Press your browser's Back button: the form usually still holds what you typed. Send"
        " it again from an ordinary browser, or call us."
    )
    assert back in page or keeps in page or said(said_back, language) in page, kind
