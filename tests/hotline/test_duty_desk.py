"""The duty desk: a timer for every open state, overdue first, calls logged as calls, and one
writer per state."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from hotline.models import CallAttempt, CallbackRequest, Complaint, Note, Notification
from hotline.services import desk, inbox, outbox
from hotline.services.triage import TransitionError

from .factories import CallbackRequestFactory, ComplaintFactory
from .helpers import shown

pytestmark = pytest.mark.django_db

CALLBACKS = reverse("admin:hotline_callbackrequest_changelist")
COMPLAINTS = reverse("admin:hotline_complaint_changelist")
MINUTE = datetime.timedelta(minutes=1)


def later(**delta):
    return time_machine.travel(timezone.now() + datetime.timedelta(**delta))


# --- Timers -----------------------------------------------------------------------------------


def test_every_open_callback_state_has_a_timer(settings, operator):
    settings.CALLBACK_ESCALATION_MINUTES, settings.CALLBACK_RETRY_MINUTES = 30, 60
    callback = CallbackRequestFactory()
    assert callback.due_at == callback.created_at + 30 * MINUTE
    desk.callback_change_status(
        callback=callback, status=CallbackRequest.Status.IN_PROGRESS, user=operator
    )
    assert abs(callback.due_at - (timezone.now() + 30 * MINUTE)) < MINUTE
    desk.callback_log_attempt(callback=callback, outcome="no_answer", user=operator)
    callback.refresh_from_db()
    assert callback.status == CallbackRequest.Status.NO_ANSWER
    assert abs(callback.due_at - (timezone.now() + 60 * MINUTE)) < MINUTE
    at = timezone.now() + datetime.timedelta(hours=3)
    desk.callback_log_attempt(callback=callback, outcome="call_later", call_again_at=at)
    callback.refresh_from_db()
    assert callback.due_at == at and callback.call_again_at == at
    desk.callback_log_attempt(callback=callback, outcome="reached", user=operator)
    callback.refresh_from_db()
    assert callback.status == CallbackRequest.Status.CALLED_BACK and callback.due_at is None


def test_every_open_complaint_state_has_a_timer(settings, triage):
    settings.COMPLAINT_ESCALATION_HOURS, settings.COMPLAINT_VERIFICATION_DAYS = 4, 5
    complaint = ComplaintFactory()
    assert complaint.due_at == complaint.created_at + datetime.timedelta(hours=4)
    desk.complaint_change_status(complaint=complaint, status="triage", user=triage)
    review_due = complaint.due_at
    assert abs(review_due - (timezone.now() + datetime.timedelta(days=5))) < MINUTE
    with later(days=1):
        desk.complaint_change_status(complaint=complaint, status="verifying", user=triage)
    assert complaint.due_at == review_due  # verification does not restart the clock
    desk.complaint_change_status(complaint=complaint, status="verified", user=triage)
    assert complaint.due_at is None


def test_overdue_in_any_state_escalates_once_per_state(settings, operator, mailoutbox):
    settings.STAFF_NOTIFY_EMAILS = ["duty@example.org"]
    callback = CallbackRequestFactory()
    desk.callback_change_status(callback=callback, status="in_progress", user=operator)
    assert outbox.escalate() == 0  # taken, and within its time
    with later(minutes=31):
        assert outbox.escalate() == 1
        assert outbox.escalate() == 0  # once for this state
        desk.callback_log_attempt(callback=callback, outcome="no_answer", user=operator)
    with later(minutes=31 + 61):
        assert outbox.escalate() == 1  # the retry is late too: a new state, a new escalation
    kinds = list(callback.notifications.values_list("kind", flat=True))
    assert kinds.count(Notification.Kind.ESCALATION) == 2


def test_overdue_items_sort_first_in_the_lists(client, triage, operator):
    fresh = ComplaintFactory()
    late = ComplaintFactory(created_at=timezone.now() - datetime.timedelta(hours=9))
    later_still = ComplaintFactory(created_at=timezone.now() - datetime.timedelta(hours=5))
    client.force_login(triage)
    shown_order = [c.pk for c in client.get(COMPLAINTS).context["cl"].result_list]
    assert shown_order == [late.pk, later_still.pk, fresh.pk]

    waiting = CallbackRequestFactory()
    retry = CallbackRequestFactory()
    desk.callback_log_attempt(
        callback=retry, outcome="call_later", call_again_at=timezone.now() + 5 * MINUTE
    )
    client.force_login(operator)
    with later(minutes=10):
        result = client.get(CALLBACKS).context["cl"].result_list
        assert [c.pk for c in result] == [retry.pk, waiting.pk]  # the retry is overdue


def test_the_lists_open_on_what_needs_doing_and_finished_items_come_last(client, triage, operator):
    """Overdue, then the new, then by due time; closed, rejected and published after, on
    PostgreSQL and SQLite alike (an item with no timer is never first)."""
    hour = datetime.timedelta(hours=1)
    closed = ComplaintFactory(created_at=timezone.now() - 2 * hour)
    desk.change_status(obj=closed, status=Complaint.Status.REJECTED)
    desk.change_status(obj=closed, status=Complaint.Status.CLOSED)
    rejected = ComplaintFactory()
    desk.change_status(obj=rejected, status=Complaint.Status.REJECTED)
    verifying = ComplaintFactory(created_at=timezone.now() - 3 * hour)
    desk.change_status(obj=verifying, status=Complaint.Status.TRIAGE)
    desk.change_status(obj=verifying, status=Complaint.Status.VERIFYING)
    new = ComplaintFactory()
    overdue = ComplaintFactory(created_at=timezone.now() - 30 * hour)
    client.force_login(triage)
    shown_order = [c.pk for c in client.get(COMPLAINTS).context["cl"].result_list]
    assert shown_order == [overdue.pk, new.pk, verifying.pk, rejected.pk, closed.pk]

    called = CallbackRequestFactory()
    desk.change_status(obj=called, status=CallbackRequest.Status.CALLED_BACK)
    desk.change_status(obj=called, status=CallbackRequest.Status.CLOSED)
    retry = CallbackRequestFactory()
    desk.callback_log_attempt(
        callback=retry, outcome="call_later", call_again_at=timezone.now() + 5 * MINUTE
    )
    waiting = CallbackRequestFactory()
    client.force_login(operator)
    with later(minutes=2):  # nothing overdue: the new one first, then the retry by its time
        result = [c.pk for c in client.get(CALLBACKS).context["cl"].result_list]
    assert result == [waiting.pk, retry.pk, called.pk]
    with later(minutes=10):  # "call again at" has come: the retry is overdue, and first
        result = [c.pk for c in client.get(CALLBACKS).context["cl"].result_list]
    assert result == [retry.pk, waiting.pk, called.pk]


# --- Calls ------------------------------------------------------------------------------------


def test_three_unanswered_calls_make_it_unreachable_with_a_note_to_the_supervisor(
    settings, operator
):
    settings.ESCALATION_EMAILS = ["supervisor@example.org"]
    callback = CallbackRequestFactory()
    for outcome in ("no_answer", "busy"):
        desk.callback_log_attempt(callback=callback, outcome=outcome, user=operator)
        callback.refresh_from_db()
        assert callback.status == CallbackRequest.Status.NO_ANSWER
    desk.callback_log_attempt(callback=callback, outcome="no_answer", user=operator)
    callback.refresh_from_db()
    assert callback.status == CallbackRequest.Status.UNREACHABLE
    assert (callback.attempts, callback.last_outcome) == (3, "no_answer")
    note = Note.objects.get(callback=callback)
    assert "3" in note.text and note.author is None  # written by the desk, for the supervisor
    assert callback.notifications.filter(kind=Notification.Kind.UNREACHABLE).exists()
    assert callback.due_at is None  # the supervisor decides; no timer runs
    history = callback.history.order_by("history_date")
    assert {row.history_user for row in history if row.status != "new"} == {operator}


def test_a_wrong_number_is_unreachable_at_once(operator):
    callback = CallbackRequestFactory()
    desk.callback_log_attempt(callback=callback, outcome="wrong_number", user=operator)
    callback.refresh_from_db()
    assert callback.status == CallbackRequest.Status.UNREACHABLE


def test_a_closed_request_takes_no_more_calls(operator):
    callback = CallbackRequestFactory()
    desk.callback_change_status(callback=callback, status="closed", user=operator)
    with pytest.raises(TransitionError):
        desk.callback_log_attempt(callback=callback, outcome="reached", user=operator)
    assert not CallAttempt.objects.exists()


def test_the_list_has_a_tel_link_and_the_calls(client, operator):
    callback = CallbackRequestFactory(phone="+380504477063")
    desk.callback_log_attempt(callback=callback, outcome="busy", user=operator)
    client.force_login(operator)
    page = client.get(CALLBACKS).content.decode()
    assert 'href="tel:+380504477063"' in page
    assert "1 · " + shown("Busy") in page
    assert reverse("admin:hotline_callbackrequest_call", args=[callback.pk]) in page


def test_logging_a_call_in_the_admin(client, operator):
    callback = CallbackRequestFactory()
    client.force_login(operator)
    url = reverse("admin:hotline_callbackrequest_call", args=[callback.pk])
    page = client.get(url)
    assert page.status_code == 200 and 'href="tel:' in page.content.decode()
    # "Call later" without a time: said, nothing logged.
    refused = client.post(url, {"outcome": "call_later"})
    assert shown("When did they ask to be called?") in refused.content.decode()
    assert not CallAttempt.objects.exists()
    when = (timezone.localtime() + datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(url, {"outcome": "call_later", "call_again_at": when})
    assert response.status_code == 302
    attempt = CallAttempt.objects.get()
    assert (attempt.author, attempt.outcome) == (operator, "call_later")
    callback.refresh_from_db()
    assert callback.due_at == attempt.call_again_at


# --- One writer per state ---------------------------------------------------------------------


def test_the_change_form_moves_the_status_through_the_service(client, triage):
    complaint = ComplaintFactory(created_at=timezone.now() - datetime.timedelta(hours=6))
    assert complaint.overdue
    client.force_login(triage)
    url = reverse("admin:hotline_complaint_change", args=[complaint.pk])
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k in form.fields}
    data.update(status="triage", region=complaint.region_id, category=complaint.category_id)
    data.update(
        {
            f"{prefix}-{k}": v
            for prefix in ("notes", "attachments")
            for k, v in {
                "TOTAL_FORMS": 0,
                "INITIAL_FORMS": 0,
                "MIN_NUM_FORMS": 0,
                "MAX_NUM_FORMS": 1000,
            }.items()
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    complaint.refresh_from_db()
    assert complaint.status == "triage" and not complaint.overdue  # the review timer started
    assert complaint.assignee == triage
    assert complaint.history.latest().history_user == triage


def test_priority_changes_leave_a_history_row_naming_who(client, triage):
    complaint = ComplaintFactory()
    client.force_login(triage)
    client.post(
        COMPLAINTS,
        {"action": "set_priority_urgent", "_selected_action": [complaint.pk]},
    )
    complaint.refresh_from_db()
    assert complaint.priority == Complaint.Priority.URGENT
    latest = complaint.history.latest()
    assert (latest.priority, latest.history_user) == (Complaint.Priority.URGENT, triage)


@pytest.mark.parametrize("admin_list", [CALLBACKS, COMPLAINTS])
def test_list_queries_stay_flat_from_5_to_500_items(client, triage, admin_list):
    client.force_login(triage)

    def queries(n):
        factory = CallbackRequestFactory if admin_list == CALLBACKS else ComplaintFactory
        factory.create_batch(
            n - (CallbackRequest if admin_list == CALLBACKS else Complaint).objects.count()
        )
        with CaptureQueriesContext(connection) as captured:
            assert client.get(admin_list).status_code == 200
        return len(captured)

    assert queries(5) == queries(500)


# --- The dashboard ----------------------------------------------------------------------------


def _tiles(client):
    page = client.get(reverse("admin:index"))
    assert page.status_code == 200
    return page, {tile.key: tile for tile in page.context["tiles"]}


def test_the_dashboard_counts_what_each_person_may_see_and_links_to_it(client, triage, operator):
    late = ComplaintFactory(created_at=timezone.now() - datetime.timedelta(hours=9))
    ComplaintFactory()
    waiting = ComplaintFactory()
    inbox.case_message_send(complaint=waiting, text="Which court?", author=triage)
    answered = ComplaintFactory()
    inbox.case_reply(complaint=answered, text="Pechersk", files=[])
    CallbackRequestFactory(created_at=timezone.now() - datetime.timedelta(hours=2))

    client.force_login(triage)
    page, tiles = _tiles(client)
    assert tiles["complaints-overdue"].count == 1
    assert tiles["complaints-new"].count == 4
    assert tiles["unread-replies"].count == 1
    assert tiles["complaints-waiting"].count == 1
    assert tiles["callbacks-overdue"].count == 1  # triage also returns calls
    # The most urgent with something in it comes first.
    assert page.context["tiles"][0].key in {"complaints-overdue", "callbacks-overdue"}
    # Each link shows exactly what the tile counted.
    for key, expected in (("complaints-overdue", [late.pk]), ("complaints-waiting", [waiting.pk])):
        listed = client.get(tiles[key].url).context["cl"].result_list
        assert [c.pk for c in listed] == expected
    # And every link keeps its own filter: the list it opens counts what the tile counted.
    for tile in tiles.values():
        changelist = client.get(tile.url).context["cl"]
        assert changelist.result_count == tile.count, tile.key
    html = page.content.decode()
    # Brought up to date every minute by a script the person on shift can switch off (a
    # forced meta refresh fails WCAG 2.2.1: axe-core, issue 18); no inline script.
    assert 'http-equiv="refresh"' not in html
    assert 'id="auto-refresh" checked' in html and "js/desk_refresh" in html
    assert "<script>" not in html.split("</head>")[0].split("<head>")[1].replace(" ", "")

    client.force_login(operator)
    _page, tiles = _tiles(client)
    assert "complaints-new" not in tiles and "unread-replies" not in tiles
    assert tiles["callbacks-overdue"].count == 1


def test_the_dashboard_queries_stay_flat_from_5_to_500_items(client, triage):
    client.force_login(triage)

    def queries(n):
        ComplaintFactory.create_batch(n - Complaint.objects.count())
        with CaptureQueriesContext(connection) as captured:
            client.get(reverse("admin:index"))
        return len(captured)

    assert queries(5) == queries(500)


# --- Readable history -------------------------------------------------------------------------


def test_the_history_reads_in_words_not_codes(client, triage, operator):
    complaint = ComplaintFactory()
    desk.complaint_change_status(complaint=complaint, status="triage", user=triage)
    desk.complaint_set_priority(complaint=complaint, priority=4, user=triage)
    callback = CallbackRequestFactory()
    desk.callback_log_attempt(callback=callback, outcome="busy", user=operator)
    client.force_login(triage)
    page = client.get(
        reverse("admin:hotline_complaint_history", args=[complaint.pk])
    ).content.decode()
    assert shown("Received") in page and shown("Being reviewed") in page
    assert shown("Urgent") in page and shown("Normal") in page
    for raw in ("new&nbsp;", "→&nbsp;&nbsp;triage", ": 2", "&nbsp;4", "pk=None", "Deleted"):
        assert raw not in page, raw
    assert shown("act by") not in page  # the timer is bookkeeping, not a decision
    page = client.get(
        reverse("admin:hotline_callbackrequest_history", args=[callback.pk])
    ).content.decode()
    assert "no_answer" not in page and "None" not in page
    assert shown("Call %(number)d: %(outcome)s") % {"number": 1, "outcome": shown("Busy")} in page
    assert "(" + shown("deleted") not in page  # an empty assignee is "—", not a deleted one


# --- Lists and forms a shift can work with -------------------------------------------------------


def test_staff_mail_goes_by_permission_not_by_group_name(settings, editor):
    from django.contrib.auth.models import Group, Permission

    from hotline import notifications

    from .factories import UserFactory

    settings.STAFF_NOTIFY_EMAILS = []
    night = Group.objects.create(name="Нічна зміна")  # a group named by the NGO itself
    night.permissions.add(Permission.objects.get(codename="change_complaint"))
    # A shift for the whole country: the role is a permission too (hotline.view_all_regions).
    night.permissions.add(Permission.objects.get(codename="view_all_regions"))
    nurse = UserFactory(username="night", is_staff=True, email="night@example.org")
    nurse.groups.add(night)
    editor.email = "editor@example.org"
    editor.save()
    complaint = ComplaintFactory()
    row = Notification(kind=Notification.Kind.NEW_COMPLAINT, channel="email", complaint=complaint)
    addresses = {r.email for r in notifications.staff_recipients(row)}
    assert "night@example.org" in addresses
    assert "editor@example.org" not in addresses  # editors read complaints, they don't triage


def test_the_statement_is_read_only_and_the_incident_is_found_by_search(client, triage):
    complaint = ComplaintFactory(description="Мене штовхнули біля суду, камеру розбито вщент.")
    client.force_login(triage)
    page = client.get(reverse("admin:hotline_complaint_change", args=[complaint.pk]))
    form = page.context["adminform"].form
    assert "description" not in form.fields and "links" not in form.fields
    html = page.content.decode()
    assert "Мене штовхнули біля суду" in html
    assert 'name="description"' not in html
    assert 'class="admin-autocomplete' in html and 'name="incident"' in html


# --- Demo data --------------------------------------------------------------------------------


def test_load_demo_fills_the_desk_in_every_state_once(settings):
    from django.core.management import call_command

    settings.DEBUG = True  # the demo admin, who writes the demo messages
    call_command("load_demo", verbosity=0)
    callbacks = set(CallbackRequest.objects.values_list("status", flat=True))
    complaints = set(Complaint.objects.values_list("status", flat=True))
    assert callbacks == set(CallbackRequest.Status.values)
    assert complaints >= set(Complaint.Status.values) - {"published"}
    assert CallbackRequest.objects.overdue().exists() and Complaint.objects.overdue().exists()
    assert Complaint.objects.waiting_for_reporter().exists()
    assert Complaint.objects.with_unread_replies().exists()
    assert CallAttempt.objects.count() >= 6
    assert all("[DEMO]" in name for name in CallbackRequest.objects.values_list("name", flat=True))
    counts = (CallbackRequest.objects.count(), Complaint.objects.count(), Note.objects.count())
    call_command("load_demo", verbosity=0)
    assert (CallbackRequest.objects.count(), Complaint.objects.count(), Note.objects.count()) == (
        counts
    )
