"""A newsroom's archive taken in, as staff do it (issue 31): the import page in the admin,
its report, the review queue with the duplicate to resolve, and the public page of an
incident whose cited source IMI holds a copy of. In Chromium, in English at 1280 px and in
Ukrainian at 390 px, with screenshots of each page."""

import datetime
from pathlib import Path

import pytest
from playwright.sync_api import expect

from hotline.models import StaffProfile
from incidents.models import ImportItem, Incident, Region, SourceLink
from incidents.services import source_archived

from ..incidents.factories import IncidentFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.one_database,  # the import runs eagerly, in the live server's process
    pytest.mark.django_db(transaction=True),
]

FEED = Path(__file__).resolve().parent.parent / "data" / "archive" / "feed.rss"
# What the admin says, in the staff member's language.
SAID = {
    "en": {
        "finished": "Finished",
        "report": "19 created · 1 duplicate · 0 skipped · 0 errors",
        "filters": ["Review", "Outcome", "Language"],
        "merged": "1 item merged.",
        "copy": "archived copy held by IMI, 14.03.2026",
    },
    "uk": {
        "finished": "Завершено",
        "report": "19 створено · 1 дублікат · 0 пропущено · 0 помилок",
        "filters": ["Розгляд", "Результат", "Мова"],  # never "За мова": the case is wrong
        "merged": "Об’єднано 1 запис.",
        "copy": "архівну копію зберігає ІМІ, 14.03.2026",
    },
}


@pytest.mark.parametrize(("width", "language"), [(1280, "en"), (390, "uk")])
def test_staff_import_a_feed_review_the_drafts_and_merge_the_duplicate(
    live_server, new_page, signed_in, _reference_data, screenshot_dir, width, language
):
    existing = IncidentFactory(title="Already on the record")
    SourceLink.objects.create(incident=existing, url="https://newsroom.example.org/rss/3/")
    editor = UserFactory(
        is_staff=True,
        permissions=[
            "incidents.import_archive",
            "incidents.view_incident",
            "incidents.view_importitem",
            "incidents.view_importrun",
        ],
    )
    StaffProfile.objects.create(user=editor, language=language)
    page = signed_in(new_page(width=width, locale="uk-UA"), editor)
    said, name = SAID[language], f"{language}-{width}"

    page.goto(f"{live_server.url}/admin/incidents/importrun/import/")
    page.set_input_files("input[name=file]", str(FEED))
    page.select_option("select[name=format]", "feed")
    lviv = Region.objects.get(slug="lviv")
    page.select_option("select[name=default_region]", str(lviv.pk))
    page.screenshot(path=screenshot_dir / f"archive-import-{name}.png", full_page=True)
    page.locator(".submit-row [type=submit]").click()

    expect(page.locator("body")).to_contain_text(said["finished"])
    expect(page.locator("body")).to_contain_text("100%")
    expect(page.locator("body")).to_contain_text(said["report"])
    page.screenshot(path=screenshot_dir / f"archive-report-{name}.png", full_page=True)
    created = Incident.objects.filter(status=Incident.Status.DRAFT).exclude(pk=existing.pk)
    assert created.count() == ImportItem.objects.filter(status="created").count() > 0
    assert not Incident.objects.published().exclude(pk=existing.pk).exists()  # drafts only

    page.goto(f"{live_server.url}/admin/incidents/importitem/?to_resolve=yes")
    duplicate = ImportItem.objects.get(status=ImportItem.Status.DUPLICATE)
    row = page.locator("#result_list tbody tr", has_text=duplicate.title[:30])
    expect(row).to_have_count(1)
    headings = [h.strip() for h in page.locator("#changelist-filter summary").all_inner_texts()]
    assert all(title in headings for title in said["filters"]), headings
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 1 or width == 390
    page.screenshot(path=screenshot_dir / f"archive-queue-{name}.png", full_page=True)
    row.locator("input[name=_selected_action]").check()
    page.select_option("select[name=action]", "merge")
    page.locator("button[name=index]").click()

    expect(page.locator(".messagelist")).to_contain_text(said["merged"])
    page.screenshot(path=screenshot_dir / f"archive-merged-{name}.png", full_page=True)
    duplicate.refresh_from_db()
    assert duplicate.resolution == ImportItem.Resolution.MERGED


@pytest.mark.parametrize(("width", "language"), [(1280, "en"), (390, "uk")])
def test_the_public_sees_that_imi_holds_a_copy_of_a_source_and_since_when(
    live_server, new_page, _reference_data, screenshot_dir, width, language
):
    incident = IncidentFactory(language=language)
    source = SourceLink.objects.create(
        incident=incident, url="https://gone.example.org/post/1", publisher="Gone Outlet"
    )
    source_archived(source_id=source.pk, on=datetime.date(2026, 3, 14))
    prefix = "/en" if language == "en" else ""
    page = new_page(width=width, locale="en-GB" if language == "en" else "uk-UA")

    page.goto(f"{live_server.url}{prefix}{incident.get_absolute_url().removeprefix(prefix)}")

    sources = page.locator("ul.sources")
    expect(sources).to_contain_text(SAID[language]["copy"])
    assert "gone.example.org" in sources.inner_html()
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
    page.screenshot(path=screenshot_dir / f"archived-source-{language}-{width}.png", full_page=True)
