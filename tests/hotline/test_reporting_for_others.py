"""Issue 28, item 3: a journalist reports for a detained or injured colleague. Their own name
becomes optional; the person it happened to is named only if they agreed themselves; the
reporter is never named; staff see who reported for whom."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hotline import retention
from hotline.models import Complaint
from hotline.services.consent import protected_identities
from hotline.services.publication import incident_draft_from_complaint
from incidents.models import Incident
from incidents.services import incident_publish
from tests.incidents.names import mentions, people, typed_names

from .factories import ComplaintFactory
from .helpers import complaint_post_data, said, shown
from .test_protected_identities import draft_of, in_savepoint, place, translation_of

COLLEAGUE = {
    "for_someone_else": "on",
    "victim_name": "Dmytro Savchuk",
    "victim_outlet": "Kharkiv Today",
    "victim_relation": "my colleague, camera operator",
}


def for_colleague(**overrides):
    return complaint_post_data(**{**COLLEAGUE, "reporter_name": "", **overrides})


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["uk", "en"])
def test_a_colleague_reports_without_their_own_name_and_keeps_a_way_back(client, language):
    prefix = "/en" if language == "en" else ""
    response = client.post(f"{prefix}/complaint/", for_colleague())
    assert response.status_code == 302
    complaint = Complaint.objects.get()
    assert complaint.reporter_name == ""
    assert complaint.for_someone_else
    assert (complaint.victim_name, complaint.victim_outlet) == ("Dmytro Savchuk", "Kharkiv Today")
    assert complaint.name_withheld  # they were not asked, so never named
    # The way back: a tracking code on the thank-you page.
    page = client.get(f"{prefix}/complaint/thanks/").content.decode()
    assert 'id="tracking-code"' in page


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["uk", "en"])
def test_the_missing_name_is_asked_for_in_the_right_place_and_nothing_typed_is_lost(
    client, language
):
    prefix = "/en" if language == "en" else ""
    response = client.post(f"{prefix}/complaint/", for_colleague(victim_name=""))
    page = response.content.decode()
    assert response.status_code == 200
    assert shown("Give the name of the person it happened to.", language) in page
    assert "Kharkiv Today" in page and "Two police officers pushed me away" in page

    response = client.post(f"{prefix}/complaint/", complaint_post_data(reporter_name=""))
    page = response.content.decode()
    assert shown("Give your name, or tick “I am reporting for another person”.", language) in page
    assert 'href="#id_reporter_name"' in page
    assert not Complaint.objects.exists()


@pytest.mark.django_db
def test_unticking_the_box_keeps_nothing_about_the_other_person(client):
    data = for_colleague(reporter_name="Ivanna Koval")
    del data["for_someone_else"]
    assert client.post("/complaint/", data).status_code == 302
    complaint = Complaint.objects.get()
    assert not complaint.for_someone_else
    assert (complaint.victim_name, complaint.victim_outlet, complaint.victim_relation) == (
        "",
        "",
        "",
    )


def test_the_form_speaks_of_the_person_when_reporting_for_them(client, db):
    """The questions carry their other wording for the page's script; without it, the
    person's questions say they are only for a report for someone else."""
    page = client.get("/en/complaint/").content.decode()
    assert 'data-other-label="Is the person it happened to safe now?"' in page
    assert "Yes, they are safe now|No, they are in danger now" in page
    assert said("Only if you report for another person.", "en") in page
    page = client.get("/complaint/").content.decode()
    assert shown("Is the person it happened to safe now?", "uk") in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("agreed", "victim_name", "victim_outlet", "withheld"),
    [(False, "", "", True), (True, "Dmytro Savchuk", "Kharkiv Today", False)],
)
def test_the_draft_names_the_person_only_if_they_agreed_and_never_the_reporter(
    kyiv, beating, agreed, victim_name, victim_outlet, withheld
):
    complaint = ComplaintFactory(
        status=Complaint.Status.VERIFIED,
        consent_publish=True,
        reporter_name="Ivanna Koval",
        outlet="Demo Visti",
        for_someone_else=True,
        victim_name="Dmytro Savchuk",
        victim_outlet="Kharkiv Today",
        victim_agreed_to_be_named=agreed,
    )
    incident = incident_draft_from_complaint(complaint=complaint)
    victim = incident.victims.get()
    assert (victim.name, victim.outlet, victim.is_anonymous) == (
        victim_name,
        victim_outlet,
        withheld,
    )
    assert "Koval" not in victim.name


# --- The property: whatever the alphabet or word form, nobody is named against their will ---


@pytest.mark.django_db
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_neither_the_person_who_did_not_agree_nor_the_reporter_is_ever_published(
    data, kyiv, beating
):
    person = data.draw(people())
    typed = data.draw(typed_names(person))
    text, _case, _system = data.draw(mentions(person, full=data.draw(st.booleans())))
    whose = data.draw(st.sampled_from(["victim", "reporter"]))
    agreed = whose == "reporter" and data.draw(st.booleans())
    field = data.draw(st.sampled_from(["title", "lead", "body", "victims", "source_title"]))
    in_translation = data.draw(st.booleans())

    def example():
        names = {"victim_name": "Ірина Бондар", "reporter_name": "Stepan Hlushko"}
        names[f"{whose}_name"] = typed
        complaint = ComplaintFactory(
            status=Complaint.Status.VERIFIED,
            consent_publish=True,
            for_someone_else=True,
            victim_agreed_to_be_named=agreed,
            **names,
        )
        original = draft_of(complaint, title="Затримання журналіста в Києві")
        target = translation_of(original) if in_translation else original
        place(target, field, text)
        with pytest.raises(ValidationError) as refused:
            incident_publish(incident=target)
        assert {e.code for e in refused.value.error_list} == {"personal_data"}, (typed, text)
        assert not Incident.objects.published().exists()

    in_savepoint(example)


