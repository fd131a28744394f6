import datetime
import importlib
import io
import logging
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings as project_settings
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from hotline import retention
from hotline.models import Attachment, CallbackRequest, CaseMessage, Complaint, Note, Notification
from hotline.services import desk
from hotline.services.triage import TransitionError
from hotline.tasks import erase_personal_data

from .factories import (
    AttachmentFactory,
    CallbackRequestFactory,
    CaseMessageFactory,
    ComplaintFactory,
    NoteFactory,
)
from .helpers import said
from .test_admin import act, change_form_data, change_url

COMPLAINTS = reverse("admin:hotline_complaint_changelist")
CALLBACKS = reverse("admin:hotline_callbackrequest_changelist")
# What the statistics count: erasure must leave all of it as it was.
COMPLAINT_STATISTICS = [
    "created_at",
    "occurred_on",
    "category_id",
    "region_id",
    "status",
    "priority",
    "perpetrator_type",
    "language",
    "closed_at",
]
CALLBACK_STATISTICS = ["created_at", "topic", "status", "language", "closed_at"]


@pytest.fixture(autouse=True)
def _periods(settings):
    settings.RETENTION_CALLBACK_DAYS = 30
    settings.RETENTION_COMPLAINT_DAYS = 365


def noon() -> datetime.datetime:
    # Midday, so "n days ago" is n calendar days ago even across a daylight-saving change.
    return timezone.localtime().replace(hour=12, minute=0, second=0, microsecond=0)


def days_ago(days: int) -> datetime.datetime:
    return noon() - datetime.timedelta(days=days)


def finished_callback(days: int, **kwargs) -> CallbackRequest:
    return CallbackRequestFactory(
        status=CallbackRequest.Status.CLOSED, closed_at=days_ago(days), **kwargs
    )


def finished_complaint(days: int, status=Complaint.Status.CLOSED, **kwargs) -> Complaint:
    return ComplaintFactory(status=status, closed_at=days_ago(days), **kwargs)


def files_under(root) -> list[Path]:
    root = Path(root)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def values(obj, fields) -> dict:
    return {field: getattr(obj, field) for field in fields}


# --- What is due ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_callback_finished_31_days_ago_is_erased_29_days_ago_is_not():
    old = finished_callback(31, name="Olena Shevchuk", message="Call me about the court.")
    recent = finished_callback(29, name="Taras Bondar")
    report = retention.erase_due(now=noon())
    assert report.callbacks == [old.pk]
    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.name, str(old.phone), old.message) == ("", "", "")
    assert old.erased_at is not None
    assert recent.name == "Taras Bondar"
    assert recent.erased_at is None


@pytest.mark.django_db
def test_complaint_finished_a_year_and_a_day_ago_is_erased_closed_or_rejected():
    closed = finished_complaint(366, reporter_name="Ivanna Koval")
    rejected = finished_complaint(366, status=Complaint.Status.REJECTED)
    recent = finished_complaint(364, reporter_name="Mariia Petrenko")
    report = retention.erase_due(now=noon())
    assert sorted(report.complaints) == sorted([closed.pk, rejected.pk])
    for complaint in (closed, rejected):
        complaint.refresh_from_db()
        assert complaint.reporter_name == ""
        assert complaint.erased_at is not None
    recent.refresh_from_db()
    assert recent.reporter_name == "Mariia Petrenko"


@pytest.mark.django_db
def test_open_items_are_never_erased_however_old():
    long_ago = timezone.now() - datetime.timedelta(days=3000)
    callback = CallbackRequestFactory(
        status=CallbackRequest.Status.NO_ANSWER, created_at=long_ago, name="Taras Bondar"
    )
    complaint = ComplaintFactory(
        status=Complaint.Status.VERIFYING, created_at=long_ago, reporter_name="Ivanna Koval"
    )
    far_future = timezone.now() + datetime.timedelta(days=3000)
    assert retention.erase_due(now=far_future).counts() == {
        "callbacks": 0,
        "complaints": 0,
        "failed": 0,
    }
    callback.refresh_from_db()
    complaint.refresh_from_db()
    assert callback.name == "Taras Bondar"
    assert complaint.reporter_name == "Ivanna Koval"


