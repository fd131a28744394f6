import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from hotline.forms import CallbackRequestForm, ComplaintForm, TrackingForm

from .evidence_files import pdf_bytes
from .helpers import callback_post_data, complaint_post_data, said

# --- Callback request form ------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["(050) 447-70-63", "050 447 70 63", "+380504477063"])
def test_callback_phone_written_any_usual_way_becomes_one_number(typed):
    form = CallbackRequestForm(data=callback_post_data(phone=typed))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["phone"].as_e164 == "+380504477063"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "typed, e164",
    [("+48 601 234 567", "+48601234567"), ("+995 599 12 34 56", "+995599123456")],
)
@pytest.mark.django_db
def test_callback_foreign_number_with_country_code_accepted(typed, e164):
    form = CallbackRequestForm(data=callback_post_data(phone=typed))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["phone"].as_e164 == e164


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["12345", "call me", "+380 50 447", ""])
def test_callback_invalid_or_missing_phone_is_a_field_error(typed):
    form = CallbackRequestForm(data=callback_post_data(phone=typed))
    assert not form.is_valid()
    assert "phone" in form.errors


@pytest.mark.django_db
def test_callback_needs_consent():
    form = CallbackRequestForm(data=callback_post_data(consent=None))
    assert not form.is_valid()
    assert "consent" in form.errors


@pytest.mark.django_db
def test_callback_needs_a_topic():
    form = CallbackRequestForm(data=callback_post_data(topic=""))
    assert not form.is_valid()
    assert "topic" in form.errors


@pytest.mark.django_db
def test_callback_message_control_characters_are_stripped():
    form = CallbackRequestForm(data=callback_post_data(message="Call\x07 me\x1b please\u0085"))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["message"] == "Call me please"


@pytest.mark.django_db
def test_callback_honeypot_marks_spam():
    assert CallbackRequestForm(data=callback_post_data(website="http://spam.example")).is_spam
    assert not CallbackRequestForm(data=callback_post_data()).is_spam


# --- Complaint form ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_complaint_valid_data_is_valid():
    form = ComplaintForm(data=complaint_post_data())
    assert form.is_valid(), form.errors


