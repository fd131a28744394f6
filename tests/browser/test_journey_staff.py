"""The staff journey end to end in Chromium (issue 18): a complaint filed on a phone becomes a
published article that the public finds everywhere and the reporter sees in their case inbox.

A reporter files a complaint (390 px, Ukrainian) and keeps the tracking code. A staff member
signs in with a password and a TOTP code (1280 px), finds the complaint by searching the
list, assigns it to themselves, adds an internal note, moves it to "verified", makes the
incident draft (the reporter agreed to be named: their name is on it), writes the article
with the live preview and publishes it. A browser with no cookies, which looked at every
public page before, then finds the article in the list, the search (by another form of a
word of the article), the feeds, the API, the barometer and the month's report, each count
up by one: on PostgreSQL with Redis a page cached before publication would still say the old
thing. The second test: a reporter who asked not to be named gets a draft and an article
with nothing that identifies them.
"""

import datetime
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone
from django.utils.translation import gettext, ngettext, override
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from hotline.models import Complaint, Note
from hotline.services.desk import complaint_change_status
from incidents.models import Category, Incident, Region

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a long staff password 2026"
# The place as the reporter and the article write it ("на Борщагівці") and as a reader
# searches for it ("Борщагівка"): not a prefix of the written form, so only the dictionary
# forms of search.py find it.
WRITTEN = "Борщагівці"
SEARCHED = "Борщагівка"
REPORTER = "Оксана Вербицька"
OUTLET = "Вечірній Святошин"
EMAIL = "oksana.verbytska@example.org"
PHONE_TYPED = "(067) 111-22-33"
PHONE_FORMS = ("0671112233", "067 111 22 33", "(067) 111-22-33", "+380671112233", "111-22-33")
DESCRIPTION = (
    f"Біля ліцею на {WRITTEN} невідомий чоловік вихопив у мене камеру, розбив об'єктив і "
    "погрожував розправою, якщо я опублікую відео зі зборів мешканців."
)
TITLE = f"На {WRITTEN} погрожували журналістці й розбили її камеру"
LEAD = "Невідомий вихопив камеру в журналістки під час зборів мешканців і погрожував їй."
BODY = (
    f"Журналістка знімала збори мешканців біля ліцею на {WRITTEN}. Невідомий чоловік "
    "**вихопив** у неї камеру й розбив об'єктив.\n\n- погрози розправою\n- пошкоджена техніка"
)


def ukrainian(message):
    with override("uk"):
        return gettext(message)


def watch(page):
    """Console errors (CSP refusals land there), script errors and failed responses."""
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on(
        "response",
        lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None,
    )
    return problems


def number(text):
    return int(re.search(r"\d+", text).group())


def shot(page, screenshot_dir, name):
    folder = screenshot_dir / "issue18"
    folder.mkdir(exist_ok=True)
    page.screenshot(path=folder / f"{name}.png", full_page=True)


def file_complaint(page, site, *, anonymous):
    """The complaint form on a phone, as a reporter fills it; returns the tracking code."""
    page.goto(f"{site}/complaint/")
    page.fill("#id_reporter_name", REPORTER)
    page.fill("#id_outlet", OUTLET)
    if anonymous:
        page.check("#id_anonymous")
    page.fill("#id_email", EMAIL)
    page.fill("#id_phone", PHONE_TYPED)
    page.fill("#id_occurred_on", occurred_on().isoformat())
    page.select_option("#id_region", str(Region.objects.get(slug="kyiv").pk))
    page.fill("#id_place", "Київ, Святошинський район")
    page.select_option("#id_category", str(Category.objects.get(slug="threats").pk))
    page.fill("#id_description", DESCRIPTION)
    page.check("#id_consent_processing")
    page.check("#id_safety_0")
    page.check("#id_consent_publish")
    page.locator("form.intake-form [type=submit]").last.click()
    page.wait_for_url(re.compile(r"/complaint/thanks/$"))
    return page.locator("#tracking-code").inner_text().strip()


def occurred_on():
    return timezone.localdate() - datetime.timedelta(days=5)


def staff_member(username):
    """Triage and Editors: the person who checks a complaint and writes its article."""
    user = get_user_model().objects.create_user(username, f"{username}@imi.example", PASSWORD)
    user.is_staff = True
    user.save()
    user.groups.add(*Group.objects.filter(name__in=["Triage", "Editors"]))
    return user


