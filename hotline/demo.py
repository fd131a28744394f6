"""Demo data for the duty desk: callback requests and complaints in every state, with notes,
messages and call attempts, so that a fresh install never opens on an empty queue.

Run by `manage.py load_demo` (listed in settings.DEMO_DATA_LOADERS). Everything is clearly
fictional ("[DEMO]" names, example.org addresses, the hotline's own number) and found again
by a fixed submission key, so a second run changes nothing. Each item is made and moved by
the same services staff use, so its timers, history and outbox rows are real.
"""

import datetime
import uuid

from django.db import transaction
from django.utils import timezone

from incidents.models import Category, Region

from .models import CallbackRequest, Complaint, Note
from .services import desk, inbox, intake, triage

NAMESPACE = uuid.UUID("6f1c3a52-7d7e-4d5e-9b1e-2f7c8a1d0c11")
PHONE = "+380504477063"


def _key(name: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, name)


def _backdate(obj, **ago):
    """Received earlier than now (its timer follows, as if it had waited that long)."""
    triage.backdate(obj, timezone.now() - datetime.timedelta(**ago))


CALLBACKS = [
    # name, ago, topic, preferred time, steps
    ("new", {"minutes": 5}, "journalists_rights", "any", []),
    ("overdue", {"hours": 2}, "access_to_information", "morning", []),
    ("in-progress", {"minutes": 40}, "pre_publication", "afternoon", ["in_progress"]),
    ("call-later", {"hours": 3}, "journalists_rights", "evening", ["no_answer", "call_later"]),
    ("unreachable", {"days": 1}, "other", "any", ["no_answer", "busy", "no_answer"]),
    ("called-back", {"days": 2}, "advertising_labelling", "any", ["reached"]),
    ("closed", {"days": 3}, "complaint_against_journalist", "any", ["reached", "closed"]),
]

REPORTERS = [
    "Ярина Вигаданенко",
    "Остап Макетенко",
    "Леся Пробенко",
    "Роман Шаблюк",
    "Дарина Зразківська",
    "Назар Демчишин",
    "Злата Ескізенко",
    "Любов Тестюк",
]

COMPLAINTS = [
    # name, ago, category, steps, reporter's reply, staff message, reason
    ("new", {"minutes": 20}, "threats", [], "", "", ""),
    ("overdue", {"hours": 7}, "beating", [], "", "", ""),
    ("triage", {"hours": 20}, "obstruction", ["triage"], "", "", ""),
    (
        "waiting",
        {"days": 1},
        "cyberattack",
        ["triage", "verifying"],
        "",
        "[DEMO] Чи збереглися у вас знімки екрана повідомлень з погрозами?",
        "",
    ),
    (
        "replied",
        {"days": 2},
        "access-to-information",
        ["triage", "verifying"],
        "[DEMO] Так, надсилаю. Погрози приходили з двох акаунтів.",
        "[DEMO] Надішліть, будь ласка, дату й назву заходу.",
        "",
    ),
    ("verified", {"days": 4}, "threats", ["triage", "verifying", "verified"], "", "", ""),
    (
        "declined",
        {"days": 6},
        "censorship",
        ["triage", "rejected"],
        "",
        "",
        "[DEMO] Подія сталася за межами України, а ми документуємо лише українські випадки.",
    ),
    ("closed", {"days": 9}, "beating", ["triage", "verifying", "verified", "closed"], "", "", ""),
]


@transaction.atomic
def load(stdout=None, staff=None) -> dict[str, int]:
    """Create what is missing; returns how many were created of each kind."""
    created = {"callbacks": 0, "complaints": 0}
    for name, ago, topic, time, steps in CALLBACKS:
        key = _key(f"callback-{name}")
        if CallbackRequest.objects.filter(submission_key=key).exists():
            continue
        callback = intake.callback_request_submit(
            data={
                "name": f"[DEMO] Абонент «{name}»",
                "phone": PHONE,
                "preferred_time": time,
                "topic": topic,
                "message": "[DEMO] Вигаданий запит для навчання чергових.",
                "consent": True,
            },
            language="uk",
            submission_key=key,
        )
        _backdate(callback, **ago)
        for step in steps:
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
    regions = list(Region.objects.order_by("pk")[:8])
    for index, (name, ago, category, steps, reply, message, reason) in enumerate(COMPLAINTS):
        key = _key(f"complaint-{name}")
        if Complaint.objects.filter(submission_key=key).exists():
            continue
        complaint, _code = intake.complaint_submit(
            data={
                # Fictional people, named in no demo incident: a third asked not to be
                # named, so the demo shows (and its tests check) that nothing names them.
                "reporter_name": REPORTERS[index % len(REPORTERS)],
                "anonymous": index % 3 == 0,
                "outlet": "[DEMO] Вигадані вісті",
                "role": "journalist",
                "email": f"demo-{name}@example.org",
                "preferred_channel": "email",
                "occurred_on": timezone.localdate() - datetime.timedelta(days=10 + index),
                "region": regions[index % len(regions)] if regions else None,
                "category": Category.objects.leaves().filter(slug=category).first(),
                "perpetrator_type": "unknown",
                "description": (
                    "[DEMO] Вигадана скарга для навчання чергових: під час знімання мене "
                    "зупинили, забрали телефон і погрожували, якщо я опублікую матеріал."
                ),
                "consent_processing": True,
                "consent_publish": index % 2 == 0,
            },
            files=[],
            language="uk",
            submission_key=key,
        )
        _backdate(complaint, **ago)
        for step in steps:
            desk.complaint_change_status(complaint=complaint, status=step, user=staff)
        if reason:
            Complaint.objects.filter(pk=complaint.pk).update(reason_for_reporter=reason)
        if message and staff is not None:
            inbox.case_message_send(complaint=complaint, text=message, author=staff)
        if reply:
            inbox.case_reply(complaint=complaint, text=reply, files=[])
        Note.objects.create(
            complaint=complaint, text="[DEMO] Службова нотатка: заявника не бачить.", author=staff
        )
        created["complaints"] += 1
    if stdout is not None:
        stdout.write(
            f"Demo desk: {created['callbacks']} callback requests and "
            f"{created['complaints']} complaints created."
        )
    return created
