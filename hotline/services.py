"""Writes for the hotline: every submission and its outbox rows in one transaction."""

import logging

from django.core.files import File
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from . import outbox, tracking, triage
from .audit import record_access
from .models import (
    AccessEvent,
    Attachment,
    CallAttempt,
    CallbackRequest,
    CaseMessage,
    Complaint,
    HeldFile,
    Note,
    Notification,
)
from .outbox import write_outbox
from .triage import TransitionError  # noqa: F401 -- callers catch services.TransitionError
from .vault import cipher
from .vault.evidence import CheckedFile
from .vault.storage import private_storage

logger = logging.getLogger(__name__)


def complainant_notification(complaint: Complaint, *, status: str | None = None, message=None):
    """The mail the reporter would get for this stage or staff message, not yet saved.

    One function builds it for sending and for the preview staff see before they send, so
    the preview is exactly what goes out. None when the reporter gets nothing: no e-mail
    given, an internal step, or a stage they were already told of.
    """
    if not complaint.email:
        return None
    if message is not None:
        # Only that there is a message: its words are read in the inbox, behind the code.
        return Notification(
            kind=Notification.Kind.CASE_MESSAGE,
            channel=Notification.Channel.EMAIL,
            complaint=complaint,
        )
    if status not in Complaint.REPORTER_STAGES:
        return None
    told = complaint.notifications.filter(
        kind=Notification.Kind.STATUS_CHANGED, payload__status=status
    ).exists()
    if told:
        return None
    return Notification(
        kind=Notification.Kind.STATUS_CHANGED,
        channel=Notification.Channel.EMAIL,
        complaint=complaint,
        # The status this message is about, even if it moves on before sending.
        payload={"status": status},
    )


def _notify_complainant(notification: Notification | None) -> None:
    if notification is not None:
        notification.save()
        outbox.queue_on_commit([notification])


def callback_request_submit(*, data: dict, language: str, submission_key) -> CallbackRequest:
    """Save a callback request and its notifications; a repeated submission returns the first."""
    existing = CallbackRequest.objects.filter(submission_key=submission_key).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            callback = CallbackRequest(**data, language=language, submission_key=submission_key)
            triage.start(callback)
            callback.full_clean(validate_unique=False)
            callback.save()
            write_outbox(kind=Notification.Kind.NEW_CALLBACK, callback=callback)
    except IntegrityError:
        # The same form posted twice at once: the other request saved it.
        existing = CallbackRequest.objects.filter(submission_key=submission_key).first()
        if existing is None:
            raise
        return existing
    return callback


def held_files_hold(*, holder: str, files: list[CheckedFile]) -> list[HeldFile]:
    """Keep checked evidence files of a form that was not sent, for that session only."""
    from django.utils.crypto import get_random_string

    held = []
    for checked in files:
        row = HeldFile(
            holder=holder,
            token=get_random_string(32),
            original_name=checked.name,
            content_type=checked.content_type,
            size=checked.size,
            sha256=checked.sha256,
        )
        lock = cipher.store(row.file, checked.upload.chunks(), "held")
        row.key_id, row.wrapped_key = lock.key_id, lock.wrapped_key
        try:
            row.save()
        except BaseException:
            private_storage.delete(row.file.name)
            raise
        held.append(row)
    return held


def held_files_of(holder: str | None) -> list[HeldFile]:
    """The files this session holds, still within the hour (none for no session)."""
    if not holder:
        return []
    return list(HeldFile.objects.current().filter(holder=holder))


def held_file_remove(*, holder: str | None, token: str) -> bool:
    """The visitor takes a file back. A token of another session or a forged one: nothing."""
    row = HeldFile.objects.filter(holder=holder or "-", token=token).first()
    if row is None:
        return False
    _delete_held([row])
    return True


def _delete_held(rows) -> None:
    names = [row.file.name for row in rows]
    HeldFile.objects.filter(pk__in=[row.pk for row in rows]).delete()
    transaction.on_commit(lambda: [private_storage.delete(name) for name in names])


def held_files_purge() -> int:
    """Delete held files older than an hour, rows and stored files (a periodic job)."""
    rows = list(HeldFile.objects.expired())
    _delete_held(rows)
    return len(rows)


class _Decrypted:
    """A stored file read back as plaintext chunks, never written anywhere as such."""

    def __init__(self, row):
        self.row = row

    def chunks(self, chunk_size=None):
        return cipher.plain_chunks(self.row.file, self.row.lock)


