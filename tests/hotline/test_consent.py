"""The reporter's consent is a rule of the services: drafts, publication, withdrawal."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from hotline.models import Complaint, Notification
from hotline.services import consent, publication
from incidents.models import Incident, SourceLink, Victim
from incidents.services import incident_publish

from .factories import ComplaintFactory, complaint_with_code
from .helpers import said, shown
from .test_admin import COMPLAINTS, act, publishing_form_data

TRACK = reverse("hotline:track")


def draft_for(complaint, **fields):
    """The incident an editor made from the complaint, with the article they wrote."""
    incident = publication.incident_draft_from_complaint(complaint=complaint)
    values = {"lead": "A journalist was attacked in Kyiv.", "body": "What happened.", **fields}
    for name, value in values.items():
        setattr(incident, name, value)
    incident.save()
    return incident


def verified(**kwargs):
    defaults = {
        "status": Complaint.Status.VERIFIED,
        "consent_publish": True,
        "reporter_name": "Олена Петренко",
        "outlet": "Полтавські вісті",
        "email": "olena.private@example.org",
        "phone": "+380671234567",
    }
    return ComplaintFactory(**{**defaults, **kwargs})


# --- The publish service ---------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "text"),
    [
        ("body", "Журналістку Олену Петренко побили біля суду."),
        ("body", "Журналістка Петренко розповіла про напад."),
        ("lead", "Нападу зазнала кореспондентка «Полтавських вістей»."),
        ("title", "Напад на журналістку видання Полтавські вісті"),
        ("body", "Звʼязатися: +380 (67) 123-45-67."),
        ("body", "Пишіть на OLENA.PRIVATE@example.org"),
    ],
)
def test_publishing_refuses_an_anonymous_reporters_identity_and_names_the_field(field, text):
    complaint = verified(anonymous=True)
    incident = draft_for(complaint, **{field: text})
    with pytest.raises(ValidationError) as refused:
        incident_publish(incident=incident)
    assert said(field) in " ".join(refused.value.messages)
    incident.refresh_from_db()
    assert incident.status == Incident.Status.DRAFT
    assert not Incident.objects.published().exists()


@pytest.mark.django_db
def test_victims_and_sources_are_checked_too():
    complaint = verified(anonymous=True)
    incident = draft_for(complaint)
    Victim.objects.create(incident=incident, name="", is_anonymous=True, outlet="Полтавські вісті")
    with pytest.raises(ValidationError, match=said("victims")):
        incident_publish(incident=incident)
    Victim.objects.filter(incident=incident).update(outlet="")
    SourceLink.objects.create(incident=incident, url="mailto:olena.private@example.org")
    with pytest.raises(ValidationError, match=said("sources")):
        incident_publish(incident=incident)
    # A transliterated address names her as well as the Cyrillic text does (issue 26).
    SourceLink.objects.filter(incident=incident).update(url="https://example.org/olena-petrenko")
    with pytest.raises(ValidationError, match=said("sources")):
        incident_publish(incident=incident)


@pytest.mark.django_db
def test_a_withheld_victim_name_is_not_public_so_it_is_not_a_leak():
    complaint = verified(anonymous=True)
    incident = draft_for(complaint)
    Victim.objects.create(incident=incident, name="Олена Петренко", is_anonymous=True)
    incident_publish(incident=incident)
    assert Incident.objects.published().count() == 1


@pytest.mark.django_db
def test_a_reporter_who_may_be_named_is_named_but_their_contacts_never_appear():
    complaint = verified(anonymous=False)
    incident = draft_for(complaint, body="Олену Петренко з «Полтавських вістей» побили.")
    incident_publish(incident=incident)  # named with consent: allowed
    assert Incident.objects.published().count() == 1

    other = draft_for(verified(anonymous=False), body="Телефон 067 123 45 67")
    with pytest.raises(ValidationError):
        incident_publish(incident=other)


@pytest.mark.django_db
def test_an_incident_linked_to_a_complaint_without_consent_is_never_published():
    complaint = verified()
    incident = draft_for(complaint)
    Complaint.objects.filter(pk=complaint.pk).update(consent_publish=False)
    with pytest.raises(ValidationError) as refused:
        incident_publish(incident=incident)
    assert refused.value.code == "no_consent"


@pytest.mark.django_db
def test_an_incident_without_a_complaint_publishes_as_before(beating, kyiv):
    incident = Incident.objects.create(
        title="Побиття журналіста",
        slug="beating",
        lead="Lead",
        body="Body",
        occurred_on=datetime.date(2024, 1, 1),
        region=kyiv,
    )
    incident_publish(incident=incident)
    assert Incident.objects.published().count() == 1


# --- The admin -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_draft_page_says_why_there_is_no_draft_without_consent(client, editor):
    complaint = verified(consent_publish=False)
    client.force_login(editor)
    url = reverse("admin:hotline_complaint_draft", args=[complaint.pk])
    page = client.get(url).content.decode()
    assert 'id="draft-refused"' in page
    assert shown("the reporter did not agree to publication") in page
    client.post(url)
    assert not Incident.objects.exists()


@pytest.mark.django_db
def test_change_page_offers_the_draft_only_with_consent(client, editor):
    client.force_login(editor)
    with_consent, without = verified(), verified(consent_publish=False)
    draft_url = reverse("admin:hotline_complaint_draft", args=[with_consent.pk])
    page = client.get(reverse("admin:hotline_complaint_change", args=[with_consent.pk]))
    assert draft_url in page.content.decode()
    page = client.get(reverse("admin:hotline_complaint_change", args=[without.pk]))
    text = page.content.decode()
    assert reverse("admin:hotline_complaint_draft", args=[without.pk]) not in text
    assert shown("not to be published: no consent") in text

    response = client.post(draft_url)
    with_consent.refresh_from_db()
    assert response.url == reverse(
        "admin:incidents_incident_change", args=[with_consent.incident_id]
    )


@pytest.mark.django_db
def test_draft_action_refuses_without_consent_with_the_reason(client, editor):
    complaint = verified(consent_publish=False)
    client.force_login(editor)
    response = act(client, COMPLAINTS, "create_incident_draft", [complaint])
    assert not Incident.objects.exists()
    assert shown("the reporter did not agree to publication") in response.content.decode()


@pytest.mark.django_db
def test_incident_editor_shows_the_statement_beside_it_read_only(client, editor):
    complaint = verified(description="Мене штовхнули поліцейські біля суду, камеру розбито.")
    incident = draft_for(complaint)
    client.force_login(editor)
    page = client.get(reverse("admin:incidents_incident_change", args=[incident.pk]))
    text = page.content.decode()
    assert "Мене штовхнули поліцейські" in text
    assert 'name="reporter_statement"' not in text  # shown, not a field to edit


@pytest.mark.django_db
def test_publish_action_refuses_and_says_which_field(client, editor):
    complaint = verified(anonymous=True)
    incident = draft_for(complaint, body="Олена Петренко розповіла нам усе.")
    client.force_login(editor)
    response = client.post(
        reverse("admin:incidents_incident_changelist"),
        {"action": "publish", "_selected_action": [incident.pk]},
        follow=True,
    )
    incident.refresh_from_db()
    assert incident.status == Incident.Status.DRAFT
    assert shown("body") in response.content.decode()


@pytest.mark.django_db
def test_change_form_set_to_published_keeps_a_leaking_incident_a_draft(client, editor):
    complaint = verified(anonymous=True)
    incident = draft_for(complaint)
    client.force_login(editor)
    url = reverse("admin:incidents_incident_change", args=[incident.pk])
    data = publishing_form_data(client, url)
    data["body"] = "Пані Петренко побили."
    response = client.post(url, data, follow=True)
    # Nothing is saved (the public never sees the text); the form comes back with the reason
    # and with what the editor typed (issue 26).
    incident.refresh_from_db()
    assert incident.body == "What happened."
    assert incident.status == Incident.Status.DRAFT
    assert not Incident.objects.published().exists()
    page = response.content.decode()
    assert response.status_code == 200 and "errornote" in page
    assert "Пані Петренко побили." in page
    assert shown("body") in page


# --- Withdrawal in the case inbox --------------------------------------------------------------


def open_case(client, code, language="uk"):
    return client.post(("/en" if language == "en" else "") + TRACK, {"code": code}, follow=True)


def withdraw(client, code, confirm=True, language="uk"):
    """Open the case with the code, then withdraw from the inbox (as a reporter does)."""
    open_case(client, code, language)
    data = {"action": "withdraw_consent"}
    if confirm:
        data["confirm"] = "yes"
    with translation.override(language):
        case = reverse("hotline:case")
    return client.post(case, data, follow=True)


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["uk", "en"])
def test_reporter_withdraws_consent_and_staff_hear_of_it(client, language, notify_settings):
    complaint, code = complaint_with_code(
        consent_publish=True, status=Complaint.Status.VERIFIED, language=language
    )
    page = open_case(client, code, language)
    assert shown("Withdraw my consent to publication", language) in page.content.decode()

    unconfirmed = withdraw(client, code, confirm=False, language=language).content.decode()
    assert shown("Tick the box to confirm that you withdraw your consent.", language) in unconfirmed
    complaint.refresh_from_db()
    assert complaint.consent_publish

    done = withdraw(client, code, language=language).content.decode()
    assert 'id="complaint-status"' in done
    assert (
        shown(
            "Done: you withdrew your consent. IMI will not publish your story, and the staff"
            " have been told.",
            language,
        )
        in done
    )
    assert shown("You withdrew your consent to publication.", language) in done  # history
    complaint.refresh_from_db()
    assert not complaint.consent_publish
    assert complaint.consent_withdrawn_at is not None
    assert complaint.notifications.filter(kind=Notification.Kind.CONSENT_WITHDRAWN).exists()
    with pytest.raises(consent.ConsentError):
        publication.incident_draft_from_complaint(complaint=complaint)


@pytest.mark.django_db
def test_withdrawal_returns_a_scheduled_incident_to_draft(client):
    complaint, code = complaint_with_code(consent_publish=True, status=Complaint.Status.VERIFIED)
    incident = draft_for(complaint)
    incident_publish(incident=incident, at=timezone.now() + datetime.timedelta(hours=2))
    withdraw(client, code)
    incident.refresh_from_db()
    assert incident.status == Incident.Status.DRAFT


@pytest.mark.django_db
def test_withdrawal_after_publication_is_refused_with_a_way_to_get_help(client):
    complaint, code = complaint_with_code(consent_publish=True, status=Complaint.Status.VERIFIED)
    incident_publish(incident=draft_for(complaint))
    response = withdraw(client, code)
    page = response.content.decode()
    complaint.refresh_from_db()
    assert complaint.consent_publish
    assert response.status_code == 409
    assert shown("Your story is already published: call the hotline and we will help.") in page
    assert shown("Your story is published. To ask for changes, call the hotline.") in page


@pytest.mark.django_db
def test_a_wrong_code_withdraws_nothing(client):
    complaint, code = complaint_with_code(consent_publish=True)
    assert withdraw(client, "K7Q4-9XMD-2RHP-5WNA").status_code == 200
    assert not client.session.get("case_inbox")
    complaint.refresh_from_db()
    assert complaint.consent_publish


@pytest.mark.django_db
def test_staff_see_the_withdrawal_in_the_list(client, triage):
    complaint, code = complaint_with_code(consent_publish=True)
    withdraw(client, code)
    client.force_login(triage)
    page = client.get(COMPLAINTS).content.decode()
    assert shown("consent withdrawn %(date)s", date="")[:20] in page


# --- Reporters see what will be sent ---------------------------------------------------------


@pytest.mark.django_db
def test_a_status_action_that_mails_shows_the_mail_before_sending(client, triage, notify_settings):
    complaint = ComplaintFactory(status=Complaint.Status.TRIAGE, email="r@example.org")
    client.force_login(triage)
    preview = act(client, COMPLAINTS, "mark_verifying", [complaint]).content.decode()
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.TRIAGE  # nothing happened yet
    assert shown("Your complaint to IMI has a new status") in preview
    assert shown("Change the status and send") in preview

    act(client, COMPLAINTS, "mark_verifying", [complaint], confirm=True)
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.VERIFYING
    assert complaint.notifications.filter(kind=Notification.Kind.STATUS_CHANGED).count() == 1


@pytest.mark.django_db
def test_a_silent_status_action_needs_no_preview(client, triage):
    complaint = ComplaintFactory(email="r@example.org")
    client.force_login(triage)
    act(client, COMPLAINTS, "mark_triage", [complaint])
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.TRIAGE
    assert not complaint.notifications.filter(kind=Notification.Kind.STATUS_CHANGED).exists()


@pytest.mark.django_db
def test_a_message_to_the_reporter_is_previewed_then_sent(client, triage, notify_settings):
    complaint = ComplaintFactory(email="r@example.org")
    client.force_login(triage)
    url = reverse("admin:hotline_complaint_message", args=[complaint.pk])
    text = "Адвокат зателефонує вам завтра."
    preview = client.post(url, {"text": text, "preview": "1"}).content.decode()
    assert 'id="message-preview"' in preview
    assert shown("A new message from IMI") in preview
    assert text in preview
    assert not complaint.messages.exists()

    client.post(url, {"text": text, "send": "1", "seen": "0"})
    assert complaint.messages.get().text == text
    assert complaint.notifications.filter(kind=Notification.Kind.CASE_MESSAGE).count() == 1


# --- The links a reporter gave: the draft's sources, and copied, when they may be named ------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kwargs", "cited"),
    [
        (
            {"anonymous": False},
            ["https://example.org/report", "https://t.me/channel/5", "https://example.net/story"],
        ),
        ({"anonymous": True}, []),  # a link to their own post would name them
        ({"for_someone_else": True, "victim_name": "Іван", "victim_agreed_to_be_named": False}, []),
    ],
)
def test_the_links_a_reporter_gave_become_the_drafts_sources_only_when_they_may_be_named(
    kwargs, cited, settings, django_capture_on_commit_callbacks
):
    settings.SOURCE_ADDED_HOOKS = ["tests.hotline.test_consent.record_hook"]
    hook_calls.clear()
    links = (
        "https://example.org/report\n\n not an address\nhttps://t.me/channel/5\n"
        "https://example.org/report\nexample.net/story\n"  # pasted without its scheme
    )
    complaint = verified(links=links, **kwargs)

    with django_capture_on_commit_callbacks(execute=True):
        incident = publication.incident_draft_from_complaint(complaint=complaint)

    sources = list(incident.sources.order_by("pk").values_list("url", "is_independent"))
    assert sources == [(url, False) for url in cited]  # the editor judges independence
    if cited:
        assert [incident.pk] in hook_calls  # the source archive is woken for them


hook_calls: list[list[int]] = []


def record_hook(*, incidents):
    """A SOURCE_ADDED_HOOKS entry that only records which incidents' sources were written."""
    hook_calls.append(incidents)
