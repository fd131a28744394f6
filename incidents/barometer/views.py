"""The barometer pages: statistics with charts, their tables as CSV, monthly reports."""

import datetime
import functools
from urllib.parse import parse_qsl

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View

from .. import fragments
from ..exports import csvfile, sdg
from ..models import (
    Category,
    MethodNote,
    MonthlyArticle,
    MonthlyReport,
    current_language,
)
from ..views import PublicRecordMixin, month_name
from ..widgets import parse_typed_date
from . import counts, embed, figures, stats, tilemap


class StatsView(PublicRecordMixin, TemplateView):
    # The barometer counts every story, in whichever language it was written.
    every_language = True
    template_name = "incidents/stats.html"

    def get(self, request, *args, **kwargs):
        if not any(request.GET.get(key) for key in stats.DATE_KEYS):
            # The default period is written into the address, so the same URL parameters
            # give the same incidents here, in the list and in the exports.
            start, end = stats.default_period(timezone.localdate())
            params = request.GET.copy()
            params["date_from"], params["date_to"] = start.isoformat(), end.isoformat()
            return redirect(f"{request.path}?{params.urlencode()}")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        filterset = self.filtered(self.request.GET)
        rule = figures.rule_of(self.request.GET)
        # The links carry the filters understood (and the rule), not the address as typed.
        query = stats.query(filterset, rule)
        language = current_language()

        def make():
            data = stats.stats_for(self.request, filterset)
            body = render_to_string(
                "incidents/includes/stats_body.html",
                {
                    "data": data,
                    "mapping": sdg.mapping(),
                    "unmapped": list(Category.objects.leaves().filter(sdg_act="")),
                    "charts": stats.chart_data(data),
                    "note": MethodNote.objects.first(),
                    "query": query,
                    "tables": embed.with_snippets(filterset, data["rule"], stats.tables(data)),
                    "map": self.tile_map(data, query),
                },
            )
            return body, {key: data[key] for key in stats.SUMMARY}

        # Below its filters the page is the same for every reader of these filters, language
        # and data version: its body and the few figures the top of the page says are kept
        # together (a miss of the page cache reads neither the figures nor the body again).
        body, data = fragments.kept(
            ["stats-page", language, query, figures.data_version(), timezone.localdate()], make
        )
        context.update(
            filter=filterset,
            filter_panel=fragments.filter_panel(
                filterset,
                action=reverse("stats"),
                submit_label=_("Show statistics"),
                clear_label=_("Last 12 months"),
            ),
            data=data,
            body=mark_safe(body),  # noqa: S308 -- a template rendered it, escaping
            periods=self.periods(data["record_starts"]),
            rules=self.rules(data["rule"]),
            verification_choices=self.verification_choices(),
            # The list of every language counts what the barometer counts.
            list_url=f"{reverse('incidents:list')}?{query}&languages=all",
        )
        return context

    def tile_map(self, data: dict, query: str) -> dict:
        """The regions on a tile map, each a link to the list of what it counts (the filters
        of this page, every language, that region)."""
        params = {key: value for key, value in parse_qsl(query) if key not in ("region", "rule")}
        params["languages"] = "all"
        return tilemap.tile_map(data["regions"], reverse("incidents:list"), params)

    def periods(self, first: datetime.date | None) -> list[dict]:
        """Quick periods, "all time" among them: from the record's first day (`first`, None
        for an empty record) to today."""
        today = timezone.localdate()
        first = first or today
        choices = [
            (_("Last 12 months"), *stats.default_period(today)),
            (_("This year"), datetime.date(today.year, 1, 1), today),
            (
                _("Last year"),
                datetime.date(today.year - 1, 1, 1),
                datetime.date(today.year - 1, 12, 31),
            ),
            (_("All time"), min(first, today), today),
        ]
        current = self.request.GET
        result = []
        marked = False
        for label, start, end in choices:
            params = current.copy()
            for key in (*stats.DATE_KEYS, "page"):
                params.pop(key, None)
            params["date_from"], params["date_to"] = start.isoformat(), end.isoformat()
            # One button is the current one: in December "Last 12 months" and "This year"
            # are the same dates, and the first of them is marked.
            is_current = (
                not marked
                and parse_typed_date(current.get("date_from", "")) == start
                and parse_typed_date(current.get("date_to", "")) == end
                and not current.get("year")
            )
            marked |= is_current
            result.append({"label": label, "query": params.urlencode(), "current": is_current})
        return result

    def verification_choices(self) -> list[dict]:
        """Count every incident recorded, or only the confirmed ones (issue 17)."""
        current = self.request.GET.get("verification", "")
        result = []
        for value, label in (
            ("", _("every incident recorded")),
            ("confirmed", _("only confirmed")),
        ):
            params = self.request.GET.copy()
            params.pop("verification", None)
            params.pop("page", None)
            if value:
                params["verification"] = value
            result.append(
                {"label": label, "query": params.urlencode(), "current": current == value}
            )
        return result

    def rules(self, current: str) -> list[dict]:
        labels = {
            figures.SEVEREST: _("once, under the most severe (IMI's method)"),
            figures.EVERY: _("in each category it fits"),
        }
        result = []
        for rule in figures.RULES:
            params = self.request.GET.copy()
            params.pop("rule", None)
            if rule != figures.SEVEREST:
                params["rule"] = rule
            result.append(
                {"label": labels[rule], "query": params.urlencode(), "current": rule == current}
            )
        return result