def _checked_from_held(row: HeldFile) -> CheckedFile:
    return CheckedFile(
        upload=_Decrypted(row),
        name=row.original_name,
        content_type=row.content_type,
        size=row.size,
        sha256=row.sha256,
    )


def complaint_submit(
    *,
    data: dict,
    files: list[CheckedFile],
    language: str,
    submission_key,
    held: list[HeldFile] = (),
) -> tuple[Complaint, str | None]:
    """Save a complaint, its evidence and its notifications, all or nothing.

    `held` are files this visitor attached on an earlier try of the form: they become
    evidence like the new `files`, and are no longer held once the complaint is saved.
    Returns the complaint and its tracking code. The code exists only here: the database
    keeps its hash. A repeated submission returns the first complaint and no code (it was
    already given out).
    """
    if held:
        files = [_checked_from_held(row) for row in held] + list(files)
    existing = Complaint.objects.filter(submission_key=submission_key).first()
    if existing:
        return existing, None
    code = tracking.generate()
    stored_files: list[str] = []
    try:
        with transaction.atomic():
            complaint = Complaint(
                **data,
                language=language,
                submission_key=submission_key,
                tracking_code_hash=tracking.digest(code),
            )
            triage.start(complaint)
            complaint.full_clean(validate_unique=False)
            complaint.save()
            for checked in files:
                _store_attachment(complaint, checked, stored_files)
            write_outbox(
                kind=Notification.Kind.NEW_COMPLAINT, complaint=complaint, tracking_code=code
            )
            if held:
                _delete_held(held)
    except BaseException as error:
        # Nothing was saved, so no file may stay behind either.
        for name in stored_files:
            private_storage.delete(name)
        if isinstance(error, IntegrityError):
            existing = Complaint.objects.filter(submission_key=submission_key).first()
            if existing is not None:
                return existing, None
        raise
    finally:
        for checked in files:
            if isinstance(checked.upload, File):
                checked.upload.close()
    return complaint, code


def _store_attachment(complaint, checked: CheckedFile, stored: list[str], message=None):
    """One evidence file, encrypted into private storage (its name added to `stored`, so a
    failed transaction can delete it) and its row saved."""
    attachment = Attachment(
        complaint=complaint,
        message=message,
        original_name=checked.name,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
    )
    lock = cipher.store(attachment.file, checked.upload.chunks())
    stored.append(attachment.file.name)
    attachment.key_id, attachment.wrapped_key = lock.key_id, lock.wrapped_key
    attachment.save()
    return attachment


def complaint_find_by_code(code: str) -> Complaint | None:
    """The complaint a tracking code belongs to, or None (also for malformed codes)."""
    if tracking.normalise(code) is None:
        return None
    return (
        Complaint.objects.filter(tracking_code_hash__in=tracking.candidate_digests(code))
        .select_related("incident")
        .first()
    )


def _move(obj, status: str, user=None):
    """A status change (triage.move) and the news it makes, in one transaction."""
    with transaction.atomic():
        if triage.move(obj, status, user):
            status_changed(obj)
    return obj


def complaint_change_status(*, complaint: Complaint, status: str, user=None) -> Complaint:
    return _move(complaint, status, user)


def callback_change_status(*, callback: CallbackRequest, status: str, user=None):
    return _move(callback, status, user)


def change_status(*, obj, status: str, user=None):
    """For code that handles both kinds alike (the admin's shared actions)."""
    if isinstance(obj, Complaint):
        return complaint_change_status(complaint=obj, status=status, user=user)
    return callback_change_status(callback=obj, status=status, user=user)


def complaint_set_priority(*, complaint: Complaint, priority: int, user=None) -> Complaint:
    """A new priority, with its history row (who and when)."""
    if complaint.priority == priority:
        return complaint
    complaint.priority = priority
    if user is not None:
        complaint._history_user = user
    complaint.save(update_fields=["priority", "updated_at"])
    return complaint


