"""The reporter's view stays true (issue 26, item 7): a refused publication changes nothing
the reporter reads, and when the story goes public they are told once, with the link of each
language version that is public."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import capfirst

from hotline.models import Complaint, Notification
from hotline.selectors import case_history
from hotline.services import outbox, publication
from incidents.models import Incident
from incidents.services import incident_publish
from tests.incidents.factories import IncidentFactory

from .factories import complaint_with_code
from .helpers import said

pytestmark = pytest.mark.django_db

SITE = "https://portal.example.org"  # notify_settings' SITE_URL
REPORTER = "reporter@example.org"


def refuse_everything(incident, confirmation=None):
    """A publication check that refuses: whatever the reason, the outcome must be the same."""
    raise ValidationError("Not published: refused by the test.", code="test")


def story(language="en", **complaint_fields):
    """A verified complaint, the incident drafted from it (in the complaint's language) and
    written, and a translation into the other language, neither published yet."""
    fields = {
        "status": Complaint.Status.VERIFIED,
        "consent_publish": True,
        "email": REPORTER,
        "language": language,
        **complaint_fields,
    }
    complaint, code = complaint_with_code(**fields)
    original = publication.incident_draft_from_complaint(complaint=complaint)
    original.lead, original.body = "A journalist was beaten in Kyiv.", "What happened."
    original.save()
    other = "uk" if language == "en" else "en"
    version = IncidentFactory(
        draft=True,
        translation_of=original,
        language=other,
        title="Журналіста побили в Києві",
        slug="zhurnalista-pobyly-v-kyievi",
        lead="Журналіста побили в Києві.",
        body="Що сталося.",
    )
    return complaint, code, original, version


def published_notifications(complaint):
    return complaint.notifications.filter(
        kind=Notification.Kind.STATUS_CHANGED, payload__status=Complaint.Status.PUBLISHED
    )


def deliver_pending():
    for pk in Notification.objects.filter(status=Notification.Status.PENDING).values_list(
        "pk", flat=True
    ):
        outbox.deliver(pk)


def mails_to_reporter(mailoutbox):
    return [m for m in mailoutbox if m.to == [REPORTER]]


def published_steps(complaint):
    return [
        s for s in case_history(complaint) if s.text == said("IMI published an incident about it.")
    ]


# --- A refused publication leaves the reporter's view as it was ------------------------------


def test_a_refused_publication_leaves_the_case_history_and_tells_the_reporter_nothing(
    notify_settings, mailoutbox, django_capture_on_commit_callbacks
):
    # The reporter asked not to be named, and the editor put their name in the title.
    complaint, _code, original, _version = story(
        language="uk", anonymous=True, reporter_name="Олена Петренко"
    )
    original.title = "Олену Петренко побили в Києві"
    original.save()
    before = case_history(complaint)

    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(ValidationError):
            incident_publish(incident=original)
        publication.complaint_publication_sync()
        publication.complaint_publication_sync()
    deliver_pending()

    complaint.refresh_from_db()
    assert case_history(complaint) == before
    assert complaint.status == Complaint.Status.VERIFIED
    assert Complaint.Status.PUBLISHED not in complaint.history.values_list("status", flat=True)
    assert not published_notifications(complaint).exists()
    assert mails_to_reporter(mailoutbox) == []
    original.refresh_from_db()
    assert original.status == Incident.Status.DRAFT


def test_a_refused_republication_keeps_one_published_step_and_one_mail(
    notify_settings, mailoutbox, settings
):
    complaint, _code, original, _version = story()
    incident_publish(incident=original)
    publication.complaint_publication_sync()
    deliver_pending()
    before = case_history(complaint)
    assert len(published_steps(complaint)) == 1

    # An edit the checks refuse: the public article stays as it was, and so does the case.
    settings.INCIDENT_PUBLICATION_CHECKS = [f"{__name__}.refuse_everything"]
    original.title = "An edit that is refused"
    with pytest.raises(ValidationError):
        incident_publish(incident=original)
    publication.complaint_publication_sync()
    publication.complaint_publication_sync()
    deliver_pending()

    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.PUBLISHED
    assert case_history(complaint) == before  # no "verified" after "published"
    assert published_notifications(complaint).count() == 1
    assert len(mails_to_reporter(mailoutbox)) == 1


def test_a_scheduled_story_refused_when_its_time_comes_is_not_announced(
    notify_settings, mailoutbox, settings
):
    """What the checks protect changed after the article was scheduled (an alias added, a
    wish not to be named): at its time it is held back to draft (incidents_refresh_due), and
    the reporter must not read "published" in between, whichever job runs first."""
    complaint, _code, original, _version = story()
    incident_publish(incident=original, at=timezone.now() + datetime.timedelta(hours=2))
    before = case_history(complaint)
    settings.INCIDENT_PUBLICATION_CHECKS = [f"{__name__}.refuse_everything"]

    with time_machine.travel(datetime.timedelta(hours=3)):
        publication.complaint_publication_sync()  # before the incidents' job holds it back
        publication.complaint_publication_sync()
        deliver_pending()
        complaint.refresh_from_db()
        assert complaint.status == Complaint.Status.VERIFIED
        assert case_history(complaint) == before
    assert not published_notifications(complaint).exists()
    assert mails_to_reporter(mailoutbox) == []


# --- Told once, with every public language version ------------------------------------------


def test_the_reporter_is_told_once_with_both_language_versions(
    notify_settings, mailoutbox, django_capture_on_commit_callbacks
):
    complaint, _code, original, version = story(language="en")
    with django_capture_on_commit_callbacks(execute=True):
        incident_publish(incident=original)
        incident_publish(incident=version)
        publication.complaint_publication_sync()
        publication.complaint_publication_sync()
    deliver_pending()

    assert published_notifications(complaint).count() == 1
    [mail] = mails_to_reporter(mailoutbox)
    english = f"{SITE}/en/incidents/{original.slug}/"
    ukrainian = f"{SITE}/incidents/{version.slug}/"
    html = mail.alternatives[0][0]
    for text in (mail.body, html):
        assert english in text
        assert ukrainian in text
    # Each labelled with its language, in the reporter's language (English here).
    assert f"{capfirst(said('in English', 'en'))}: {english}" in mail.body
    assert f"{capfirst(said('in Ukrainian', 'en'))}: {ukrainian}" in mail.body
    assert f'href="{ukrainian}" hreflang="uk"' in html


def test_the_case_history_links_every_public_version(notify_settings, client):
    complaint, code, original, version = story(language="en")
    incident_publish(incident=original)
    incident_publish(incident=version)
    publication.complaint_publication_sync()

    with translation.override("en"):
        [step] = [s for s in case_history(complaint) if s.links]
        assert step.text == "IMI published an incident about it."
        assert [(link.language, link.url) for link in step.links] == [
            ("en", f"/en/incidents/{original.slug}/"),
            ("uk", f"/incidents/{version.slug}/"),
        ]
        assert [link.label for link in step.links] == [
            said("in English", "en"),
            said("in Ukrainian", "en"),
        ]
    assert step.link == f"/en/incidents/{original.slug}/"  # the one link callers had

    page = client.post(reverse("hotline:track"), {"code": code}, follow=True).content.decode()
    assert f'href="/en/incidents/{original.slug}/" hreflang="en"' in page
    assert f'href="/incidents/{version.slug}/" hreflang="uk"' in page


def test_a_translation_published_later_is_linked_but_not_announced_again(
    notify_settings, mailoutbox
):
    complaint, _code, original, version = story(language="uk")
    incident_publish(incident=original)
    publication.complaint_publication_sync()
    deliver_pending()
    [mail] = mails_to_reporter(mailoutbox)
    # A one-link mail, labelled in the reporter's language (Ukrainian here).
    assert f"{capfirst(said('in Ukrainian', 'uk'))}: {SITE}/incidents/{original.slug}/" in mail.body
    assert f"/incidents/{version.slug}/" not in mail.body  # still a draft

    incident_publish(incident=version)
    publication.complaint_publication_sync()
    deliver_pending()

    assert len(mails_to_reporter(mailoutbox)) == 1
    [step] = [s for s in case_history(complaint) if s.links]
    assert [link.url for link in step.links] == [
        f"/incidents/{original.slug}/",
        f"/en/incidents/{version.slug}/",
    ]


def test_a_scheduled_story_is_announced_when_its_time_comes_not_before(notify_settings, mailoutbox):
    complaint, _code, original, version = story(language="en")
    at = timezone.now() + datetime.timedelta(hours=2)
    incident_publish(incident=original, at=at)
    incident_publish(incident=version, at=at)

    publication.complaint_publication_sync()
    deliver_pending()
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.VERIFIED
    assert not published_notifications(complaint).exists()
    assert mails_to_reporter(mailoutbox) == []
    assert not [s for s in case_history(complaint) if s.links]

    with time_machine.travel(at + datetime.timedelta(minutes=1)):
        publication.complaint_publication_sync()
        publication.complaint_publication_sync()
        deliver_pending()
        complaint.refresh_from_db()
        assert complaint.status == Complaint.Status.PUBLISHED
        [mail] = mails_to_reporter(mailoutbox)
        assert f"{SITE}/en/incidents/{original.slug}/" in mail.body
        assert f"{SITE}/incidents/{version.slug}/" in mail.body
    assert published_notifications(complaint).count() == 1
