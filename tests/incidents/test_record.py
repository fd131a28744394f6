"""The record researchers rely on (issue 17): how sure it is, who was targeted and what
became of them, the criminal case to its end, dated updates, and the SDG 16.10.1 export."""

import csv
import datetime
import importlib
import io
import json

import jsonschema
import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents import services
from incidents.exports import sdg
from incidents.models import (
    Category,
    CriminalCase,
    Incident,
    IncidentUpdate,
    Perpetrator,
    Person,
    SourceLink,
    Verification,
    Victim,
    verification_level,
)
from tests.shared_data import shared_data

from .factories import IncidentFactory, SourceLinkFactory, TranslationFactory, VictimFactory
from .pages import ADMIN_INLINES_EMPTY, card_titles, parse, result_count, url_of

pytestmark = pytest.mark.django_db

ADD = "/admin/incidents/incident/add/"
SECRET = "Секретна Свідкиня"


def refresh(*incidents):
    services.incidents_refresh(ids=[incident.pk for incident in incidents])
    for incident in incidents:
        incident.refresh_from_db()


def source(incident, publisher="", url="", **fields):
    return SourceLink.objects.create(incident=incident, publisher=publisher, url=url, **fields)


def get(client, url, params=None):
    response = client.get(url, params or {})
    assert response.status_code == 200, (url, response.status_code)
    return response


def body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


# --- Verification ------------------------------------------------------------------------------


def test_verification_level_follows_the_sources():
    def level(*sources):
        return verification_level([SourceLink(**fields) for fields in sources])

    assert level() == Verification.REPORTED
    assert level({"url": "https://a.example/1"}) == Verification.ONE_SOURCE
    # The same publisher twice, however it is written, is one source.
    assert (
        level({"publisher": "Detector Media"}, {"publisher": "  detector   MEDIA "})
        == Verification.ONE_SOURCE
    )
    assert (
        level({"url": "https://www.a.example/1"}, {"url": "https://a.example/2"})
        == Verification.ONE_SOURCE
    )
    # Two publishers, one of them not independent (the victim's own outlet): not confirmed.
    assert (
        level({"publisher": "A"}, {"publisher": "B", "is_independent": False})
        == Verification.ONE_SOURCE
    )
    assert level({"publisher": "A"}, {"url": "https://b.example/x"}) == Verification.CONFIRMED
    assert level({"publisher": "Her post", "is_victim_account": True}) == Verification.VICTIM


def test_sources_added_in_the_admin_set_the_level_the_page_shows(admin_client, kyiv, beating):
    data = admin_incident_data(
        kyiv,
        beating,
        slug="two-sources",
        sources=[
            {"url": "https://one.example/a", "publisher": "One"},
            {"url": "", "publisher": "Two", "title": "Call to IMI"},
        ],
    )
    response = admin_client.post(ADD, data)
    assert response.status_code == 302, errors_of(response)
    incident = Incident.objects.get(slug="two-sources")
    assert incident.verification == Verification.CONFIRMED
    page = parse(get(admin_client, url_of(incident, "en")))
    assert page.by_id("verification").text == "Confirmed by two or more independent sources"
    incident.status, incident.published_at = "published", timezone.now()
    incident.save()
    refresh(incident)
    api = get(admin_client, f"/api/incidents/{incident.slug}/").json()
    assert api["verification"] == "confirmed"
    assert [(s["url"], s["publisher"], s["is_independent"]) for s in api["sources"]] == [
        ("https://one.example/a", "One", True),
        ("", "Two", True),
    ]
    # A source with neither an address nor a publisher is refused, and what was typed stays.
    data = admin_incident_data(
        kyiv, beating, slug="no-publisher", sources=[{"url": "", "title": "Somebody said"}]
    )
    response = admin_client.post(ADD, data)
    assert response.status_code == 200
    assert not Incident.objects.filter(slug="no-publisher").exists()
    assert 'value="Somebody said"' in response.content.decode()