def callback_log_attempt(
    *, callback: CallbackRequest, outcome: str, user=None, call_again_at=None
) -> CallAttempt:
    """An operator called back: the attempt is recorded and the request moves on.

    Reached: called back. Wrong number: unreachable at once. No answer or busy: no answer,
    to call again at the time given (else within CALLBACK_RETRY_MINUTES); the
    MAX_UNANSWERED-th unanswered attempt makes it unreachable, with a note and a mail to the
    supervisor (ESCALATION_EMAILS). Asked to call later: no answer, due at that time.
    """
    outcome = CallAttempt.Outcome(outcome)
    with transaction.atomic():
        callback = CallbackRequest.objects.select_for_update().get(pk=callback.pk)
        if callback.erased_at is not None or callback.status in callback.FINISHED:
            raise TransitionError("the callback request is closed")
        attempt = CallAttempt.objects.create(
            callback=callback,
            outcome=outcome,
            call_again_at=call_again_at if outcome != CallAttempt.Outcome.REACHED else None,
            author=user,
        )
        unanswered = callback.call_attempts.filter(outcome__in=CallAttempt.UNANSWERED).count()
        callback.attempts = callback.call_attempts.count()
        callback.last_outcome = outcome
        callback.call_again_at = attempt.call_again_at
        status = CallbackRequest.Status
        if outcome == CallAttempt.Outcome.REACHED:
            target = status.CALLED_BACK
        elif outcome == CallAttempt.Outcome.WRONG_NUMBER or (
            outcome in CallAttempt.UNANSWERED and unanswered >= CallbackRequest.MAX_UNANSWERED
        ):
            target = status.UNREACHABLE
        else:
            target = status.NO_ANSWER
        # What the history shows for this row: the call, in words.
        callback._change_reason = _("Call %(number)d: %(outcome)s") % {
            "number": callback.attempts,
            "outcome": outcome.label,
        } + (
            " · " + timezone.localtime(attempt.call_again_at).strftime("%d.%m.%Y %H:%M")
            if attempt.call_again_at
            else ""
        )
        if callback.status == target:
            triage.retry(callback, user)  # the same state, a new time to call again
        else:
            _move(callback, target, user)
        if target == status.UNREACHABLE:
            Note.objects.create(
                callback=callback,
                text=_(
                    "Unreachable after %(count)d attempts (last: %(outcome)s). Supervisor: "
                    "decide whether to try again or close."
                )
                % {"count": callback.attempts, "outcome": outcome.label},
            )
            write_outbox(kind=Notification.Kind.UNREACHABLE, callback=callback)
    return attempt


def status_changed(obj) -> None:
    """After a saved status change: a complainant who gave an e-mail hears of a meaningful
    stage, once (see Complaint.REPORTER_STAGES)."""
    if isinstance(obj, Complaint):
        _notify_complainant(complainant_notification(obj, status=obj.status))


# --- The case inbox --------------------------------------------------------------------------


def case_message_send(*, complaint: Complaint, text: str, author) -> CaseMessage:
    """Staff write to the reporter: the message waits in the case inbox, the reporter is
    told by e-mail (if they gave one) that there is a message, never what it says, and the
    access audit records who wrote it."""
    with transaction.atomic():
        message = CaseMessage(
            complaint=complaint, sender=CaseMessage.Sender.STAFF, text=text, author=author
        )
        message.full_clean()
        message.save()
        _notify_complainant(complainant_notification(complaint, message=message))
        record_access(
            user=author,
            action=AccessEvent.Action.MESSAGE,
            model=Complaint,
            target_id=complaint.pk,
            item_ids=[message.pk],
        )
    return message


class InboxClosed(Exception):
    """The case inbox takes no more replies (the reporter's data was erased)."""


def case_reply(
    *, complaint: Complaint, text: str, files: list[CheckedFile], submission_key=None
) -> CaseMessage:
    """The reporter answers in their inbox, with text, evidence or both; staff are told
    that there is a reply (never its words). A reply posted twice is saved once."""
    if submission_key is not None:
        existing = CaseMessage.objects.filter(submission_key=submission_key).first()
        if existing is not None:
            return existing
    stored: list[str] = []
    try:
        with transaction.atomic():
            complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
            if complaint.erased_at is not None:
                raise InboxClosed
            message = CaseMessage(
                complaint=complaint,
                sender=CaseMessage.Sender.REPORTER,
                text=text,
                submission_key=submission_key,
            )
            message.full_clean(validate_unique=False)
            message.save()
            for checked in files:
                _store_attachment(complaint, checked, stored, message=message)
            write_outbox(kind=Notification.Kind.REPORTER_REPLY, complaint=complaint)
    except BaseException as error:
        for name in stored:
            private_storage.delete(name)
        if isinstance(error, IntegrityError) and submission_key is not None:
            existing = CaseMessage.objects.filter(submission_key=submission_key).first()
            if existing is not None:
                return existing
        raise
    return message


