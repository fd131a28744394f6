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