def test_only_confirmed_incidents_in_the_list_and_the_barometer(client):
    day = timezone.localdate() - datetime.timedelta(days=3)
    reported = IncidentFactory(title="Reported only", occurred_on=day)
    single = IncidentFactory(title="One source", occurred_on=day)
    source(single, "A")
    confirmed = IncidentFactory(title="Two sources", occurred_on=day)
    source(confirmed, "A")
    source(confirmed, "B")
    own = IncidentFactory(title="Her account", occurred_on=day)
    source(own, "Her", is_victim_account=True, is_independent=False)
    refresh(reported, single, confirmed, own)

    assert result_count(get(client, "/incidents/")) == 4
    assert result_count(get(client, "/incidents/", {"verification": "confirmed"})) == 2
    assert result_count(get(client, "/incidents/", {"verification": "sourced"})) == 3
    assert result_count(get(client, "/incidents/", {"verification": "victim"})) == 1
    period = {"date_from": (day - datetime.timedelta(days=1)).isoformat()}
    period["date_to"] = timezone.localdate().isoformat()
    every = parse(get(client, "/en/stats/", period)).by_id("stats-total").text
    only = parse(get(client, "/en/stats/", {**period, "verification": "confirmed"}))
    assert every.startswith("4 ")
    assert only.by_id("stats-total").text.startswith("2 ")
    # The switch says which is counted, and keeps the period.
    current = only.by_id("verification-switch").find("a", **{"aria-current": "true"})
    assert "verification=confirmed" in current.attrs["href"]
    assert "date_from=" in current.attrs["href"]


# --- People ---------------------------------------------------------------------------------


def test_detention_that_ends_before_it_begins_is_refused_keeping_the_input(
    admin_client, kyiv, beating
):
    data = admin_incident_data(
        kyiv,
        beating,
        slug="detained",
        victims=[{"name": "Олег", "detained_from": "2024-05-03", "detained_until": "2024-05-01"}],
    )
    response = admin_client.post(ADD, data)
    assert response.status_code == 200
    assert not Incident.objects.filter(slug="detained").exists()
    html = response.content.decode()
    assert "errorlist" in html
    assert 'value="2024-05-03"' in html and 'value="2024-05-01"' in html
    # And the database refuses it from any other writer.
    incident = IncidentFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Victim.objects.create(
            incident=incident,
            detained_from=datetime.date(2024, 5, 3),
            detained_until=datetime.date(2024, 5, 1),
        )
    victim = Victim(incident=incident, detained_until=datetime.date(2024, 5, 1))
    with pytest.raises(ValidationError) as error:
        victim.full_clean()
    assert "detained_from" in error.value.message_dict


def test_outcomes_role_and_details_on_the_page(client):
    incident = IncidentFactory(occurred_on=datetime.date(2024, 5, 1))
    victim = VictimFactory(
        incident=incident,
        name="Ірина Приклад",
        occupation="camera_operator",
        role="",
        employment="freelance",
        origin="foreign",
        injury="serious",
        detained_from=datetime.date(2024, 5, 1),
        detained_until=datetime.date(2024, 5, 3),
        equipment="seized",
    )
    victim.refresh_from_db()
    Person.objects.filter(pk=victim.person_id).update(sex="female", age_group="30-44")
    text = parse(get(client, url_of(incident, "en"))).find("ul", class_="victims").text
    assert "Ірина Приклад, camera operator" in text
    assert "female, 30–44, freelance, foreign" in text
    assert "Serious injuries; detained from 01.05.2024 to 03.05.2024; Equipment seized" in text


def test_a_person_is_linked_across_incidents_only_when_named_in_all(client, admin_client):
    first = IncidentFactory(title="First attack", occurred_on=datetime.date(2024, 1, 5))
    second = IncidentFactory(title="Second attack", occurred_on=datetime.date(2024, 3, 5))
    one = VictimFactory(incident=first, name="Марія Тест")
    two = VictimFactory(incident=second, name="Марія Тест")
    one.refresh_from_db(), two.refresh_from_db()
    assert one.person_id and two.person_id and one.person_id != two.person_id
    merge(admin_client, [one.person, two.person])
    two.refresh_from_db()
    assert Person.objects.count() == 1
    page = parse(get(client, url_of(first)))
    assert "Second attack" in page.find("ul", class_="victims").text
    api = get(client, f"/api/incidents/{first.slug}/").json()
    assert api["victims"][0]["person"] == two.person_id

    # Withheld in one of them: linking would name her there. No link anywhere.
    Victim.objects.filter(pk=two.pk).update(is_anonymous=True)
    refresh(first, second)
    assert (
        "Second attack" not in parse(get(client, url_of(first))).find("ul", class_="victims").text
    )
    assert (
        "First attack" not in parse(get(client, url_of(second))).find("ul", class_="victims").text
    )
    assert get(client, f"/api/incidents/{first.slug}/").json()["victims"][0]["person"] is None
    assert "Марія Тест" not in body(get(client, url_of(second)))


