"""Reads for the reporter's case inbox."""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from incidents.models import Incident

from .models import CallbackRequest, CaseMessage, Complaint

# The steps a reporter reads about, in plain words (internal steps stay silent).
STEP_TEXT = {
    Complaint.Status.VERIFYING: lambda c: _("IMI is verifying what you reported."),
    Complaint.Status.VERIFIED: lambda c: _("IMI has verified what you reported."),
    Complaint.Status.PUBLISHED: lambda c: _("IMI published an incident about it."),
    Complaint.Status.REJECTED: lambda c: _("IMI will not take up your complaint."),
    Complaint.Status.CLOSED: lambda c: _("The work on your complaint is finished."),
}


# The language of a version of the story, beside its link (in the reader's language).
VERSION_LABEL = {
    "uk": gettext_lazy("in Ukrainian"),
    "en": gettext_lazy("in English"),
}


@dataclass(frozen=True)
class StoryLink:
    """One public language version of the story a complaint became."""

    language: str
    label: str  # in the active language: the reader's, not the version's
    url: str


def story_links(complaint: Complaint, *, absolute: bool = False) -> list[StoryLink]:
    """Every public version of the complaint's story (the incident made from it, its
    original if it is a translation, and their public translations), each at its own
    address in its own language: the original first, then by the site's language order.
    Empty when no version is public; `absolute` prefixes SITE_URL (for mail)."""
    if not complaint.incident_id:
        return []
    incident = complaint.incident
    story_id = incident.translation_of_id or incident.pk
    order = [code for code, _name in settings.LANGUAGES]
    versions = sorted(
        Incident.objects.published().filter(Q(pk=story_id) | Q(translation_of_id=story_id)),
        key=lambda v: (
            v.translation_of_id is not None,
            order.index(v.language) if v.language in order else len(order),
        ),
    )
    prefix = settings.SITE_URL.rstrip("/") if absolute else ""
    links = []
    for version in versions:
        with translation.override(version.language):
            url = prefix + version.get_absolute_url()
        label = VERSION_LABEL.get(version.language) or version.get_language_display()
        links.append(StoryLink(version.language, str(label), url))
    return links


@dataclass(frozen=True)
class Step:
    at: datetime.datetime
    text: str
    link: str = ""  # the first of `links`, for callers that show one
    detail: str = ""
    links: tuple[StoryLink, ...] = ()


def case_history(complaint: Complaint) -> list[Step]:
    """What happened to the complaint, oldest first, in words for the reporter."""
    steps = [Step(complaint.created_at, _("IMI received your complaint."))]
    previous = Complaint.Status.NEW
    versions = complaint.history.order_by("history_date", "history_id").values_list(
        "status", "history_date"
    )
    published = None  # the story's public versions, read once
    for status, at in versions:
        if status != previous and status in STEP_TEXT:
            links, detail = (), ""
            if status == Complaint.Status.PUBLISHED:
                if published is None:
                    published = tuple(story_links(complaint))
                links = published
            if status == Complaint.Status.REJECTED:
                detail = complaint.reason_for_reporter
            link = links[0].url if links else ""
            steps.append(Step(at, STEP_TEXT[status](complaint), link, detail, links))
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


def case_files(complaint: Complaint):
    """Every file IMI received for the case, with the complaint or a reply, oldest first: the
    reporter sees that what they sent arrived (name, size, when; never the file itself)."""
    return complaint.attachments.order_by("created_at", "pk").only(
        "original_name", "size", "created_at", "message_id", "complaint_id"
    )


def case_conversation(complaint: Complaint):
    """The messages, oldest first (newest last, next to the reply box)."""
    return (
        CaseMessage.objects.filter(complaint=complaint)
        .select_related(None)
        .prefetch_related("attachments")
        .order_by("created_at", "pk")
    )


@dataclass(frozen=True)
class Tile:
    """One count on the duty dashboard: what, how many, where to see them, how urgent."""

    key: str
    label: str
    count: int
    url: str
    urgency: int  # 0 = most urgent


