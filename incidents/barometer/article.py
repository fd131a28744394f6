"""The month's barometer as a text (issue 32): a draft in Ukrainian and English, written
from the report's frozen figures, so no number in it can disagree with the table under it.

Every number comes from `report.figures` (or from the compared months' figures: frozen when
that month was published, else counted now and said so); the words around them are the
site's messages (the uk catalogue, with its three plural forms), and names of categories,
regions and perpetrators stay in the nominative ("Побиття, напад — 4"), which needs no
inflection to be right. Month names take the case each phrase needs from UK_MONTHS.
"""

import dataclasses
import datetime

from django.db.models.functions import Coalesce
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from ..models import Incident, MonthlyReport, PerpetratorType
from . import figures as barometer

LEADING = 5  # how many categories, regions and perpetrators the text names

NOMINATIVE, GENITIVE, LOCATIVE, INSTRUMENTAL = "nom", "gen", "loc", "ins"
# Ukrainian month names in the cases the text uses: "березень 2025 року" (a title),
# "проти березня", "у березні", "порівняно з березнем". A table, not a guesser: "лютий" is
# also an adjective, and a dictionary would offer "лютому" and "лютім" alike.
UK_MONTHS = {
    NOMINATIVE: [
        "січень",
        "лютий",
        "березень",
        "квітень",
        "травень",
        "червень",
        "липень",
        "серпень",
        "вересень",
        "жовтень",
        "листопад",
        "грудень",
    ],
    GENITIVE: [
        "січня",
        "лютого",
        "березня",
        "квітня",
        "травня",
        "червня",
        "липня",
        "серпня",
        "вересня",
        "жовтня",
        "листопада",
        "грудня",
    ],
    LOCATIVE: [
        "січні",
        "лютому",
        "березні",
        "квітні",
        "травні",
        "червні",
        "липні",
        "серпні",
        "вересні",
        "жовтні",
        "листопаді",
        "грудні",
    ],
    INSTRUMENTAL: [
        "січнем",
        "лютим",
        "березнем",
        "квітнем",
        "травнем",
        "червнем",
        "липнем",
        "серпнем",
        "вереснем",
        "жовтнем",
        "листопадом",
        "груднем",
    ],
}


@dataclasses.dataclass(frozen=True)
class Compared:
    """A month the report is compared with: its figures, and whether they are that month's
    published ones (frozen) or counted now from today's record."""

    month: datetime.date
    figures: dict
    frozen: bool


def month_phrase(month: datetime.date, case: str = NOMINATIVE) -> str:
    """The month and year in the active language, in `case` for Ukrainian: "March 2025",
    "у березні 2025 року" takes LOCATIVE ("березні 2025 року")."""
    if (translation.get_language() or "").startswith("en"):
        with translation.override("en"):
            return date_format(month, "F Y")
    return f"{UK_MONTHS[case][month.month - 1]} {month.year} року"


def change_words(current: int, previous: int) -> str:
    """ "3 more (+27%)", "2 fewer (−13%)", "as many"; no percent from a zero base."""
    found = barometer.change(current, previous)
    delta, percent = found["delta"], found["percent"]
    if delta == 0:
        return pgettext("compared with a month", "as many")
    if delta > 0:
        words = pgettext("compared with a month", "%(count)s more") % {"count": delta}
    else:
        words = pgettext("compared with a month", "%(count)s fewer") % {"count": -delta}
    if percent is not None:
        words += f" ({'+' if percent >= 0 else '−'}{abs(percent)}%)"
    return words


def _count_of(compared: Compared, count: int) -> str:
    if compared.frozen:
        return str(count)
    return _("%(count)s, counted now") % {"count": count}


def comparison_lines(report: MonthlyReport, previous, year_before) -> list[str]:
    total = report.figures.get("total", 0)
    lines = []
    if previous is not None:
        before = previous.figures.get("total", 0)
        lines.append(
            _("Compared with %(month)s (%(count)s): %(change)s.")
            % {
                "month": month_phrase(previous.month, INSTRUMENTAL),
                "count": _count_of(previous, before),
                "change": change_words(total, before),
            }
        )
    if year_before is not None:
        before = year_before.figures.get("total", 0)
        lines.append(
            _("Compared with %(month)s, a year before (%(count)s): %(change)s.")
            % {
                "month": month_phrase(year_before.month, GENITIVE),
                "count": _count_of(year_before, before),
                "change": change_words(total, before),
            }
        )
    return lines


def _russia(figures: dict) -> int:
    return figures.get("perpetrators", {}).get(PerpetratorType.RUSSIAN_FORCES.value, 0)


