"""Demo data for the duty desk: callback requests and complaints in every state, with notes,
messages and call attempts, so that a fresh install never opens on an empty queue.

The items are data/desk.yaml's. Everything is clearly fictional ("[DEMO]" names, example.org
addresses, made-up phone numbers) and found again by a fixed submission key, so a second
run changes nothing. Each item is made and moved by the same services staff use (hotline.services), so its
timers, history and outbox rows are real.
"""

import datetime
import uuid

from django.db import transaction
from django.utils import timezone

from hotline.models import CallbackRequest, Complaint, Note
from hotline.services import desk, inbox, intake, triage
from incidents.models import Category, Region

from .data import read


def _backdate(obj, ago: dict) -> None:
    """Received earlier than now (its timer follows, as if it had waited that long)."""
    triage.backdate(obj, timezone.now() - datetime.timedelta(**ago))


@transaction.atomic
def load(stdout=None, staff=None) -> dict[str, int]:
    """Create what is missing; returns how many were created of each kind."""
    data = read("desk")
    namespace = uuid.UUID(data["namespace"])
    created = {"callbacks": 0, "complaints": 0}
    callbacks = data["callbacks"]
    for index, item in enumerate(callbacks["items"]):
        key = uuid.uuid5(namespace, f"callback-{item['name']}")
        if CallbackRequest.objects.filter(submission_key=key).exists():
            continue
        callback = intake.callback_request_submit(
            data={
                "name": callbacks["caller"].format(name=item["name"]),
                "phone": data["phone"].format(index=index),
                "preferred_time": item["preferred_time"],
                "topic": item["topic"],
                "message": callbacks["message"],
                "consent": True,
            },
            language="uk",
            submission_key=key,
        )
        _backdate(callback, item["ago"])
        for step in item["steps"]:
            if step in CallbackRequest.Status.values and step not in ("no_answer",):
                desk.callback_change_status(callback=callback, status=step, user=staff)
            else:
                later = timezone.now() + datetime.timedelta(hours=1)
                desk.callback_log_attempt(
                    callback=callback,
                    outcome=step,
                    user=staff,
                    call_again_at=later if step == "call_later" else None,
                )
            callback.refresh_from_db()
        created["callbacks"] += 1
    complaints = data["complaints"]
    reporters = complaints["reporters"]
    regions = list(Region.objects.order_by("pk")[:8])
    for index, item in enumerate(complaints["items"]):
        key = uuid.uuid5(namespace, f"complaint-{item['name']}")
        if Complaint.objects.filter(submission_key=key).exists():
            continue
        complaint, _code = intake.complaint_submit(
            data={
                # Fictional people, named in no demo incident: a third asked not to be
                # named, so the demo shows (and its tests check) that nothing names them.
                "reporter_name": reporters[index % len(reporters)],
                "anonymous": index % 3 == 0,
                "outlet": complaints["outlet"],
                "role": "journalist",
                "email": complaints["email"].format(name=item["name"]),
                "preferred_channel": "email",
                "occurred_on": timezone.localdate() - datetime.timedelta(days=10 + index),
                "region": regions[index % len(regions)] if regions else None,
                "category": Category.objects.leaves().filter(slug=item["category"]).first(),
                "perpetrator_type": "unknown",
                "description": complaints["description"],
                "consent_processing": True,
                "consent_publish": index % 2 == 0,
                "safety": item.get("safety", Complaint.Safety.SAFE),
                "help_needed": item.get("help", []),
                **_reported_for(item.get("for_someone_else")),
            },
            files=[],
            language="uk",
            submission_key=key,
        )
        _backdate(complaint, item["ago"])
        for step in item["steps"]:
            desk.complaint_change_status(complaint=complaint, status=step, user=staff)
        if item.get("reason"):
            Complaint.objects.filter(pk=complaint.pk).update(reason_for_reporter=item["reason"])
        if item.get("message") and staff is not None:
            inbox.case_message_send(complaint=complaint, text=item["message"], author=staff)
        if item.get("reply"):
            inbox.case_reply(complaint=complaint, text=item["reply"], files=[])
        Note.objects.create(complaint=complaint, text=complaints["note"], author=staff)
        created["complaints"] += 1
    if stdout is not None:
        stdout.write(
            f"Demo desk: {created['callbacks']} callback requests and "
            f"{created['complaints']} complaints created."
        )
    return created


def _reported_for(other: dict | None) -> dict:
    """A demo complaint a colleague sent for someone else (who could not be asked, so is
    never named)."""
    if not other:
        return {}
    return {
        "for_someone_else": True,
        "victim_name": other["name"],
        "victim_outlet": other["outlet"],
        "victim_relation": other["relation"],
    }
