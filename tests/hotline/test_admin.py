import csv
import datetime
import io

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.messages import WARNING, get_messages
from django.urls import reverse
from django.utils import timezone

from hotline.models import CallbackRequest, Complaint, Note
from hotline.services import desk
from incidents.models import Incident
from tests.incidents.pages import parse

from .factories import CallbackRequestFactory, ComplaintFactory, NoteFactory
from .helpers import said

COMPLAINTS = reverse("admin:hotline_complaint_changelist")
CALLBACKS = reverse("admin:hotline_callbackrequest_changelist")
XSS = '<script>alert("xss")</script>'
ESCAPED_XSS = "&lt;script&gt;alert(&quot;xss&quot;)&lt;/script&gt;"


def change_url(obj):
    return reverse(f"admin:hotline_{obj._meta.model_name}_change", args=[obj.pk])


def rows(response):
    return set(response.context["cl"].result_list)


def act(client, url, action, objects, follow=True, confirm=False):
    data = {"action": action, "_selected_action": [o.pk for o in objects], "index": 0}
    if confirm:  # past the preview of the reporters' mails
        data["confirm"] = "yes"
    return client.post(url, data, follow=follow)


def message_levels(response):
    return [(m.level, str(m)) for m in get_messages(response.wsgi_request)]


def change_form_data(response):
    """What the browser would post back from an admin change page, unchanged."""
    data = {}

    def add(form):
        for bound in form:
            if bound.field.disabled:
                continue
            value = bound.value()
            if value is None or value is False:
                continue
            if value is True:
                value = "on"
            elif isinstance(value, datetime.date | datetime.datetime):
                value = value.isoformat()
            elif isinstance(value, list | tuple):
                value = [str(v) for v in value]
            else:
                value = str(value)
            data[bound.html_name] = value

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        add(formset.management_form)
        for form in formset.forms:
            add(form)
    return data


# --- Who sees what ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_triage_opens_both_changelists_and_a_complaint(client, triage):
    complaint = ComplaintFactory()
    client.force_login(triage)
    assert client.get(COMPLAINTS).status_code == 200
    assert client.get(CALLBACKS).status_code == 200
    page = client.get(change_url(complaint)).content.decode()
    assert complaint.email in page


@pytest.mark.django_db
def test_operator_is_kept_out_of_complaints_but_handles_callbacks(client, operator):
    complaint = ComplaintFactory()
    callback = CallbackRequestFactory()
    client.force_login(operator)
    assert client.get(COMPLAINTS).status_code == 403
    assert client.get(change_url(complaint)).status_code == 403
    assert client.get(CALLBACKS).status_code == 200
    assert client.get(change_url(callback)).status_code == 200


@pytest.mark.django_db
def test_editor_reads_a_complaint_without_the_reporters_contacts(client, editor):
    complaint = ComplaintFactory(
        reporter_name="Ivanna Koval",
        email="ivanna.private@example.org",
        phone="+380671234567",
        safe_times="never before noon",
        description="What happened at the court, described in enough detail to be useful.",
    )
    client.force_login(editor)
    response = client.get(change_url(complaint))
    assert response.status_code == 200
    page = response.content.decode()
    assert "What happened at the court" in page
    for private in (
        "ivanna.private@example.org",
        "+380671234567",
        "+380 67 123 4567",
        "Ivanna Koval",
        "never before noon",
    ):
        assert private not in page


@pytest.mark.django_db
def test_editor_cannot_change_a_complaint(client, editor):
    complaint = ComplaintFactory()
    client.force_login(editor)
    client.post(change_url(complaint), {"status": "triage", "priority": 4})
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.NEW
    assert complaint.priority == Complaint.Priority.NORMAL


@pytest.mark.django_db
def test_editor_does_not_see_evidence_on_the_complaint(client, editor, triage):
    complaint = ComplaintFactory()
    client.force_login(editor)
    page = client.get(change_url(complaint)).content.decode()
    assert "attachments-TOTAL_FORMS" not in page
    client.force_login(triage)
    page = client.get(change_url(complaint)).content.decode()
    assert "attachments-TOTAL_FORMS" in page


