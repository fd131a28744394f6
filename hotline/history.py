"""The change history as a supervisor reads it: labels in the reader's language, old → new,
no internal codes, raw numbers or bookkeeping fields."""

import dataclasses
import datetime

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from simple_history.template_utils import HistoricalRecordContextHelper

# simple_history's own column title, which its catalogue leaves untranslated.
CHANGES_COLUMN = gettext_noop("Changes")

# Kept by the system for the timers and the audit; a change to them is no one's decision.
QUIET_FIELDS = frozenset({"updated_at", "due_at", "escalated_at", "handled_at", "closed_at"})


class ReadableHistory(HistoricalRecordContextHelper):
    def context_for_delta_changes(self, delta):
        changes = [c for c in delta.changes if c.field not in QUIET_FIELDS]
        return super().context_for_delta_changes(dataclasses.replace(delta, changes=changes))

    def prepare_delta_change_value(self, change, value):
        field = self.model._meta.get_field(change.field)
        if value is None or value == "":
            return "—"
        if field.choices:
            return dict(field.flatchoices).get(value, value)
        if isinstance(field, models.BooleanField):
            return _("yes") if value else _("no")
        if isinstance(value, datetime.datetime):
            return timezone.localtime(value).strftime("%d.%m.%Y %H:%M")
        if isinstance(field, models.ForeignKey) and not isinstance(value, models.Model):
            # Nobody (an empty key), or a related row that no longer exists (an account).
            return "—" if getattr(value, "pk", None) is None else _("(deleted)")
        return super().prepare_delta_change_value(change, value)
