"""System checks: `manage.py check` fails on an evidence vault key that cannot work and on an
urgent timer longer than another, and `check --deploy` on the development key."""

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured

from .vault import cipher


@register()
def evidence_key_is_usable(app_configs, **kwargs):
    errors = []
    for name, texts in (
        ("EVIDENCE_KEY", [settings.EVIDENCE_KEY]),
        ("EVIDENCE_KEY_FALLBACKS", settings.EVIDENCE_KEY_FALLBACKS),
    ):
        for text in texts:
            try:
                cipher.parse_key(text)
            except ImproperlyConfigured as error:
                errors.append(Error(f"{name}: {error}", id="hotline.E001"))
    return errors


@register(Tags.security, deploy=True)
def evidence_key_is_not_the_development_key(app_configs, **kwargs):
    if settings.EVIDENCE_KEY == settings.EVIDENCE_DEV_KEY:
        return [
            Error(
                "EVIDENCE_KEY is the development key, which is public: set a random one.",
                id="hotline.E002",
            )
        ]
    return []


@register()
def urgent_timer_is_the_shortest(app_configs, **kwargs):
    """A person not safe now waits least: their complaint's first timer must not be longer
    than any other timer of the desk."""
    others = {
        "CALLBACK_ESCALATION_MINUTES": settings.CALLBACK_ESCALATION_MINUTES,
        "COMPLAINT_ESCALATION_HOURS": settings.COMPLAINT_ESCALATION_HOURS * 60,
    }
    longer_than = [
        name for name, minutes in others.items() if minutes < settings.COMPLAINT_URGENT_MINUTES
    ]
    if settings.COMPLAINT_URGENT_MINUTES < 1 or longer_than:
        return [
            Error(
                f"COMPLAINT_URGENT_MINUTES ({settings.COMPLAINT_URGENT_MINUTES}) must be at least 1"
                f" and not longer than {', '.join(longer_than) or 'the other timers'}: a person"
                " who is not safe now must wait least.",
                id="hotline.E003",
            )
        ]
    return []