def write_and_publish(desk, site, screenshot_dir, prefix):
    """On the incident's change form: the article, checked in the live preview, saved, then
    published with the list's action (which sets the publication time to now)."""
    desk.fill("#id_title", TITLE)
    desk.fill("#id_slug", "")  # made from the title, by the national transliteration
    desk.fill("#id_lead", LEAD)
    desk.fill("#id_body", BODY)
    preview = desk.locator("#live-preview")
    expect(preview.locator("strong")).to_have_text("вихопив")
    expect(preview.locator("li")).to_have_count(2)
    shot(desk, screenshot_dir, f"{prefix}-article-uk-1280")
    desk.locator("input[name=_continue]").click()
    expect(desk.locator(".messagelist .success").first).to_be_visible()
    incident = Incident.objects.get(title=TITLE)
    assert incident.status == Incident.Status.DRAFT
    assert incident.slug == "na-borshchahivtsi-pohrozhuvaly-zhurnalisttsi-y-rozbyly-yii-kameru"

    desk.goto(f"{site}/admin/incidents/incident/?status__exact=draft")
    desk.locator(f"#result_list input[name=_selected_action][value='{incident.pk}']").check()
    desk.select_option("#changelist-form select[name=action]", "publish")
    desk.locator("#changelist-form button[name=index]").click()
    with override("uk"):
        published = ngettext("%d incident published.", "%d incidents published.", 1) % 1
    expect(desk.locator(".messagelist .success")).to_contain_text(published)
    shot(desk, screenshot_dir, f"{prefix}-published-uk-1280")
    incident.refresh_from_db()
    assert incident.is_public
    return incident


def public_figures(page, site, month):
    """What a reader sees of the record: the list, a search, the feeds, the API, the
    barometer for the month and the month's report."""
    figures = {}
    page.goto(f"{site}/incidents/")
    figures["list"] = number(page.locator("#result-count").inner_text())
    figures["list_has"] = page.get_by_role("link", name=TITLE).count()
    page.goto(f"{site}/incidents/?q={SEARCHED}")
    figures["search"] = number(page.locator("#result-count").inner_text())
    figures["search_has"] = page.get_by_role("link", name=TITLE).count()
    for kind in ("rss", "atom"):
        response = page.request.get(f"{site}/incidents/feed/{kind}/")
        assert response.ok
        figures[kind] = TITLE in response.text()
    response = page.request.get(f"{site}/api/incidents/?q={SEARCHED}")
    assert response.ok
    figures["api"] = [item["title"] for item in response.json()["results"]]
    page.goto(f"{site}/stats/?year={month.year}&month={month.month}")
    figures["stats"] = number(page.locator("#stats-total").inner_text())
    tile = page.locator('a.tile-link[data-region="kyiv"] text.tile-count')
    figures["tile"] = int(tile.text_content())
    page.goto(f"{site}/stats/{month.year}/{month.month}/")
    figures["report"] = number(page.locator("#month-total").inner_text())
    return figures


