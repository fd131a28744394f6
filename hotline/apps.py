from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HotlineConfig(AppConfig):
    name = "hotline"
    verbose_name = _("Hotline")

    def ready(self):
        # Registers the tasks in every process (web too): the outbox queues them by name.
        from . import (
            checks,  # noqa: F401 -- registers the evidence key checks
            tasks,  # noqa: F401
        )