def case_replies_read(*, complaint: Complaint, user) -> list[int]:
    """Staff opened the complaint: its unread replies are read now, by them (recorded on
    the messages and in the access audit). Returns the ids it marked."""
    with transaction.atomic():
        unread = list(
            CaseMessage.objects.select_for_update()
            .filter(complaint=complaint, sender=CaseMessage.Sender.REPORTER, read_at__isnull=True)
            .values_list("pk", flat=True)
        )
        if not unread:
            return []
        CaseMessage.objects.filter(pk__in=unread).update(read_at=timezone.now(), read_by=user)
        record_access(
            user=user,
            action=AccessEvent.Action.READ,
            model=Complaint,
            target_id=complaint.pk,
            item_ids=unread,
        )
    return unread


def case_messages_seen(*, complaint: Complaint) -> int:
    """The reporter opened their inbox: staff messages sent so far count as read."""
    return CaseMessage.objects.filter(
        complaint=complaint, sender=CaseMessage.Sender.STAFF, read_at__isnull=True
    ).update(read_at=timezone.now())


def complaint_request_erasure(*, complaint: Complaint) -> Complaint:
    """The reporter asks, from their inbox, to erase their personal data. Recorded once;
    staff are told and erase it (after checking what the law obliges IMI to keep)."""
    with transaction.atomic():
        complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
        if complaint.erasure_requested_at is not None or complaint.erased_at is not None:
            return complaint
        complaint.erasure_requested_at = timezone.now()
        complaint.save(update_fields=["erasure_requested_at", "updated_at"])
        write_outbox(kind=Notification.Kind.ERASURE_REQUESTED, complaint=complaint)
    return complaint


class ConsentError(TransitionError):
    """The reporter did not agree (or no longer agrees) to publication."""


def complaint_withdraw_consent(*, complaint: Complaint) -> Complaint:
    """The reporter takes back their consent to publication, from the tracking page.

    Only before publication: a draft or scheduled incident goes back to draft at once, so it
    never becomes public, and staff hear of it through the outbox.
    """
    from incidents.services import incident_unpublish

    with transaction.atomic():
        complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
        if complaint.incident_id and complaint.incident.is_public:
            raise ConsentError(_("The story is already published."))
        if not complaint.consent_publish:
            return complaint
        complaint.consent_publish = False
        complaint.consent_withdrawn_at = timezone.now()
        complaint.save(update_fields=["consent_publish", "consent_withdrawn_at", "updated_at"])
        incident = complaint.incident
        if incident is not None and incident.status == incident.Status.PUBLISHED:
            incident_unpublish(incident=incident)
        write_outbox(kind=Notification.Kind.CONSENT_WITHDRAWN, complaint=complaint)
    return complaint


def assign(*, obj, user):
    obj.assignee = user
    obj.save(update_fields=["assignee", "updated_at"])
    return obj


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
    the editor in the admin. The name and outlet are left out when the reporter asked not to
    be named, and contact details never leave the complaint.
    """
    from incidents.services import DraftVictim, incident_create_draft

    if complaint.incident_id:
        return complaint.incident
    refusal = incident_draft_refusal(complaint)
    if refusal is not None:
        error = ConsentError if not complaint.consent_publish else TransitionError
        raise error(_("No incident draft: %(reason)s.") % {"reason": refusal})
    with transaction.atomic():
        incident = incident_create_draft(
            title=f"{complaint.category.name}: {complaint.region.name}",
            language=complaint.language,
            occurred_on=complaint.occurred_on,
            occurred_on_approximate=complaint.occurred_on_approximate,
            region=complaint.region,
            category=complaint.category,
            place=complaint.place,
            perpetrator_type=complaint.perpetrator_type,
            author=user,
            victim=DraftVictim(
                name="" if complaint.anonymous else complaint.reporter_name,
                is_anonymous=complaint.anonymous,
                outlet="" if complaint.anonymous else complaint.outlet,
                role=draft_role(complaint),
            ),
        )
        complaint.incident = incident
        complaint.save(update_fields=["incident", "updated_at"])
    return incident


def draft_role(complaint: Complaint) -> str:
    """The reporter's role as the article writes it after their name: in the article's
    language, whatever language the editor works in, and in lower case, since it follows the
    name mid-sentence ("Ivanna Koval, camera operator or photographer"); "other" says nothing,
    so it is left out."""
    if complaint.role in ("", Complaint.Role.OTHER):
        return ""
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