def test_a_complaint_becomes_an_article_the_public_finds_everywhere(
    live_server, demo, new_page, screenshot_dir, settings
):
    settings.TWO_FACTOR_REQUIRED = True
    settings.PUBLIC_PAGE_CACHE = True  # as in production: publishing must drop cached pages
    site = live_server.url
    month = occurred_on()

    # The public, before: a browser that never signs in, and looks again at the end.
    public = new_page(width=390, locale="uk-UA")
    public_problems = watch(public)
    before = public_figures(public, site, month)
    assert before["list_has"] == before["search_has"] == 0
    assert not before["rss"] and not before["atom"] and TITLE not in before["api"]
    # Those pages are now in the page cache: a reader asking again is served from it.
    for address in ("/incidents/", "/incidents/feed/rss/", f"/stats/{month.year}/{month.month}/"):
        assert public.request.get(f"{site}{address}").headers.get("x-page-cache") == "hit"

    # The reporter, on a phone: named, and agreeing to publication.
    phone = new_page(width=390, locale="uk-UA")
    code = file_complaint(phone, site, anonymous=False)
    shot(phone, screenshot_dir, "staff-0-reporter-thanks-uk-390")
    complaint = Complaint.objects.get(email=EMAIL)
    assert (complaint.consent_publish, complaint.anonymous) == (True, False)

    # The staff member signs in: password, then the code from their authenticator app.
    user = staff_member("olha")
    device = TOTPDevice.objects.create(user=user, name="default", confirmed=True)
    desk = new_page(width=1280, locale="uk-UA")
    desk_problems = watch(desk)
    desk.goto(f"{site}/admin/")
    desk.wait_for_url(re.compile(r"/account/login/"))
    desk.fill("#id_auth-username", "olha")
    desk.fill("#id_auth-password", PASSWORD)
    desk.locator("form [type=submit].btn-primary").click()
    token = desk.locator("#id_token-otp_token")
    expect(token).to_be_visible()
    shot(desk, screenshot_dir, "staff-1-second-factor-uk-1280")
    token.fill(f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}")
    desk.locator("form [type=submit].btn-primary").click()
    desk.wait_for_url(re.compile(r"/admin/$"))
    expect(desk.locator("#duty-dashboard")).to_be_visible()
    shot(desk, screenshot_dir, "staff-2-dashboard-uk-1280")

    # Among the demo queue, found by a word of the statement.
    desk.goto(f"{site}/admin/hotline/complaint/")
    assert desk.locator("#result_list tbody tr").count() > 1
    desk.fill("#searchbar", "Борщагів")
    desk.press("#searchbar", "Enter")
    rows = desk.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(str(complaint.pk))
    rows.first.locator("input[name=_selected_action]").check()
    desk.select_option("#changelist-form select[name=action]", "assign_to_me")
    desk.locator("#changelist-form button[name=index]").click()
    expect(desk.locator(".messagelist .success")).to_contain_text(ukrainian("Assigned to you."))
    expect(rows.first).to_contain_text("olha")
    shot(desk, screenshot_dir, "staff-3-found-and-assigned-uk-1280")

    # The complaint: a note for colleagues, then reviewed, being verified, verified.
    rows.first.locator("th a").click()
    desk.wait_for_url(re.compile(rf"/admin/hotline/complaint/{complaint.pk}/change/"))
    expect(desk.locator(".field-publication_consent")).to_contain_text(ukrainian("agreed"))
    desk.locator("#notes-group .add-row a").click()
    desk.fill("#id_notes-0-text", "Зателефонувала авторці, фото розбитого об'єктива отримали.")
    for status in ("triage", "verifying", "verified"):
        desk.select_option("#id_status", status)
        desk.locator("input[name=_continue]").click()
        expect(desk.locator(".messagelist .success").first).to_be_visible()
        expect(desk.locator("#id_status")).to_have_value(status)
    complaint.refresh_from_db()
    assert (complaint.status, complaint.assignee) == (Complaint.Status.VERIFIED, user)
    assert Note.objects.get(complaint=complaint).author == user
    shot(desk, screenshot_dir, "staff-4-verified-uk-1280")

    # The draft: the facts, and the name (the reporter agreed to be named).
    desk.locator(".field-incident_link a[href$='/draft/']").click()
    desk.locator("#content form [type=submit]").click()
    desk.wait_for_url(re.compile(r"/admin/incidents/incident/\d+/change/"))
    expect(desk.locator(".reporter-statement")).to_contain_text(DESCRIPTION[:40])
    expect(desk.locator(".consent-wish")).to_contain_text(
        ukrainian("The reporter agreed to publication and may be named.")
    )
    expect(desk.locator("#id_victims-0-name")).to_have_value(REPORTER)
    expect(desk.locator("#id_victims-0-outlet")).to_have_value(OUTLET)
    incident = write_and_publish(desk, site, screenshot_dir, "staff-5")
    assert desk_problems == [], desk_problems

    # The public, after: everything has moved by one, and nothing of the reporter's
    # contacts is on the article.
    after = public_figures(public, site, month)
    assert after["list"] == before["list"] + 1 and after["list_has"] == 1
    assert after["search"] == before["search"] + 1 and after["search_has"] == 1
    assert after["rss"] and after["atom"]
    assert after["api"][0] == TITLE
    assert after["stats"] == before["stats"] + 1
    assert after["tile"] == before["tile"] + 1
    assert after["report"] == before["report"] + 1
    public.goto(f"{site}/stats/?year={month.year}&month={month.month}")
    # The page is long at 390 px: its top (the month's total) and the map, apart.
    public.screenshot(path=screenshot_dir / "issue18" / "staff-6-stats-for-the-month-uk-390.png")
    public.locator("#section-map").screenshot(
        path=screenshot_dir / "issue18" / "staff-6-stats-map-uk-390.png"
    )
    public.goto(f"{site}/incidents/?q={SEARCHED}")
    expect(public.locator("mark").first).to_be_visible()
    shot(public, screenshot_dir, "staff-7-search-uk-390")
    public.get_by_role("link", name=TITLE).click()
    public.wait_for_url(re.compile(rf"{incident.get_absolute_url()}$"))
    expect(public.locator("h1")).to_have_text(TITLE)
    expect(public.locator(".victims")).to_contain_text(REPORTER)
    text = public.locator("body").inner_text()
    assert EMAIL not in text and not any(form in text for form in PHONE_FORMS)
    shot(public, screenshot_dir, "staff-8-article-uk-390")
    api = public.request.get(f"{site}/api/incidents/{incident.slug}/").json()
    assert api["victims"][0]["name"] == REPORTER
    assert public_problems == [], public_problems

    # The reporter's case inbox: published, with the link to the article.
    phone.goto(f"{site}/complaint/status/")
    phone.fill("#id_code", code)
    phone.locator("#main form [type=submit]").click()
    phone.wait_for_url(re.compile(r"/complaint/case/$"))
    expect(phone.locator("#complaint-status")).to_have_text(ukrainian("Published"))
    link = phone.locator(".case-history a", has_text=ukrainian("Read the published incident"))
    expect(link).to_have_attribute("href", incident.get_absolute_url())
    shot(phone, screenshot_dir, "staff-9-reporter-inbox-uk-390")
    link.click()
    expect(phone.locator("h1")).to_have_text(TITLE)