def merge(admin_client, people):
    response = admin_client.post(
        "/admin/incidents/person/",
        {"action": "merge", "_selected_action": [person.pk for person in people]},
        follow=True,
    )
    assert response.status_code == 200


def test_two_withheld_people_merged_stay_withheld_everywhere(client, admin_client):
    killing = Category.objects.get(slug="killing")
    first = IncidentFactory(title="Перший", categories=[killing])
    second = IncidentFactory(title="Другий", categories=[killing])
    for incident, name in ((first, SECRET), (second, "Інша Таємна")):
        victim = VictimFactory(incident=incident, name=name, is_anonymous=True, outlet="Вісник")
        Person.objects.filter(victims=victim).update(sex="female", age_group="18-29")
    merge(admin_client, list(Person.objects.all()))
    assert Person.objects.count() == 1
    person = Person.objects.get()
    # The merge is in the person's admin history, and the person's page lists both incidents.
    logged = LogEntry.objects.get(object_id=str(person.pk), action_flag=CHANGE)
    assert logged.get_change_message() in body(
        get(admin_client, f"/admin/incidents/person/{person.pk}/history/")
    )
    assert (
        len(
            get(admin_client, f"/admin/incidents/person/{person.pk}/change/")
            .context["inline_admin_formsets"][0]
            .formset.forms
        )
        == 2
    )
    assert set(person.victims.values_list("is_anonymous", flat=True)) == {True}
    IncidentUpdate.objects.create(incident=first, on=first.occurred_on, text="Справу відкрито.")
    refresh(first, second)
    assert_never_published(client, [SECRET, "Інша Таємна"], [first, second])
    api = get(client, f"/api/incidents/{first.slug}/").json()["victims"][0]
    assert (api["name"], api["name_withheld"], api["person"]) == (None, True, None)
    assert (api["sex"], api["age_group"]) == (None, None)  # the name is withheld: so are these
    rows = json.loads(body(get(client, "/incidents/export/sdg-16-10-1.json")))["records"]
    assert {(r["name_or_alias"], r["person_id"], r["sex"]) for r in rows} == {("", None, "")}


def assert_never_published(client, names, incidents):
    """Nowhere a visitor, a feed reader, an API client or a researcher can read."""
    addresses = [
        "/incidents/",
        "/en/incidents/?languages=all",
        "/incidents/feed/rss/",
        "/incidents/feed/atom/",
        "/api/incidents/",
        "/api/incidents/?languages=all&lang=en",
        "/incidents/export.csv",
        "/incidents/export.json",
        "/incidents/export/sdg-16-10-1.csv",
        "/incidents/export/sdg-16-10-1.json",
    ]
    for incident in incidents:
        addresses += [
            url_of(incident),
            url_of(incident, "en"),
            f"/api/incidents/{incident.slug}/",
            f"/api/incidents/{incident.slug}/updates/",
        ]
    for address in addresses:
        text = body(get(client, address))
        for name in names:
            assert name not in text, (name, address)
            assert name.split()[0] not in text, (name, address)
    for name in names:  # nor does searching for it find anything
        assert result_count(get(client, "/incidents/", {"q": name.split()[0]})) == 0


# --- Criminal case and impunity ----------------------------------------------------------------


def case(incident, **fields):
    return CriminalCase(incident=incident, **fields)


def test_a_verdict_needs_a_case_at_the_verdict_stage():
    incident = IncidentFactory(occurred_on=datetime.date(2023, 1, 10))
    with pytest.raises(ValidationError) as error:
        case(
            incident, status="investigating", opened_on=datetime.date(2023, 2, 1), verdict="Guilty"
        ).full_clean()
    assert "verdict" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        case(incident, status="not_opened", verdict_on=datetime.date(2023, 5, 1)).full_clean()
    assert "verdict" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        case(incident, status="not_opened", number="12023000000000001").full_clean()
    assert "status" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        case(incident, status="verdict", opened_on=datetime.date(2023, 2, 1)).full_clean()
    assert "verdict_on" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        case(
            incident,
            status="verdict",
            opened_on=datetime.date(2023, 2, 1),
            verdict_on=datetime.date(2023, 1, 20),
        ).full_clean()
    assert "verdict_on" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        case(incident, status="investigating", opened_on=datetime.date(2023, 1, 1)).full_clean()
    assert "opened_on" in error.value.message_dict  # before the incident
    case(
        incident,
        status="verdict",
        opened_on=datetime.date(2023, 2, 1),
        verdict_on=datetime.date(2024, 2, 1),
        verdict="Guilty",
        impunity="partial",
    ).full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        CriminalCase.objects.create(
            incident=incident, status="investigating", verdict_on=datetime.date(2024, 1, 1)
        )