class StatsTableCSVView(PublicRecordMixin, View):
    """One chart's table as CSV: exactly the numbers shown under the chart."""

    every_language = True  # what the chart counts

    def get(self, request, name: str):
        if name not in stats.TABLES:
            raise Http404
        data = stats.stats_for(request, self.filtered(request.GET))
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="imi-stats-{name}-{timezone.localdate()}.csv"'
        )
        response.write("\ufeff")
        writer = csvfile.writer(response)
        writer.writerow(["# " + _("IMI Portal statistics"), name])
        writer.writerow(["# " + _("filters"), request.GET.urlencode() or "-"])
        writer.writerow(["# " + _("counting rule"), figures.rule_label(data["rule"])])
        table = next(t for t in stats.tables(data) if t["name"] == name)
        writer.writerow(table["header"])
        for row in table["rows"]:
            writer.writerow([row["key"], *row["values"]])
        return response


class MonthlyReportView(PublicRecordMixin, TemplateView):
    every_language = True  # the barometer counts every story
    template_name = "incidents/stats_month.html"

    def get_context_data(self, year: int, month: int, **kwargs):
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        if not 1 <= month <= 12 or not 1991 <= year <= today.year:
            raise Http404
        first = datetime.date(year, month, 1)
        if first > today:
            raise Http404
        # The page below its title is the same for every reader of this month, language and
        # data version (fragments.html; the incidents it shows are kept with it): a miss of
        # the page cache no longer reads the report, the article and the cards again.
        parts = [
            "stats-month",
            current_language(),
            first,
            figures.data_version(),
            today,
            self.request.build_absolute_uri("/"),
        ]
        context.update(
            month_name=month_name(first),
            body=fragments.html(
                parts,
                lambda: render_to_string(
                    "incidents/includes/stats_month_body.html", self.month(first, today)
                ),
            ),
        )
        return context

    def month(self, first: datetime.date, today: datetime.date) -> dict:
        """What the page below its title shows of the month."""
        year, month = first.year, first.month
        context = {}
        params = {"year": str(year), "month": str(month)}
        filterset = self.filtered(params)
        language = current_language()

        def compute():
            # Read off the summary tables (a whole month is always exactly there): one query
            # for the four dimensions, one for the total, one for the taxonomy.
            names = ("primary_group", "primary_category", "region", "perpetrator")
            found = counts.by_dimensions(
                language, [counts.DIMENSIONS[name] for name in names], (first, first)
            )
            by = {name: found[counts.DIMENSIONS[name]] for name in names}
            taxonomy = list(Category.objects.select_related("parent"))
            return {
                "total": counts.total(language, first, counts.month_end(first)),
                "groups": figures.group_rows(by["primary_group"], taxonomy),
                "categories": figures.category_rows(by["primary_category"], taxonomy),
                "regions": figures.region_rows(by["region"]),
                "russia": by["perpetrator"].get(stats.RUSSIA, 0),
            }

        report = MonthlyReport.objects.filter(month=first).first()
        data = figures.cached("month-report", params, language, compute)
        previous = figures.add_months(first, -1)
        following = figures.add_months(first, 1)
        if report is not None:
            # The figures as published, never recounted; corrections are listed beside them.
            data = figures.report_rows(report.figures)
            context["revisions"] = figures.revisions(report.figures, report.current)
            # The month's article in this language, once published; a later correction shows
            # on it against the figures it was written from, never silently.
            context["article"] = report.articles.filter(
                language=language, status=MonthlyArticle.Status.PUBLISHED
            ).first()
            if report.revised_at:
                context["article_revisions"] = figures.revision_rows(report.figures, report.current)
        context.update(
            first=first,
            # What the month's figures leave to the year's (a season, a year, a period
            # across months): said under the total.
            yearly_only=counts.yearly_only(
                language, datetime.date(year, 1, 1), datetime.date(year, 12, 31)
            ),
            month_name=month_name(first),
            data=data,
            report=report,
            page_url=self.request.build_absolute_uri(self.request.path),
            # The newest of the month: the whole month is one click away in the list.
            incidents=fragments.cards(filterset.qs.with_card_data()[: stats.MONTH_CARDS]),
            previous=previous if previous.year >= 1991 else None,
            following=following if following <= today else None,
            previous_name=month_name(previous),
            following_name=month_name(following),
            list_url=f"{reverse('incidents:list')}?year={year}&month={month}&languages=all",
            note=MethodNote.objects.first(),
        )
        return context


