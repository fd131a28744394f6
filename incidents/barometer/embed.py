"""The barometer's charts for other sites (issue 32): each chart of the statistics page, and a
single figure, as an SVG drawn on the server (no script), as a page for an <iframe> (the SVG,
a caption and the chart's table) and as a PNG for places that take only images.

The numbers are the statistics page's own: `stats.stats_for()` and `stats.tables()`, the
table under each chart, which the SVG draws row by row. A month with a published report
(filters: exactly its year and month) shows the report's frozen figures, "as published".

Everything a visitor typed reaches the output only as the filters understood
(`IncidentFilter.chosen()`), by their labels, and through templates that escape.
"""

import datetime
import textwrap
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..filters import IncidentFilter, applied_filters
from ..models import MonthlyReport
from ..views import month_name
from . import counts, figures, stats

CHARTS = (*stats.TABLES, "figure")
STACKED = ("months", "russia")
# More parameters than the filters could use is no chart anyone meant: refused with 400.
MAX_PARAMETERS = 40
# The drawing's units; the viewBox scales it to the frame (readable from 320 px wide).
WIDTH = 480
PALETTE = ["#b3001b", "#1d4e89", "#e09f3e", "#2e7d32", "#6a4c93", "#00838f", "#795548"]
FONT = "DejaVu Sans, Arial, Helvetica, sans-serif"


def too_many_parameters(params) -> bool:
    return sum(len(params.getlist(key)) for key in params) > MAX_PARAMETERS


def chart_titles() -> dict:
    return {
        "months": _("Incidents per month, by type of violation"),
        "russia": _("Violations by the Russian Federation"),
        "groups": _("By type of violation"),
        "categories": _("By violation"),
        "regions": _("By region"),
        "perpetrators": _("By perpetrator"),
        "figure": _("Incidents"),
    }


@dataclass
class Embed:
    """One chart as embedded: what it shows, of which filters, as of when, from where."""

    chart: str
    title: str
    summary: str
    header: list
    rows: list
    total: int
    filters: list[str]
    period: str
    as_of: str
    frozen: bool
    source_url: str
    query: str
    drawing: dict = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.total

    @property
    def source_name(self) -> str:
        """The link back as written under the chart: the host and page, without the query."""
        parts = urlsplit(self.source_url)
        return parts.netloc + parts.path

    @property
    def caption(self) -> str:
        """The filters, the period and the date in one line (alt text, the SVG's <desc>)."""
        parts = [self.period, *self.filters, self.as_of]
        return "; ".join(part for part in parts if part)


def month_report(filterset: IncidentFilter, rule: str) -> MonthlyReport | None:
    """The published report of the month the filters are exactly (year and month, IMI's
    rule), or None."""
    applied = applied_filters(filterset)
    if rule != figures.SEVEREST or set(applied) != {"year", "month"}:
        return None
    month = datetime.date(int(applied["year"]), int(applied["month"]), 1)
    return MonthlyReport.objects.filter(month=month).first()


def frozen_data(report: MonthlyReport) -> dict:
    """A report's frozen figures in the shape `stats.compute()` gives, so `stats.tables()`
    makes its tables as it makes the page's."""
    rows = figures.report_rows(report.figures)
    first = report.month
    return {
        "start": first,
        "end": counts.month_end(first),
        "total": rows["total"],
        "months": [(first, rows["total"])],
        "russia": [rows["russia"]],
        "monthly_series": [(group, [n]) for group, n in rows["groups"]],
        "groups": rows["groups"],
        "categories": rows["categories"],
        "regions": rows["regions"],
        "perpetrators": figures.perpetrator_rows(report.figures.get("perpetrators", {})),
    }


def described_filters(filterset: IncidentFilter, rule: str) -> list[str]:
    """The filters understood, as "label: value" in the reader's language. Never the
    address as typed: a value that failed validation is not a filter, and is not shown."""
    result = []
    chosen = filterset.chosen()
    for name in filterset.filters:
        if name not in chosen or name in ("date_from", "date_to"):
            continue  # the period is stated on its own
        value = chosen[name]
        form_field = filterset.form.fields[name]
        if isinstance(value, datetime.date):
            shown = date_format(value, "d.m.Y")
        elif hasattr(value, "pk"):
            shown = str(value)
        else:
            shown = str(dict(getattr(form_field, "choices", ())).get(value, value))
        result.append(f"{form_field.label}: {shown}")
    if rule != figures.SEVEREST:
        result.append(_("Counting: %(rule)s") % {"rule": figures.rule_label(rule)})
    return result


