"""The two reporters' journeys from start to finish, in Chromium against the live server, with
the mail they set off: a real Celery worker and an SMTP sink on PostgreSQL with REDIS_URL, the
task run in the server's thread and Django's in-memory outbox otherwise (journey_support).

1. A visitor on a phone, in Ukrainian, asks to be called back; the duty mailbox hears of it
   (nothing personal in the mail); an operator on a phone follows the mail's link, logs two
   calls and closes the request.
2. A journalist, in English, files a complaint with two files, saves the receipt and types the
   code back from it; staff ask a question; the journalist is told by mail (in English, with
   nothing of the case), opens the case with the saved code and answers; staff see the answer.
"""

import datetime
import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone
from django.utils.translation import gettext, ngettext, override
from playwright.sync_api import expect

from hotline.models import Attachment, CallAttempt, CallbackRequest, CaseMessage, Complaint
from incidents.models import Category, Region

from .helpers import TINY_PDF, tiny_png
from .journey_support import DUTY_MAILBOX, mail_route

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    # With a real worker these share a broker database with nobody, but the worker tests'
    # group keeps every Celery worker of a run in one xdist process, one at a time.
    pytest.mark.xdist_group("celery-worker"),
]

ADMIN_LINK = re.compile(r"https?://\S+/admin/hotline/\w+/\d+/change/")
TRACK_LINK = re.compile(r"https?://\S+/complaint/status/")
CODE = re.compile(r"\b[0-9A-Z]{4}(?:-[0-9A-Z]{4}){3}\b")

CALLER = {"name": "Олена Тестова", "phone": "(050) 447-70-63"}
CALLER_MESSAGE = "Мене не пустили на засідання міськради, хочу порадитися щодо акредитації."
JOURNALIST = {"name": "Jane Testwriter", "email": "jane.testwriter@example.org"}
DESCRIPTION = (
    "While I filmed the rally outside the city council, a man grabbed my camera, smashed the "
    "lens and threatened me if I published the footage."
)
QUESTION = "Did anyone else film the man who broke your camera?"
ANSWER = "Yes, a colleague from the local paper filmed him from across the street."


def ukrainian(message):
    with override("uk"):
        return gettext(message)


def staff(username, group):
    user = get_user_model().objects.create_user(
        username, f"{username}@imi.example", "pw 12345678", is_staff=True
    )
    user.groups.add(Group.objects.get(name=group))
    return user


def only_link(pattern, text):
    """The one match of `pattern` (a link, a code) in a mail or a saved file."""
    found = pattern.findall(text)
    assert len(found) == 1, f"expected one {pattern.pattern!r} in:\n{text}"
    return found[0]


@pytest.fixture
def shots(screenshot_dir):
    path = screenshot_dir / "issue18"
    path.mkdir(exist_ok=True)
    return lambda page, name: page.screenshot(path=path / f"journey-{name}.png", full_page=True)


@pytest.fixture
def mails(live_server, settings, tmp_path, monkeypatch):
    with mail_route(
        settings=settings, site_url=live_server.url, tmp_path=tmp_path, monkeypatch=monkeypatch
    ) as route:
        yield route


