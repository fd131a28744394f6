import datetime
import uuid
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from hotline import tracking
from hotline.models import Attachment, CallbackRequest, Complaint, Notification
from hotline.services import consent, desk, intake, publication, triage
from hotline.vault.evidence import check_upload
from incidents.models import Incident
from incidents.services import incident_publish, incident_unpublish

from .evidence_files import pdf_bytes, png_bytes
from .factories import CallbackRequestFactory, ComplaintFactory, UserFactory


def complaint_data(kyiv, beating, **overrides):
    data = {
        "reporter_name": "Ivanna Koval",
        "outlet": "Demo Visti",
        "role": Complaint.Role.JOURNALIST,
        "anonymous": False,
        "email": "ivanna@example.org",
        "phone": "+380671234567",
        "preferred_channel": Complaint.Channel.EMAIL,
        "safe_times": "",
        "occurred_on": timezone.localdate() - datetime.timedelta(days=1),
        "occurred_precision": "day",
        "region": kyiv,
        "place": "Khreshchatyk",
        "category": beating,
        "perpetrator_type": "police",
        "description": "Two police officers pushed me away and broke my camera at the court.",
        "links": "",
        "consent_processing": True,
        "consent_publish": True,
    }
    data.update(overrides)
    return data


def callback_data(**overrides):
    data = {
        "name": "Olena",
        "phone": "+380504477063",
        "preferred_time": CallbackRequest.PreferredTime.MORNING,
        "topic": CallbackRequest.Topic.OTHER,
        "message": "",
        "consent": True,
    }
    data.update(overrides)
    return data


def evidence_files():
    return [
        check_upload(SimpleUploadedFile("photo.png", png_bytes())),
        check_upload(SimpleUploadedFile("act.pdf", pdf_bytes())),
    ]


def files_under(root) -> list[Path]:
    root = Path(root)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# --- complaint_submit ----------------------------------------------------------------------


@pytest.mark.django_db
def test_complaint_submit_saves_complaint_evidence_and_outbox(kyiv, beating, settings):
    complaint, code = intake.complaint_submit(
        data=complaint_data(kyiv, beating),
        files=evidence_files(),
        language="uk",
        submission_key=uuid.uuid4(),
    )
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.NEW
    assert complaint.language == "uk"
    assert complaint.attachments.count() == 2
    assert len(files_under(settings.PRIVATE_MEDIA_ROOT)) == 2
    assert intake.complaint_find_by_code(code) == complaint
    kinds = sorted(complaint.notifications.values_list("kind", "channel"))
    assert kinds == [("complaint_received", "email"), ("new_complaint", "email")]
    assert set(complaint.notifications.values_list("status", flat=True)) == {"pending"}


@pytest.mark.django_db
def test_failed_outbox_leaves_no_complaint_no_attachment_and_no_file(
    kyiv, beating, settings, monkeypatch
):
    def outbox_down(*args, **kwargs):
        raise DatabaseError("outbox insert failed")

    monkeypatch.setattr(Notification.objects, "bulk_create", outbox_down)
    with pytest.raises(DatabaseError):
        intake.complaint_submit(
            data=complaint_data(kyiv, beating),
            files=evidence_files(),
            language="uk",
            submission_key=uuid.uuid4(),
        )
    assert not Complaint.objects.exists()
    assert not Attachment.objects.exists()
    assert not Notification.objects.exists()
    assert files_under(settings.PRIVATE_MEDIA_ROOT) == []


@pytest.mark.django_db
def test_invalid_complaint_data_saves_nothing(kyiv, beating, settings):
    with pytest.raises(ValidationError):
        intake.complaint_submit(
            data=complaint_data(kyiv, beating, email="", phone=""),
            files=evidence_files(),
            language="uk",
            submission_key=uuid.uuid4(),
        )
    assert not Complaint.objects.exists()
    assert files_under(settings.PRIVATE_MEDIA_ROOT) == []


@pytest.mark.django_db
def test_same_complaint_submitted_twice_is_saved_once(kyiv, beating):
    key = uuid.uuid4()
    first, code = intake.complaint_submit(
        data=complaint_data(kyiv, beating), files=[], language="uk", submission_key=key
    )
    again, second_code = intake.complaint_submit(
        data=complaint_data(kyiv, beating), files=[], language="uk", submission_key=key
    )
    assert again == first
    assert code is not None
    assert second_code is None
    assert Complaint.objects.count() == 1
    assert Notification.objects.filter(kind="new_complaint").count() == 1