def site_url(path: str, query: str = "") -> str:
    return settings.SITE_URL.rstrip("/") + path + (f"?{query}" if query else "")


def embed_for(request, chart: str, filterset: IncidentFilter) -> Embed:
    rule = figures.rule_of(request.GET)
    query = stats.query(filterset, rule)
    report = month_report(filterset, rule)
    now = timezone.localtime()
    if report is not None:
        data = frozen_data(report)
        as_of = _("Barometer for %(month)s (as published on %(date)s)") % {
            "month": month_name(report.month),
            "date": date_format(timezone.localtime(report.published_at), "d.m.Y"),
        }
        source = site_url(report.get_absolute_url())
    else:
        data = stats.stats_for(request, filterset)
        as_of = _("live as of %(when)s") % {"when": date_format(now, "d.m.Y H:i")}
        source = site_url(reverse("stats"), query)
    period = _("%(start)s – %(end)s") % {
        "start": date_format(data["start"], "d.m.Y"),
        "end": date_format(data["end"], "d.m.Y"),
    }
    title = chart_titles()[chart]
    if chart == "figure":
        total = data["total"]
        summary = ngettext("%(count)s incident", "%(count)s incidents", total) % {"count": total}
        header, rows = [_("Incidents")], [{"label": _("Total"), "values": [total]}]
    else:
        table = next(t for t in stats.tables(data) if t["name"] == chart)
        title, summary, header, rows = (
            table["title"],
            table["summary"],
            table["header"],
            table["rows"],
        )
        total = data["total"]
    embed = Embed(
        chart=chart,
        title=title,
        summary=summary,
        header=header,
        rows=rows,
        total=total,
        filters=described_filters(filterset, rule),
        period=period,
        as_of=as_of,
        frozen=report is not None,
        source_url=source,
        query=query,
    )
    embed.drawing = drawing(embed)
    return embed


# --- The drawing --------------------------------------------------------------------------


def _wrap(text: str, width: int = 60) -> list[str]:
    return textwrap.wrap(text, width) or [""]


def drawing(embed: Embed) -> dict:
    """Shapes and texts in the SVG's units: what the template draws (and escapes)."""
    top = 0
    heading = []
    y = 26
    for line in _wrap(embed.title, 44):
        heading.append({"y": y, "text": line})
        y += 22
    notes = []
    for line in _wrap(embed.caption, 68):
        notes.append({"y": y, "text": line})
        y += 16
    top = y + 8
    if embed.empty:
        body = {"kind": "empty", "y": top + 40, "text": _("No incidents match")}
        height = top + 70
    elif embed.chart == "figure":
        body = {"kind": "figure", "y": top + 70, "text": str(embed.total), "label": embed.summary}
        height = top + 110
    elif embed.chart in STACKED:
        body, height = _stacked(embed, top)
    else:
        body, height = _bars(embed, top)
    footer_y = height + 18
    return {
        "width": WIDTH,
        "height": footer_y + 10,
        "plain_height": height - top + 10,
        "top": top,
        "heading": heading,
        "notes": notes,
        "body": body,
        "footer_y": footer_y,
        "font": FONT,
    }


def _bars(embed: Embed, top: int):
    rows = [(row["label"], row["values"][0]) for row in embed.rows]
    highest = max((n for _label, n in rows), default=0) or 1
    room = WIDTH - 20 - 60
    bars = []
    y = top
    for label, n in rows:
        bars.append(
            {
                "label": str(label),
                "value": n,
                "label_y": y + 14,
                "bar_y": y + 20,
                "width": max(round(room * n / highest, 1), 1 if n else 0),
                "value_x": 10 + max(round(room * n / highest, 1), 1) + 6,
            }
        )
        y += 36
    return {"kind": "bars", "bars": bars, "colour": PALETTE[1]}, y