@pytest.mark.django_db
def test_periods_come_from_the_settings(settings):
    callback = finished_callback(8)
    complaint = finished_complaint(8)
    settings.RETENTION_CALLBACK_DAYS = 7
    settings.RETENTION_COMPLAINT_DAYS = 10
    due = retention.due(now=noon())
    assert list(due.callbacks) == [callback]
    assert list(due.complaints) == []
    assert retention.erases_on(callback) == timezone.localdate() - datetime.timedelta(days=1)
    assert retention.erases_on(complaint) == timezone.localdate() + datetime.timedelta(days=2)


@pytest.mark.django_db
def test_erases_on_is_none_while_open():
    assert retention.erases_on(ComplaintFactory(status=Complaint.Status.TRIAGE)) is None
    closed = finished_complaint(0)
    assert retention.erases_on(closed) == timezone.localdate() + datetime.timedelta(days=365)


@pytest.mark.django_db
def test_an_item_erased_already_is_not_due_again():
    complaint = finished_complaint(400)
    assert retention.erase_due(now=noon()).complaints == [complaint.pk]
    assert retention.erase_due(now=noon()).complaints == []
    assert retention.erase_complaint(complaint=complaint) is False


# --- What erasure removes and what it keeps -------------------------------------------------------


@pytest.mark.django_db
def test_complaint_erasure_leaves_no_personal_data_anywhere(
    settings, django_capture_on_commit_callbacks
):
    complaint = finished_complaint(
        400,
        reporter_name="Ivanna Koval",
        outlet="Zhytomyr Today",
        email="ivanna.private@example.org",
        phone="+380671234567",
        safe_times="never before noon",
        place="Khreshchatyk 22",
        description="Two officers of the security service followed me home after the hearing.",
        links="https://example.org/my-video",
        perpetrator_type="police",
        priority=Complaint.Priority.URGENT,
    )
    # A second history row, as a staff change writes one.
    complaint.priority = Complaint.Priority.HIGH
    complaint.save()
    AttachmentFactory.create_batch(2, complaint=complaint)
    NoteFactory(complaint=complaint, text="Ivanna asked us to call only after 18:00.")
    notification = Notification.objects.create(
        kind=Notification.Kind.COMPLAINT_RECEIVED,
        channel=Notification.Channel.EMAIL,
        complaint=complaint,
        payload={"code": "ABCD-EFGH-JKLM"},
    )
    CaseMessageFactory(complaint=complaint, text="Ivanna, which court was it?")
    reply = CaseMessageFactory(
        complaint=complaint, sender="reporter", text="Pechersk court, ask Ivanna Koval."
    )
    AttachmentFactory(complaint=complaint, message=reply)
    complaint.refresh_from_db()
    statistics = values(complaint, COMPLAINT_STATISTICS)
    history_rows = complaint.history.count()
    assert history_rows == 2
    assert len(files_under(settings.PRIVATE_MEDIA_ROOT)) == 3

    with django_capture_on_commit_callbacks(execute=True):
        assert retention.erase_complaint(complaint=complaint) is True

    complaint.refresh_from_db()
    for field in retention.PERSONAL_FIELDS[Complaint]:
        assert str(getattr(complaint, field)) == "", field
    assert complaint.erased_at is not None
    assert values(complaint, COMPLAINT_STATISTICS) == statistics
    # Evidence: rows and files gone.
    assert not Attachment.objects.exists()
    assert files_under(settings.PRIVATE_MEDIA_ROOT) == []
    assert not Note.objects.exists()
    notification.refresh_from_db()
    assert notification.payload == {}
    # The conversation, both ways, with the files sent in it.
    assert not CaseMessage.objects.exists()
    # History: the same rows (who changed what, when), none of the data, no row added.
    assert complaint.history.count() == history_rows
    for row in complaint.history.all():
        for field in retention.PERSONAL_FIELDS[Complaint]:
            assert str(getattr(row, field)) == "", field
        assert row.category_id == complaint.category_id
    assert {row.priority for row in complaint.history.all()} == {
        Complaint.Priority.URGENT,
        Complaint.Priority.HIGH,
    }