@pytest.mark.django_db
def test_complaint_without_email_and_phone_has_a_clear_non_field_error():
    form = ComplaintForm(data=complaint_post_data(email="", phone=""))
    assert not form.is_valid()
    assert [e.code for e in form.non_field_errors().as_data()] == ["no_contact"]
    assert form.non_field_errors() == [
        said("Give us an e-mail or a phone number, so that we can reach you.")
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("contact", [{"email": ""}, {"phone": ""}])
def test_complaint_with_only_one_contact_is_fine(contact):
    form = ComplaintForm(data=complaint_post_data(**contact))
    assert form.is_valid(), form.errors


@pytest.mark.django_db
def test_complaint_description_shorter_than_minimum_is_an_error():
    form = ComplaintForm(data=complaint_post_data(description="They hit me."))
    assert not form.is_valid()
    assert [e.code for e in form.errors.as_data()["description"]] == ["min_length"]


@pytest.mark.django_db
def test_complaint_description_of_200000_characters_is_an_error():
    form = ComplaintForm(data=complaint_post_data(description="я" * 200_000))
    assert not form.is_valid()
    assert [e.code for e in form.errors.as_data()["description"]] == ["max_length"]


@pytest.mark.django_db
def test_complaint_null_byte_is_an_error():
    form = ComplaintForm(
        data=complaint_post_data(description="Police officers\x00 pushed me away " * 3)
    )
    assert not form.is_valid()
    assert said("Null characters are not allowed.") in form.errors["description"]


@pytest.mark.django_db
def test_complaint_control_characters_are_stripped_from_text():
    form = ComplaintForm(
        data=complaint_post_data(
            reporter_name="Ivanna\x1b[31m Koval",
            place="Kyiv\x07",
            description="Two police officers\x08 pushed me away from the court entrance today.\x7f",
        )
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["reporter_name"] == "Ivanna[31m Koval"
    assert form.cleaned_data["place"] == "Kyiv"
    assert form.cleaned_data["description"] == (
        "Two police officers pushed me away from the court entrance today."
    )


@pytest.mark.django_db
def test_complaint_keeps_newlines_and_tabs_in_description():
    text = "First line.\r\nSecond line,\twith a tab, long enough to pass the minimum."
    form = ComplaintForm(data=complaint_post_data(description=text))
    assert form.is_valid(), form.errors
    assert "\n" in form.cleaned_data["description"]
    assert "\t" in form.cleaned_data["description"]


@pytest.mark.django_db
def test_complaint_date_in_the_future_is_rejected():
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    form = ComplaintForm(data=complaint_post_data(occurred_on=tomorrow.isoformat()))
    assert not form.is_valid()
    assert "occurred_on" in form.errors


@pytest.mark.django_db
def test_complaint_date_today_and_ukrainian_format_accepted():
    today = timezone.localdate()
    form = ComplaintForm(data=complaint_post_data(occurred_on=today.strftime("%d.%m.%Y")))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["occurred_on"] == today


@pytest.mark.django_db
def test_complaint_date_before_independence_asks_to_check_the_year():
    form = ComplaintForm(data=complaint_post_data(occurred_on="1975-05-01"))
    assert not form.is_valid()
    assert "occurred_on" in form.errors


@pytest.mark.django_db
def test_complaint_needs_consent_to_processing():
    form = ComplaintForm(data=complaint_post_data(consent_processing=None))
    assert not form.is_valid()
    assert "consent_processing" in form.errors


@pytest.mark.django_db
def test_complaint_category_must_be_a_category_not_a_group(beating):
    form = ComplaintForm(data=complaint_post_data(category=beating.parent_id))
    assert not form.is_valid()
    assert "category" in form.errors


@pytest.mark.django_db
def test_complaint_form_with_files_returns_checked_files():
    files = {"attachments": [SimpleUploadedFile("act.pdf", pdf_bytes())]}
    form = ComplaintForm(data=complaint_post_data(), files=_multi(files))
    assert form.is_valid(), form.errors
    [checked] = form.cleaned_data["attachments"]
    assert checked.name == "act.pdf"
    assert checked.content_type == "application/pdf"


def _multi(files):
    from django.utils.datastructures import MultiValueDict

    return MultiValueDict(files)


# --- Tracking form ----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["", "ABC", "K7Q4-9XMD-2RH", "K7Q4-9XMD-2RHU", "K7Q4!9XMD!2RHP"])
def test_tracking_form_rejects_what_cannot_be_a_code(typed):
    form = TrackingForm(data={"code": typed})
    assert not form.is_valid()
    assert "code" in form.errors


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["K7Q4-9XMD-2RHP", "k7q4 9xmd 2rhp", "K7Q49XMD2RHP"])
def test_tracking_form_accepts_codes_as_people_type_them(typed):
    assert TrackingForm(data={"code": typed}).is_valid()


# --- "I don't know the exact day" (issue 31) ---------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "answers, occurred_on, precision",
    [
        ({"occurred_month": "3", "occurred_year": "2022"}, datetime.date(2022, 3, 1), "month"),
        ({"occurred_month": "", "occurred_year": "2022"}, datetime.date(2022, 1, 1), "year"),
        ({"occurred_month": "", "occurred_year": ""}, None, "day"),  # nothing known
    ],
)
def test_complaint_without_the_exact_day_keeps_the_month_or_the_year(
    answers, occurred_on, precision
):
    # A day typed before the box was ticked is not the answer.
    form = ComplaintForm(data=complaint_post_data(day_unknown="on", occurred_on="", **answers))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["occurred_on"] == occurred_on
    assert form.cleaned_data["occurred_precision"] == precision


@pytest.mark.django_db
def test_complaint_month_without_a_year_or_in_the_future_is_an_error():
    form = ComplaintForm(
        data=complaint_post_data(day_unknown="on", occurred_month="3", occurred_year="")
    )
    assert not form.is_valid()
    assert "occurred_year" in form.errors
    next_year = str(timezone.localdate().year + 1)
    form = ComplaintForm(data=complaint_post_data(day_unknown="on", occurred_year=next_year))
    assert not form.is_valid()  # not among the years offered


@pytest.mark.django_db
def test_complaint_with_the_day_known_is_day_precise():
    form = ComplaintForm(data=complaint_post_data(occurred_month="3", occurred_year="2020"))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["occurred_precision"] == "day"
    assert form.cleaned_data["occurred_on"] == timezone.localdate() - datetime.timedelta(days=2)