def test_a_visitor_asks_for_a_callback_on_a_phone_and_an_operator_calls_back(
    live_server, new_page, signed_in, shots, mails
):
    operator = staff("operator", "Hotline operators")

    # Home, then the site's own button to the form.
    page = new_page(width=390, locale="uk-UA")
    page.goto(f"{live_server.url}/")
    page.locator("#main").get_by_role("link", name=ukrainian("Request a callback")).click()
    page.wait_for_url(re.compile(r"/callback/$"))
    page.fill("#id_name", CALLER["name"])
    page.fill("#id_phone", "050 447")  # a digit short of anything
    page.select_option("#id_preferred_time", CallbackRequest.PreferredTime.EVENING.value)
    page.select_option("#id_topic", CallbackRequest.Topic.JOURNALISTS_RIGHTS.value)
    page.fill("#id_message", CALLER_MESSAGE)
    page.check("#id_consent")
    shots(page, "1-callback-form-uk-390")
    page.locator("form.intake-form [type=submit]").click()

    # The number is refused; nothing typed is lost.
    expect(page.locator("#id_phone")).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(page.locator("#id_phone")).to_have_value("050 447")
    expect(page.locator("#id_name")).to_have_value(CALLER["name"])
    expect(page.locator("#id_message")).to_have_value(CALLER_MESSAGE)
    expect(page.locator("#id_preferred_time")).to_have_value("evening")
    expect(page.locator("#id_consent")).to_be_checked()
    shots(page, "2-callback-phone-error-uk-390")
    assert not CallbackRequest.objects.exists()
    page.fill("#id_phone", CALLER["phone"])
    page.locator("form.intake-form [type=submit]").click()
    page.wait_for_url(re.compile(r"/callback/thanks/$"))
    expect(page.locator("h1")).to_have_text(ukrainian("Thank you for reaching out"))
    shots(page, "3-callback-thanks-uk-390")
    callback = CallbackRequest.objects.get()
    assert (callback.phone.as_e164, callback.language) == ("+380504477063", "uk")

    # The duty mailbox hears of it, in Ukrainian, with the link and nothing personal.
    [duty] = mails.wait_for(DUTY_MAILBOX, 1, "the duty mail for the callback")
    with override("uk"):
        topic = CallbackRequest.Topic.JOURNALISTS_RIGHTS.label
        assert duty.subject == (gettext("Callback request #%(id)s") % {"id": callback.pk}) + (
            f": {topic}"
        )
        assert gettext("A new submission came in.") in duty.text
        assert gettext("Evening (18:00–22:00)") in duty.text
    link = only_link(ADMIN_LINK, duty.text)
    assert link == f"{live_server.url}{callback.get_absolute_url()}"
    words = duty.subject + duty.text.replace(link, "")  # the port may have any digits
    for personal in ("Олена", "Тестова", "447", "70-63", "акредитац", "міськради"):
        assert personal not in words, personal

    # An operator, on their phone too, follows the link from the mail.
    desk = signed_in(new_page(width=390, locale="uk-UA"), operator)
    desk.goto(link)
    expect(desk.locator("a.tel")).to_have_attribute("href", "tel:+380504477063")
    shots(desk, "4-operator-callback-uk-390")
    desk.locator("a.log-call").click()
    desk.locator("input[value=no_answer]").check()
    shots(desk, "5-operator-log-call-uk-390")
    desk.locator("#call-attempt-form [type=submit]").click()
    desk.wait_for_url(re.compile(r"/admin/hotline/callbackrequest/$"))
    expect(desk.locator(".messagelist .success")).to_contain_text(ukrainian("No answer"))
    desk.locator("a.log-call").click()  # an hour later, from the list
    desk.locator("input[value=reached]").check()
    desk.locator("#call-attempt-form [type=submit]").click()
    desk.wait_for_url(re.compile(r"/admin/hotline/callbackrequest/$"))
    expect(desk.locator(".messagelist .success")).to_contain_text(ukrainian("Called back"))

    # Talked it through: closed.
    desk.locator("#result_list").get_by_role("link", name=f"№{callback.pk}").click()
    desk.select_option("#id_status", CallbackRequest.Status.CLOSED.value)
    desk.locator("input[name=_save]").click()
    desk.wait_for_url(re.compile(r"/admin/hotline/callbackrequest/$"))
    row = desk.locator("#result_list tbody tr", has_text=f"№{callback.pk}")
    expect(row).to_contain_text(ukrainian("Closed"))
    expect(row.locator("a.log-call")).to_have_count(0)  # nothing more to log
    shots(desk, "6-operator-closed-uk-390")
    callback.refresh_from_db()
    assert callback.status == CallbackRequest.Status.CLOSED
    assert callback.closed_at is not None
    assert list(callback.call_attempts.order_by("pk").values_list("outcome", "author")) == [
        (CallAttempt.Outcome.NO_ANSWER, operator.pk),
        (CallAttempt.Outcome.REACHED, operator.pk),
    ]
    # One mail to the duty mailbox for the whole journey: the calls mailed nobody.
    assert len(mails.to(DUTY_MAILBOX)) == 1