def test_a_reporter_who_asked_not_to_be_named_is_nowhere_in_the_draft_or_the_article(
    live_server, new_page, signed_in, screenshot_dir
):
    site = live_server.url
    phone = new_page(width=390, locale="uk-UA")
    file_complaint(phone, site, anonymous=True)
    complaint = Complaint.objects.get(email=EMAIL)
    assert (complaint.consent_publish, complaint.anonymous) == (True, True)
    user = staff_member("olha")
    for status in ("triage", "verifying", "verified"):
        complaint_change_status(complaint=complaint, status=status, user=user)

    desk = signed_in(new_page(width=1280, locale="uk-UA"), user)
    desk.goto(f"{site}/admin/hotline/complaint/{complaint.pk}/change/")
    expect(desk.locator(".field-publication_consent")).to_contain_text(
        ukrainian("agreed, without the name")
    )
    desk.locator(".field-incident_link a[href$='/draft/']").click()
    expect(desk.locator("#content")).to_contain_text(
        ukrainian(
            "The reporter asked not to be named: their name and outlet must not appear "
            "anywhere in the incident."
        )
    )
    desk.locator("#content form [type=submit]").click()
    desk.wait_for_url(re.compile(r"/admin/incidents/incident/\d+/change/"))
    expect(desk.locator("#id_victims-0-is_anonymous")).to_be_checked()
    expect(desk.locator("#id_victims-0-name")).to_have_value("")
    expect(desk.locator("#id_victims-0-outlet")).to_have_value("")
    # Nothing the editor is given to publish carries the reporter: every field of the form
    # (the statement beside it is read-only and never published).
    values = desk.evaluate(
        "[...document.querySelectorAll('#incident_form input, #incident_form textarea')]"
        ".filter(e => e.type !== 'hidden').map(e => e.value)"
    )
    identifying = ("Вербицьк", "Оксан", OUTLET, EMAIL, *PHONE_FORMS)
    assert not [v for v in values for word in identifying if word in v], values
    shot(desk, screenshot_dir, "staff-anonymous-draft-uk-1280")

    incident = write_and_publish(desk, site, screenshot_dir, "staff-anonymous")
    public = new_page(width=390, locale="uk-UA")
    public.goto(f"{site}{incident.get_absolute_url()}")
    expect(public.locator("h1")).to_have_text(TITLE)
    shot(public, screenshot_dir, "staff-anonymous-article-uk-390")
    pages = [
        public.content(),
        public.request.get(f"{site}/api/incidents/{incident.slug}/").text(),
        public.request.get(f"{site}/incidents/feed/rss/").text(),
        public.request.get(f"{site}/incidents/?q={SEARCHED}").text(),
    ]
    for page_text in pages:
        assert TITLE.split()[-1] in page_text or incident.slug in page_text
        for word in ("Вербицьк", OUTLET, EMAIL, *PHONE_FORMS):
            assert word not in page_text, word
