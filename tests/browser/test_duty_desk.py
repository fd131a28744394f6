"""A shift at the duty desk, in Chromium at 1280 px: the dashboard, two call attempts, a retry
that goes overdue, and a supervisor reading the history."""

import datetime
import re

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone
from django.utils.translation import gettext, override
from playwright.sync_api import expect

from hotline.models import CallbackRequest
from tests.hotline.factories import CallbackRequestFactory, ComplaintFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.one_database,  # the desk as the shift sees it; its rules run on both in tests/hotline/test_duty_desk.py
]


def ukrainian(message):
    with override("uk"):
        return gettext(message)


def staff(username, group):
    user = get_user_model().objects.create_user(username, f"{username}@imi.example", "pw 1234567")
    user.is_staff = True
    user.save()
    user.groups.add(Group.objects.get(name=group))
    return user


def test_a_shift_logs_calls_schedules_a_retry_and_the_supervisor_reads_the_history(
    live_server, new_page, signed_in, screenshot_dir
):
    site = live_server.url
    operator = staff("operator", "Hotline operators")
    callback = CallbackRequestFactory(name="Тестовий Абонент", phone="+380504477063")
    ComplaintFactory(created_at=timezone.now() - datetime.timedelta(hours=6))  # overdue
    desk = signed_in(new_page(width=1280, locale="uk-UA"), operator)

    desk.goto(f"{site}/admin/")
    expect(desk.locator("#duty-dashboard")).to_be_visible()
    expect(desk.locator("#callbacks-new .count")).to_have_text("1")
    desk.screenshot(path=screenshot_dir / "desk-dashboard-uk-1280.png", full_page=True)

    desk.goto(f"{site}/admin/hotline/callbackrequest/")
    expect(desk.locator("a.tel")).to_have_attribute("href", "tel:+380504477063")
    assert desk.evaluate("document.documentElement.scrollWidth") <= 1280
    assert desk.evaluate(
        "(() => { const r = document.querySelector('#changelist .results');"
        " return r.scrollWidth <= r.clientWidth; })()"
    ), "the callback list needs sideways scrolling at 1280 px"
    # First attempt: no answer.
    desk.locator("a.log-call").click()
    desk.locator("input[value=no_answer]").check()
    desk.locator("#content form [type=submit]").click()
    desk.wait_for_url(re.compile(r"/admin/hotline/callbackrequest/$"))
    expect(desk.locator(".messagelist .success")).to_contain_text(ukrainian("No answer"))
    # Second: they asked to be called in twenty minutes.
    desk.locator("a.log-call").click()
    desk.locator("input[value=call_later]").check()
    when = timezone.localtime() + datetime.timedelta(minutes=20)
    desk.fill("#id_call_again_at", when.strftime("%Y-%m-%dT%H:%M"))
    desk.screenshot(path=screenshot_dir / "desk-log-call-uk-1280.png", full_page=True)
    desk.locator("#content form [type=submit]").click()
    desk.wait_for_url(re.compile(r"/admin/hotline/callbackrequest/$"))
    callback.refresh_from_db()
    assert (callback.attempts, callback.last_outcome) == (2, "call_later")
    expect(desk.locator("#result_list")).to_contain_text(when.strftime("%d.%m %H:%M"))
    desk.screenshot(path=screenshot_dir / "desk-callbacks-uk-1280.png", full_page=True)

    # Half an hour later nobody called: the retry is overdue and on top of the dashboard.
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=30), tick=True):
        desk.goto(f"{site}/admin/")
        expect(desk.locator("#callbacks-overdue .count")).to_have_text("1")
        desk.goto(f"{site}/admin/hotline/callbackrequest/?overdue=yes")
        expect(desk.locator("#result_list strong.overdue")).to_have_count(1)
        desk.screenshot(path=screenshot_dir / "desk-overdue-uk-1280.png", full_page=True)

    # The supervisor reads the history: words, who and when.
    boss = get_user_model().objects.create_superuser("boss", "boss@imi.example", "pw 1234567")
    supervisor = signed_in(new_page(width=1280, locale="uk-UA"), boss)
    supervisor.goto(f"{site}/admin/hotline/callbackrequest/{callback.pk}/history/")
    history = supervisor.locator("#change-history")
    expect(history).to_contain_text(ukrainian("No answer"))
    expect(history).to_contain_text("operator")
    text = history.inner_text()
    assert "no_answer" not in text and "None" not in text and "pk=" not in text
    with override("uk"):
        assert (
            gettext("Call %(number)d: %(outcome)s")
            % {
                "number": 2,
                "outcome": gettext("Asked to call later"),
            }
            in text
        )
    supervisor.screenshot(path=screenshot_dir / "desk-history-uk-1280.png", full_page=True)
    assert CallbackRequest.objects.get().status == CallbackRequest.Status.NO_ANSWER


