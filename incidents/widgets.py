"""Form widgets and fields for the public filter form, which every list and statistics page
renders.

Django renders a select through a template for the select and one more for each option, and
a model choice field reads its choices through a server-side cursor (several round trips on
PostgreSQL). The filter form has about 140 options, and this was most of a list page's time
(issue 13: 20 ms of 50). These build the same markup in Python, escaped as the templates
escape it, from one plain query per field."""

import html

import django_filters
from django import forms
from django.forms.models import ModelChoiceIterator
from django.forms.utils import flatatt
from django.utils.safestring import mark_safe
from django.utils.translation import gettext


class FastSelect(forms.Select):
    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        options = "".join(
            '<option value="{}"{}>{}</option>'.format(
                html.escape(str(option["value"])),
                " selected" if option["selected"] else "",
                html.escape(str(option["label"])),
            )
            for _group, choices, _index in widget["optgroups"]
            for option in choices
        )
        select = f'<select name="{html.escape(name)}"{flatatt(widget["attrs"])}>{options}</select>'
        return mark_safe(select)  # noqa: S308 -- every part escaped above


class ListedChoiceIterator(ModelChoiceIterator):
    """The choices from one ordinary query (no server-side cursor)."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in list(self.queryset):
            yield self.choice(obj)


class ListedModelChoiceField(django_filters.fields.ModelChoiceField):
    iterator = ListedChoiceIterator


# Dates as people type them on this site: 07.12.2026 (day first, in both languages), the ISO
# form (2026-12-07, as the addresses carry it) and 07/12/2026 are read too.
DATE_INPUT_FORMATS = ["%d.%m.%Y", "%Y-%m-%d", "%d/%m/%Y"]
DATE_PATTERN = r"\d{1,2}[.\/]\d{1,2}[.\/]\d{4}|\d{4}-\d{1,2}-\d{1,2}"


def parse_typed_date(text: str):
    """The date in `text` typed in any of DATE_INPUT_FORMATS, or None."""
    import datetime

    for pattern in DATE_INPUT_FORMATS:
        try:
            return datetime.datetime.strptime(text.strip(), pattern).date()
        except ValueError:
            continue
    return None


class PageDateInput(forms.DateInput):
    """A date in the page's language's format, whatever the browser's locale.

    Chromium draws <input type="date"> in the format of the browser's own locale and ignores
    the page's `lang`: a Ukrainian page in an English Chromium asked for mm/dd/yyyy. A text
    input says the page's format (placeholder дд.мм.рррр or dd.mm.yyyy), opens the number
    pad on a phone, and is checked by the browser (pattern) and by the server
    (DATE_INPUT_FORMATS), which reads what was typed in any of the site's forms."""

    input_type = "text"

    def __init__(self, attrs=None):
        super().__init__(
            {
                "inputmode": "numeric",
                "autocomplete": "off",
                "pattern": DATE_PATTERN,
                "maxlength": "10",
                **(attrs or {}),
            },
            format="%d.%m.%Y",
        )

    def format_value(self, value):
        # An address carries the ISO date (date_from=2026-01-01): shown as the page writes it.
        day = parse_typed_date(value) if isinstance(value, str) else None
        return super().format_value(day or value)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        # Translators: how a date is typed, day first, as shown inside an empty date field.
        context["widget"]["attrs"].setdefault("placeholder", gettext("dd.mm.yyyy"))
        return context
