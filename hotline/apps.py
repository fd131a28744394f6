from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HotlineConfig(AppConfig):
    name = "hotline"
    verbose_name = _("Hotline")

    def ready(self):
        from incidents.signals import incident_published

        incident_published.connect(_on_incident_published, dispatch_uid="hotline-published")


def _on_incident_published(sender, incident, **kwargs):
    from .services import complaint_mark_published

    complaint_mark_published(incident=incident)
