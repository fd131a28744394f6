"""Nobody is named against their will, on any path to the public (issues 13 and 26).

`check_incident_publication` is listed in settings.INCIDENT_PUBLICATION_CHECKS, and
`incidents.services.incident_check_publication` runs it for every way an incident becomes
or stays public: the admin's form ("Add", an edit, a translation), its buttons and bulk
action, a scheduled publication when its time comes. It refuses or holds an incident whose
public text names a *protected identity*:

- the reporter of a complaint who asked not to be named, or who withdrew their consent
  (their name, the other spellings staff added, their outlet, phone and e-mail);
- the person a complaint was reported *for*, unless they agreed to be named themselves, and
  that complaint's reporter, always (Complaint.name_withheld, complaint_names);
- a victim whose name is withheld (their name);
- any reporter whose complaint is about this story (their phone and e-mail, always).

Inside the story a complaint or a withheld victim belongs to (the incident it is linked to,
and every translation of it), any word of the name refuses publication: nothing can
confirm it. Anywhere else, the full name, or a name with the outlet, or a contact *holds*
the incident: the editor is told whose it is, and may publish only by confirming with a
reason (a permission of its own), which the access audit keeps. The matching itself —
alphabets, romanisations, grammatical cases — is `incidents.identity`'s.
"""

import dataclasses
import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from incidents import identity
from incidents.identity import Name
from incidents.models import Incident, Victim
from incidents.services import incidents_hold_failing, incidents_scheduled_ids

from ..models import (
    AccessEvent,
    Complaint,
    Notification,
)
from .outbox import write_outbox
from .triage import TransitionError

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Identity:
    """Someone the public must not be able to tell from an article, and how to find them."""

    target: str  # AccessEvent.Target: whose record it comes from
    pk: int
    label: str  # "Complaint #12", in the editor's language when shown
    names: tuple[Name, ...] = ()
    outlets: tuple[str, ...] = ()
    phone: object = None
    email: str = ""
    story: int | None = None  # the story (original's id) it is about, if any

    def key(self) -> tuple[str, int]:
        return (self.target, self.pk)


@dataclasses.dataclass(frozen=True)
class Leak:
    field: str
    what: str  # a key of WHAT
    who: Identity


WHAT = {
    "email": _("the e-mail of the reporter of %(who)s"),
    "phone": _("the phone number of the reporter of %(who)s"),
    "name": _("the name of the reporter of %(who)s, who asked not to be named"),
    "outlet": _("the outlet of the reporter of %(who)s, who asked not to be named"),
    "victim": _("the withheld name of a victim of %(who)s"),
}
FIELD = {
    "slug": _("address"),
    "title": _("title"),
    "lead": _("lead"),
    "body": _("body"),
    "place": _("place"),
    "perpetrator_detail": _("perpetrator details"),
    "motive": _("motive"),
    "victims": _("victims"),
    "sources": _("sources"),
    "updates": _("dated updates"),
    "cases": _("criminal cases"),
}


def complaint_names(complaint: Complaint) -> tuple[Name, ...]:
    """The protected names of a complaint, each with every other spelling staff recorded
    (one a line): the name of the person it happened to when it is withheld
    (Complaint.name_withheld), and the reporter's own whenever they reported for someone
    else (they are never the story's subject, and never named)."""
    spellings = []
    if complaint.name_withheld:
        spellings.append(complaint.subject_name)
    if complaint.for_someone_else:
        spellings.append(complaint.reporter_name)
    if spellings:
        spellings += (complaint.aliases or "").splitlines()
    return tuple(name for name in map(Name.parse, spellings) if name)


def _from_complaint(complaint: Complaint) -> Identity:
    outlets = []
    if complaint.name_withheld:
        outlets.append(complaint.subject_outlet)
    if complaint.for_someone_else:
        outlets.append(complaint.outlet)
    return Identity(
        target=AccessEvent.Target.COMPLAINT,
        pk=complaint.pk,
        label=str(complaint),
        names=complaint_names(complaint),
        outlets=tuple(outlet for outlet in outlets if outlet.strip()),
        phone=complaint.phone,
        email=complaint.email,
        story=(
            (complaint.incident.translation_of_id or complaint.incident_id)
            if complaint.incident_id
            else None
        ),
    )