@pytest.mark.django_db
def test_callback_erasure_blanks_the_item_its_history_and_notes():
    callback = finished_callback(
        40, name="Olena Shevchuk", message="About my accreditation at the ministry."
    )
    NoteFactory(complaint=None, callback=callback, text="Olena prefers mornings.")
    Notification.objects.create(
        kind=Notification.Kind.NEW_CALLBACK,
        channel=Notification.Channel.EMAIL,
        callback=callback,
        payload={"something": "personal"},
    )
    statistics = values(callback, CALLBACK_STATISTICS)
    assert retention.erase_callback(callback=callback) is True
    callback.refresh_from_db()
    assert values(callback, CALLBACK_STATISTICS) == statistics
    assert (callback.name, str(callback.phone), callback.message) == ("", "", "")
    assert not Note.objects.exists()
    assert callback.notifications.get().payload == {}
    assert callback.history.count() == 1
    row = callback.history.get()
    assert (row.name, str(row.phone), row.message) == ("", "", "")


@pytest.mark.django_db
def test_a_failed_erasure_keeps_the_evidence_and_does_not_stop_the_others(
    settings, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    failing = finished_complaint(400, reporter_name="Ivanna Koval")
    AttachmentFactory(complaint=failing)
    NoteFactory(complaint=failing)
    other = finished_complaint(400)
    AttachmentFactory(complaint=other)
    kept_file = Path(settings.PRIVATE_MEDIA_ROOT) / failing.attachments.get().file.name
    filter_notes = Note.objects.filter

    def notes_fail_for_one(*args, **kwargs):
        # Fails after the evidence rows are deleted, inside the erasure's transaction.
        if kwargs.get("complaint_id") == failing.pk:
            raise DatabaseError("server closed the connection unexpectedly")
        return filter_notes(*args, **kwargs)

    monkeypatch.setattr(Note.objects, "filter", notes_fail_for_one)
    with (
        caplog.at_level(logging.ERROR, logger="hotline.retention"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        report = retention.erase_due(now=noon())

    assert report.complaints == [other.pk]
    assert [item.pk for item in report.failed] == [failing.pk]
    assert report.counts() == {"callbacks": 0, "complaints": 1, "failed": 1}
    failing.refresh_from_db()
    assert failing.erased_at is None
    assert failing.reporter_name == "Ivanna Koval"
    assert failing.attachments.count() == 1
    assert failing.notes.count() == 1
    assert kept_file.is_file()
    assert files_under(settings.PRIVATE_MEDIA_ROOT) == [kept_file]
    # The log names the item, never its data.
    assert str(failing.pk) in caplog.text
    assert "Ivanna" not in caplog.text
    assert failing.email not in caplog.text


@pytest.mark.django_db
def test_a_complaint_taken_up_again_after_it_was_listed_is_not_erased(monkeypatch):
    complaint = finished_complaint(400, status=Complaint.Status.REJECTED)
    listed = retention._due

    def listed_then_reopened(model, today):
        rows = list(listed(model, today).values_list("pk", "closed_at"))
        if model is Complaint:
            desk.change_status(obj=complaint, status=Complaint.Status.TRIAGE)
        return FakeRows(rows)

    monkeypatch.setattr(retention, "_due", listed_then_reopened)
    assert retention.erase_due(now=noon()).counts() == {
        "callbacks": 0,
        "complaints": 0,
        "failed": 0,
    }
    complaint.refresh_from_db()
    assert complaint.erased_at is None
    assert complaint.reporter_name != ""


class FakeRows(list):
    def values_list(self, *fields):
        return self


# --- Dry run, command, task ------------------------------------------------------------------------


@pytest.mark.django_db
def test_dry_run_changes_nothing_and_lists_the_ids():
    callback = finished_callback(31)
    complaint = finished_complaint(366)
    AttachmentFactory(complaint=complaint)
    finished_complaint(10)
    report = retention.erase_due(now=noon(), dry_run=True)
    assert report.dry_run
    assert report.callbacks == [callback.pk]
    assert report.complaints == [complaint.pk]
    [item] = [i for i in report.items if i.kind == "complaint"]
    assert item.erases_on == timezone.localdate() - datetime.timedelta(days=1)
    assert not CallbackRequest.objects.filter(erased_at__isnull=False).exists()
    assert not Complaint.objects.filter(erased_at__isnull=False).exists()
    assert Attachment.objects.count() == 1
    callback.refresh_from_db()
    assert callback.name != ""


@pytest.mark.django_db
def test_command_dry_run_lists_kind_id_and_dates():
    callback = finished_callback(31)
    complaint = finished_complaint(366)
    out = io.StringIO()
    call_command("erase_personal_data", "--dry-run", stdout=out)
    text = out.getvalue()
    assert "nothing was changed" in text
    finished = timezone.localdate(callback.closed_at)
    callback_line = next(line for line in text.splitlines() if f" {callback.pk} " in line)
    assert "callback request" in callback_line
    assert finished.isoformat() in callback_line
    assert (finished + datetime.timedelta(days=30)).isoformat() in callback_line
    complaint_line = next(
        line for line in text.splitlines() if line.strip().startswith("complaint")
    )
    assert f" {complaint.pk} " in complaint_line
    assert "Would be erased: 2 (callback requests: 1, complaints: 1)." in text
    callback.refresh_from_db()
    assert callback.erased_at is None


@pytest.mark.django_db
def test_command_dry_run_with_nothing_due():
    finished_callback(3)
    out = io.StringIO()
    call_command("erase_personal_data", "--dry-run", stdout=out)
    assert out.getvalue().strip() == "Dry run: nothing is due for erasure."


@pytest.mark.django_db
def test_command_erases_and_prints_the_counts():
    callback = finished_callback(31)
    finished_complaint(366)
    finished_complaint(400)
    out = io.StringIO()
    call_command("erase_personal_data", stdout=out)
    assert out.getvalue().strip() == (
        "Erased the personal data of callback requests: 1, complaints: 2."
    )
    callback.refresh_from_db()
    assert callback.erased_at is not None


@pytest.mark.django_db
def test_command_fails_when_an_item_could_not_be_erased(monkeypatch):
    complaint = finished_complaint(400)

    def broken(*args, **kwargs):
        raise DatabaseError("deadlock detected")

    monkeypatch.setattr(retention, "_erase", broken)
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("erase_personal_data", stdout=out, stderr=err)
    assert raised.value.returncode == 1
    assert f"complaint #{complaint.pk}" in err.getvalue()


@pytest.mark.django_db
def test_task_erases_and_returns_the_counts():
    finished_callback(31)
    finished_callback(45)
    finished_complaint(366)
    finished_callback(1)
    result = erase_personal_data.apply().get()
    assert result == {"callbacks": 2, "complaints": 1, "failed": 0}
    assert CallbackRequest.objects.filter(erased_at__isnull=False).count() == 2


def test_beat_runs_the_task_daily():
    entry = project_settings.CELERY_BEAT_SCHEDULE["erase-personal-data"]
    assert entry["task"] == erase_personal_data.name
    assert erase_personal_data.acks_late


# --- When an item counts as finished ----------------------------------------------------------------


@pytest.mark.django_db
def test_change_status_records_when_an_item_was_finished():
    callback = CallbackRequestFactory()
    desk.change_status(obj=callback, status=CallbackRequest.Status.CALLED_BACK)
    callback.refresh_from_db()
    assert callback.closed_at is None
    desk.change_status(obj=callback, status=CallbackRequest.Status.CLOSED)
    callback.refresh_from_db()
    assert callback.closed_at is not None
    assert timezone.now() - callback.closed_at < datetime.timedelta(minutes=1)


@pytest.mark.django_db
def test_rejected_complaint_taken_up_again_is_no_longer_finished():
    complaint = ComplaintFactory()
    desk.change_status(obj=complaint, status=Complaint.Status.REJECTED)
    complaint.refresh_from_db()
    assert complaint.closed_at is not None
    desk.change_status(obj=complaint, status=Complaint.Status.TRIAGE)
    complaint.refresh_from_db()
    assert complaint.closed_at is None
    assert retention.erases_on(complaint) is None


@pytest.mark.django_db
def test_rejected_then_closed_keeps_the_time_it_was_rejected():
    complaint = finished_complaint(5, status=Complaint.Status.REJECTED)
    rejected_at = complaint.closed_at
    desk.change_status(obj=complaint, status=Complaint.Status.CLOSED)
    complaint.refresh_from_db()
    assert complaint.closed_at == rejected_at


@pytest.mark.django_db
def test_closing_a_callback_on_the_admin_form_records_the_time(client, operator):
    callback = CallbackRequestFactory(status=CallbackRequest.Status.CALLED_BACK)
    client.force_login(operator)
    data = change_form_data(client.get(change_url(callback)))
    data["status"] = CallbackRequest.Status.CLOSED
    response = client.post(change_url(callback), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    callback.refresh_from_db()
    assert callback.closed_at is not None


@pytest.mark.django_db
def test_taking_a_rejected_complaint_up_again_on_the_admin_form_clears_the_time(client, triage):
    complaint = finished_complaint(3, status=Complaint.Status.REJECTED)
    client.force_login(triage)
    data = change_form_data(client.get(change_url(complaint)))
    data["status"] = Complaint.Status.TRIAGE
    response = client.post(change_url(complaint), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.TRIAGE
    assert complaint.closed_at is None


@pytest.mark.django_db
def test_rejecting_by_admin_action_records_the_time(client, triage):
    complaint = ComplaintFactory()
    client.force_login(triage)
    act(client, COMPLAINTS, "mark_rejected", [complaint], confirm=True)
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.REJECTED
    assert complaint.closed_at is not None


@pytest.mark.django_db
def test_items_finished_before_the_migration_count_from_their_last_change():
    migration = importlib.import_module("hotline.migrations.0005_retention")
    long_ago = timezone.now() - datetime.timedelta(days=100)
    rejected = ComplaintFactory(status=Complaint.Status.REJECTED)
    closed = CallbackRequestFactory(status=CallbackRequest.Status.CLOSED)
    still_open = ComplaintFactory(status=Complaint.Status.VERIFYING)
    Complaint.objects.update(updated_at=long_ago)
    CallbackRequest.objects.update(updated_at=long_ago)
    migration.finished_at_last_update(apps, None)
    for obj in (rejected, closed, still_open):
        obj.refresh_from_db()
    assert rejected.closed_at == long_ago
    assert closed.closed_at == long_ago
    assert still_open.closed_at is None


# --- The admin --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_changelist_says_when_personal_data_goes(client, triage):
    erased = finished_complaint(400)
    retention.erase_complaint(complaint=erased)
    erased.refresh_from_db()
    finished_complaint(10)
    ComplaintFactory(status=Complaint.Status.TRIAGE)
    client.force_login(triage)
    page = client.get(COMPLAINTS).content.decode()
    assert said("Erased %(date)s", date=timezone.localdate(erased.erased_at).isoformat()) in page
    will_be = timezone.localdate() + datetime.timedelta(days=355)
    assert said("Will be erased on %(date)s", date=will_be.isoformat()) in page
    # The open one has nothing to say there: its cell is empty.
    assert page.count('<td class="field-attention">—</td>') == 1


@pytest.mark.django_db
def test_callback_change_page_shows_the_erasure_date(client, operator):
    callback = finished_callback(10)
    client.force_login(operator)
    page = client.get(change_url(callback)).content.decode()
    will_be = timezone.localdate() + datetime.timedelta(days=20)
    assert said("Will be erased on %(date)s", date=will_be.isoformat()) in page


@pytest.mark.django_db
def test_changelist_queries_do_not_grow_with_the_rows(client, triage):
    finished_complaint(10)
    client.force_login(triage)
    with CaptureQueriesContext(connection) as one:
        client.get(COMPLAINTS)
    for days in (20, 400):
        finished_complaint(days)
    retention.erase_due(now=noon())
    ComplaintFactory.create_batch(3)
    with CaptureQueriesContext(connection) as many:
        client.get(COMPLAINTS)
    assert len(many) == len(one)


@pytest.mark.django_db
def test_an_erased_complaint_is_read_only_in_the_admin(client, triage):
    complaint = finished_complaint(400, status=Complaint.Status.REJECTED)
    retention.erase_complaint(complaint=complaint)
    client.force_login(triage)
    response = client.get(change_url(complaint))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="reporter_name"' not in page
    assert 'name="_save"' not in page
    assert not response.context["has_change_permission"]
    refused = client.post(
        change_url(complaint),
        {"reporter_name": "Typed Again", "email": "again@example.org", "status": "triage"},
    )
    assert refused.status_code == 403
    complaint.refresh_from_db()
    assert complaint.reporter_name == ""
    assert complaint.status == Complaint.Status.REJECTED


@pytest.mark.django_db
def test_an_erased_complaint_cannot_be_taken_up_again(client, triage):
    complaint = finished_complaint(400, status=Complaint.Status.REJECTED)
    retention.erase_complaint(complaint=complaint)
    complaint.refresh_from_db()
    with pytest.raises(TransitionError):
        desk.change_status(obj=complaint, status=Complaint.Status.TRIAGE)
    client.force_login(triage)
    act(client, COMPLAINTS, "mark_triage", [complaint])
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.REJECTED
    assert complaint.closed_at is not None


@pytest.mark.django_db
def test_an_old_version_of_an_erased_complaint_cannot_be_restored(client, triage):
    complaint = finished_complaint(400)
    version = complaint.history.get()
    retention.erase_complaint(complaint=complaint)
    client.force_login(triage)
    url = reverse("admin:hotline_complaint_simple_history", args=[complaint.pk, version.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert response.context["revert_disabled"]
    data = {"reporter_name": "Typed Again", "email": "again@example.org", "status": "new"}
    assert client.post(url, data).status_code == 403
    complaint.refresh_from_db()
    assert complaint.erased_at is not None
    assert complaint.reporter_name == ""


@pytest.mark.django_db
def test_reading_rights_alone_do_not_restore_an_old_version(client, editor):
    complaint = ComplaintFactory(priority=Complaint.Priority.LOW)
    version = complaint.history.get()
    desk.change_status(obj=complaint, status=Complaint.Status.TRIAGE)
    client.force_login(editor)
    url = reverse("admin:hotline_complaint_simple_history", args=[complaint.pk, version.pk])
    response = client.post(url, {"status": "new", "priority": "4", "reporter_name": "X"})
    assert response.status_code == 403
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.TRIAGE


# --- Query counts ------------------------------------------------------------------------------------


def _queries_to_erase(complaint) -> int:
    with CaptureQueriesContext(connection) as queries:
        retention.erase_complaint(complaint=complaint)
    return len(queries)


@pytest.mark.django_db
def test_erasing_a_complaint_costs_the_same_however_much_it_holds():
    small = finished_complaint(400)
    large = finished_complaint(400)
    AttachmentFactory.create_batch(5, complaint=large)
    NoteFactory.create_batch(5, complaint=large)
    large.priority = Complaint.Priority.HIGH
    large.save()
    large.priority = Complaint.Priority.URGENT
    large.save()
    assert _queries_to_erase(large) == _queries_to_erase(small)


# Per complaint: lock, evidence file names, evidence rows, the conversation, notes,
# notifications, history, the item, and the savepoint opened and released around them (a
# callback needs three fewer).
QUERIES_PER_ITEM = 10


@pytest.mark.django_db
def test_erase_due_queries_grow_by_a_constant_per_item(django_assert_max_num_queries):
    for _ in range(5):
        complaint = finished_complaint(400)
        AttachmentFactory.create_batch(2, complaint=complaint)
        NoteFactory(complaint=complaint)
    finished_callback(40)
    with django_assert_max_num_queries(2 + 6 * QUERIES_PER_ITEM):
        report = retention.erase_due(now=noon())
    assert report.counts() == {"callbacks": 1, "complaints": 5, "failed": 0}