@pytest.mark.django_db
def test_a_person_who_agreed_is_named_and_their_reporter_stays_protected(kyiv, beating):
    complaint = ComplaintFactory(
        status=Complaint.Status.VERIFIED,
        consent_publish=True,
        for_someone_else=True,
        reporter_name="Stepan Hlushko",
        victim_name="Ірина Бондар",
        victim_agreed_to_be_named=True,
    )
    incident = draft_of(complaint, body="Поліція затримала журналістку Ірину Бондар.")
    incident_publish(incident=incident)
    assert Incident.objects.published().count() == 1
    [who] = [w for w in protected_identities() if w.pk == complaint.pk]
    assert [str(name) for name in who.names] == [str(n) for n in who.names if "Hlushko" in str(n)]


# --- Staff see who reported for whom; editors do not see the person's name ----------------


@pytest.mark.django_db
def test_staff_see_who_reported_for_whom_and_editors_do_not(client, triage, editor):
    complaint = ComplaintFactory(
        reporter_name="Ivanna Koval",
        for_someone_else=True,
        victim_name="Dmytro Savchuk",
        victim_outlet="Kharkiv Today",
        victim_relation="my colleague",
        safety=Complaint.Safety.NOT_SAFE,
        help_needed=["legal", "medical"],
    )
    url = reverse("admin:hotline_complaint_change", args=[complaint.pk])
    client.force_login(triage)
    page = client.get(url).content.decode()
    assert "Dmytro Savchuk, Kharkiv Today" in page and "my colleague" in page
    assert shown("A lawyer or legal advice") in page and shown("Medical help") in page
    listing = client.get(reverse("admin:hotline_complaint_changelist")).content.decode()
    assert shown("reported for someone else") in listing and shown("not safe now") in listing

    client.force_login(editor)
    page = client.get(url).content.decode()
    assert "Dmytro Savchuk" not in page and "Koval" not in page


@pytest.mark.django_db
def test_erasure_takes_the_other_persons_details_and_the_help_asked_for():
    complaint = ComplaintFactory(
        for_someone_else=True,
        victim_name="Dmytro Savchuk",
        victim_outlet="Kharkiv Today",
        victim_relation="my colleague",
        help_needed=["relocation"],
        status=Complaint.Status.CLOSED,
    )
    retention.erase_complaint(complaint=complaint)
    complaint.refresh_from_db()
    assert (complaint.victim_name, complaint.victim_outlet, complaint.victim_relation) == (
        "",
        "",
        "",
    )
    assert complaint.help_needed == []
    history = complaint.history.first()
    assert history.victim_name == "" and history.help_needed == []


@pytest.mark.django_db
def test_staff_correcting_the_persons_name_sends_a_story_that_uses_it_back_to_draft(
    client, kyiv, beating, triage
):
    """The reporter typed the colleague's name wrong; the story (published meanwhile) uses
    the right one. Staff fix the name: the story goes back to draft at once."""
    from .test_admin import change_form_data

    complaint = ComplaintFactory(
        status=Complaint.Status.VERIFIED,
        consent_publish=True,
        for_someone_else=True,
        reporter_name="",
        victim_name="Петро Іваненко",  # a wrong name: the story names him rightly
    )
    incident = draft_of(complaint, body="Поліція затримала оператора Тараса Затриманенка.")
    incident_publish(incident=incident)
    client.force_login(triage)
    url = reverse("admin:hotline_complaint_change", args=[complaint.pk])
    data = change_form_data(client.get(url))
    data["victim_name"] = "Тарас Затриманенко"
    assert client.post(url, data, follow=True).status_code == 200
    incident.refresh_from_db()
    assert incident.status == Incident.Status.DRAFT


@pytest.mark.django_db
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    anonymous=st.booleans(),
    withdrawn=st.booleans(),
    for_someone_else=st.booleans(),
    agreed=st.booleans(),
)
def test_the_querysets_rule_and_the_models_rule_agree(
    anonymous, withdrawn, for_someone_else, agreed
):
    """Who is protected is said twice, for one complaint (Complaint.name_withheld) and for
    thousands at once (ComplaintQuerySet.names_protected, read by every publication check):
    the two must never disagree."""
    from django.utils import timezone

    def example():
        complaint = ComplaintFactory(
            anonymous=anonymous,
            consent_withdrawn_at=timezone.now() if withdrawn else None,
            for_someone_else=for_someone_else,
            victim_name="Ірина Бондар" if for_someone_else else "",
            victim_agreed_to_be_named=agreed,
        )
        listed = Complaint.objects.names_protected().filter(pk=complaint.pk).exists()
        assert listed == (complaint.name_withheld or complaint.for_someone_else)

    in_savepoint(example)