@pytest.mark.django_db
def test_webhook_row_only_when_a_webhook_is_configured(kyiv, beating, settings):
    complaint, _ = intake.complaint_submit(
        data=complaint_data(kyiv, beating), files=[], language="uk", submission_key=uuid.uuid4()
    )
    assert not complaint.notifications.filter(channel="webhook").exists()

    settings.NOTIFY_WEBHOOK_URL = "https://hooks.example.org/hotline"
    complaint, _ = intake.complaint_submit(
        data=complaint_data(kyiv, beating), files=[], language="uk", submission_key=uuid.uuid4()
    )
    staff = complaint.notifications.filter(kind="new_complaint")
    assert sorted(staff.values_list("channel", flat=True)) == ["email", "webhook"]


@pytest.mark.django_db
def test_no_confirmation_row_without_an_email(kyiv, beating):
    complaint, _ = intake.complaint_submit(
        data=complaint_data(kyiv, beating, email=""),
        files=[],
        language="en",
        submission_key=uuid.uuid4(),
    )
    assert list(complaint.notifications.values_list("kind", "channel")) == [
        ("new_complaint", "email")
    ]


# --- callback_request_submit -------------------------------------------------------------------


@pytest.mark.django_db
def test_callback_submit_saves_request_and_staff_notification():
    callback = intake.callback_request_submit(
        data=callback_data(), language="en", submission_key=uuid.uuid4()
    )
    callback.refresh_from_db()
    assert callback.phone.as_e164 == "+380504477063"
    assert callback.language == "en"
    assert list(callback.notifications.values_list("kind", "channel")) == [
        ("new_callback", "email")
    ]


@pytest.mark.django_db
def test_callback_webhook_row_when_configured(settings):
    settings.NOTIFY_WEBHOOK_URL = "https://hooks.example.org/hotline"
    callback = intake.callback_request_submit(
        data=callback_data(), language="uk", submission_key=uuid.uuid4()
    )
    assert sorted(callback.notifications.values_list("channel", flat=True)) == [
        "email",
        "webhook",
    ]


@pytest.mark.django_db
def test_same_callback_submitted_twice_is_saved_once():
    key = uuid.uuid4()
    first = intake.callback_request_submit(data=callback_data(), language="uk", submission_key=key)
    again = intake.callback_request_submit(data=callback_data(), language="uk", submission_key=key)
    assert again == first
    assert CallbackRequest.objects.count() == 1
    assert Notification.objects.count() == 1


@pytest.mark.django_db
def test_failed_outbox_leaves_no_callback(monkeypatch):
    def outbox_down(**kwargs):
        raise DatabaseError("outbox insert failed")

    monkeypatch.setattr(intake, "write_outbox", outbox_down)
    with pytest.raises(DatabaseError):
        intake.callback_request_submit(
            data=callback_data(), language="uk", submission_key=uuid.uuid4()
        )
    assert not CallbackRequest.objects.exists()


# --- change_status -------------------------------------------------------------------------------

COMPLAINT_MOVES = [
    (a, b) for a in Complaint.Status.values for b in Complaint.Status.values if a != b
]
CALLBACK_MOVES = [
    (a, b) for a in CallbackRequest.Status.values for b in CallbackRequest.Status.values if a != b
]


@pytest.mark.django_db
@pytest.mark.parametrize("current, target", COMPLAINT_MOVES)
def test_complaint_status_follows_transitions(current, target):
    complaint = ComplaintFactory(status=current)
    allowed = target in Complaint.TRANSITIONS[current]
    if allowed:
        desk.change_status(obj=complaint, status=target)
    else:
        with pytest.raises(triage.TransitionError):
            desk.change_status(obj=complaint, status=target)
    complaint.refresh_from_db()
    assert complaint.status == (target if allowed else current)


@pytest.mark.django_db
@pytest.mark.parametrize("current, target", CALLBACK_MOVES)
def test_callback_status_follows_transitions(current, target):
    callback = CallbackRequestFactory(status=current)
    allowed = target in CallbackRequest.TRANSITIONS[current]
    if allowed:
        desk.change_status(obj=callback, status=target)
    else:
        with pytest.raises(triage.TransitionError):
            desk.change_status(obj=callback, status=target)
    callback.refresh_from_db()
    assert callback.status == (target if allowed else current)


@pytest.mark.django_db
def test_closed_is_final():
    assert Complaint.TRANSITIONS[Complaint.Status.CLOSED] == set()
    complaint = ComplaintFactory(status=Complaint.Status.CLOSED)
    for status in Complaint.Status.values:
        if status != "closed":
            with pytest.raises(triage.TransitionError):
                desk.change_status(obj=complaint, status=status)


