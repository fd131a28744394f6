from django import template
from django.urls import reverse

from hotline.models import CaseMessage, Notification

register = template.Library()


@register.inclusion_tag("admin/hotline/outbox_alert.html", takes_context=True)
def outbox_alert(context):
    """Pending and failed notifications, on the admin index, so a stuck outbox is seen."""
    user = context["request"].user
    if not user.has_perm("hotline.view_notification"):
        return {"show": False}
    counts = {
        status: Notification.objects.filter(status=status).count()
        for status in (Notification.Status.PENDING, Notification.Status.FAILED)
    }
    url = reverse("admin:hotline_notification_changelist")
    return {
        "show": True,
        "pending": counts[Notification.Status.PENDING],
        "failed": counts[Notification.Status.FAILED],
        "pending_url": f"{url}?status=pending",
        "failed_url": f"{url}?status=failed",
    }


@register.inclusion_tag("admin/hotline/unread_replies.html", takes_context=True)
def unread_replies(context):
    """Replies from reporters no one has read yet, on the admin index, for who reads them."""
    user = context["request"].user
    if not user.has_perm("hotline.change_complaint"):
        return {"show": False}
    unread = CaseMessage.objects.filter(sender=CaseMessage.Sender.REPORTER, read_at__isnull=True)
    return {
        "show": True,
        "messages": unread.count(),
        "complaints": unread.values("complaint").distinct().count(),
        "url": reverse("admin:hotline_complaint_changelist") + "?unread=yes",
    }
