"""Callback details a visitor notices: the thank-you page repeats the number left (a typo is
seen while it can be mended), the phone field's error gives the example its hint gives, Back
and Send again asks for no second call, and the demo never dials the hotline itself."""

import datetime
import re
import uuid

import pytest
from django.conf import settings as django_settings
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hotline.forms import PHONE_EXAMPLE, CallbackRequestForm, ComplaintForm
from hotline.models import CallbackRequest, Notification

from .helpers import callback_post_data, said, shown

pytestmark = pytest.mark.django_db

# The same Ukrainian mobile number as people type it.
SAME_NUMBER = [
    "(067) 555-01-23",
    "067 555 01 23",
    "+380675550123",
    "0675550123",
    "+38 067 555-0123",
]


@pytest.mark.parametrize(("prefix", "language"), [("", "uk"), ("/en", "en")])
def test_the_thank_you_page_repeats_the_number_and_how_to_mend_it(client, prefix, language):
    response = client.post(f"{prefix}/callback/", callback_post_data(phone="067 555 01 23"))
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    number = re.search(r'id="callback-number".*?<p class="fs-4[^"]*">([^<]+)</p>', page, re.S)
    assert number and number[1] == "+380 67 555 0123"
    assert shown("We will call this number:", language) in page
    assert f'href="{prefix}/callback/"' in page.split('id="callback-number"')[1]
    assert 'id="callback-repeat"' not in page
    # Read from the request itself: the number is not copied into the session's table.
    assert "555" not in str(dict(client.session))


@pytest.mark.parametrize("typed_again", SAME_NUMBER)
def test_back_and_send_again_asks_for_no_second_call(client, typed_again):
    first = client.post("/callback/", callback_post_data(phone=SAME_NUMBER[0]))
    # Back: the form is loaded again (a new form, a new key), the number typed another way.
    again = client.post("/callback/", callback_post_data(phone=typed_again, message="Again"))
    assert first.status_code == again.status_code == 302
    assert CallbackRequest.objects.count() == 1
    assert Notification.objects.filter(kind="new_callback").count() == 1
    page = client.get("/callback/thanks/").content.decode()
    asked = timezone.localtime(CallbackRequest.objects.get().created_at).strftime("%H:%M")
    assert 'id="callback-repeat"' in page and asked in page


def test_another_number_or_a_later_request_is_a_new_one(client):
    client.post("/callback/", callback_post_data(phone=SAME_NUMBER[0]))
    client.post("/callback/", callback_post_data(phone="(067) 555-01-24"))
    assert CallbackRequest.objects.count() == 2
    # Long enough ago: a new request (the person needs another call).
    minutes = django_settings.CALLBACK_REPEAT_MINUTES + 1
    CallbackRequest.objects.update(created_at=timezone.now() - datetime.timedelta(minutes=minutes))
    client.post("/callback/", callback_post_data(phone=SAME_NUMBER[0]))
    assert CallbackRequest.objects.count() == 3


def test_once_called_a_new_request_is_a_new_one(client):
    client.post("/callback/", callback_post_data(phone=SAME_NUMBER[0]))
    CallbackRequest.objects.update(status=CallbackRequest.Status.IN_PROGRESS)
    client.post("/callback/", callback_post_data(phone=SAME_NUMBER[1]))
    assert CallbackRequest.objects.count() == 2


def test_a_double_click_is_one_request_without_the_repeat_note(client):
    data = callback_post_data(phone=SAME_NUMBER[0], submission_key=str(uuid.uuid4()))
    client.post("/callback/", data)
    client.post("/callback/", data)
    assert CallbackRequest.objects.count() == 1
    assert 'id="callback-repeat"' not in client.get("/callback/thanks/").content.decode()


not_a_number = st.one_of(
    st.text(alphabet="0123456789 ()-+", min_size=1, max_size=9),
    st.text(min_size=1, max_size=20).filter(lambda s: not any(c.isdigit() for c in s)),
).filter(lambda s: s.strip())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(typed=not_a_number, language=st.sampled_from(["uk", "en"]))
def test_a_wrong_number_is_answered_with_the_example_the_hint_gives(typed, language):
    from django.utils import translation

    with translation.override(language):
        for form_class in (CallbackRequestForm, ComplaintForm):
            form = form_class(data={"phone": typed})
            form.is_valid()
            errors = form.errors.get("phone")
            if not errors:
                continue  # e.g. only spaces left out as empty on the complaint form
            assert PHONE_EXAMPLE in errors[0], errors
            hint = str(form.fields["phone"].help_text or "")
            placeholder = form.fields["phone"].widget.attrs.get("placeholder")
            assert PHONE_EXAMPLE in hint or placeholder == PHONE_EXAMPLE
            assert errors[0] == said(
                "We cannot call this number. Enter a Ukrainian number like (050) 123-45-67, "
                "or any number with its country code.",
                language,
            )


def test_the_demo_dials_made_up_numbers_never_the_hotline():
    from demo import desk

    desk.load()
    numbers = list(CallbackRequest.objects.values_list("phone", flat=True))
    assert len(numbers) >= 4
    hotline = django_settings.HOTLINE_PHONE
    assert all(str(number) != hotline for number in numbers)
    assert len(set(numbers)) == len(numbers)