@pytest.mark.django_db
def test_reporter_text_is_escaped_on_the_change_page(client, triage):
    fields = ["reporter_name", "outlet", "safe_times", "place", "links"]
    complaint = ComplaintFactory(**dict.fromkeys(fields, XSS), description=XSS * 3)
    client.force_login(triage)
    page = client.get(change_url(complaint)).content.decode()
    assert XSS not in page
    assert page.count(ESCAPED_XSS) >= len(fields) + 3


# --- Search and filters ------------------------------------------------------------------------


@pytest.mark.django_db
def test_search_finds_by_name_outlet_email_and_description(client, triage):
    target = ComplaintFactory(
        reporter_name="Mariia Petrenko",
        outlet="Zhytomyr Today",
        email="mariia@example.net",
        description="The mayor's guards seized my phone during the session, then deleted video.",
    )
    ComplaintFactory(reporter_name="Somebody Else", outlet="Other Media")
    client.force_login(triage)
    for query in ("Petrenko", "Zhytomyr", "mariia@example.net", "guards seized"):
        assert rows(client.get(COMPLAINTS, {"q": query})) == {target}, query


@pytest.mark.django_db
def test_callback_search_by_name(client, triage):
    target = CallbackRequestFactory(name="Taras Bondar")
    CallbackRequestFactory(name="Other Caller")
    client.force_login(triage)
    assert rows(client.get(CALLBACKS, {"q": "Bondar"})) == {target}


@pytest.mark.django_db
def test_filters_by_status_assignee_and_overdue(client, triage, operator):
    long_ago = timezone.now() - datetime.timedelta(hours=6)
    new_mine = ComplaintFactory(assignee=triage)
    new_overdue = ComplaintFactory(created_at=long_ago)
    triaged_other = ComplaintFactory(status=Complaint.Status.TRIAGE, assignee=operator)
    old_but_triaged = ComplaintFactory(status=Complaint.Status.TRIAGE, created_at=long_ago)
    client.force_login(triage)
    assert rows(client.get(COMPLAINTS, {"status": "new"})) == {new_mine, new_overdue}
    assert rows(client.get(COMPLAINTS, {"assigned": "mine"})) == {new_mine}
    assert rows(client.get(COMPLAINTS, {"assigned": "unassigned"})) == {
        new_overdue,
        old_but_triaged,
    }
    assert rows(client.get(COMPLAINTS, {"overdue": "yes"})) == {new_overdue}
    assert rows(client.get(COMPLAINTS)) == {new_mine, new_overdue, triaged_other, old_but_triaged}


@pytest.mark.django_db
def test_callback_overdue_after_the_escalation_minutes(client, operator, settings):
    late = CallbackRequestFactory(
        created_at=timezone.now()
        - datetime.timedelta(minutes=settings.CALLBACK_ESCALATION_MINUTES + 5)
    )
    CallbackRequestFactory()
    client.force_login(operator)
    response = client.get(CALLBACKS, {"overdue": "yes"})
    assert rows(response) == {late}


@pytest.mark.django_db
def test_overdue_rows_show_the_warning_marker(client, triage):
    ComplaintFactory(created_at=timezone.now() - datetime.timedelta(hours=6))
    client.force_login(triage)
    page = client.get(COMPLAINTS).content.decode()
    assert page.count("⚠") == 1

    # Taken up: the review has its own timer (days), so it is no longer overdue.
    desk.complaint_change_status(
        complaint=Complaint.objects.get(), status=Complaint.Status.TRIAGE, user=triage
    )
    assert "⚠" not in client.get(COMPLAINTS).content.decode()


# --- Actions -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_assign_to_me(client, triage):
    complaints = ComplaintFactory.create_batch(2)
    client.force_login(triage)
    act(client, COMPLAINTS, "assign_to_me", complaints)
    assert set(Complaint.objects.values_list("assignee", flat=True)) == {triage.pk}