def test_a_journalist_files_in_english_keeps_the_code_and_answers_a_question(
    live_server, new_page, signed_in, shots, mails, tmp_path
):
    photo = tmp_path / "camera.png"
    photo.write_bytes(tiny_png())
    letter = tmp_path / "threat.pdf"
    letter.write_bytes(TINY_PDF)
    triage = staff("triage", "Triage")

    # Home in English, then the site's own button to the form.
    page = new_page(width=1280, locale="en-US")
    page.goto(f"{live_server.url}/en/")
    page.locator("#main").get_by_role("link", name="File a complaint").click()
    page.wait_for_url(re.compile(r"/en/complaint/$"))
    page.fill("#id_reporter_name", JOURNALIST["name"])
    page.fill("#id_occurred_on", (timezone.localdate() - datetime.timedelta(days=3)).isoformat())
    page.select_option("#id_region", str(Region.objects.get(slug="kyiv").pk))
    page.select_option("#id_category", str(Category.objects.get(slug="threats").pk))
    page.fill("#id_description", DESCRIPTION)
    page.fill("#id_email", JOURNALIST["email"])
    page.set_input_files("#id_attachments", [photo, letter])
    page.check("#id_consent_processing")
    page.check("#id_safety_0")
    shots(page, "7-complaint-form-en-1280")
    page.locator("form.intake-form [type=submit]").click()
    page.wait_for_url(re.compile(r"/en/complaint/thanks/$"))
    expect(page.locator("h1")).to_have_text("Thank you for reaching out")
    code = page.locator("#tracking-code").inner_text().strip()
    shots(page, "8-receipt-en-1280")

    # They keep the code: the receipt saved as a text file, then typed back from that file.
    with page.expect_download() as download:
        page.locator("#save-card").click()
    assert download.value.suggested_filename.endswith(".txt")
    saved = Path(download.value.path()).read_text(encoding="utf-8")
    assert "Your tracking code:" in saved  # in English, like the page
    assert only_link(CODE, saved) == code
    page.fill("#id_typed", only_link(CODE, saved))
    page.locator(".code-check [type=submit]").click()
    expect(page.locator("#code-confirmed")).to_be_visible()
    expect(page.locator("#tracking-code")).to_have_count(0)
    shots(page, "9-code-kept-en-1280")

    complaint = Complaint.objects.get()
    assert (complaint.language, complaint.email) == ("en", JOURNALIST["email"])
    assert sorted(Attachment.objects.filter(complaint=complaint).values_list("original_name")) == [
        ("camera.png",),
        ("threat.pdf",),
    ]

    # The duty mailbox hears of the complaint, in Ukrainian, without the journalist's words.
    [duty] = mails.wait_for(DUTY_MAILBOX, 1, "the duty mail for the complaint")
    with override("uk"):
        assert duty.subject.startswith(gettext("Complaint #%(id)s") % {"id": complaint.pk})
        assert f"{gettext('Evidence files')}: 2" in duty.text
    for personal in ("Jane", "Testwriter", "jane.testwriter", "camera", "rally", code):
        assert personal not in duty.text and personal not in duty.subject, personal

    # Staff follow the mail's link and ask a question; the preview shows the reporter's mail.
    desk = signed_in(new_page(width=1280, locale="uk-UA"), triage)
    desk.goto(only_link(ADMIN_LINK, duty.text))
    desk.locator("#write-to-reporter").click()
    desk.fill("#id_text", QUESTION)
    desk.locator("input[name=preview]").click()
    preview = desk.locator("#message-preview")
    expect(preview).to_contain_text(QUESTION)
    expect(preview).to_contain_text("A new message from IMI")  # the mail, in English
    shots(desk, "10-staff-question-preview-uk-1280")
    desk.locator("input[name=send]").click()
    desk.wait_for_url(re.compile(rf"/admin/hotline/complaint/{complaint.pk}/change/"))
    expect(desk.locator("#conversation")).to_contain_text(QUESTION)

    # The journalist is told there is a message: in English, and nothing of the case.
    received, told = mails.wait_for(JOURNALIST["email"], 2, "the receipt and the message mail")
    assert received.subject == "IMI received your complaint"
    assert told.subject == "A new message from IMI"
    assert "There is a new message for you from IMI." in told.text
    for secret in (QUESTION, "camera", code, JOURNALIST["name"], ukrainian("Complaint")):
        assert secret not in told.text and secret not in told.subject, secret

    # They open the case from the mail's link with the code they saved, and answer.
    track = only_link(TRACK_LINK, told.text)
    assert track == f"{live_server.url}/en/complaint/status/"
    page.goto(track)
    page.fill("#id_code", only_link(CODE, saved))
    page.locator("#main form [type=submit]").click()
    page.wait_for_url(re.compile(r"/en/complaint/case/$"))
    expect(page.locator("#conversation")).to_contain_text(QUESTION)
    shots(page, "11-case-question-en-1280")
    page.fill("#id_text", ANSWER)
    page.locator(".reply-form [type=submit]").click()
    expect(page.locator(".alert-success").first).to_contain_text(
        "Sent. IMI staff have been told there is a reply."
    )
    expect(page.locator("#conversation")).to_contain_text(ANSWER)
    shots(page, "12-case-answered-en-1280")

    # Staff are told there is a reply (its words stay in the admin) and read it.
    _new, reply_mail = mails.wait_for(DUTY_MAILBOX, 2, "the duty mail for the reply")
    assert ukrainian("The reporter wrote in the case inbox. Read it in the admin.") in (
        reply_mail.text
    )
    assert ANSWER not in reply_mail.text and "colleague" not in reply_mail.text
    desk.goto(f"{live_server.url}/admin/hotline/complaint/")
    row = desk.locator("#result_list tbody tr", has_text=str(complaint.pk))
    with override("uk"):
        expect(row.locator("strong.unread")).to_have_text(
            f"✉ {ngettext('%d unread', '%d unread', 1) % 1}"
        )
    shots(desk, "13-staff-unread-uk-1280")
    row.locator(f"a[href$='/hotline/complaint/{complaint.pk}/change/']").first.click()
    expect(desk.locator("#conversation .from-reporter.unread")).to_contain_text(ANSWER)
    shots(desk, "14-staff-reads-answer-uk-1280")
    reply = CaseMessage.objects.get(sender=CaseMessage.Sender.REPORTER)
    assert reply.read_by == triage
    # Read now: the list no longer counts it.
    desk.goto(f"{live_server.url}/admin/hotline/complaint/")
    expect(desk.locator("#result_list strong.unread")).to_have_count(0)
