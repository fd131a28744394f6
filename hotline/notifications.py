"""Delivering the outbox: who hears of what, on which channel, in which language.

A staff message says what is needed to act (kind, category, region, age, a link to the
admin) and nothing personal: no name, phone, e-mail or description. Those stay behind the
admin login.
"""

import hashlib
import hmac
import json
import logging
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from .models import CallbackRequest, Complaint, Notification, StaffDesk
from .selectors import story_links

logger = logging.getLogger(__name__)

# Who hears of which kind of item (besides STAFF_NOTIFY_EMAILS): staff who may work on it,
# by permission, whatever their groups are called. Editors read complaints but do not
# triage them, so they are not mailed.
PERMISSION_FOR = {
    "complaint": "hotline.change_complaint",
    "callback": "hotline.change_callbackrequest",
}


class DeliveryError(Exception):
    """A channel failed; the message says why, without personal data."""


@dataclass(frozen=True)
class Recipient:
    email: str
    language: str


def _language(code: str | None) -> str:
    return code if code in dict(settings.LANGUAGES) else settings.STAFF_NOTIFY_LANGUAGE


def staff_recipients(notification: Notification) -> list[Recipient]:
    """STAFF_NOTIFY_EMAILS (`address` or `address|en`: the duty desk's addresses, which hear
    of every region) plus active staff who may work on the item (PERMISSION_FOR; superusers
    only if they hold it themselves) and whose regional desk covers its region."""
    found: dict[str, Recipient] = {}
    addresses = settings.STAFF_NOTIFY_EMAILS
    supervisors = (Notification.Kind.ESCALATION, Notification.Kind.UNREACHABLE)
    if notification.kind in supervisors and settings.ESCALATION_EMAILS:
        addresses = settings.ESCALATION_EMAILS
    for entry in addresses:
        address, _sep, language = entry.partition("|")
        found[address.strip().lower()] = Recipient(address.strip(), _language(language.strip()))
    item = "complaint" if notification.complaint_id else "callback"
    users = (
        get_user_model()
        .objects.with_perm(
            PERMISSION_FOR[item],
            include_superusers=False,
            backend="django.contrib.auth.backends.ModelBackend",
        )
        .filter(is_staff=True)
        .exclude(email="")
        .select_related("staff_profile")
    )
    # Only those whose desk covers the item's region (everyone, for an item with none).
    users = StaffDesk.covering(users, _item(notification).region_id).distinct()
    for user in users:
        profile = getattr(user, "staff_profile", None)
        if profile is not None and not profile.notify:
            continue
        language = _language(profile.language if profile else None)
        found.setdefault(user.email.lower(), Recipient(user.email, language))
    return list(found.values())


def _item(notification: Notification) -> Complaint | CallbackRequest:
    return notification.complaint or notification.callback


def _admin_url(item) -> str:
    return settings.SITE_URL.rstrip("/") + item.get_absolute_url()


