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

from . import public_cache


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
    """A taxonomy field (a group, a category, a region) of the filter form. Given a
    `taxonomy` name, while a public page renders, a value is looked up in the whole
    taxonomy, read once per process and change that may show anywhere
    (public_cache.rendering_version: a category or region edited in the admin takes a new
    one): asking the database for the chosen region's slug was a query on every filtered
    list, barometer and API miss. A value not found there is asked of the database as
    Django does (a category added since is found)."""

    iterator = ListedChoiceIterator

    def __init__(self, *args, taxonomy: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.taxonomy = taxonomy

    def to_python(self, value):
        if value in self.empty_values:
            return None
        known = _taxonomy(self.taxonomy, self.queryset, self.to_field_name or "pk")
        found = known.get(str(value)) if known is not None else None
        return found if found is not None else super().to_python(value)


# {taxonomy: (version, {key: object})}, this process's.
_TAXONOMIES: dict = {}


def _taxonomy(name: str, queryset, key: str) -> dict | None:
    version = public_cache.rendering_version() if name else None
    if version is None:
        return None
    kept = _TAXONOMIES.get(name)
    if kept is None or kept[0] != version:
        kept = (version, {str(getattr(obj, key)): obj for obj in queryset.all()})
        _TAXONOMIES[name] = kept
    return kept[1]


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
