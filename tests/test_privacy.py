"""The privacy notice tells the people using the forms what this instance really does."""

import pytest


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "callback_text", "complaint_text"),
    [
        ("/en/privacy/", "erased 45 days after it is closed", "erased 400 days after it is closed"),
        ("/privacy/", "45", "400"),
    ],
)
def test_the_notice_states_the_configured_retention_periods(
    client, settings, url, callback_text, complaint_text
):
    settings.RETENTION_CALLBACK_DAYS = 45
    settings.RETENTION_COMPLAINT_DAYS = 400
    page = client.get(url).content.decode()
    assert callback_text in page
    assert complaint_text in page


@pytest.mark.django_db
def test_the_notice_covers_what_who_how_long_and_erasure(client):
    page = client.get("/en/privacy/").content.decode()
    for heading in ["What we keep", "Who sees it", "How long", "Your rights"]:
        assert heading in page
    assert "erased 30 days after it is closed" in page  # the default
    assert "erased 365 days after it is closed or not taken up" in page
    assert "code from their phone" in page
    assert "tracking code" in page


@pytest.mark.django_db
def test_every_page_links_to_the_notice(client):
    for url in ["/", "/en/complaint/", "/callback/"]:
        assert 'href="/privacy/"' in client.get(url).content.decode() or 'href="/en/privacy/"' in (
            client.get(url).content.decode()
        )


@pytest.mark.django_db
def test_favicon_requests_land_on_the_site_icon(client):
    # The admin has no icon link; browsers then ask for /favicon.ico.
    response = client.get("/favicon.ico", follow=True)
    assert response.redirect_chain[0][0].endswith("img/favicon.svg")
    assert response.status_code == 200
