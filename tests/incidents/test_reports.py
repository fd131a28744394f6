"""Monthly reports: publishing freezes a month's figures; corrections show beside them."""

import datetime

import pytest
from django.utils import timezone

from incidents import services
from incidents.models import Category, MonthlyReport

from .factories import IncidentFactory
from .pages import parse

MARCH = datetime.date(2024, 3, 1)


def beating_in_march(day, **kwargs):
    return IncidentFactory(
        occurred_on=MARCH.replace(day=day),
        categories=[Category.objects.get(slug="beating")],
        **kwargs,
    )


def report_numbers(response):
    page = parse(response)
    table = {
        tr.find("th").text: int(tr.find("td").text)
        for tr in page.find("section", **{"aria-labelledby": "m-categories"}).find_all("tr")
        if tr.find("td") is not None and tr.find("th") is not None
    }
    return page.by_id("month-total").text, table


@pytest.mark.django_db
def test_publishing_freezes_the_month_and_a_correction_shows_as_a_revision(admin_client, client):
    beating_in_march(3)
    beating_in_march(9)
    assert parse(client.get("/en/stats/2024/3/")).by_id("report-preliminary") is not None

    response = admin_client.post("/admin/incidents/monthlyreport/add/", {"month": "2024-03"})
    assert response.status_code == 302
    report = MonthlyReport.objects.get()
    assert report.figures["total"] == 2
    assert report.figures["categories"] == {"beating": 2}

    page = client.get("/en/stats/2024/3/")
    total, table = report_numbers(page)
    assert total.startswith("2 incidents")
    assert table == {"Beating, attack": 2}
    published = parse(page).by_id("report-published")
    assert "Published on" in published.text and "Cite as" in published.text
    assert parse(page).by_id("report-revised") is None

    # Two more beatings come to light later: the published figures stay, the revision says so.
    beating_in_march(20)
    beating_in_march(21)
    page = client.get("/en/stats/2024/3/")
    total, table = report_numbers(page)
    assert total.startswith("2 incidents")
    assert table == {"Beating, attack": 2}
    revised = parse(page).by_id("report-revised").text
    today = timezone.localdate().strftime("%d.%m.%Y")
    assert f"Revised on {today}" in revised
    assert "+2 in all" in revised and "+2 Beating, attack" in revised
    # ... and the record itself has the four.
    assert len(parse(page).find_all("article")) == 4


@pytest.mark.django_db
def test_a_correction_that_moves_an_incident_out_shows_a_minus(client):
    moved = beating_in_march(3)
    beating_in_march(4)
    services.monthly_report_publish(month=MARCH)
    moved.occurred_on = datetime.date(2024, 4, 2)
    moved.save()
    services.incidents_refresh(ids=[moved.pk], months=[MARCH])
    revised = parse(client.get("/en/stats/2024/3/")).by_id("report-revised").text
    assert "−1 in all" in revised and "−1 Beating, attack" in revised


@pytest.mark.django_db
def test_a_month_is_published_once_and_never_in_advance(admin_client):
    services.monthly_report_publish(month=MARCH)
    again = admin_client.post("/admin/incidents/monthlyreport/add/", {"month": "2024-03"})
    # The admin speaks the site's default language, Ukrainian.
    assert "Звіт за цей місяць уже оприлюднено." in again.content.decode()
    future = (timezone.localdate().replace(day=1) + datetime.timedelta(days=40)).strftime("%Y-%m")
    early = admin_client.post("/admin/incidents/monthlyreport/add/", {"month": future})
    assert "Місяць, який ще не почався, не можна оприлюднити." in early.content.decode()
    assert MonthlyReport.objects.count() == 1


@pytest.mark.django_db
def test_a_published_report_cannot_be_edited_or_deleted(admin_client):
    report = services.monthly_report_publish(month=MARCH)
    page = admin_client.get(f"/admin/incidents/monthlyreport/{report.pk}/change/")
    assert page.status_code == 200
    assert b'name="month"' not in page.content  # read-only
    assert (
        admin_client.get(f"/admin/incidents/monthlyreport/{report.pk}/delete/").status_code == 403
    )
