"""System checks of the evidence vault's key: `manage.py check` fails on a key that cannot
work, and `check --deploy` on the development key."""

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