def duty_tiles(user) -> list[Tile]:
    """What the shift must look at now, for what this person may see: the urgent first,
    then by number. One count query a tile, whatever the size of the queues."""
    from django.urls import reverse

    from .models import CallbackRequest, Notification

    tiles = []
    if user.has_perm("hotline.view_callbackrequest"):
        base = reverse("admin:hotline_callbackrequest_changelist")
        callbacks = CallbackRequest.objects.visible_to(user)
        tiles += [
            Tile(
                "callbacks-overdue",
                _("Callback requests overdue"),
                callbacks.overdue().count(),
                f"{base}?overdue=yes",
                0,
            ),
            Tile(
                "callbacks-unreachable",
                _("Callback requests unreachable (supervisor)"),
                callbacks.filter(
                    status=CallbackRequest.Status.UNREACHABLE, erased_at__isnull=True
                ).count(),
                f"{base}?status__exact=unreachable",
                1,
            ),
            Tile(
                "callbacks-new",
                _("New callback requests"),
                callbacks.filter(status=CallbackRequest.Status.NEW).count(),
                f"{base}?status__exact=new",
                2,
            ),
            Tile(
                "callbacks-mine",
                _("Callback requests assigned to me"),
                callbacks.open().filter(assignee=user).count(),
                f"{base}?assigned=mine&open=yes",
                3,
            ),
        ]
    if user.has_perm("hotline.view_complaint"):
        base = reverse("admin:hotline_complaint_changelist")
        complaints = Complaint.objects.visible_to(user)
        tiles += [
            Tile(
                "complaints-overdue",
                _("Complaints overdue"),
                complaints.overdue().count(),
                f"{base}?overdue=yes",
                0,
            ),
            Tile(
                "complaints-new",
                _("New complaints"),
                complaints.filter(status=Complaint.Status.NEW).count(),
                f"{base}?status__exact=new",
                2,
            ),
            Tile(
                "complaints-mine",
                _("Complaints assigned to me"),
                complaints.open().filter(assignee=user).count(),
                f"{base}?assigned=mine&open=yes",
                3,
            ),
        ]
        if user.has_perm("hotline.change_complaint"):
            tiles += [
                Tile(
                    "unread-replies",
                    _("Unread replies from reporters"),
                    complaints.with_unread_replies().count(),
                    f"{base}?unread=yes",
                    1,
                ),
                Tile(
                    "complaints-waiting",
                    _("Waiting for the reporter's answer"),
                    complaints.waiting_for_reporter().count(),
                    f"{base}?waiting=yes",
                    4,
                ),
            ]
    if user.has_perm("hotline.view_notification"):
        base = reverse("admin:hotline_notification_changelist")
        tiles.append(
            Tile(
                "notifications-failed",
                _("Notifications that failed"),
                Notification.objects.visible_to(user).failed().count(),
                f"{base}?status__exact=failed",
                1,
            )
        )
    # The urgent ones that have something in them first; empty tiles last.
    return sorted(tiles, key=lambda tile: (tile.count == 0, tile.urgency, -tile.count))


def desk_scope(user) -> list[str] | None:
    """The names of the regions a regional member's desk covers, in the active language, for
    the banner on the lists and the desk; None for the country-wide role (no banner)."""
    from incidents.models import Region

    from .models import desk_regions

    regions = desk_regions(user)
    if regions is None:
        return None
    return sorted(str(region.name) for region in Region.objects.filter(pk__in=regions))


def callback_of_session(pk) -> CallbackRequest | None:
    """The callback request this browser just sent, for its thank-you page (none once erased)."""
    if not isinstance(pk, int):
        return None
    return CallbackRequest.objects.filter(pk=pk, erased_at__isnull=True).first()


def urgent_complaint_of_session(pk) -> Complaint | None:
    """The complaint this browser just sent saying its person is not safe now, for the
    thank-you page's "call me now" (none once erased)."""
    if not isinstance(pk, int):
        return None
    return (
        Complaint.objects.filter(pk=pk, erased_at__isnull=True, safety=Complaint.Safety.NOT_SAFE)
        .only("pk", "phone", "language", "reporter_name", "safety", "for_someone_else")
        .first()
    )
