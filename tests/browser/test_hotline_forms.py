"""The two intake forms and the tracking page, filled in on a phone in Ukrainian."""

import datetime
import re

import pytest
from django.utils import timezone
from django.utils.translation import gettext, override
from playwright.sync_api import expect

from hotline.models import Attachment, CallbackRequest, Complaint
from incidents.models import Category, Region

from .helpers import TINY_PDF, tiny_png

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.one_database,  # the forms as a visitor uses them; storage on both in tests/hotline
]

TRACKING_CODE = re.compile(r"^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$")
DESCRIPTION = (
    "Під час знімання мітингу біля міськради невідомий чоловік вихопив у мене камеру, "
    "розбив об'єктив і погрожував розправою, якщо я опублікую відео."
)


def ukrainian(message):
    with override("uk"):
        return gettext(message)


def fill_complaint_except_contacts(page):
    """Everything a valid complaint needs apart from an e-mail or a phone number."""
    page.fill("#id_reporter_name", "Оксана Тестенко")
    page.fill("#id_occurred_on", (timezone.localdate() - datetime.timedelta(days=5)).isoformat())
    page.select_option("#id_region", str(Region.objects.get(slug="kyiv").pk))
    page.select_option("#id_category", str(Category.objects.get(slug="threats").pk))
    page.fill("#id_description", DESCRIPTION)
    page.check("#id_consent_processing")
    page.check("#id_safety_0")


def test_callback_request(live_server, phone_page, screenshot_dir):
    page = phone_page
    page.goto(f"{live_server.url}/callback/")
    page.fill("#id_phone", "(050) 447-70-63")
    page.select_option("#id_topic", CallbackRequest.Topic.JOURNALISTS_RIGHTS.value)
    page.check("#id_consent")
    page.screenshot(path=screenshot_dir / "callback-form-uk-390.png", full_page=True)

    page.locator("form.intake-form [type=submit]").click()

    page.wait_for_url(re.compile(r"/callback/thanks/$"))
    expect(page.locator("h1")).to_have_text(ukrainian("Thank you for reaching out"))
    page.screenshot(path=screenshot_dir / "callback-thanks-uk-390.png", full_page=True)
    callback = CallbackRequest.objects.get()
    assert callback.phone.as_e164 == "+380504477063"
    assert callback.topic == CallbackRequest.Topic.JOURNALISTS_RIGHTS
    assert callback.consent is True
    assert callback.language == "uk"


def test_complaint_with_evidence_and_tracking(live_server, phone_page, screenshot_dir, tmp_path):
    photo = tmp_path / "photo.png"
    photo.write_bytes(tiny_png())
    letter = tmp_path / "letter.pdf"
    letter.write_bytes(TINY_PDF)

    page = phone_page
    page.goto(f"{live_server.url}/complaint/")
    fill_complaint_except_contacts(page)
    page.fill("#id_email", "oksana@example.org")
    page.set_input_files("#id_attachments", [photo, letter])
    page.screenshot(path=screenshot_dir / "complaint-form-uk-390.png", full_page=True)

    page.locator("form.intake-form [type=submit]").click()

    page.wait_for_url(re.compile(r"/complaint/thanks/$"))
    expect(page.locator("h1")).to_have_text(ukrainian("Thank you for reaching out"))
    code = page.locator("#tracking-code").inner_text().strip()
    assert TRACKING_CODE.match(code), code
    page.screenshot(path=screenshot_dir / "complaint-thanks-uk-390.png", full_page=True)

    complaint = Complaint.objects.get()
    assert complaint.email == "oksana@example.org"
    assert complaint.language == "uk"
    attachments = Attachment.objects.filter(complaint=complaint)
    assert attachments.count() == 2
    assert sorted(attachments.values_list("original_name", "content_type")) == [
        ("letter.pdf", "application/pdf"),
        ("photo.png", "image/png"),
    ]

    page.locator("#main").get_by_role("link", name=ukrainian("My case"), exact=True).click()
    page.wait_for_url(re.compile(r"/complaint/status/$"))
    page.fill("#id_code", code)
    page.locator("#main form [type=submit]").click()
    page.wait_for_url(re.compile(r"/complaint/case/$"))

    expect(page.locator("#complaint-status")).to_have_text(ukrainian("Received"))
    page.screenshot(path=screenshot_dir / "complaint-status-uk-390.png", full_page=True)


