"""The record's depth in Chromium (issue 17): an editor adds a dated update to a published
incident in the admin at 1280 px, and a reader sees it in "what happened next" on a phone,
in Ukrainian and in English; the SDG export's page on a phone."""

import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from incidents.models import Incident, IncidentUpdate

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.one_database,  # what the editor and the reader see; the record's rules run on both in tests/incidents
]

SLUG = "demo-2019-05-detention-odesa-3"  # a demo story whose case reached a verdict


def fits(page, width) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= width


def test_an_update_added_in_the_admin_reaches_the_timeline(
    live_server, demo, new_page, signed_in, screenshot_dir
):
    site = live_server.url
    editor = get_user_model().objects.create_superuser("editor", "editor@imi.example", "pw 123456")
    incident = Incident.objects.get(slug=SLUG)
    before = IncidentUpdate.objects.filter(incident=incident).count()

    admin = signed_in(new_page(width=1280, locale="uk-UA"), editor)
    admin.goto(f"{site}/admin/incidents/incident/{incident.pk}/change/")
    expect(admin.locator("#cases-group")).to_be_visible()
    expect(admin.locator("#victims-group")).to_be_visible()
    assert fits(admin, 1280), "the incident's admin page needs sideways scrolling at 1280 px"
    admin.screenshot(path=screenshot_dir / "record-admin-uk-1280.png", full_page=True)
    group = admin.locator("#updates-group")
    group.locator(".add-row a").click()
    row = group.locator("tr.form-row.dynamic-updates").last
    row.locator("input[name$='-on']").fill("2020.03.20")  # a typo: the date is refused
    row.locator("textarea[name$='-text']").fill("Засуджений оскаржив вирок.")
    admin.locator("input[name=_continue]").click()
    expect(admin.locator(".errornote")).to_be_visible()
    row = admin.locator("#updates-group tr.form-row.dynamic-updates").last
    expect(row.locator("textarea[name$='-text']")).to_have_value("Засуджений оскаржив вирок.")
    row.locator("input[name$='-on']").fill("20.03.2020")
    admin.locator("input[name=_continue]").click()
    expect(admin.locator(".messagelist .success")).to_be_visible()
    assert IncidentUpdate.objects.filter(incident=incident).count() == before + 1

    for language, prefix, heading in (
        ("uk", "", "Що було далі"),
        ("en", "/en", "What happened next"),
    ):
        reader = new_page(width=390, locale="uk-UA" if language == "uk" else "en-US")
        reader.goto(f"{site}{prefix}/incidents/{SLUG}/")
        section = reader.locator("#what-happened-next")
        expect(section.locator("h2")).to_have_text(heading)
        expect(section.locator(".timeline-entry").last).to_contain_text(
            "Засуджений оскаржив вирок."
        )
        expect(section.locator(".timeline-entry").last).to_contain_text("20.03.2020")
        expect(reader.locator("#verification")).to_be_visible()
        assert fits(reader, 390), f"the incident page scrolls sideways at 390 px ({language})"
        reader.screenshot(
            path=screenshot_dir / f"record-incident-{language}-390.png", full_page=True
        )

    wide = new_page(width=1280, locale="en-US")
    wide.goto(f"{site}/en/incidents/{SLUG}/")
    wide.screenshot(path=screenshot_dir / "record-incident-en-1280.png", full_page=True)


def test_the_sdg_export_page_and_its_downloads_on_a_phone(
    live_server, demo, new_page, screenshot_dir
):
    site = live_server.url
    for language, prefix in (("uk", ""), ("en", "/en")):
        page = new_page(width=390, locale="uk-UA" if language == "uk" else "en-US")
        page.goto(f"{site}{prefix}/incidents/export/sdg-16-10-1/")
        expect(page.locator("#sdg-mapping tbody tr")).to_have_count(9)
        expect(page.locator("#field-name_or_alias")).to_be_visible()
        assert fits(page, 390), f"the SDG page scrolls sideways at 390 px ({language})"
        page.screenshot(path=screenshot_dir / f"record-sdg-{language}-390.png", full_page=True)
        with page.expect_download() as download:
            page.locator("a[href$='sdg-16-10-1.csv']").first.click()
        assert re.fullmatch(
            r"sdg-16-10-1-\d{4}-\d{2}-\d{2}\.csv", download.value.suggested_filename
        )
