"""From complaint to article: an incident draft from a verified complaint (the incidents app
builds it), and each complaint's status following its incident's real visibility."""

import logging

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from ..models import (
    Complaint,
)
from .consent import ConsentError
from .desk import complaint_change_status, ensure_on_desk
from .triage import TransitionError

logger = logging.getLogger(__name__)


def incident_draft_refusal(complaint: Complaint) -> str | None:
    """Why this complaint cannot become an incident draft, or None when it can."""
    if not complaint.consent_publish:
        return _("the reporter did not agree to publication")
    if complaint.status != Complaint.Status.VERIFIED:
        return _("it is not verified yet")
    missing = [
        str(Complaint._meta.get_field(name).verbose_name)
        for name in ("category", "region", "occurred_on")
        if getattr(complaint, name if name == "occurred_on" else f"{name}_id", None) is None
    ]
    if missing:
        return _("first fill in: %(fields)s") % {"fields": ", ".join(missing)}
    return None


def incident_draft_from_complaint(*, complaint: Complaint, user=None):
    """An Incident draft pre-filled with a verified complaint's facts, linked both ways.

    Refused (ConsentError) when the reporter did not agree to publication. The reporter's
    statement is not copied: the editor writes the article and reads the statement beside
    the editor in the admin. The victim is the person it happened to (the reporter, or the
    person they reported for); their name and outlet are left out unless they may be named
    (Complaint.name_withheld), as are the links they gave (draft_sources), and contact
    details never leave the complaint.
    """
    from incidents.services import DraftVictim, incident_create_draft

    if complaint.incident_id:
        return complaint.incident
    refusal = incident_draft_refusal(complaint)
    if refusal is not None:
        error = ConsentError if not complaint.consent_publish else TransitionError
        raise error(_("No incident draft: %(reason)s.") % {"reason": refusal})
    with transaction.atomic():
        ensure_on_desk(complaint, user)
        incident = incident_create_draft(
            title=working_title(complaint),
            language=complaint.language,
            occurred_on=complaint.occurred_on,
            occurred_precision=complaint.occurred_precision,
            region=complaint.region,
            category=complaint.category,
            place=complaint.place,
            perpetrator_type=complaint.perpetrator_type,
            author=user,
            victim=DraftVictim(
                name="" if complaint.name_withheld else complaint.subject_name,
                is_anonymous=complaint.name_withheld,
                outlet="" if complaint.name_withheld else complaint.subject_outlet,
                role=draft_role(complaint),
            ),
            sources=draft_sources(complaint),
        )
        complaint.incident = incident
        complaint.save(update_fields=["incident", "updated_at"])
    return incident


def draft_sources(complaint: Complaint) -> list[str]:
    """The addresses the reporter gave (one per line), as the draft's sources, so that IMI
    copies them before they vanish. None when the person may not be named: a link to their
    own post or channel would name them; the editor reads those on the complaint."""
    if complaint.name_withheld:
        return []
    return complaint.links.splitlines()


def working_title(complaint: Complaint) -> str:
    """The draft's working title, in the article's language whatever the editor's: an
    English complaint's draft is "Physical assault: Kharkiv region"."""
    with translation.override(complaint.language):
        return f"{complaint.category.name}: {complaint.region.name}"


def draft_role(complaint: Complaint) -> str:
    """The reporter's role as the article writes it after their name: in the article's
    language, whatever language the editor works in, and in lower case, since it follows the
    name mid-sentence ("Ivanna Koval, camera operator or photographer"); "other" says nothing,
    so it is left out."""
    if complaint.role in ("", Complaint.Role.OTHER) or complaint.for_someone_else:
        return ""  # the role given is the reporter's, not that of the person it happened to
    with translation.override(complaint.language):
        return str(complaint.get_role_display()).lower()


def complaint_publication_sync() -> dict[str, int]:
    """Make each complaint's status follow its incident's real visibility. Idempotent.

    A verified complaint whose incident is public (published and its time has come, so a
    scheduled one only once its time comes) becomes published, and its reporter is told
    once; a published complaint whose incident is no longer public goes back to verified.
    Run every minute by Celery beat, and after staff publish or unpublish.

    The reporter hears only of a publication that stays: an incident whose time came but
    that the publication checks now refuse (what they protect changed after it was
    scheduled) is about to go back to draft (incidents_refresh_due), so its complaint is
    left as it is, with no "published" step to take back and no mail. The row is locked, so
    two runs at once (beat and an admin save) tell the reporter once.
    """
    from django.core.exceptions import ValidationError

    from incidents.models import Incident
    from incidents.services import incident_check_publication

    public = Incident.objects.published().values("pk")
    counts = {"published": 0, "withdrawn": 0}
    to_publish = Complaint.objects.filter(
        status=Complaint.Status.VERIFIED, incident__in=public, erased_at__isnull=True
    )
    for pk in to_publish.values_list("pk", flat=True):
        with transaction.atomic():
            complaint = Complaint.objects.select_for_update().filter(pk=pk).first()
            if complaint is None or complaint.status != Complaint.Status.VERIFIED:
                continue  # another run got here first
            try:
                incident_check_publication(incident=complaint.incident)
            except ValidationError:
                continue
            complaint_change_status(complaint=complaint, status=Complaint.Status.PUBLISHED)
        counts["published"] += 1
    to_withdraw = Complaint.objects.filter(status=Complaint.Status.PUBLISHED).exclude(
        incident__in=public
    )
    for complaint in to_withdraw:
        complaint_change_status(complaint=complaint, status=Complaint.Status.VERIFIED)
        counts["withdrawn"] += 1
    return counts
