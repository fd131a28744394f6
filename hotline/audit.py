"""The access audit: one row each time staff open, download or export personal data."""

from incidents.models import Incident

from .models import AccessEvent, CallbackRequest, Complaint

TARGETS = {
    Complaint: AccessEvent.Target.COMPLAINT,
    CallbackRequest: AccessEvent.Target.CALLBACK,
    Incident: AccessEvent.Target.INCIDENT,
}


def record_access(
    *,
    user,
    action: str,
    model,
    target_id: int | None = None,
    attachment_id: int | None = None,
    item_ids=(),
) -> AccessEvent:
    return AccessEvent.objects.create(
        user=user,
        username=user.get_username(),
        action=action,
        target=TARGETS[model],
        target_id=target_id,
        attachment_id=attachment_id,
        item_ids=[int(pk) for pk in item_ids],
    )
