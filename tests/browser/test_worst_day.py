"""Issue 28, items 3 and 4 in the browser: a journalist in danger reports for a detained
colleague on a phone (and on a laptop, in English); the form speaks of the colleague, and the
thank-you page puts the hotline and "call me now" first."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from hotline.models import CallbackRequest, Complaint
from incidents.models import Category, Region
from tests.hotline.helpers import said

from .test_hotline_forms import DESCRIPTION, open_form

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.one_database,  # what the browser shows; the rules run on both in tests/hotline
]


@pytest.mark.parametrize(("width", "language"), [(390, "uk"), (1280, "en")])
def test_reporting_for_a_colleague_in_danger_then_call_me_now(
    live_server, new_page, screenshot_dir, width, language
):
    page = open_form(live_server, new_page, width, language, "/complaint/")
    # The safety question comes first, in the reporter's own words.
    safety = page.locator("#div_id_safety legend")
    expect(safety).to_contain_text(said("Are you safe now?", language))
    expect(page.locator("#id_victim_name")).to_be_hidden()

    page.check("#id_for_someone_else")
    # Now the questions speak of the colleague, and theirs appear; "don't publish my name"
    # goes (the reporter is never named).
    expect(safety).to_contain_text(said("Is the person it happened to safe now?", language))
    expect(page.locator("label[for=id_safety_1]")).to_contain_text(
        said("No, they are in danger now", language)
    )
    expect(page.locator("#id_consent_publish_helptext")).to_contain_text(
        said("never with yours", language) if language == "en" else "ніколи — з вашим"
    )
    expect(page.locator("#id_anonymous")).to_be_hidden()
    expect(page.locator("#id_victim_name")).to_be_visible()

    page.check("#id_safety_1")
    page.check("#id_help_needed_0")  # a lawyer
    page.fill("#id_victim_name", "Тарас Затриманенко")
    page.fill("#id_victim_outlet", "Вигадане ТБ")
    page.fill("#id_victim_relation", "колега" if language == "uk" else "colleague")
    page.fill("#id_phone", "(050) 123-45-61")
    page.fill("#id_occurred_on", (timezone.localdate() - datetime.timedelta(days=1)).isoformat())
    page.select_option("#id_region", str(Region.objects.get(slug="kyiv").pk))
    page.select_option("#id_category", str(Category.objects.get(slug="threats").pk))
    page.fill("#id_description", DESCRIPTION)
    page.check("#id_consent_processing")
    page.screenshot(path=screenshot_dir / f"worst-day-form-{language}-{width}.png", full_page=True)
    page.locator("form.intake-form [type=submit]").last.click()

    page.wait_for_url(re.compile(r"/complaint/thanks/$"))
    box = page.locator("#urgent-help")
    expect(box).to_be_visible()
    expect(box.locator("h2")).to_contain_text(
        said("The person you report for is not safe now: call us, or we call you", language)
    )
    # Above everything: the first thing on the page, and on a phone within the first screen.
    assert box.bounding_box()["y"] < page.locator("h1").bounding_box()["y"]
    assert box.bounding_box()["y"] < 400
    expect(page.locator("#urgent-call")).to_have_attribute("href", re.compile(r"^tel:\+380"))
    page.screenshot(path=screenshot_dir / f"worst-day-thanks-{language}-{width}.png")
    page.locator("#call-me-now").click()
    expect(page.locator("#call-asked")).to_contain_text("+380 50 123 4561")
    page.go_back()
    page.reload()
    expect(page.locator("#call-asked")).to_be_visible()

    complaint = Complaint.objects.get()
    assert complaint.for_someone_else and complaint.reporter_name == ""
    assert complaint.priority == Complaint.Priority.URGENT
    assert complaint.help_needed == ["legal"]
    assert CallbackRequest.objects.count() == 1


@pytest.mark.parametrize("width", [1280, 390])
def test_the_desk_sees_who_is_in_danger_and_who_reported_for_whom(
    live_server, new_page, signed_in, screenshot_dir, width
):
    import uuid

    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from hotline.services import intake

    triage = get_user_model().objects.create_user("triage", "triage@imi.example", "pw 1234567")
    triage.is_staff = True
    triage.save()
    triage.groups.add(Group.objects.get(name="Triage"))
    complaint, _code = intake.complaint_submit(
        data={
            "for_someone_else": True,
            "victim_name": "Тарас Затриманенко",
            "victim_outlet": "Вигадане ТБ",
            "victim_relation": "колега, редакторка",
            "phone": "+380501234561",
            "region": Region.objects.get(slug="kyiv"),
            "category": Category.objects.get(slug="threats"),
            "description": DESCRIPTION,
            "consent_processing": True,
            "safety": Complaint.Safety.NOT_SAFE,
            "help_needed": ["legal", "relocation"],
        },
        files=[],
        language="uk",
        submission_key=uuid.uuid4(),
    )
    desk = signed_in(new_page(width=width, locale="uk-UA"), triage)
    desk.goto(f"{live_server.url}/admin/hotline/complaint/")
    row = desk.locator("#result_list tbody tr").first
    expect(row).to_contain_text(said("not safe now"))
    expect(row).to_contain_text(said("reported for someone else"))
    expect(row).to_contain_text(said("Urgent"))
    desk.screenshot(path=screenshot_dir / f"desk-urgent-list-uk-{width}.png", full_page=True)
    desk.goto(f"{live_server.url}/admin/hotline/complaint/{complaint.pk}/change/")
    expect(desk.locator(".field-reported_for")).to_contain_text("Тарас Затриманенко, Вигадане ТБ")
    expect(desk.locator(".field-reported_for")).to_contain_text("колега, редакторка")
    expect(desk.locator(".field-help_needed_list")).to_contain_text(
        said("A lawyer or legal advice")
    )
    expect(desk.locator(".field-safety")).to_contain_text(said("Not safe now"))
    # First on the page, above the contacts and the story.
    rows = desk.locator("fieldset .form-row").evaluate_all("(rows) => rows.map((r) => r.className)")
    assert "field-safety" in rows[0], rows[:3]
    desk.screenshot(path=screenshot_dir / f"desk-urgent-complaint-uk-{width}.png", full_page=True)