@pytest.mark.django_db
def test_mark_triage_moves_new_complaints_and_records_history(client, triage):
    complaint = ComplaintFactory()
    client.force_login(triage)
    response = act(client, COMPLAINTS, "mark_triage", [complaint])
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.TRIAGE
    assert complaint.assignee == triage
    latest = complaint.history.first()
    assert latest.status == Complaint.Status.TRIAGE
    assert latest.history_user == triage
    assert complaint.history.last().status == Complaint.Status.NEW
    assert response.status_code == 200


@pytest.mark.django_db
def test_forbidden_transition_is_refused_with_a_warning(client, triage):
    complaint = ComplaintFactory()
    client.force_login(triage)
    response = act(client, COMPLAINTS, "mark_verified", [complaint])
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.NEW
    warnings = [text for level, text in message_levels(response) if level == WARNING]
    with_label = said("Verified")
    assert len(warnings) == 1
    assert with_label in warnings[0]


@pytest.mark.django_db
def test_mixed_selection_moves_what_can_move(client, triage):
    new = ComplaintFactory()
    closed = ComplaintFactory(status=Complaint.Status.CLOSED)
    client.force_login(triage)
    response = act(client, COMPLAINTS, "mark_triage", [new, closed])
    new.refresh_from_db()
    closed.refresh_from_db()
    assert new.status == Complaint.Status.TRIAGE
    assert closed.status == Complaint.Status.CLOSED
    assert [level for level, _ in message_levels(response)].count(WARNING) == 1


@pytest.mark.django_db
def test_set_priority_urgent(client, triage):
    complaint = ComplaintFactory()
    client.force_login(triage)
    act(client, COMPLAINTS, "set_priority_urgent", [complaint])
    complaint.refresh_from_db()
    assert complaint.priority == Complaint.Priority.URGENT


@pytest.mark.django_db
def test_editor_cannot_run_change_actions(client, editor):
    complaint = ComplaintFactory()
    client.force_login(editor)
    act(client, COMPLAINTS, "set_priority_urgent", [complaint])
    act(client, COMPLAINTS, "mark_triage", [complaint])
    complaint.refresh_from_db()
    assert complaint.priority == Complaint.Priority.NORMAL
    assert complaint.status == Complaint.Status.NEW


@pytest.mark.django_db
def test_operator_moves_callbacks_along(client, operator):
    callback = CallbackRequestFactory()
    client.force_login(operator)
    act(client, CALLBACKS, "mark_called_back", [callback])
    callback.refresh_from_db()
    assert callback.status == CallbackRequest.Status.CALLED_BACK
    assert callback.handled_at is not None
    assert callback.assignee == operator


@pytest.mark.django_db
def test_triage_exports_complaints_as_safe_csv(client, triage):
    first = ComplaintFactory(outlet='=HYPERLINK("http://evil.example","click")')
    second = ComplaintFactory(outlet="+380 News", reporter_name="Hidden Name")
    client.force_login(triage)
    response = act(client, COMPLAINTS, "export_csv", [first, second], follow=False)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="complaint-')
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    table = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert table[0][0] == "id"
    outlet = table[0].index("outlet")
    by_id = {row[0]: row for row in table[1:]}
    assert set(by_id) == {str(first.pk), str(second.pk)}
    assert by_id[str(first.pk)][outlet] == '\'=HYPERLINK("http://evil.example","click")'
    assert by_id[str(second.pk)][outlet] == "'+380 News"
    assert "Hidden Name" not in text
    assert first.email not in text