def staff_context(notification: Notification) -> dict:
    """Everything a staff message may say. Deliberately no personal data."""
    item = _item(notification)
    context = {
        "kind": notification.kind,
        "item_kind": "complaint" if isinstance(item, Complaint) else "callback",
        "item_id": item.pk,
        "received_at": item.created_at,
        "status": item.get_status_display(),
        "status_is_new": item.status == "new",
        "age_minutes": int((timezone.now() - item.created_at).total_seconds() // 60),
        "admin_url": _admin_url(item),
        "escalation": notification.kind == Notification.Kind.ESCALATION,
        "unreachable": notification.kind == Notification.Kind.UNREACHABLE,
        "consent_withdrawn": notification.kind == Notification.Kind.CONSENT_WITHDRAWN,
        # Only that there is a reply: its words stay in the admin.
        "reply": notification.kind == Notification.Kind.REPORTER_REPLY,
        "erasure_requested": notification.kind == Notification.Kind.ERASURE_REQUESTED,
    }
    if isinstance(item, Complaint):
        context.update(
            category=item.category,
            region=item.region,
            priority=item.get_priority_display(),
            attachments=item.attachments.count(),
            # Only the word: why (not safe now) and what help is asked stay in the admin.
            urgent=item.in_danger,
        )
    else:
        context.update(
            topic=item.get_topic_display(), preferred_time=item.get_preferred_time_display()
        )
    return context


def render_staff_email(notification: Notification, language: str) -> tuple[str, str, str]:
    with translation.override(language):
        context = staff_context(notification)
        subject = render_to_string("hotline/email/staff_subject.txt", context).strip()
        text = render_to_string("hotline/email/staff.txt", context)
        html = render_to_string("hotline/email/staff.html", context)
    return subject, text, html


def render_complainant_email(notification: Notification) -> tuple[str, str, str]:
    """The reporter's mail, in their language; also what staff preview before it is sent."""
    complaint = notification.complaint
    status = notification.payload.get("status", complaint.status)
    with translation.override(complaint.language):
        # Each public language version of the story, labelled in the reporter's language.
        versions = (
            story_links(complaint, absolute=True) if status == Complaint.Status.PUBLISHED else []
        )
        context = {
            "kind": notification.kind,
            "code": notification.payload.get("code"),
            "stage": status,
            "status": Complaint.Status(status).label,
            "versions": versions,
            "incident_url": versions[0].url if versions else "",
            "track_url": settings.SITE_URL.rstrip("/") + reverse("hotline:track"),
            "hotline_phone": settings.HOTLINE_PHONE,
        }
        subject = render_to_string("hotline/email/complainant_subject.txt", context).strip()
        text = render_to_string("hotline/email/complainant.txt", context)
        html = render_to_string("hotline/email/complainant.html", context)
    return subject, text, html


def _message_id(notification: Notification, address: str) -> str:
    """Stable per row and recipient, so a resend after a crash is recognisable as the same
    mail; globally unique, from the row's random token (not its id, which another database
    or a restore reuses for other mails)."""
    recipient = hashlib.sha256(address.lower().encode()).hexdigest()[:8]
    return (
        f"<imi-{notification.pk}-{notification.message_token}.{recipient}"
        f"@{settings.EMAIL_MESSAGE_ID_DOMAIN}>"
    )


def send_email(notification: Notification) -> int:
    messages = []
    if notification.kind in Notification.COMPLAINANT_KINDS:
        subject, text, html = render_complainant_email(notification)
        recipients = [Recipient(notification.complaint.email, notification.complaint.language)]
        rendered = {r.language: (subject, text, html) for r in recipients}
    else:
        recipients = staff_recipients(notification)
        rendered = {
            language: render_staff_email(notification, language)
            for language in {r.language for r in recipients}
        }
    if not recipients:
        raise DeliveryError("no recipients: set STAFF_NOTIFY_EMAILS or give staff an e-mail")
    for recipient in recipients:
        subject, text, html = rendered[recipient.language]
        message = EmailMultiAlternatives(
            subject,
            text,
            to=[recipient.email],
            headers={"Message-ID": _message_id(notification, recipient.email)},
        )
        message.attach_alternative(html, "text/html")
        messages.append(message)
    with get_connection(fail_silently=False, timeout=settings.NOTIFY_TIMEOUT_SECONDS) as connection:
        sent = connection.send_messages(messages)
    return sent or 0


def webhook_payload(notification: Notification) -> dict:
    context = staff_context(notification)
    payload = {
        "id": notification.pk,
        "kind": notification.kind,
        "item": context["item_kind"],
        "item_id": context["item_id"],
        "received_at": context["received_at"].isoformat(),
        "age_minutes": context["age_minutes"],
        "admin_url": context["admin_url"],
    }
    if context["item_kind"] == "complaint":
        payload.update(
            # None: the reporter answered "I don't know".
            category=context["category"].slug if context["category"] else None,
            region=context["region"].slug if context["region"] else None,
            priority=context["priority"],
            urgent=context["urgent"],
        )
    else:
        payload.update(topic=notification.callback.topic)
    return payload


def sign(body: bytes) -> str:
    secret = settings.NOTIFY_WEBHOOK_SECRET.encode()
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def send_webhook(notification: Notification) -> None:
    url = settings.NOTIFY_WEBHOOK_URL
    if not url:
        raise DeliveryError("NOTIFY_WEBHOOK_URL is not set")
    body = json.dumps(webhook_payload(notification), sort_keys=True).encode()
    request = urllib.request.Request(  # noqa: S310 -- the operator's own https URL
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "IMI-Portal-Notifier",
            "X-IMI-Signature": sign(body),
            # Receivers can drop a repeat: the same id is never a new event.
            "Idempotency-Key": f"imi-notification-{notification.pk}",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.NOTIFY_TIMEOUT_SECONDS) as response:  # noqa: S310
            if response.status >= 300:
                raise DeliveryError(f"webhook answered HTTP {response.status}")
    except OSError as error:  # URLError, HTTPError, timeouts
        raise DeliveryError(f"webhook failed: {error}") from error


CHANNELS = {
    Notification.Channel.EMAIL: send_email,
    Notification.Channel.WEBHOOK: send_webhook,
}