@pytest.mark.django_db
def test_change_status_assigns_the_user_when_nobody_is():
    # Country-wide staff (a regional desk's member is tested in test_regional_desks).
    user = UserFactory(is_staff=True, permissions=["hotline.view_all_regions"])
    other = UserFactory(is_staff=True, permissions=["hotline.view_all_regions"])
    complaint = ComplaintFactory()
    desk.change_status(obj=complaint, status=Complaint.Status.TRIAGE, user=user)
    complaint.refresh_from_db()
    assert complaint.assignee == user
    desk.change_status(obj=complaint, status=Complaint.Status.VERIFYING, user=other)
    complaint.refresh_from_db()
    assert complaint.assignee == user


@pytest.mark.django_db
def test_callback_handled_time_recorded_when_it_leaves_new():
    callback = CallbackRequestFactory()
    assert callback.handled_at is None
    desk.change_status(obj=callback, status=CallbackRequest.Status.IN_PROGRESS)
    callback.refresh_from_db()
    first = callback.handled_at
    assert first is not None
    desk.change_status(obj=callback, status=CallbackRequest.Status.CALLED_BACK)
    callback.refresh_from_db()
    assert callback.handled_at == first


# --- incident_draft_from_complaint ----------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "status", [s for s in Complaint.Status.values if s != Complaint.Status.VERIFIED]
)
def test_only_a_verified_complaint_becomes_a_draft(status):
    complaint = ComplaintFactory(status=status)
    with pytest.raises(triage.TransitionError):
        publication.incident_draft_from_complaint(complaint=complaint)
    assert not Incident.objects.exists()


@pytest.mark.django_db
def test_draft_is_prefilled_and_linked_both_ways(kyiv, beating):
    editor = UserFactory(is_staff=True, permissions=["hotline.view_all_regions"])
    complaint = ComplaintFactory(
        status=Complaint.Status.VERIFIED,
        consent_publish=True,
        reporter_name="Ivanna Koval",
        occurred_on=datetime.date(2024, 3, 1),
        occurred_precision="month",
        perpetrator_type="police",
    )
    incident = publication.incident_draft_from_complaint(complaint=complaint, user=editor)
    incident.refresh_from_db()
    complaint.refresh_from_db()
    assert incident.status == Incident.Status.DRAFT
    assert not incident.is_public
    assert list(incident.categories.all()) == [beating]
    assert incident.region == kyiv
    assert incident.occurred_on == datetime.date(2024, 3, 1)
    assert incident.occurred_precision == "month"
    assert incident.occurred_until == datetime.date(2024, 3, 31)
    assert incident.perpetrator_type == "police"
    assert incident.author == editor
    assert complaint.incident == incident
    assert incident.complaint == complaint
    [victim] = incident.victims.all()
    assert victim.name == "Ivanna Koval"
    assert not victim.is_anonymous
    # The reporter's statement is never copied into the public text: the editor writes it.
    assert complaint.description not in f"{incident.title} {incident.lead} {incident.body}"
    assert (incident.lead, incident.body) == ("", "")
    for field in ("title", "lead", "body"):
        assert complaint.email not in getattr(incident, field)


@pytest.mark.django_db
@pytest.mark.parametrize("status", [Complaint.Status.VERIFIED, Complaint.Status.VERIFYING])
def test_no_draft_without_consent_to_publish_and_the_reason_is_said(status):
    complaint = ComplaintFactory(status=status, consent_publish=False)
    with pytest.raises(consent.ConsentError) as refused:
        publication.incident_draft_from_complaint(complaint=complaint)
    with translation.override("uk"):
        assert str(_("the reporter did not agree to publication")) in str(refused.value)
    assert not Incident.objects.exists()


@pytest.mark.django_db
def test_draft_leaves_out_the_name_and_outlet_of_an_anonymous_reporter():
    complaint = ComplaintFactory(
        status=Complaint.Status.VERIFIED,
        consent_publish=True,
        anonymous=True,
        reporter_name="Secret Person",
        outlet="Hidden Gazette",
    )
    incident = publication.incident_draft_from_complaint(complaint=complaint)
    [victim] = incident.victims.all()
    assert victim.name == ""
    assert victim.outlet == ""
    assert victim.is_anonymous
    assert "Secret Person" not in f"{incident.title} {incident.lead} {incident.body}"


@pytest.mark.django_db
def test_second_draft_request_returns_the_same_incident():
    complaint = ComplaintFactory(status=Complaint.Status.VERIFIED, consent_publish=True)
    first = publication.incident_draft_from_complaint(complaint=complaint)
    assert publication.incident_draft_from_complaint(complaint=complaint) == first
    assert Incident.objects.count() == 1