def _heading(text: str) -> str:
    """A section's heading in the article's Markdown. The text is translated by the caller,
    outside any f-string: makemessages cannot see a gettext call inside one, and the
    Ukrainian article went out with English headings."""
    return f"## {text}\n\n"


def _listing(rows) -> list[str]:
    return [f"- {name} — {count}" for name, count in rows[:LEADING]]


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")


def notable_links(report: MonthlyReport, language: str) -> list[tuple[str, str]]:
    """The report's notable incidents as (title, address), each story in `language` when it
    is published in it, else in the other (said after the title); only public ones. A
    report not saved yet (a preview) has none."""
    if report.pk is None:
        return []
    story = Coalesce("translation_of_id", "id")
    picked = report.notable.annotate(story=story).values("story")
    rows = (
        Incident.objects.published()
        .for_language(language)
        .annotate(story=story)
        .filter(story__in=picked)
        .order_by("primary_category__severity_rank", "occurred_on", "pk")
        .only("title", "slug", "language")
    )
    links = []
    with translation.override(language):
        for incident in rows:
            title = incident.title
            if incident.language != language:
                other = _("in Ukrainian") if incident.language == "uk" else _("in English")
                title = f"{title} ({other})"
            links.append((title, incident.get_absolute_url()))
    return links


def draft_text(
    report: MonthlyReport,
    language: str,
    *,
    previous: Compared | None = None,
    year_before: Compared | None = None,
) -> tuple[str, str, str]:
    """(title, lead, body in Markdown) of the month's article in `language`, from the
    report's frozen figures and the months compared (None: not compared)."""
    with translation.override(language):
        return _draft(report, language, previous, year_before)


def _draft(report, language, previous, year_before) -> tuple[str, str, str]:
    figures = report.figures
    month = report.month
    total = figures.get("total", 0)
    title = _("Barometer of freedom of speech: %(month)s") % {
        "month": month_phrase(month, NOMINATIVE)
    }
    if not total:
        lead = _("IMI recorded no violations of freedom of speech in %(month)s.") % {
            "month": month_phrase(month, LOCATIVE)
        }
    else:
        lead = ngettext(
            "In %(month)s IMI recorded %(count)s violation of freedom of speech.",
            "In %(month)s IMI recorded %(count)s violations of freedom of speech.",
            total,
        ) % {"month": month_phrase(month, LOCATIVE), "count": total}
    parts = []
    compared = comparison_lines(report, previous, year_before)
    if compared:
        parts.append("\n".join(f"- {line}" for line in compared))
    if total:
        rows = barometer.report_rows(figures)
        groups = [(group.name, n) for group, n in rows["groups"] if n]
        parts.append(_heading(_("By type of violation")) + "\n".join(_listing(groups)))
        categories = [(c.name, n) for c, n in rows["categories"]]
        parts.append(_heading(_("The most frequent violations")) + "\n".join(_listing(categories)))
        regions = [(r.name, n) for r, n in rows["regions"]]
        if regions:
            parts.append(_heading(_("Regions")) + "\n".join(_listing(regions)))
        perpetrators = [
            (str(label), n) for label, n in barometer.perpetrator_rows(figures["perpetrators"])
        ]
        said = []
        russia = _russia(figures)
        if russia:
            said.append(
                ngettext(
                    "Of these, %(count)s violation was committed by the Russian Federation.",
                    "Of these, %(count)s violations were committed by the Russian Federation.",
                    russia,
                )
                % {"count": russia}
            )
            if previous is not None:
                said.append(
                    _("In %(month)s the Russian Federation's count was %(count)s.")
                    % {
                        "month": month_phrase(previous.month, LOCATIVE),
                        "count": _count_of(previous, _russia(previous.figures)),
                    }
                )
        # Reports frozen before attempts were counted have no such figure: nothing is said.
        attempts = figures.get("attempts")
        if attempts:
            said.append(
                ngettext(
                    "%(count)s of them was an attempt that did not succeed; IMI counts "
                    "attempts with completed acts.",
                    "%(count)s of them were attempts that did not succeed; IMI counts "
                    "attempts with completed acts.",
                    attempts,
                )
                % {"count": attempts}
            )
        if perpetrators:
            section = _heading(_("Perpetrators")) + "\n".join(_listing(perpetrators))
            if said:
                section += "\n\n" + " ".join(said)
            parts.append(section)
    links = notable_links(report, language)
    if links:
        parts.append(
            _heading(_("Notable cases"))
            + "\n".join(f"- [{_escape(title)}]({url})" for title, url in links)
        )
    parts.append(
        "_"
        + _(
            "Counted by IMI's rule: each incident once, under its most severe category. These "
            "are the figures published with the month's barometer."
        )
        + "_"
    )
    return title, lead, "\n\n".join(parts)
