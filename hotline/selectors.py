"""Reads for the reporter's case inbox."""

import datetime
from dataclasses import dataclass

from django.utils.translation import gettext as _

from .models import CaseMessage, Complaint

# The steps a reporter reads about, in plain words (internal steps stay silent).
STEP_TEXT = {
    Complaint.Status.VERIFYING: lambda c: _("IMI is verifying what you reported."),
    Complaint.Status.VERIFIED: lambda c: _("IMI has verified what you reported."),
    Complaint.Status.PUBLISHED: lambda c: _("IMI published an incident about it."),
    Complaint.Status.REJECTED: lambda c: _("IMI will not take up your complaint."),
    Complaint.Status.CLOSED: lambda c: _("The work on your complaint is finished."),
}


@dataclass(frozen=True)
class Step:
    at: datetime.datetime
    text: str
    link: str = ""
    detail: str = ""


def case_history(complaint: Complaint) -> list[Step]:
    """What happened to the complaint, oldest first, in words for the reporter."""
    steps = [Step(complaint.created_at, _("IMI received your complaint."))]
    previous = Complaint.Status.NEW
    versions = complaint.history.order_by("history_date", "history_id").values_list(
        "status", "history_date"
    )
    for status, at in versions:
        if status != previous and status in STEP_TEXT:
            link, detail = "", ""
            if status == Complaint.Status.PUBLISHED and complaint.incident_id:
                incident = complaint.incident
                link = incident.get_absolute_url() if incident.is_public else ""
            if status == Complaint.Status.REJECTED:
                detail = complaint.reason_for_reporter
            steps.append(Step(at, STEP_TEXT[status](complaint), link, detail))
        previous = status
    if complaint.consent_withdrawn_at:
        steps.append(
            Step(complaint.consent_withdrawn_at, _("You withdrew your consent to publication."))
        )
    if complaint.erasure_requested_at:
        steps.append(
            Step(complaint.erasure_requested_at, _("You asked IMI to erase your personal data."))
        )
    if complaint.erased_at:
        steps.append(Step(complaint.erased_at, _("IMI erased your personal data.")))
    return sorted(steps, key=lambda step: step.at)


def case_conversation(complaint: Complaint):
    """The messages, oldest first (newest last, next to the reply box)."""
    return (
        CaseMessage.objects.filter(complaint=complaint)
        .select_related(None)
        .prefetch_related("attachments")
        .order_by("created_at", "pk")
    )
