"""The seams of the reporter's journey, in Chromium: evidence kept across a wrong field, a
reached limit that keeps the statement, consent withdrawn on the tracking page, and what
staff see of consent (the draft refused, the statement beside the editor, the refusal to
publish, the preview of a reporter's mail). Screenshots at 390 px and 1280 px."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.utils.translation import gettext, override
from playwright.sync_api import expect

from hotline.models import Complaint, HeldFile
from hotline.services import outbox
from tests.hotline.factories import ComplaintFactory, complaint_with_code

from .helpers import tiny_png
from .test_hotline_forms import DESCRIPTION, fill_complaint_except_contacts

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.one_database,  # what the reporter sees between the forms; storage and limits run on both in tests/hotline
]

LANGUAGES = [("", "uk", "uk-UA"), ("/en", "en", "en-GB")]
# A phone in Ukrainian, a laptop in English: both widths, both languages, across the tests.
WIDTH = {"uk": 390, "en": 1280}


def said(message, language):
    with override(language):
        return gettext(message)


@pytest.mark.parametrize(("prefix", "language", "locale"), LANGUAGES)
def test_evidence_survives_a_wrong_field(
    live_server, new_page, screenshot_dir, tmp_path, prefix, language, locale
):
    photo = tmp_path / "photo.png"
    photo.write_bytes(tiny_png())
    width = WIDTH[language]
    page = new_page(width=width, locale=locale)
    page.goto(f"{live_server.url}{prefix}/complaint/")
    fill_complaint_except_contacts(page)
    page.fill("#id_email", "oksana@example.org")
    page.fill("#id_description", "Закоротко.")  # the mistake people make
    page.set_input_files("#id_attachments", [photo])
    page.locator("form.intake-form [type=submit]").last.click()

    held = page.locator("#held-files")
    expect(held).to_contain_text("photo.png")
    page.screenshot(
        path=screenshot_dir / f"complaint-held-file-{language}-{width}.png", full_page=True
    )

    page.fill("#id_description", DESCRIPTION)
    page.locator("form.intake-form [type=submit]").last.click()
    page.wait_for_url(re.compile(r"/complaint/thanks/$"))
    complaint = Complaint.objects.get()
    assert [a.original_name for a in complaint.attachments.all()] == ["photo.png"]
    assert not HeldFile.objects.exists()


@pytest.mark.parametrize(("prefix", "language", "locale"), LANGUAGES)
def test_a_reached_limit_keeps_the_statement(
    live_server, new_page, screenshot_dir, settings, prefix, language, locale
):
    settings.RATE_LIMIT_COMPLAINT = "1/h"
    page = new_page(width=390, locale=locale)
    for attempt in range(2):
        page.goto(f"{live_server.url}{prefix}/complaint/")
        fill_complaint_except_contacts(page)
        page.fill("#id_email", "oksana@example.org")
        page.locator("form.intake-form [type=submit]").last.click()
        if attempt == 0:
            page.wait_for_url(re.compile(r"/complaint/thanks/$"))
    expect(page.locator("#rate-limited")).to_be_visible()
    expect(page.locator("#id_description")).to_have_value(DESCRIPTION)
    page.screenshot(path=screenshot_dir / f"complaint-limit-{language}-390.png", full_page=True)
    assert Complaint.objects.count() == 1


@pytest.mark.parametrize(("prefix", "language", "locale"), LANGUAGES)
def test_reporter_withdraws_consent(
    live_server, new_page, screenshot_dir, prefix, language, locale
):
    complaint, code = complaint_with_code(
        consent_publish=True, status=Complaint.Status.VERIFIED, language=language
    )
    width = WIDTH[language]
    page = new_page(width=width, locale=locale)
    page.goto(f"{live_server.url}{prefix}/complaint/status/")
    page.fill("#id_code", code)
    page.locator("form:has(#id_code) [type=submit]").click()
    expect(page.locator("#publication-consent")).to_be_visible()
    page.screenshot(path=screenshot_dir / f"track-consent-{language}-{width}.png", full_page=True)

    page.locator(".withdraw-form button").click()  # forgot to tick the box
    expect(page.locator("#withdraw-error")).to_be_visible()
    page.check("#id_confirm_withdraw")
    page.locator(".withdraw-form button").click()
    expect(page.locator(".alert-success").first).to_be_visible()
    expect(page.locator("#publication-consent .withdraw-form")).to_have_count(0)
    page.screenshot(path=screenshot_dir / f"track-withdrawn-{language}-{width}.png", full_page=True)
    complaint.refresh_from_db()
    assert not complaint.consent_publish


def test_staff_see_consent_and_the_statement(live_server, new_page, signed_in, screenshot_dir):
    boss = get_user_model().objects.create_superuser("boss", "boss@imi.example", "pw 12345678")
    page = signed_in(new_page(width=1280, locale="uk-UA"), boss)
    without = ComplaintFactory(status=Complaint.Status.VERIFIED, consent_publish=False)
    page.goto(f"{live_server.url}/admin/hotline/complaint/")
    page.screenshot(path=screenshot_dir / "admin-complaints-consent-uk-1280.png", full_page=True)
    page.goto(f"{live_server.url}/admin/hotline/complaint/{without.pk}/draft/")
    expect(page.locator("#draft-refused")).to_be_visible()
    page.screenshot(path=screenshot_dir / "admin-draft-refused-uk-1280.png", full_page=True)

    anonymous = ComplaintFactory(
        status=Complaint.Status.VERIFIED,
        consent_publish=True,
        anonymous=True,
        reporter_name="Олена Петренко",
        description=DESCRIPTION,
        email="olena@example.org",
    )
    page.goto(f"{live_server.url}/admin/hotline/complaint/{anonymous.pk}/draft/")
    page.locator("#content form [type=submit]").click()
    page.wait_for_url(re.compile(r"/admin/incidents/incident/\d+/change/"))
    expect(page.locator(".reporter-statement")).to_contain_text(DESCRIPTION[:40])
    page.screenshot(path=screenshot_dir / "admin-incident-statement-uk-1280.png", full_page=True)

    page.fill("#id_lead", "Журналістку побили біля міськради.")
    page.fill("#id_body", "Олена Петренко розповіла нам, що сталося.")
    page.locator("input[name=_publish]").click()
    # Refused whole (issue 26): the reasons above the form, what was typed still in it.
    expect(page.locator(".errorlist.nonfield").first).to_contain_text(said("body", "uk"))
    expect(page.locator("#id_body")).to_have_value("Олена Петренко розповіла нам, що сталося.")
    page.screenshot(path=screenshot_dir / "admin-publish-refused-uk-1280.png", full_page=True)
    anonymous.refresh_from_db()
    assert anonymous.incident.status == "draft"

    page.goto(f"{live_server.url}/admin/hotline/complaint/{anonymous.pk}/message/")
    page.fill("#id_text", "Адвокат зателефонує вам завтра о 10:00.")
    page.locator("input[name=preview]").click()
    expect(page.locator("#message-preview")).to_contain_text("Адвокат зателефонує")
    page.screenshot(path=screenshot_dir / "admin-message-preview-uk-1280.png", full_page=True)
    page.locator("input[name=send]").click()
    page.wait_for_url(re.compile(rf"/admin/hotline/complaint/{anonymous.pk}/change/"))
    assert anonymous.messages.count() == 1
    assert outbox.complainant_notification(anonymous, status="published") is not None
