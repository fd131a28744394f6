"""Issue 29: a submission that was committed never answers 500 because something after the
commit failed. The fault is real: the database itself fails every session read and write
(the sessions' table is renamed away, and back after the test), while the hotline's own
tables work."""

import pytest
from django.db import connection

from hotline.models import CallbackRequest, Complaint

from .helpers import callback_post_data, complaint_post_data, said

# As in production, every statement commits on its own (in one test transaction, PostgreSQL
# would refuse everything after the first failed statement).
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sessions_cannot_be_saved(reference_data):
    # The sessions' table is gone: every read or write of a session fails in the database
    # (a trigger raising would look like a duplicate key to Django, which then retries forever).
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE django_session RENAME TO django_session_gone")
    yield
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE django_session_gone RENAME TO django_session")


@pytest.mark.parametrize("language", ["uk", "en"])
def test_a_stored_complaint_shows_its_receipt_even_when_its_session_cannot_be_saved(
    client, sessions_cannot_be_saved, language
):
    prefix = "/en" if language == "en" else ""
    response = client.post(f"{prefix}/complaint/", complaint_post_data(safety="not_safe"))
    assert response.status_code == 200
    page = response.content.decode()
    assert Complaint.objects.count() == 1
    assert 'id="tracking-code"' in page  # the code is given: the only way back
    assert 'id="urgent-help"' in page  # and the hotline first, for a person in danger
    assert said("Thank you for reaching out", language) in page


def test_a_stored_callback_request_answers_with_its_thank_you_page_not_500(
    client, sessions_cannot_be_saved
):
    response = client.post("/callback/", callback_post_data(), follow=True)
    assert response.status_code == 200
    assert CallbackRequest.objects.count() == 1
    assert response.redirect_chain[-1][0].endswith("/callback/thanks/")