def test_admin_refuses_a_verdict_without_a_case_and_keeps_the_text(admin_client, kyiv, beating):
    data = admin_incident_data(
        kyiv,
        beating,
        slug="verdict-no-case",
        cases=[{"status": "not_opened", "verdict": "Винний", "verdict_on": "2024-06-01"}],
    )
    response = admin_client.post(ADD, data)
    assert response.status_code == 200
    assert not Incident.objects.filter(slug="verdict-no-case").exists()
    assert "Винний" in response.content.decode()


def test_what_happened_next_on_the_page_and_internal_notes_kept_back(client):
    incident = IncidentFactory(occurred_on=datetime.date(2023, 3, 1))
    CriminalCase.objects.create(
        incident=incident,
        number="12023100000000777",
        article="345-1",
        opened_on=datetime.date(2023, 3, 4),
        status="verdict",
        verdict_on=datetime.date(2024, 1, 9),
        verdict="Умовний термін.",
        impunity="partial",
    )
    IncidentUpdate.objects.create(
        incident=incident, on=datetime.date(2023, 3, 4), kind="case", text="Відкрили справу."
    )
    IncidentUpdate.objects.create(
        incident=incident,
        on=datetime.date(2023, 4, 2),
        kind="reply",
        authority="Прокуратура",
        text="Слідство триває.",
    )
    IncidentUpdate.objects.create(
        incident=incident, on=datetime.date(2023, 5, 1), text="Лише для персоналу.", is_public=False
    )
    refresh(incident)
    assert incident.last_update_on == datetime.date(2023, 4, 2)  # the public ones only
    page = parse(get(client, url_of(incident, "en")))
    section = page.by_id("what-happened-next")
    assert "№ 12023100000000777" in section.text
    assert "Partial impunity" in section.text
    entries = [entry.text for entry in section.find_all("li", class_="timeline-entry")]
    assert entries == [
        "Update on 04.03.2023 · Criminal case Відкрили справу.",
        "Update on 02.04.2023 · Reply from Прокуратура Слідство триває.",
    ]
    for address in (
        url_of(incident),
        f"/api/incidents/{incident.slug}/",
        f"/api/incidents/{incident.slug}/updates/",
        "/incidents/feed/rss/",
    ):
        assert "Лише для персоналу" not in body(get(client, address)), address
    api = get(client, f"/api/incidents/{incident.slug}/").json()
    assert api["criminal_cases"][0]["status"] == "verdict"
    assert api["updates_count"] == 2
    assert [u["text"] for u in api["latest_updates"]] == ["Слідство триває.", "Відкрили справу."]
    rss = body(get(client, "/incidents/feed/rss/"))
    assert "Update on 02.04.2023" in rss or "Оновлення 02.04.2023" in rss


def test_no_verdict_after_n_months(client):
    today = timezone.localdate()
    old = today - datetime.timedelta(days=800)
    unpunished = IncidentFactory(title="Old, no case", occurred_on=old)
    investigating = IncidentFactory(title="Old, investigating", occurred_on=old)
    CriminalCase.objects.create(
        incident=investigating, status="investigating", opened_on=old + datetime.timedelta(3)
    )
    judged = IncidentFactory(title="Old, verdict", occurred_on=old)
    CriminalCase.objects.create(
        incident=judged,
        status="verdict",
        opened_on=old + datetime.timedelta(3),
        verdict_on=old + datetime.timedelta(300),
    )
    recent = IncidentFactory(title="Recent", occurred_on=today - datetime.timedelta(days=30))
    refresh(unpunished, investigating, judged, recent)
    titles = card_titles(get(client, "/incidents/", {"no_verdict": "24"}))
    assert sorted(titles) == ["Old, investigating", "Old, no case"]
    assert result_count(get(client, "/incidents/", {"no_verdict": "24"})) == 2
    assert result_count(get(client, "/incidents/", {"no_verdict": "60"})) == 0


# --- Dated updates ------------------------------------------------------------------------------