def test_the_complaint_list_fits_a_1280_laptop(live_server, new_page, signed_in, screenshot_dir):
    from hotline.services import inbox

    triage = staff("triage", "Triage")
    late = ComplaintFactory(created_at=timezone.now() - datetime.timedelta(hours=6))
    replied = ComplaintFactory(consent_publish=True, anonymous=True)
    inbox.case_reply(complaint=replied, text="Відповідь", files=[])
    ComplaintFactory.create_batch(3)
    desk = signed_in(new_page(width=1280, locale="uk-UA"), triage)
    desk.goto(f"{live_server.url}/admin/hotline/complaint/")
    desk.screenshot(path=screenshot_dir / "desk-complaints-uk-1280.png", full_page=True)
    assert desk.evaluate("document.documentElement.scrollWidth") <= 1280
    # Every column in sight: the results box needs no sideways scrolling either.
    assert desk.evaluate(
        "(() => { const r = document.querySelector('#changelist .results');"
        " return r.scrollWidth <= r.clientWidth; })()"
    )
    first = desk.locator("#result_list tbody tr").first
    expect(first).to_contain_text(str(late.pk))  # overdue first
    expect(first.locator("strong.overdue")).to_be_visible()


def test_an_editor_sees_the_article_as_they_type_and_the_form_fits(
    live_server, new_page, signed_in, screenshot_dir
):
    from incidents.models import Incident
    from tests.incidents.factories import IncidentFactory

    editor = staff("editor", "Editors")
    draft = IncidentFactory(status=Incident.Status.DRAFT, title="Чернетка", body="Старий текст")
    page = signed_in(new_page(width=1280, locale="uk-UA"), editor)
    page.goto(f"{live_server.url}/admin/incidents/incident/{draft.pk}/change/")
    preview = page.locator("#live-preview")
    expect(preview).to_contain_text("Старий текст")  # rendered on opening
    page.fill("#id_body", "Журналістку **побили** біля суду.\n\n- перше\n- друге")
    expect(preview.locator("strong")).to_have_text("побили")
    expect(preview.locator("li")).to_have_count(2)
    page.screenshot(path=screenshot_dir / "editor-live-preview-uk-1280.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    # "As the public will see it": the draft's own page, for staff only.
    link = preview.locator("xpath=..").locator("a", has_text=ukrainian("As the public will see it"))
    assert link.first.get_attribute("href") == draft.get_absolute_url()


def test_a_staff_member_who_chose_english_works_in_english(
    live_server, new_page, signed_in, screenshot_dir
):
    from hotline.models import StaffProfile

    operator = staff("operator", "Hotline operators")
    StaffProfile.objects.create(user=operator, language="en")
    CallbackRequestFactory(created_at=timezone.now() - datetime.timedelta(hours=2))
    desk = signed_in(new_page(width=1280, locale="uk-UA"), operator)  # a Ukrainian browser
    desk.goto(f"{live_server.url}/admin/")
    expect(desk.locator("#duty-dashboard caption")).to_have_text("On duty now")
    expect(desk.locator("#callbacks-overdue th")).to_have_text("Callback requests overdue")
    expect(desk.locator("#callbacks-overdue .count")).to_have_text("1")
    desk.screenshot(path=screenshot_dir / "desk-dashboard-en-1280.png", full_page=True)
    desk.goto(f"{live_server.url}/admin/hotline/callbackrequest/")
    expect(desk.locator("#result_list thead")).to_contain_text(
        re.compile("when to call, topic", re.I)
    )