def _stacked(embed: Embed, top: int):
    if embed.chart == "months":
        names = embed.header[2:]
        columns = [(row["label"], row["values"][0], row["values"][1:]) for row in embed.rows]
    else:
        names = embed.header[1:3]
        columns = [(row["label"], row["values"][2], row["values"][:2]) for row in embed.rows]
    left, right, plot_height = 44, WIDTH - 10, 200
    plot_top = top + 10
    baseline = plot_top + plot_height
    highest = max((total for _label, total, _parts in columns), default=0) or 1
    step = (right - left) / max(len(columns), 1)
    bar_width = max(step * 0.75, 1)
    every = max(1, -(-len(columns) // 5))  # at most five labels: readable at 320 px
    shapes, labels = [], []
    for index, (label, _total, parts) in enumerate(columns):
        x = left + index * step + (step - bar_width) / 2
        y = baseline
        for position, value in enumerate(parts):
            if not value:
                continue
            h = plot_height * value / highest
            y -= h
            shapes.append(
                {
                    "x": round(x, 1),
                    "y": round(y, 1),
                    "width": round(bar_width, 1),
                    "height": round(h, 1),
                    "colour": PALETTE[position % len(PALETTE)],
                    "title": f"{label}, {names[position]}: {value}",
                }
            )
        if index % every == 0:
            labels.append({"x": round(x + bar_width / 2, 1), "text": str(label)})
    ticks = [
        {"y": round(baseline - plot_height * value / highest, 1), "text": str(value)}
        for value in sorted({0, highest // 2, highest})
    ]
    legend = []
    y = baseline + 40
    for position, name in enumerate(names):
        legend.append({"y": y, "colour": PALETTE[position % len(PALETTE)], "text": str(name)})
        y += 22
    body = {
        "kind": "stacked",
        "shapes": shapes,
        "labels": labels,
        "label_y": baseline + 16,
        "ticks": ticks,
        "left": left,
        "right": right,
        "baseline": baseline,
        "legend": legend,
    }
    return body, y


def svg(embed: Embed, *, standalone: bool = True, uid="") -> str:
    """The chart as SVG markup. `standalone`: with its title, caption and source written in
    it (the .svg and .png); the iframe's page writes them in HTML around it instead."""
    return render_to_string(
        "incidents/embed/chart.svg",
        {"embed": embed, "d": embed.drawing, "standalone": standalone, "uid": uid},
    )


def png(markup: str) -> bytes:
    """The SVG rasterised at twice its size (sharp on high-density screens and in print)."""
    import cairosvg  # imported here: only the PNG needs cairo, and it loads a C library

    return cairosvg.svg2png(bytestring=markup.encode(), output_width=WIDTH * 2)


# --- What the statistics page offers for copying ------------------------------------------


def snippets(chart: str, query: str, title: str, summary: str, filters: str) -> dict:
    """The <iframe> and <img> a partner copies for one chart of the statistics page."""
    base = reverse("stats-embed", kwargs={"chart": chart})
    page = site_url(base, query)
    image = site_url(reverse("stats-embed-svg", kwargs={"chart": chart}), query)
    height = 620 if chart in STACKED else 760 if chart in ("categories", "regions") else 480
    today = date_format(timezone.localdate(), "d.m.Y")
    alt = _("%(title)s. %(summary)s %(filters)s Live as of %(date)s. Source: IMI Portal.") % {
        "title": title,
        "summary": summary,
        "filters": f"{filters}." if filters else "",
        "date": today,
    }
    iframe = (
        f'<iframe src="{_attr(page)}" title="{_attr(title)}" width="100%" height="{height}" '
        f'style="border:0" loading="lazy"></iframe>'
    )
    img = f'<img src="{_attr(image)}" alt="{_attr(" ".join(alt.split()))}" width="480">'
    png_url = site_url(reverse("stats-embed-png", kwargs={"chart": chart}), query)
    return {"iframe": iframe, "img": img, "png": png_url}


def with_snippets(filterset: IncidentFilter, rule: str, tables: list[dict]) -> list[dict]:
    """The statistics page's tables, each with the snippets of its "Embed" dialog."""
    query = stats.query(filterset, rule)
    filters = "; ".join(described_filters(filterset, rule))
    for table in tables:
        table["embed"] = snippets(table["name"], query, table["title"], table["summary"], filters)
    return tables


def _attr(value: str) -> str:
    return escape(value)
