"""The whole conversation in Chromium, on a phone, in both languages: a journalist files a
complaint and keeps the code, staff ask a question, the journalist answers with a photo, and
staff read the answer and download the photo, decrypted and checked."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils.translation import gettext, override
from playwright.sync_api import expect

from hotline.models import AccessEvent, Attachment, CaseMessage, Complaint

from .helpers import tiny_png
from .test_hotline_forms import fill_complaint_except_contacts

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.one_database,  # the inbox as reporter and staff see it; its rules run on both in tests/hotline/test_case_inbox.py
]

LANGUAGES = [("", "uk", "uk-UA"), ("/en", "en", "en-GB")]
QUESTION = {
    "uk": "Чи є у вас фото пошкодженої камери?",
    "en": "Do you have a photo of the broken camera?",
}
ANSWER = {"uk": "Так, ось фото камери.", "en": "Yes, here is a photo of the camera."}


def said(message, language):
    with override(language):
        return gettext(message)


@pytest.mark.parametrize(("prefix", "language", "locale"), LANGUAGES)
def test_question_answer_and_photo_through_the_case_inbox(
    live_server, new_page, signed_in, screenshot_dir, tmp_path, prefix, language, locale
):
    photo = tmp_path / "camera.png"
    photo.write_bytes(tiny_png())
    site = live_server.url

    # The journalist files a complaint on a phone.
    phone = new_page(width=390, locale=locale)
    phone.goto(f"{site}{prefix}/complaint/")
    fill_complaint_except_contacts(phone)
    phone.fill("#id_email", "oksana@example.org")
    phone.locator("form.intake-form [type=submit]").click()
    phone.wait_for_url(re.compile(r"/complaint/thanks/$"))
    code = phone.locator("#tracking-code").inner_text().strip()
    phone.screenshot(path=screenshot_dir / f"inbox-1-receipt-{language}-390.png", full_page=True)
    # Nothing sticks out of the card, not even the address (a long word on a phone).
    assert phone.evaluate(
        "(() => { const c = document.querySelector('#receipt-card');"
        " return c.scrollWidth <= c.clientWidth; })()"
    )

    # They type it back, with a slip first, as people do.
    slip = code[:-1] + ("A" if code[-1] != "A" else "B")
    phone.fill("#id_typed", slip)
    phone.locator(".code-check [type=submit]").click()
    expect(phone.locator("#typed-error")).to_be_visible()
    expect(phone.locator("#tracking-code")).to_have_text(code)  # still there to compare
    phone.screenshot(path=screenshot_dir / f"inbox-2-typo-{language}-390.png", full_page=True)
    phone.fill("#id_typed", code.lower().replace("-", " "))
    phone.locator(".code-check [type=submit]").click()
    expect(phone.locator("#code-confirmed")).to_be_visible()
    expect(phone.locator("#tracking-code")).to_have_count(0)
    complaint = Complaint.objects.get()
    assert complaint.language == language

    # Staff ask a question from the admin (a desk, in Ukrainian).
    triage = get_user_model().objects.create_user("triage", "triage@imi.example", "pw 12345678")
    triage.is_staff = True
    triage.save()
    triage.groups.add(Group.objects.get(name="Triage"))
    desk = signed_in(new_page(width=1280, locale="uk-UA"), triage)
    desk.goto(f"{site}/admin/hotline/complaint/{complaint.pk}/change/")
    desk.locator("#write-to-reporter").click()
    desk.fill("#id_text", QUESTION[language])
    desk.locator("input[name=preview]").click()
    expect(desk.locator("#message-preview")).to_contain_text(QUESTION[language])
    desk.screenshot(
        path=screenshot_dir / f"inbox-3-staff-preview-{language}-1280.png", full_page=True
    )
    desk.locator("input[name=send]").click()
    desk.wait_for_url(re.compile(rf"/admin/hotline/complaint/{complaint.pk}/change/"))
    expect(desk.locator("#conversation")).to_contain_text(QUESTION[language])

    # The journalist comes back with the code and answers with a photo.
    phone.goto(f"{site}{prefix}/complaint/status/")
    phone.fill("#id_code", code)
    phone.locator("#main form [type=submit]").click()
    phone.wait_for_url(re.compile(r"/complaint/case/$"))
    expect(phone.locator("#conversation")).to_contain_text(QUESTION[language])
    phone.screenshot(path=screenshot_dir / f"inbox-4-question-{language}-390.png", full_page=True)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scroll
    phone.fill("#id_text", ANSWER[language])
    phone.set_input_files("#id_attachments", [photo])
    phone.locator(".reply-form [type=submit]").click()
    expect(phone.locator(".alert-success").first).to_contain_text(
        said("Sent. IMI staff have been told there is a reply.", language)
    )
    expect(phone.locator("#conversation")).to_contain_text(ANSWER[language])
    expect(phone.locator("#conversation")).to_contain_text("camera.png")
    phone.screenshot(path=screenshot_dir / f"inbox-5-answered-{language}-390.png", full_page=True)

    # Staff see the unread reply, read it and download the photo.
    desk.goto(f"{site}/admin/hotline/complaint/?unread=yes")
    expect(desk.locator("strong.unread").first).to_be_visible()
    desk.goto(f"{site}/admin/hotline/complaint/{complaint.pk}/change/")
    expect(desk.locator("#conversation .from-reporter.unread")).to_contain_text(ANSWER[language])
    desk.screenshot(path=screenshot_dir / f"inbox-6-staff-read-{language}-1280.png", full_page=True)
    with desk.expect_download() as download:
        desk.locator("#conversation a", has_text="camera.png").click()
    assert download.value.suggested_filename == "camera.png"
    with open(download.value.path(), "rb") as received:
        assert received.read() == tiny_png()
    reply = CaseMessage.objects.get(sender=CaseMessage.Sender.REPORTER)
    assert reply.read_by == triage
    assert Attachment.objects.get(message=reply).encrypted
    assert AccessEvent.objects.filter(action="download", username="triage").count() == 1

    # Leaving ends the case on that phone.
    phone.goto(f"{site}{prefix}/complaint/case/")
    phone.locator("#leave").click()
    phone.wait_for_url(re.compile(r"/complaint/status/$"))
    phone.goto(f"{site}{prefix}/complaint/case/")
    phone.wait_for_url(re.compile(r"/complaint/status/$"))


@pytest.mark.parametrize(("prefix", "language", "locale"), LANGUAGES)
def test_the_inbox_on_a_desktop_with_history_and_a_reason(
    live_server, new_page, screenshot_dir, prefix, language, locale
):
    from hotline.services import desk
    from tests.hotline.factories import CaseMessageFactory, complaint_with_code

    complaint, code = complaint_with_code(language=language, consent_publish=True)
    desk.change_status(obj=complaint, status=Complaint.Status.TRIAGE)
    desk.change_status(obj=complaint, status=Complaint.Status.REJECTED)
    Complaint.objects.filter(pk=complaint.pk).update(reason_for_reporter="—" + QUESTION[language])
    CaseMessageFactory(complaint=complaint, text=QUESTION[language])
    CaseMessageFactory(complaint=complaint, sender="reporter", text=ANSWER[language])
    page = new_page(width=1280, locale=locale)
    page.goto(f"{live_server.url}{prefix}/complaint/status/")
    page.fill("#id_code", code)
    page.locator("#main form [type=submit]").click()
    page.wait_for_url(re.compile(r"/complaint/case/$"))
    expect(page.locator(".case-history")).to_contain_text(
        said("IMI will not take up your complaint.", language)
    )
    expect(page.locator(".case-history")).to_contain_text(QUESTION[language])  # the reason
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    page.screenshot(path=screenshot_dir / f"inbox-desktop-{language}-1280.png", full_page=True)
