"""Barometer figures in an article (issue 32): `[[chart name=regions region=kharkiv year=2025]]`
and `[[figure region=kharkiv year=2025]]` in an incident's Markdown become the chart (the
embed's SVG, inline) or the number, with "as of <date>", when the body is rendered.

Rendering is a read, done where `body_html` is derived (`Incident.save`, through
`text.render_markdown`): the figure and its date are computed in the same call and stored
together, so the date shown is always the one the number was counted on; the next save of
the article counts again. A shortcode that cannot be drawn (an unknown chart or parameter, a
value no filter accepts) is never an error while rendering: it is left out of the public
text, and `problems()` names it to staff when they save the article (`Incident.clean`).
"""

import re
import types

from django.http import QueryDict
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from ..filters import IncidentFilter

# Any [[chart …]] or [[figure …]]; what is inside is checked by `parse`.
PATTERN = re.compile(r"\[\[\s*(chart|figure)\b([^\]\n]*)\]\]")
PARAMETER = re.compile(r"^([a-z_]+)=([^\s=]+)$")
# A chart's name, then the statistics page's parameters.
MAX_PARAMETERS = 12


class Invalid(ValueError):
    pass


def parse(kind: str, inside: str) -> tuple[str, QueryDict]:
    """(chart, the filters) of one shortcode; Invalid when it cannot be drawn as written."""
    from . import embed

    words = inside.split()
    if len(words) > MAX_PARAMETERS:
        raise Invalid(_("too many parameters"))
    params = QueryDict(mutable=True)
    chart = "figure" if kind == "figure" else ""
    for word in words:
        match = PARAMETER.match(word)
        if not match:
            raise Invalid(_("“%(word)s” is not name=value") % {"word": word})
        name, value = match.groups()
        if name == "name" and kind == "chart":
            chart = value
        else:
            params.appendlist(name, value)
    if chart not in embed.CHARTS:
        raise Invalid(
            _("name= must be one of: %(charts)s") % {"charts": ", ".join(embed.CHARTS[:-1])}
        )
    filterset = IncidentFilter.public(params, every_language=True)
    known = {*filterset.filters, "rule"}
    unknown = [name for name in params if name not in known]
    if unknown:
        raise Invalid(_("unknown parameter: %(names)s") % {"names": ", ".join(unknown)})
    if filterset.is_bound and filterset.form.errors:
        raise Invalid(
            _("not understood: %(names)s") % {"names": ", ".join(sorted(filterset.form.errors))}
        )
    return chart, params


def problems(text: str) -> list[str]:
    """What staff are told about the shortcodes of `text` that cannot be drawn."""
    found = []
    for match in PATTERN.finditer(text or ""):
        try:
            parse(match.group(1), match.group(2))
        except Invalid as error:
            found.append(f"{match.group(0)}: {error}")
    return found


def render(kind: str, inside: str, number: int) -> str:
    """The HTML for one shortcode ("" when it cannot be drawn). Never raises for the text."""
    from . import embed, stats

    try:
        chart, params = parse(kind, inside)
    except Invalid:
        return ""
    if not any(params.get(key) for key in stats.DATE_KEYS):
        # The statistics page's period when none is given: the last 12 months.
        start, end = stats.default_period(timezone.localdate())
        params["date_from"], params["date_to"] = start.isoformat(), end.isoformat()
    filterset = IncidentFilter.public(params, every_language=True)
    shown = embed.embed_for(types.SimpleNamespace(GET=params), chart, filterset)
    as_of = _("as of %(date)s") % {"date": date_format(timezone.localdate(), "d.m.Y")}
    return render_to_string(
        "incidents/embed/shortcode.html",
        {
            "embed": shown,
            "kind": kind,
            "as_of": as_of,
            "chart": "" if kind == "figure" else embed.svg(shown, standalone=False, uid=number),
        },
    ).strip()


def expand(text: str) -> tuple[str, dict[str, str]]:
    """`text` with each shortcode replaced by a placeholder the Markdown and the sanitiser
    leave alone, and {placeholder: its HTML}: the HTML goes in after sanitising (it is the
    site's own template output, escaped there), where the sanitiser would strip an SVG."""
    rendered: dict[str, str] = {}

    def replace(match):
        token = f"imishortcode{len(rendered)}x"
        rendered[token] = render(match.group(1), match.group(2), len(rendered))
        return token

    return PATTERN.sub(replace, text or ""), rendered


def insert(html: str, rendered: dict[str, str]) -> str:
    for token, markup in rendered.items():
        # A shortcode alone in its paragraph is a block (a chart's <figure>), not inside <p>.
        html = html.replace(f"<p>{token}</p>", markup).replace(token, markup)
    return html