@pytest.mark.django_db
def test_triage_exports_callbacks(client, triage):
    callback = CallbackRequestFactory(name="@SUM(1+1)")
    client.force_login(triage)
    response = act(client, CALLBACKS, "export_csv", [callback], follow=False)
    assert response["Content-Type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(response.content.decode().lstrip("\ufeff"))))
    assert table[1][table[0].index("name")] == "'@SUM(1+1)"


@pytest.mark.django_db
def test_export_needs_the_export_permission(client, operator, editor):
    callback = CallbackRequestFactory()
    client.force_login(operator)
    response = act(client, CALLBACKS, "export_csv", [callback], follow=False)
    assert not response["Content-Type"].startswith("text/csv")
    complaint = ComplaintFactory()
    client.force_login(editor)
    response = act(client, COMPLAINTS, "export_csv", [complaint], follow=False)
    assert not response["Content-Type"].startswith("text/csv")


@pytest.mark.django_db
def test_incident_draft_action_for_someone_in_triage_and_editors(client, triage):
    triage.groups.add(Group.objects.get(name="Editors"))
    verified = ComplaintFactory(status=Complaint.Status.VERIFIED, consent_publish=True)
    new = ComplaintFactory(consent_publish=True)
    client.force_login(triage)
    response = act(client, COMPLAINTS, "create_incident_draft", [verified, new])
    verified.refresh_from_db()
    new.refresh_from_db()
    assert verified.incident is not None
    assert verified.incident.status == Incident.Status.DRAFT
    assert new.incident is None
    assert Incident.objects.count() == 1
    levels = [level for level, _ in message_levels(response)]
    assert levels.count(WARNING) == 1


@pytest.mark.django_db
def test_an_editor_makes_the_incident_draft(client, editor):
    verified = ComplaintFactory(status=Complaint.Status.VERIFIED, consent_publish=True)
    client.force_login(editor)
    act(client, COMPLAINTS, "create_incident_draft", [verified])
    verified.refresh_from_db()
    assert verified.incident is not None
    assert verified.incident.status == Incident.Status.DRAFT


@pytest.mark.django_db
def test_triage_alone_cannot_make_incidents(client, triage):
    verified = ComplaintFactory(status=Complaint.Status.VERIFIED)
    client.force_login(triage)
    act(client, COMPLAINTS, "create_incident_draft", [verified])
    assert not Incident.objects.exists()


# --- The change form -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_change_form_refuses_a_forbidden_status_with_a_clear_error(client, triage):
    complaint = ComplaintFactory()
    client.force_login(triage)
    data = change_form_data(client.get(change_url(complaint)))
    data["status"] = Complaint.Status.VERIFIED
    response = client.post(change_url(complaint), data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["status"]
    expected = said(
        "From “%(current)s” the status can move to: %(allowed)s.",
        current=said("Received"),
        allowed=f"{said('Not taken up')}, {said('Being reviewed')}",
    )
    assert errors == [expected]
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.NEW


@pytest.mark.django_db
def test_change_form_allows_a_permitted_status(client, triage):
    complaint = ComplaintFactory()
    client.force_login(triage)
    data = change_form_data(client.get(change_url(complaint)))
    data["status"] = Complaint.Status.TRIAGE
    response = client.post(change_url(complaint), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.TRIAGE
    assert complaint.history.first().history_user == triage


@pytest.mark.django_db
def test_staff_note_added_inline_records_its_author(client, triage):
    complaint = ComplaintFactory()
    NoteFactory(complaint=complaint, text="An older note by nobody in particular.")
    client.force_login(triage)
    data = change_form_data(client.get(change_url(complaint)))
    data["notes-TOTAL_FORMS"] = str(int(data["notes-TOTAL_FORMS"]) + 1)
    data["notes-1-text"] = "Spoke to the reporter; photos to follow."
    response = client.post(change_url(complaint), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    note = Note.objects.get(text="Spoke to the reporter; photos to follow.")
    assert note.author == triage
    assert note.complaint == complaint
    assert Note.objects.get(text__startswith="An older note").author is None


@pytest.mark.django_db
def test_operator_note_on_a_callback_records_its_author(client, operator):
    callback = CallbackRequestFactory()
    client.force_login(operator)
    data = change_form_data(client.get(change_url(callback)))
    data["notes-TOTAL_FORMS"] = "1"
    data["notes-0-text"] = "No answer at 10:15, will retry."
    response = client.post(change_url(callback), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    note = Note.objects.get()
    assert (note.callback, note.author) == (callback, operator)


@pytest.mark.django_db
def test_history_page_lists_the_status_change(client, triage):
    complaint = ComplaintFactory()
    client.force_login(triage)
    act(client, COMPLAINTS, "mark_triage", [complaint])
    response = client.get(reverse("admin:hotline_complaint_history", args=[complaint.pk]))
    assert response.status_code == 200
    assert complaint.history.count() == 2
    assert triage.username in response.content.decode()


@pytest.mark.django_db
def test_callback_status_changed_on_the_form_records_when_it_was_handled(client, operator):
    callback = CallbackRequestFactory()
    client.force_login(operator)
    data = change_form_data(client.get(change_url(callback)))
    data["status"] = CallbackRequest.Status.CALLED_BACK
    response = client.post(change_url(callback), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    callback.refresh_from_db()
    assert callback.status == CallbackRequest.Status.CALLED_BACK
    assert callback.handled_at is not None


@pytest.mark.django_db
def test_editor_history_pages_do_not_show_the_reporters_contacts(client, editor):
    complaint = ComplaintFactory(email="ivanna.private@example.org", reporter_name="Ivanna Koval")
    record = complaint.history.first()
    client.force_login(editor)
    for url in (
        reverse("admin:hotline_complaint_history", args=[complaint.pk]),
        reverse("admin:hotline_complaint_simple_history", args=[complaint.pk, record.history_id]),
    ):
        response = client.get(url)
        assert response.status_code == 200
        page = response.content.decode()
        assert "ivanna.private@example.org" not in page
        assert "Ivanna Koval" not in page


def publishing_form_data(client, url, at=None):
    """An incident's admin form as the browser posts it back with "Save and publish now"
    pressed, or "Save and schedule" for the time `at`."""
    data = change_form_data(client.get(url))
    if at is None:
        data["_publish"] = "1"
    else:
        local = timezone.localtime(at)
        data.update(
            _schedule="1",
            publish_at_0=local.date().isoformat(),
            publish_at_1=local.strftime("%H:%M:%S"),
        )
    return data


@pytest.mark.django_db
def test_history_says_who_acted_and_has_no_rows_of_bookkeeping_alone(client, triage):
    """No "Створено · Ніщо": a complaint from the form says so; a change of the timers alone
    (escalation by the system) is no row; staff's change is one row with what changed."""
    from hotline.services import triage as timers

    complaint = ComplaintFactory()
    timers.mark_escalated(complaint)  # bookkeeping only: due_at/escalated_at
    client.force_login(triage)
    act(client, COMPLAINTS, "mark_triage", [complaint])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "uk"
    page = client.get(reverse("admin:hotline_complaint_history", args=[complaint.pk]))
    rows = parse(page).by_id("change-history").find("tbody").find_all("tr")
    assert complaint.history.count() == 3
    assert len(rows) == 2  # the escalation's row, which changed only timers, is not shown
    who = [" ".join(row.find("td", class_="history-user").text.split()) for row in rows]
    assert who == [triage.username, said("sent through the site's form", language="uk")]
    assert "Ніщо" not in page.content.decode()


@pytest.mark.django_db
def test_ukrainian_admin_titles_put_the_models_name_in_the_case_the_phrase_needs(client, triage):
    """ "Змінити скаргу", "Виберіть скаргу, щоб змінити" — never "Змінити скарга"."""
    from hotline.models import StaffProfile

    StaffProfile.objects.update_or_create(user=triage, defaults={"language": "uk"})
    complaint = ComplaintFactory()
    client.force_login(triage)
    listing = client.get(COMPLAINTS).content.decode()
    assert "<h1>Виберіть скаргу, щоб змінити</h1>" in listing
    page = client.get(change_url(complaint)).content.decode()
    assert "| Змінити скаргу |" in page and "Змінити скарга" not in page
    StaffProfile.objects.filter(user=triage).update(language="en")
    assert "<h1>Select complaint to change</h1>" in client.get(COMPLAINTS).content.decode()
