"""Triage owns the timers (issue 27): only a status change, a call attempt or an escalation
moves an item's due time and escalation; nothing else a shift does to an item restarts them."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from hotline.models import CallAttempt, CallbackRequest, Complaint
from hotline.services import desk, outbox

from .factories import CallbackRequestFactory, ComplaintFactory
from .test_admin import change_form_data

pytestmark = pytest.mark.django_db


def overdue_and_escalated(obj):
    """An item left too long: overdue, and the supervisor already told."""
    with time_machine.travel(timezone.now() + datetime.timedelta(days=8)):
        assert outbox.escalate() >= 1
    obj.refresh_from_db()
    return obj


@pytest.mark.parametrize(
    ("change", "note"),
    [({}, "a note only"), ({"place": "Київ, біля суду (уточнено)"}, ""), ({}, "")],
)
def test_saving_a_complaint_without_a_new_status_keeps_its_timer_and_escalation(
    client, triage, change, note
):
    complaint = ComplaintFactory()
    desk.complaint_change_status(complaint=complaint, status=Complaint.Status.TRIAGE)
    with time_machine.travel(timezone.now() + datetime.timedelta(days=8)):
        complaint = overdue_and_escalated(complaint)
        due, escalated = complaint.due_at, complaint.escalated_at
        assert complaint.overdue and escalated is not None
        client.force_login(triage)
        url = reverse("admin:hotline_complaint_change", args=[complaint.pk])
        data = change_form_data(client.get(url))
        data.update(change)
        if note:
            data.update({"notes-TOTAL_FORMS": "1", "notes-0-text": note})
        response = client.post(url, data)
        assert response.status_code == 302, response.content.decode()[:3000]
        complaint.refresh_from_db()
        assert (complaint.due_at, complaint.escalated_at) == (due, escalated)
        assert complaint.overdue
        assert Complaint.objects.overdue().filter(pk=complaint.pk).exists()


def test_saving_a_callback_without_a_new_status_keeps_its_timer(client, operator):
    callback = CallbackRequestFactory(created_at=timezone.now() - datetime.timedelta(hours=3))
    callback = overdue_and_escalated(callback)
    due, escalated = callback.due_at, callback.escalated_at
    client.force_login(operator)
    url = reverse("admin:hotline_callbackrequest_change", args=[callback.pk])
    data = change_form_data(client.get(url))
    data.update({"notes-TOTAL_FORMS": "1", "notes-0-text": "Tried the office line too."})
    assert client.post(url, data).status_code == 302
    callback.refresh_from_db()
    assert (callback.due_at, callback.escalated_at) == (due, escalated)


def test_a_status_change_a_call_and_an_escalation_do_move_the_timer(operator):
    callback = CallbackRequestFactory(created_at=timezone.now() - datetime.timedelta(hours=3))
    callback = overdue_and_escalated(callback)
    desk.callback_log_attempt(
        callback=callback, outcome=CallAttempt.Outcome.NO_ANSWER, user=operator
    )
    callback.refresh_from_db()
    assert callback.status == CallbackRequest.Status.NO_ANSWER
    assert callback.escalated_at is None and callback.due_at > timezone.now()
    again = timezone.now() + datetime.timedelta(hours=5)
    desk.callback_log_attempt(
        callback=callback,
        outcome=CallAttempt.Outcome.CALL_LATER,
        user=operator,
        call_again_at=again,
    )
    callback.refresh_from_db()
    assert callback.due_at == again
