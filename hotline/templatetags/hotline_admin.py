from django import template
from django.urls import reverse

from hotline import selectors
from hotline.models import Notification

register = template.Library()


@register.inclusion_tag("admin/hotline/outbox_alert.html", takes_context=True)
def outbox_alert(context):
    """Pending and failed notifications, on the admin index, so a stuck outbox is seen."""
    user = context["request"].user
    if not user.has_perm("hotline.view_notification"):
        return {"show": False}
    counts = Notification.objects.visible_to(user).counts()
    url = reverse("admin:hotline_notification_changelist")
    return {
        "show": True,
        **counts,
        "pending_url": f"{url}?status=pending",
        "failed_url": f"{url}?status=failed",
    }


@register.inclusion_tag("admin/hotline/duty_dashboard.html", takes_context=True)
def duty_dashboard(context):
    """The shift's counts on the admin index, for what the signed-in person may see."""
    return {"tiles": selectors.duty_tiles(context["request"].user)}


@register.inclusion_tag("admin/hotline/desk_banner.html", takes_context=True)
def desk_banner(context):
    """A regional member is told which regions they see (nothing for the country-wide role)."""
    request = context.get("request")
    regions = selectors.desk_scope(request.user) if request is not None else None
    return {"show": regions is not None, "regions": ", ".join(regions or [])}