def test_recently_updated(client):
    today = timezone.localdate()
    fresh = IncidentFactory(title="Fresh news", occurred_on=today - datetime.timedelta(days=100))
    stale = IncidentFactory(title="Old news", occurred_on=today - datetime.timedelta(days=100))
    IncidentUpdate.objects.create(incident=fresh, on=today - datetime.timedelta(days=2), text="x")
    IncidentUpdate.objects.create(incident=stale, on=today - datetime.timedelta(days=60), text="y")
    refresh(fresh, stale)
    assert result_count(get(client, "/incidents/", {"updated": "7"})) == 1
    assert result_count(get(client, "/incidents/", {"updated": "90"})) == 2
    api = get(client, "/api/incidents/", {"updated": "7"}).json()
    assert [row["slug"] for row in api["results"]] == [fresh.slug]
    assert api["results"][0]["last_update_on"] == (today - datetime.timedelta(days=2)).isoformat()


def count_queries(client, url):
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
        assert response.status_code == 200
        body(response)
    return len(context)


def test_a_thousand_updates_are_paginated_with_flat_queries(client, admin_client):
    start = datetime.date(2020, 1, 1)
    few = IncidentFactory(occurred_on=start)
    many = IncidentFactory(occurred_on=start)
    IncidentUpdate.objects.bulk_create(
        IncidentUpdate(incident=few, on=start + datetime.timedelta(days=n), text=f"Few {n}")
        for n in range(5)
    )
    IncidentUpdate.objects.bulk_create(
        IncidentUpdate(
            incident=many, on=start + datetime.timedelta(days=n // 3), text=f"Entry {n:04d}."
        )
        for n in range(1000)
    )
    refresh(few, many)
    assert count_queries(client, url_of(many)) == count_queries(client, url_of(few))
    page = parse(get(client, url_of(many)))
    entries = page.find_all("li", class_="timeline-entry")
    assert len(entries) == 20 and "Entry 0000." in entries[0].text
    last = parse(get(client, url_of(many), {"updates": "50"}))
    assert "Entry 0999." in last.find_all("li", class_="timeline-entry")[-1].text
    assert parse(get(client, url_of(many), {"updates": "x"})).find_all(
        "li", class_="timeline-entry"
    )
    # The API: the latest five inline, every one in pages of fifty.
    assert count_queries(client, f"/api/incidents/{many.slug}/") == count_queries(
        client, f"/api/incidents/{few.slug}/"
    )
    api = get(client, f"/api/incidents/{many.slug}/updates/").json()
    assert api["count"] == 1000 and len(api["results"]) == 50
    assert api["results"][0]["text"] == "Entry 0000."
    # The admin's form carries the latest twenty, with a link to all of them.
    change = body(get(admin_client, f"/admin/incidents/incident/{many.pk}/change/"))
    assert 'name="updates-TOTAL_FORMS" value="20"' in change
    assert f"incident__id__exact={many.pk}" in change
    listing = get(
        admin_client, "/admin/incidents/incidentupdate/", {"incident__id__exact": many.pk}
    )
    assert listing.context["cl"].result_count == 1000


def test_an_update_added_on_its_own_page_refreshes_the_incident(admin_client):
    incident = IncidentFactory(occurred_on=datetime.date(2024, 1, 1))
    response = admin_client.post(
        "/admin/incidents/incidentupdate/add/",
        {
            "incident": incident.pk,
            "on": "2024-02-01",
            "kind": "update",
            "text": "Нове.",
            "is_public": "on",
        },
    )
    assert response.status_code == 302, errors_of(response)
    incident.refresh_from_db()
    assert incident.last_update_on == datetime.date(2024, 2, 1)
    # A date before the incident is refused.
    response = admin_client.post(
        "/admin/incidents/incidentupdate/add/",
        {"incident": incident.pk, "on": "2023-12-01", "kind": "update", "text": "Раніше."},
    )
    assert response.status_code == 200
    assert not IncidentUpdate.objects.filter(text="Раніше.").exists()


# --- Query counts as the record grows ------------------------------------------------------


def rich(count):
    killing = Category.objects.get(slug="killing")
    made = []
    for n in range(count):
        incident = IncidentFactory(
            title=f"Rich {n}", occurred_on=datetime.date(2024, 1, 1), categories=[killing]
        )
        VictimFactory(incident=incident, name=f"Named {n}")
        VictimFactory(incident=incident, name=f"Hidden {n}", is_anonymous=True)
        SourceLinkFactory(incident=incident)
        Perpetrator.objects.create(incident=incident, category="state", body="Police")
        CriminalCase.objects.create(
            incident=incident, status="investigating", opened_on=datetime.date(2024, 1, 5)
        )
        IncidentUpdate.objects.create(incident=incident, on=datetime.date(2024, 1, 5), text="u")
        made.append(incident)
    services.incidents_refresh(ids=[incident.pk for incident in made])
    return made


def test_query_counts_stay_flat_from_5_to_50_incidents(client, settings):
    settings.INCIDENTS_PER_PAGE = 100
    pages = [
        "/incidents/",
        "/api/incidents/",
        "/incidents/export.csv",
        "/incidents/export/sdg-16-10-1.csv",
        "/incidents/export/sdg-16-10-1.json",
        "/incidents/feed/rss/",
        "/stats/?date_from=2024-01-01&date_to=2024-12-31&verification=confirmed",
    ]
    few = rich(5)
    before = {page: count_queries(client, page) for page in pages}
    detail = count_queries(client, url_of(few[2]))
    rich(45)
    assert result_count(get(client, "/incidents/")) == 50
    assert {page: count_queries(client, page) for page in pages} == before
    assert count_queries(client, url_of(few[2])) == detail
    rows = list(csv.reader(io.StringIO(body(get(client, "/incidents/export/sdg-16-10-1.csv")))))
    assert len([row for row in rows if row and row[0].startswith("IMI-")]) == 100


# --- SDG 16.10.1 ----------------------------------------------------------------------------


@shared_data
def demo():
    """The demo data `make run` loads."""
    call_command("load_demo", no_admin=True, stdout=io.StringIO())


def test_the_sdg_export_of_the_demo_data_validates_against_its_schema(client, demo):
    schema = get(client, "/incidents/export/sdg-16-10-1.schema.json").json()
    jsonschema.Draft202012Validator.check_schema(schema)
    document = json.loads(body(get(client, "/incidents/export/sdg-16-10-1.json")))
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(
        document
    )
    assert document["count"] == len(document["records"]) > 20
    assert {row["act"] for row in document["records"]} >= {"killing", "other_harmful_act"}
    assert {row["verification"] for row in document["records"]} >= {"one_source", "confirmed"}
    assert any(row["name_withheld"] for row in document["records"])
    for row in document["records"]:
        if row["name_withheld"]:
            assert (row["name_or_alias"], row["person_id"], row["sex"]) == ("", None, "")
    # The CSV has the documented columns, the same rows, every row the same width.
    text = body(get(client, "/incidents/export/sdg-16-10-1.csv")).lstrip("\ufeff")
    rows = [row for row in csv.reader(io.StringIO(text)) if not row[0].startswith("#")]
    assert rows[0] == sdg.NAMES
    assert len(rows) - 1 == document["count"]
    assert {len(row) for row in rows} == {len(sdg.NAMES)}
    # Each field is documented on the page, in both languages.
    for prefix in ("", "/en"):
        page = body(get(client, f"{prefix}/incidents/export/sdg-16-10-1/"))
        for name in sdg.NAMES:
            assert f"<code>{name}</code>" in page


def test_the_demo_gives_the_akhmet_case_its_sources_and_level(client, demo):
    for incident in Incident.objects.filter(title__icontains="Kazakh") | Incident.objects.filter(
        title__icontains="Казахська"
    ):
        assert incident.sources.count() == 2
        assert incident.verification == Verification.VICTIM
        assert incident.perpetrators.get().category == "foreign_state"
    levels = set(Incident.objects.values_list("verification", flat=True))
    assert levels == set(Verification.values)
    assert CriminalCase.objects.filter(status="verdict").exists()
    assert Person.objects.filter(victims__isnull=True).count() == 0
    # A second run changes nothing.
    out = io.StringIO()
    call_command("load_demo", no_admin=True, stdout=out)
    assert "0 created, 0 updated" in out.getvalue()


def test_the_mapping_is_edited_in_the_admin_and_shown_on_the_method_page(client, admin_client):
    threats = Category.objects.get(slug="threats")
    assert threats.sdg_act == "other_harmful_act"
    incident = IncidentFactory(categories=[threats])
    VictimFactory(incident=incident, name="Петро Погрозенко")
    in_export = body(get(client, "/incidents/export/sdg-16-10-1.csv"))
    assert "Петро Погрозенко" in in_export
    page = parse(get(client, "/en/stats/", {"date_from": "2024-01-01", "date_to": "2024-12-31"}))
    assert ["Threats, intimidation", "Other harmful act"] in mapping_rows(page)
    response = admin_client.post(
        f"/admin/incidents/category/{threats.pk}/change/",
        {
            "name_uk": threats.name_uk,
            "name_en": threats.name_en,
            "slug": threats.slug,
            "parent": threats.parent_id,
            "position": threats.position,
            "severity_rank": threats.severity_rank,
            "sdg_act": "",
        },
    )
    assert response.status_code == 302, errors_of(response)
    assert "Петро Погрозенко" not in body(get(client, "/incidents/export/sdg-16-10-1.csv"))
    page = parse(get(client, "/en/stats/", {"date_from": "2024-01-01", "date_to": "2024-12-31"}))
    assert "Threats, intimidation" not in [row[0] for row in mapping_rows(page)]


def mapping_rows(page):
    return [
        [cell.text for cell in row.find_all("td")]
        for row in page.by_id("sdg-mapping").find_all("tr")[1:]
    ]


# --- History ------------------------------------------------------------------------------------


def test_every_change_in_the_admin_leaves_history(admin_client, admin_user, kyiv, beating):
    data = admin_incident_data(
        kyiv,
        beating,
        slug="with-history",
        cases=[{"status": "investigating", "opened_on": "2024-05-02", "article": "171"}],
        updates=[{"on": "2024-05-02", "kind": "case", "text": "Відкрито."}],
    )
    assert admin_client.post(ADD, data).status_code == 302
    incident = Incident.objects.get(slug="with-history")
    assert incident.history.get().history_user == admin_user
    assert CriminalCase.history.get().history_user == admin_user
    assert IncidentUpdate.history.get().history_user == admin_user
    assert get(admin_client, f"/admin/incidents/incident/{incident.pk}/history/")
    # Read, never reverted from there: a revert would bypass the services.
    version = incident.history.get().history_id
    address = f"/admin/incidents/incident/{incident.pk}/history/{version}/"
    assert get(admin_client, address)
    assert admin_client.post(address, {"title": "Reverted"}).status_code == 403
    assert Incident.objects.get(pk=incident.pk).title != "Reverted"


# --- Migrations -------------------------------------------------------------------------------


@pytest.mark.production_database
@pytest.mark.django_db(transaction=True)
def test_migrations_carry_the_existing_record_forward():
    before = [("incidents", "0011_monthly_report")]
    # 0021 rebuilds the listing flags, counts and verification levels (services, as they are),
    # and turns "exact date unknown" into a month.
    after = [("incidents", "0022_date_precision")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    # An earlier transactional test may have emptied the tables the migrations seeded.
    importlib.import_module("incidents.migrations.0002_seed_categories_and_regions").seed(old, None)
    Incident_ = old.get_model("incidents", "Incident")
    Region_ = old.get_model("incidents", "Region")
    kyiv = Region_.objects.get(slug="kyiv")
    common = {
        "lead": "Lead.",
        "body": "Body.",
        "status": "published",
        "published_at": timezone.now(),
        "occurred_on": datetime.date(2019, 2, 27),
        "region_id": kyiv.pk,
        "language": "uk",
    }
    akhmet = Incident_.objects.create(
        title="Казахська журналістка",
        slug="kazakhska-zhurnalistka-zaiavyla-pro-provokatsiiu-proty-telekanalu",
        perpetrator_type="foreign_state",
        perpetrator_detail="Спецслужби",
        **common,
    )
    other = Incident_.objects.create(
        title="Побиття", slug="pobyttia", perpetrator_type="police", **common
    )
    old.get_model("incidents", "SourceLink").objects.create(
        incident_id=other.pk, url="https://www.detector.example/news/1", title="News"
    )
    old.get_model("incidents", "Victim").objects.create(incident_id=other.pk, name="Оксана")
    approximate = Incident_.objects.create(
        title="Погрози",
        slug="pohrozy",
        perpetrator_type="unknown",
        occurred_on_approximate=True,
        **{**common, "occurred_on": datetime.date(2019, 2, 14)},
    )

    executor = MigrationExecutor(connection)
    executor.migrate(after)
    new = executor.loader.project_state(after).apps
    sources = new.get_model("incidents", "SourceLink").objects
    assert sources.get(incident_id=other.pk).publisher == "detector.example"
    assert sources.filter(incident_id=akhmet.pk).count() == 2
    incidents = new.get_model("incidents", "Incident").objects
    assert incidents.get(pk=akhmet.pk).verification == Verification.VICTIM
    assert incidents.get(pk=other.pk).verification == Verification.ONE_SOURCE
    perpetrators = new.get_model("incidents", "Perpetrator").objects
    assert perpetrators.get(incident_id=akhmet.pk).category == "foreign_state"
    assert (perpetrators.get(incident_id=other.pk).category) == "state"
    assert new.get_model("incidents", "Victim").objects.get().person_id is not None
    assert new.get_model("incidents", "Category").objects.get(slug="killing").sdg_act == "killing"
    month = incidents.get(pk=approximate.pk)
    assert (month.occurred_precision, month.occurred_on, month.occurred_until) == (
        "month",
        datetime.date(2019, 2, 1),
        datetime.date(2019, 2, 28),
    )
    day = incidents.get(pk=other.pk)
    assert (day.occurred_precision, day.occurred_until) == ("day", datetime.date(2019, 2, 27))
    MigrationExecutor(connection).migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


# --- Helpers ----------------------------------------------------------------------------------


INLINE_FIELDS = {
    "sources": ["url", "title", "publisher", "published_on", "is_independent", "is_victim_account"],
    "victims": [
        "name",
        "is_anonymous",
        "person",
        "occupation",
        "role",
        "employment",
        "origin",
        "outlet",
        "injury",
        "killed",
        "equipment",
        "detained_from",
        "detained_until",
    ],
    "cases": ["number", "article", "opened_on", "status", "verdict_on", "impunity", "verdict"],
    "updates": ["on", "kind", "authority", "text", "is_public"],
}
CHECKED_BY_DEFAULT = {("sources", "is_independent"), ("updates", "is_public")}


def admin_incident_data(region, category, *, slug, **inlines) -> dict:
    data = {
        "title": slug.replace("-", " ").capitalize(),
        "slug": slug,
        "lead": "Lead.",
        "body": "Body.",
        "status": "draft",
        "language": "uk",
        "occurred_on": "2024-05-01",
        "categories": [category.pk],
        "region": region.pk,
        "perpetrator_type": "unknown",
        **ADMIN_INLINES_EMPTY,
    }
    for prefix, rows in inlines.items():
        data[f"{prefix}-TOTAL_FORMS"] = str(len(rows))
        for index, row in enumerate(rows):
            for name in INLINE_FIELDS[prefix]:
                value = row.get(name, "on" if (prefix, name) in CHECKED_BY_DEFAULT else "")
                if isinstance(value, bool):
                    value = "on" if value else ""
                if value != "":
                    data[f"{prefix}-{index}-{name}"] = value
            if prefix == "cases" and "status" not in row:
                data[f"{prefix}-{index}-status"] = "investigating"
            if prefix == "updates" and "kind" not in row:
                data[f"{prefix}-{index}-kind"] = "update"
    return data


def errors_of(response) -> str:
    context = getattr(response, "context", None) or {}
    adminform = context.get("adminform")
    found = [str(adminform.form.errors)] if adminform else []
    for formset in context.get("inline_admin_formsets", []):
        found.append(str(formset.formset.errors))
    return " ".join(found) or str(response.status_code)


def test_a_translation_names_the_same_people_as_its_original():
    original = IncidentFactory(language="uk")
    first = VictimFactory(incident=original, name="Олена Приклад")
    second = VictimFactory(incident=original, name="Ім'я приховане", is_anonymous=True)
    translation = TranslationFactory(translation_of=original)
    # As the admin saves them: the translation's victims together, then the refresh.
    Victim.objects.create(incident=translation, name="Olena Pryklad")
    Victim.objects.create(incident=translation, name="Hidden", is_anonymous=True)
    refresh(translation)
    people = [
        list(incident.victims.order_by("pk").values_list("person_id", flat=True))
        for incident in (original, translation)
    ]
    first.refresh_from_db(), second.refresh_from_db()
    assert people[0] == people[1] == [first.person_id, second.person_id]
    assert first.person_id != second.person_id
    # A story whose versions name different numbers of people: nobody is guessed.
    other = IncidentFactory(language="uk")
    VictimFactory(incident=other, name="А")
    other_en = TranslationFactory(translation_of=other)
    Victim.objects.create(incident=other_en, name="A")
    Victim.objects.create(incident=other_en, name="B")
    refresh(other_en)
    linked = set(
        Victim.objects.filter(incident__in=[other, other_en]).values_list("person_id", flat=True)
    )
    assert len(linked) == 3 and None not in linked