def _written(incident, **fields):
    """The editor's article: what the draft leaves for them to write."""
    for name, value in {"lead": "A journalist was beaten.", "body": "The story.", **fields}.items():
        setattr(incident, name, value)
    incident.save()
    return incident


@pytest.mark.django_db
def test_publishing_the_incident_marks_the_complaint_published_after_the_sync():
    complaint = ComplaintFactory(status=Complaint.Status.VERIFIED, consent_publish=True)
    incident = _written(publication.incident_draft_from_complaint(complaint=complaint))
    incident_publish(incident=incident)
    publication.complaint_publication_sync()
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.PUBLISHED


@pytest.mark.django_db
def test_a_scheduled_publication_is_not_published_until_its_time(notify_settings):
    complaint = ComplaintFactory(
        status=Complaint.Status.VERIFIED, consent_publish=True, email="r@example.org"
    )
    incident = _written(publication.incident_draft_from_complaint(complaint=complaint))
    incident_publish(incident=incident, at=timezone.now() + datetime.timedelta(hours=1))

    publication.complaint_publication_sync()
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.VERIFIED
    assert not complaint.notifications.filter(kind=Notification.Kind.STATUS_CHANGED).exists()

    # Its time comes: the job marks it published and tells the reporter, once.
    Incident.objects.filter(pk=incident.pk).update(
        published_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    publication.complaint_publication_sync()
    publication.complaint_publication_sync()
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.PUBLISHED
    told = complaint.notifications.filter(kind=Notification.Kind.STATUS_CHANGED)
    assert list(told.values_list("payload", flat=True)) == [{"status": "published"}]


@pytest.mark.django_db
def test_unpublishing_takes_the_published_status_back_silently(notify_settings):
    complaint = ComplaintFactory(
        status=Complaint.Status.VERIFIED, consent_publish=True, email="r@example.org"
    )
    incident = _written(publication.incident_draft_from_complaint(complaint=complaint))
    incident_publish(incident=incident)
    publication.complaint_publication_sync()
    incident_unpublish(incident=incident)
    publication.complaint_publication_sync()
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.VERIFIED
    assert complaint.notifications.filter(kind=Notification.Kind.STATUS_CHANGED).count() == 1
    # Published again: the reporter was already told, so no second mail.
    incident_publish(incident=incident)
    publication.complaint_publication_sync()
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.PUBLISHED
    assert complaint.notifications.filter(kind=Notification.Kind.STATUS_CHANGED).count() == 1


@pytest.mark.django_db
def test_complaint_find_by_code_forgives_typing_and_rejects_garbage():
    code = tracking.generate()
    complaint = ComplaintFactory(tracking_code_hash=tracking.digest(code))
    assert intake.complaint_find_by_code(code.lower().replace("-", " ")) == complaint
    assert intake.complaint_find_by_code("not a code") is None
    assert intake.complaint_find_by_code(tracking.generate()) is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "role", "written"),
    [
        ("en", Complaint.Role.CAMERA, "camera operator or photographer"),
        ("uk", Complaint.Role.JOURNALIST, "журналіст"),
        ("uk", Complaint.Role.OTHER, ""),
    ],
)
def test_the_draft_writes_the_role_in_the_articles_language_mid_sentence(
    kyiv, beating, language, role, written
):
    """The editor works in Ukrainian; an English complaint's article still reads "Ivanna
    Koval, camera operator or photographer", not "…, Оператор або фотограф"."""
    complaint = ComplaintFactory(
        status=Complaint.Status.VERIFIED, consent_publish=True, language=language, role=role
    )
    with translation.override("uk"):
        incident = publication.incident_draft_from_complaint(complaint=complaint)
    assert [victim.role for victim in incident.victims.all()] == [written]


@pytest.mark.django_db
@pytest.mark.parametrize("editor", ["uk", "en"])
@pytest.mark.parametrize("language", ["uk", "en"])
def test_the_drafts_working_title_is_in_the_articles_language(kyiv, beating, editor, language):
    """An English draft gets an English working title, whichever language the editor uses."""
    complaint = ComplaintFactory(
        status=Complaint.Status.VERIFIED,
        consent_publish=True,
        language=language,
        category=beating,
        region=kyiv,
    )
    with translation.override(editor):
        incident = publication.incident_draft_from_complaint(complaint=complaint)
    names = {"uk": (beating.name_uk, kyiv.name_uk), "en": (beating.name_en, kyiv.name_en)}
    assert incident.title == "{}: {}".format(*names[language])
    assert incident.language == language
