from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = _("Incidents")

    def ready(self):
        # An article's barometer shortcodes are drawn where its text is rendered; the
        # barometer reads the models, which render their text, hence the wiring here.
        from . import text
        from .barometer import shortcodes

        text.use_shortcodes(shortcodes)
