"""{% site_part "name" %}: a part of every page that is the same for every request in a
language (templates/site/<name>.html: the stylesheets, the header's links, the footer). It is
rendered once per process, language and script prefix, not on every page: its links and
translations were a fifth of a page-cache miss's template work. What it shows comes from
the settings alone (the hotline's number, the donation link, the static files), so it is
forgotten when a setting changes (tests override them)."""

from django import template
from django.core.signals import setting_changed
from django.template.loader import render_to_string
from django.urls import get_script_prefix
from django.utils import translation
from django.utils.safestring import mark_safe

from . import context_processors

register = template.Library()

_rendered: dict = {}


@register.simple_tag
def site_part(name: str) -> str:
    key = (name, translation.get_language(), get_script_prefix())
    html = _rendered.get(key)
    if html is None:
        # From the settings themselves, never from the page's context: a page rendered
        # without the context processors (an error page) must not leave its gaps here.
        html = render_to_string(f"site/{name}.html", context_processors.site_wide())
        _rendered[key] = html
    return mark_safe(html)  # noqa: S308 -- a template rendered it, escaping


def _forget(**kwargs):
    _rendered.clear()


setting_changed.connect(_forget, dispatch_uid="site-parts-forget")