def _from_victim(victim: Victim) -> Identity:
    incident = victim.incident
    return Identity(
        target=AccessEvent.Target.INCIDENT,
        pk=incident.pk,
        label=str(_("incident “%(title)s”") % {"title": incident.title}),
        names=(Name.parse(victim.name),),
        story=incident.translation_of_id or incident.pk,
    )


def protected_identities(*, story: int | None = None) -> list[Identity]:
    """Every protected identity: complaints whose reporter asked not to be named or withdrew
    consent, withheld victims' names, and the contacts of every complaint about `story`."""
    complaints = Complaint.objects.filter(erased_at__isnull=True).names_protected()
    if story is not None:
        complaints |= Complaint.objects.filter(erased_at__isnull=True).filter(
            Q(incident_id=story) | Q(incident__translation_of_id=story)
        )
    found = [
        _from_complaint(c)
        for c in complaints.select_related("incident").only(
            "pk",
            "reporter_name",
            "aliases",
            "outlet",
            "phone",
            "email",
            "anonymous",
            "consent_withdrawn_at",
            "for_someone_else",
            "victim_name",
            "victim_outlet",
            "victim_agreed_to_be_named",
            "incident__id",
            "incident__translation_of_id",
        )
    ]
    victims = (
        Victim.objects.filter(is_anonymous=True)
        .exclude(name="")
        .select_related("incident")
        .only("name", "incident__id", "incident__title", "incident__translation_of_id")
    )
    found += [identity for identity in map(_from_victim, victims) if identity.names]
    return found


def _contacts(who: Identity, text: str) -> list[str]:
    found = []
    if identity.mentions_email(text, who.email):
        found.append("email")
    if identity.mentions_phone(text, who.phone):
        found.append("phone")
    return found


def story_leaks(texts, who: Identity) -> list[Leak]:
    """Inside the identity's own story: contacts, any word of a name, the outlet."""
    victim = who.target == AccessEvent.Target.INCIDENT
    leaks = []
    for field, text in texts:
        found = _contacts(who, text)
        if any(identity.mentions_name(text, name) for name in who.names):
            found.append("victim" if victim else "name")
        if any(identity.mentions_phrase(text, outlet) for outlet in who.outlets):
            found.append("outlet")
        leaks += [Leak(field, what, who) for what in found]
    return leaks


def elsewhere_leaks(texts, who: Identity) -> list[Leak]:
    """Outside its story: a contact, the full name, or a name with the outlet anywhere in
    the incident. A common surname alone is someone else's as often as theirs."""
    if not who.names and not who.email and not who.phone:
        return []
    victim = who.target == AccessEvent.Target.INCIDENT
    has_outlet = any(
        identity.mentions_phrase(text, outlet) for outlet in who.outlets for _field, text in texts
    )
    leaks = []
    for field, text in texts:
        found = _contacts(who, text)
        for name in who.names:
            if identity.mentions_full_name(text, name) or (
                has_outlet and identity.mentions_name(text, name)
            ):
                found.append("victim" if victim else "name")
                break
        leaks += [Leak(field, what, who) for what in found]
    return leaks


def _may_be_named(texts, people: list[Identity]) -> list[Identity]:
    """The few of (maybe thousands of) protected identities that these texts may name: a
    word of theirs (NameIndex), their e-mail or their phone number is in them."""
    index = identity.NameIndex(
        (position, name) for position, who in enumerate(people) for name in who.names
    )
    found = set()
    for _field, text in texts:
        found |= index.candidates(text)
        if identity.read(text).emails or identity.read(text).phones:
            found |= {position for position, who in enumerate(people) if _contacts(who, text)}
    return [people[position] for position in sorted(found)]