class EmbedView(PublicRecordMixin, View):
    """One barometer chart for another site (incidents/barometer/embed.py): the page for an
    <iframe> (`format` "html"), the SVG, or the PNG."""

    every_language = True  # what the statistics page counts
    format = "html"

    def get(self, request, chart: str):
        if chart not in embed.CHARTS:
            raise Http404
        if embed.too_many_parameters(request.GET):
            return HttpResponseBadRequest(_("Too many parameters."), content_type="text/plain")
        if not any(request.GET.get(key) for key in stats.DATE_KEYS):
            # The statistics page's default period, written into the address as it does.
            start, end = stats.default_period(timezone.localdate())
            params = request.GET.copy()
            params["date_from"], params["date_to"] = start.isoformat(), end.isoformat()
            return redirect(f"{request.path}?{params.urlencode()}")
        filterset = self.filtered(request.GET)
        canonical = stats.query(filterset, figures.rule_of(request.GET))
        if sorted(parse_qsl(request.META.get("QUERY_STRING", ""), keep_blank_values=True)) != (
            sorted(parse_qsl(canonical))
        ):
            # One address per filter set: what was not understood is dropped (never echoed),
            # and an address varied by junk cannot make the page cache miss at will (a PNG
            # is 100 ms of rasterising).
            return redirect(f"{request.path}?{canonical}")
        shown = embed.embed_for(request, chart, filterset)
        if self.format == "svg":
            markup = '<?xml version="1.0" encoding="UTF-8"?>\n' + embed.svg(shown)
            return HttpResponse(markup, content_type="image/svg+xml; charset=utf-8")
        if self.format == "png":
            return HttpResponse(embed.png(embed.svg(shown)), content_type="image/png")
        return HttpResponse(
            render_to_string(
                "incidents/embed/page.html",
                {"embed": shown, "chart": embed.svg(shown, standalone=False)},
                request=None,
            )
        )


def frameable(view):
    """Any site may frame this view's pages (settings.EMBED_FRAME_ANCESTORS, "*" by default):
    the charts meant for embedding, and only them. Every other page keeps X-Frame-Options
    DENY and frame-ancestors 'none'. Applied outside the page cache, so a page served from it
    is answered with the same headers."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response.xframe_options_exempt = True
        response._csp_replace = {"frame-ancestors": list(settings.EMBED_FRAME_ANCESTORS)}
        return response

    return wrapper