def test_complaint_without_contacts_keeps_what_was_typed(live_server, phone_page, screenshot_dir):
    page = phone_page
    page.goto(f"{live_server.url}/complaint/")
    fill_complaint_except_contacts(page)

    page.locator("form.intake-form [type=submit]").click()

    page.wait_for_load_state()
    expect(page.locator("#main .alert-danger").first).to_contain_text(
        ukrainian("Please correct the fields marked below. Everything you typed is kept.")
    )
    # The reason is shown once (crispy-forms renders the form's own errors), not twice.
    reason = ukrainian("Give us an e-mail or a phone number, so that we can reach you.")
    expect(page.locator("#main").get_by_text(reason)).to_have_count(1)
    expect(page.locator("#id_description")).to_have_value(DESCRIPTION)
    expect(page.locator("#id_reporter_name")).to_have_value("Оксана Тестенко")
    page.screenshot(path=screenshot_dir / "complaint-error-uk-390.png", full_page=True)
    assert Complaint.objects.count() == 0


def open_form(live_server, new_page, width, language, path):
    page = new_page(width, "uk-UA" if language == "uk" else "en-GB")
    page.goto(f"{live_server.url}{'' if language == 'uk' else '/en'}{path}")
    return page


def send_callback(page, phone):
    page.fill("#id_phone", phone)
    page.select_option("#id_topic", CallbackRequest.Topic.JOURNALISTS_RIGHTS.value)
    page.check("#id_consent")
    page.locator("form.intake-form [type=submit]").click()


@pytest.mark.parametrize(("width", "language"), [(390, "uk"), (1280, "en")])
def test_a_callback_shows_the_number_and_back_then_send_is_one_request(
    live_server, new_page, screenshot_dir, width, language
):
    page = open_form(live_server, new_page, width, language, "/callback/")
    send_callback(page, "050 12")  # a typo: the error gives the example the hint gives
    error = page.locator("#id_phone_error, .invalid-feedback").first
    expect(error).to_contain_text("(050) 123-45-67")
    expect(page.locator("#id_phone")).to_have_attribute("placeholder", "(050) 123-45-67")
    page.screenshot(path=screenshot_dir / f"callback-error-{language}-{width}.png", full_page=True)

    page = open_form(live_server, new_page, width, language, "/callback/")  # loaded again
    send_callback(page, "067 555 01 23")
    page.wait_for_url(re.compile(r"/callback/thanks/$"))
    expect(page.locator("#callback-number")).to_contain_text("+380 67 555 0123")
    page.screenshot(path=screenshot_dir / f"callback-number-{language}-{width}.png", full_page=True)

    page.go_back()
    page.wait_for_url(re.compile(r"/callback/$"))
    send_callback(page, "(067) 555-01-23")
    page.wait_for_url(re.compile(r"/callback/thanks/$"))
    expect(page.locator("#callback-repeat")).to_be_visible()
    page.screenshot(path=screenshot_dir / f"callback-repeat-{language}-{width}.png", full_page=True)
    assert CallbackRequest.objects.count() == 1


@pytest.mark.parametrize(("width", "language"), [(390, "uk"), (1280, "en")])
def test_a_file_too_large_is_caught_before_sending_and_the_rest_goes(
    live_server, new_page, screenshot_dir, width, language
):
    from hotline.vault import evidence

    page = open_form(live_server, new_page, width, language, "/complaint/")
    fill_complaint_except_contacts(page)
    page.fill("#id_email", "oksana@example.org")
    video = {
        "name": "video.mp4",
        "mimeType": "video/mp4",
        "buffer": b"\x00" * (evidence.MAX_FILE_SIZE + 1),
    }
    photo = {"name": "photo.png", "mimeType": "image/png", "buffer": tiny_png()}
    page.set_input_files("#id_attachments", [video, photo])
    note = page.locator("#id_attachments_checked")
    # Handed to the large-file route (static/js/uploads.js), which refuses these zeros as
    # no video (tests/browser/test_large_upload.py sends a real one).
    with override(language):
        moved = gettext("“{name}” is larger than 10 MB: it is sent below as a large file.")
    expect(note).to_contain_text(moved.replace("{name}", "video.mp4"))
    assert page.locator("#id_attachments").evaluate("input => input.files.length") == 1
    page.screenshot(path=screenshot_dir / f"file-too-big-{language}-{width}.png", full_page=True)
    page.locator("form.intake-form [type=submit]").click()
    page.wait_for_url(re.compile(r"/complaint/thanks/$"))
    assert list(Attachment.objects.values_list("original_name", flat=True)) == ["photo.png"]