def _message(leak: Leak) -> str:
    return _("the field “%(field)s” contains %(what)s") % {
        "field": FIELD.get(leak.field, leak.field),
        "what": WHAT[leak.what] % {"who": leak.who.label},
    }


def _story_of(incident: Incident) -> int:
    return incident.translation_of_id or incident.pk


def confirmed(incident: Incident) -> set[tuple[str, int]]:
    """The identities an editor confirmed this incident may name (someone else of the same
    name), from the access audit."""
    rows = AccessEvent.objects.filter(action=AccessEvent.Action.CONFIRMED_NAMING).values_list(
        "target", "target_id", "item_ids"
    )
    return {(target, pk) for target, pk, items in rows if incident.pk in (items or [])}


def check_incident_publication(incident, confirmation=None) -> None:
    """Raise ValidationError when this incident may not be made public (see the module).

    Codes: "no_consent", "personal_data" (inside the story: refused, nothing confirms it),
    "names_protected_person" (elsewhere: held until an editor with the permission confirms
    with a reason; `confirmation` carries who and why, and is written to the access audit).
    """
    if not incident.pk:
        return
    story = _story_of(incident)
    versions = Q(incident_id=story) | Q(incident__translation_of_id=story)
    refusing = (
        Complaint.objects.filter(versions, erased_at__isnull=True)
        .filter(Q(consent_publish=False) | Q(consent_withdrawn_at__isnull=False))
        .first()
    )
    if refusing is not None:
        raise ValidationError(
            _(
                "Not published: the reporter of %(complaint)s did not agree to publication"
                " or withdrew their consent."
            )
            % {"complaint": refusing},
            code="no_consent",
        )
    texts = identity.public_texts(incident)
    everyone = protected_identities(story=story)
    inside = [leak for who in everyone if who.story == story for leak in story_leaks(texts, who)]
    if inside:
        raise ValidationError(
            [
                ValidationError(
                    _("Not published: %(leak)s."),
                    params={"leak": _message(leak)},
                    code="personal_data",
                )
                for leak in dict.fromkeys(inside)
            ]
        )
    already = confirmed(incident)
    held = [
        leak
        for who in _may_be_named(texts, [w for w in everyone if w.story != story])
        if who.key() not in already
        for leak in elsewhere_leaks(texts, who)
    ]
    if not held:
        return
    if confirmation is None:
        raise ValidationError(
            [
                ValidationError(
                    _(
                        "Held: %(leak)s. If the article is about someone else, publish it by"
                        " confirming that, with your reason."
                    ),
                    params={"leak": _message(leak)},
                    code="names_protected_person",
                )
                for leak in dict.fromkeys(held)
            ]
        )
    if not confirmation.user.has_perm(settings.PUBLICATION_CONFIRM_PERMISSION):
        raise PermissionDenied(_("You may not publish an article that names a protected person."))
    reason = (confirmation.reason or "").strip()
    if not reason:
        raise ValidationError(
            _("Give your reason for publishing an article that names a protected person."),
            code="reason_required",
        )
    for key in dict.fromkeys(leak.who.key() for leak in held):
        AccessEvent.objects.create(
            user=confirmation.user,
            username=confirmation.user.get_username(),
            action=AccessEvent.Action.CONFIRMED_NAMING,
            target=key[0],
            target_id=key[1],
            item_ids=[incident.pk],
            reason=reason,
        )


def complaint_identity_changed(*, complaint: Complaint) -> list[int]:
    """Staff changed how a reporter may be named (their name, its other spellings, the
    outlet): the public versions of their story and every scheduled incident are checked
    again, and one that names them now goes back to draft. Returns those incidents' ids."""
    ids = set(incidents_scheduled_ids())
    if complaint.incident_id:
        story = complaint.incident.translation_of_id or complaint.incident_id
        ids |= set(
            Incident.objects.filter(Q(pk=story) | Q(translation_of_id=story)).values_list(
                "pk", flat=True
            )
        )
    return incidents_hold_failing(ids=ids)


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
            raise ConsentError(gettext("The story is already published."))
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
