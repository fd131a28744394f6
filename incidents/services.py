"""Operations that change incidents. Views and admin actions call these."""

import dataclasses
import datetime
import functools
import logging
from collections.abc import Iterable

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max, Prefetch, Q
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from . import public_cache, search, selectors
from .barometer import article as article_text
from .dates import DatePrecision, period_end, period_start
from .models import (
    Category,
    DailyCount,
    Incident,
    IncidentUpdate,
    Language,
    MonthlyArticle,
    MonthlyCount,
    MonthlyReport,
    Person,
    Region,
    SearchWord,
    SourceLink,
    Victim,
    listed_field,
    verification_level,
)

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class PublicationConfirmation:
    """An editor's word that a held incident may be published (it names someone else of the
    same name as a protected person): who, and why."""

    user: object
    reason: str


def incident_check_publication(
    *, incident: Incident, confirmation: PublicationConfirmation | None = None
) -> None:
    """Run the checks an incident must pass to be public, with its text as saved.

    They are listed in settings.INCIDENT_PUBLICATION_CHECKS (dotted paths of callables that
    take the incident and a confirmation, and raise ValidationError), so other apps add their
    rules, such as the hotline's consent and protected identities, without this app
    importing them. Every path to the public runs them: incident_publish, the admin's save of
    a public incident (incident_save_public), incidents_refresh_due.
    """
    for path in getattr(settings, "INCIDENT_PUBLICATION_CHECKS", []):
        import_string(path)(incident, confirmation=confirmation)


@transaction.atomic
def incident_publish(
    *,
    incident: Incident,
    at=None,
    confirmation: PublicationConfirmation | None = None,
    refresh: bool = True,
) -> Incident:
    """Publish now (or at `at`); keeps an earlier publication time when republishing.

    Refuses (ValidationError) when a publication check fails, and then nothing is written:
    the incident stays as it was. Whoever follows the incident's visibility (the hotline's
    complaint status) reads it from the incident, not from an event: a scheduled publication
    is not public until its time comes. `refresh=False`: a batch writer (the demo, an import)
    refreshes once at its end, in the same transaction (incidents_rebuild).
    """
    before = (incident.status, incident.published_at)
    incident.status = Incident.Status.PUBLISHED
    incident.published_at = at or incident.published_at or timezone.now()
    try:
        incident.full_clean()
        incident_check_publication(incident=incident, confirmation=confirmation)
    except ValidationError:
        incident.status, incident.published_at = before
        raise
    incident.save()
    if refresh:
        incidents_refresh(ids=[incident.pk])
    return incident


@transaction.atomic
def incident_unpublish(*, incident: Incident, refresh: bool = True) -> Incident:
    """Back to draft: gone from the public pages, feeds and counts (`refresh` as for
    incident_publish)."""
    return _withdraw(incident, Incident.Status.DRAFT, refresh=refresh)


# --- What the public pages read off the incident table: listing flags and counts ---------


def _month(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def _next_month(month: datetime.date) -> datetime.date:
    return (month + datetime.timedelta(days=32)).replace(day=1)


def incidents_refresh(*, ids: Iterable[int] = (), months: Iterable[datetime.date] = ()) -> None:
    """Bring the listing flags and the counts up to date after incidents were written.

    `ids`: incidents written (created, edited, (un)published, their categories changed);
    every version of their stories is looked at, since a translation going live changes
    which row the other language lists. `months`: months to recount besides the ones these
    incidents occur in now (the month an edited date moved away from, a deleted incident's).
    Every service that writes incidents calls this, in the writer's transaction; the cached
    public pages are dropped once it commits.
    """
    ids = set(ids)
    months = {_month(m) for m in months}
    if ids:
        stories = set(
            Incident.objects.filter(pk__in=ids).values_list(
                Coalesce("translation_of_id", "id"), flat=True
            )
        )
        versions = list(
            Incident.objects.filter(Q(pk__in=stories) | Q(translation_of__in=stories)).only(
                "pk",
                "translation_of_id",
                "language",
                "status",
                "published_at",
                "occurred_on",
                "listed_uk",
                "listed_en",
            )
        )
        _set_listing_flags(versions)
        incidents_set_primary(ids=ids)
        incidents_set_record(ids=ids)
        victims_link_people(ids=[v.pk for v in versions])
        incidents_index(ids=ids)
        months |= {_month(v.occurred_on) for v in versions}
        ids |= {v.pk for v in versions}
    if months:
        _recount(months)
    content_changed(incidents=ids)
    sources_written(incidents=ids)


def sources_written(*, incidents: Iterable[int]) -> None:
    """Tell the apps that keep copies of cited pages (settings.SOURCE_ADDED_HOOKS, dotted
    paths of callables taking `incidents`, a list of ids) that these incidents' sources may
    have been added or changed, once the transaction commits: they decide what is new.
    incidents_refresh calls it, so every writer of sources (the admin's inline, a record
    import, a draft) passes here; a hook that misses a wake-up is caught up by its own
    periodic sweep."""
    ids = sorted({pk for pk in incidents if pk is not None})
    if not ids:
        return
    for path in getattr(settings, "SOURCE_ADDED_HOOKS", []):
        transaction.on_commit(functools.partial(import_string(path), incidents=ids))


@transaction.atomic
def source_archived(*, source_id: int, on: datetime.date | None) -> bool:
    """Record the day of the copy IMI holds of a source (None: no copy held any more), the
    one public fact about the copy. The cached pages showing its incident are dropped.
    Returns whether anything changed."""
    row = SourceLink.objects.filter(pk=source_id).values("incident_id", "archived_on").first()
    if row is None or row["archived_on"] == on:
        return False
    # Not save(): the source's history records what editors wrote, and this is not that.
    SourceLink.objects.filter(pk=source_id).update(archived_on=on)
    content_changed(incidents=[row["incident_id"]])
    return True


def incidents_set_record(*, ids: Iterable[int] | None = None) -> int:
    """Store each incident's verification level (from its sources) and the day of its
    latest public update (None: every incident). Returns how many changed."""
    incidents = Incident.objects.all()
    sources = SourceLink.objects.all()
    updates = IncidentUpdate.objects.filter(is_public=True)
    if ids is not None:
        ids = [pk for pk in ids if pk is not None]
        incidents, sources = incidents.filter(pk__in=ids), sources.filter(incident_id__in=ids)
        updates = updates.filter(incident_id__in=ids)
    by_incident: dict[int, list[SourceLink]] = {}
    for source in sources.only(
        "incident_id", "url", "publisher", "is_independent", "is_victim_account"
    ).iterator(chunk_size=10_000):
        by_incident.setdefault(source.incident_id, []).append(source)
    latest = dict(updates.order_by().values_list("incident_id").annotate(last=Max("on")))
    changed = []
    for incident in incidents.only("pk", "verification", "last_update_on").iterator(
        chunk_size=10_000
    ):
        level = verification_level(by_incident.get(incident.pk, []))
        last = latest.get(incident.pk)
        if (incident.verification, incident.last_update_on) != (level, last):
            incident.verification, incident.last_update_on = level, last
            changed.append(incident)
    Incident.objects.bulk_update(changed, ["verification", "last_update_on"], batch_size=2000)
    return len(changed)


def victims_link_people(*, ids: Iterable[int] | None = None) -> int:
    """Give every victim of these incidents (None: all) who has none a person record.

    A translation's victims are the original's people: where both versions of a story name
    as many victims, the one in the same place in the list is the same person. Anyone else
    is someone new (staff merge duplicates: people_merge). Returns how many were linked.
    """
    victims = Victim.objects.filter(person__isnull=True)
    if ids is not None:
        victims = victims.filter(incident_id__in=[pk for pk in ids if pk is not None])
    unlinked = list(victims.select_related("incident").only("pk", "incident"))
    if not unlinked:
        return 0
    stories = {v.incident.translation_of_id or v.incident_id for v in unlinked}
    in_story: dict[int, dict[int, list[Victim]]] = {}
    for victim in (
        Victim.objects.filter(
            Q(incident_id__in=stories) | Q(incident__translation_of_id__in=stories)
        )
        .select_related("incident")
        .only("pk", "person_id", "incident")
        .order_by("pk")
    ):
        story = victim.incident.translation_of_id or victim.incident_id
        in_story.setdefault(story, {}).setdefault(victim.incident_id, []).append(victim)
    # Each victim to link: the person of the same place in the other versions, or a new one
    # (one new person for that place in every version). Created and linked in bulk: a
    # rebuild after an import links 100,000 victims.
    changed: list[Victim] = []
    new: list[tuple[Person, list[Victim]]] = []
    for versions in in_story.values():
        sizes = {len(rows) for rows in versions.values()}
        places = sizes.pop() if len(sizes) == 1 else 0  # the same number in every version
        matched: dict[int, list[Victim]] = {}
        for rows in versions.values():
            for position, victim in enumerate(rows):
                if victim.person_id is None:
                    key = position if position < places else -1 - len(new) - len(matched)
                    matched.setdefault(key, []).append(victim)
        for key, victims in matched.items():
            known = {rows[key].person_id for rows in versions.values() if key >= 0} - {None}
            if len(known) == 1:
                person_id = known.pop()
                for victim in victims:
                    victim.person_id = person_id
                changed += victims
            else:
                new.append((Person(), victims))
    Person.objects.bulk_create([person for person, _victims in new], batch_size=2000)
    for person, victims in new:
        for victim in victims:
            victim.person_id = person.pk
        changed += victims
    Victim.objects.bulk_update(changed, ["person"], batch_size=2000)
    return len(changed)


@transaction.atomic
def people_merge(*, into: Person, others: Iterable[Person]) -> Person:
    """Staff found the same person twice: every incident of `others` becomes `into`'s.

    The names stay on each incident's victim row, so a withheld name stays withheld; sex
    and age group are kept where `into` has none, and withheld if either was.
    """
    others = [person for person in others if person.pk != into.pk]
    for other in others:
        into.sex = into.sex or other.sex
        into.age_group = into.age_group or other.age_group
        into.details_withheld = into.details_withheld or other.details_withheld
    into.save()
    Victim.objects.filter(person__in=others).update(person=into)
    Person.objects.filter(pk__in=[other.pk for other in others]).delete()
    content_changed()
    return into


def severity_order():
    """Categories from the most severe: by rank, then by their place in the taxonomy."""
    return ("severity_rank", "parent__position", "position", "slug")


def incidents_set_primary(*, ids: Iterable[int] | None = None) -> int:
    """Store each incident's most severe category (None: every incident), the one the
    barometer counts it under. Returns how many changed."""
    through = Incident.categories.through
    links = through.objects.order_by(
        "incident_id", *(f"category__{field}" for field in severity_order())
    )
    incidents = Incident.objects.all()
    if ids is not None:
        ids = [pk for pk in ids if pk is not None]
        links = links.filter(incident_id__in=ids)
        incidents = incidents.filter(pk__in=ids)
    wanted: dict[int, int | None] = {}
    for incident_id, category_id in links.values_list("incident_id", "category_id").iterator(
        chunk_size=10_000
    ):
        wanted.setdefault(incident_id, category_id)
    changed: dict[int | None, list[int]] = {}
    for pk, current in incidents.values_list("pk", "primary_category_id").iterator(
        chunk_size=10_000
    ):
        if wanted.get(pk) != current:
            changed.setdefault(wanted.get(pk), []).append(pk)
    for category_id, pks in changed.items():
        for start in range(0, len(pks), 5_000):
            Incident.objects.filter(pk__in=pks[start : start + 5_000]).update(
                primary_category_id=category_id
            )
    return sum(len(pks) for pks in changed.values())


@transaction.atomic
def categories_reranked() -> None:
    """After a category's severity rank (or group) changed: every incident's category to
    count it under, and every count, anew."""
    incidents_set_primary()
    _recount(None)
    content_changed()


@transaction.atomic
def names_changed(named: Category | Region) -> int:
    """After a category's or a region's name changed: the search text of the incidents
    filed under it, which holds its names (incident_search_texts), and every cached page.
    Returns how many incidents were indexed again."""
    if isinstance(named, Region):
        ids = set(Incident.objects.filter(region=named).values_list("pk", flat=True))
    else:
        links = Incident.categories.through.objects.filter(category=named)
        ids = set(links.values_list("incident_id", flat=True))
    indexed = incidents_index(ids=ids) if ids else 0
    content_changed()
    return indexed


# The city each oblast is named after or governed from, by the region's slug: a reader
# types "у Харкові" for the Kharkiv region, whose name ("Харківська область") shares no word
# with it. Kyiv Oblast has none here: "Києві" means the city, a region of its own.
REGION_CENTRES = {
    "vinnytsia": ("Вінниця", "Vinnytsia"),
    "volyn": ("Луцьк", "Lutsk"),
    "dnipropetrovsk": ("Дніпро", "Dnipro"),
    "donetsk": ("Донецьк", "Donetsk"),
    "zhytomyr": ("Житомир", "Zhytomyr"),
    "zakarpattia": ("Ужгород", "Uzhhorod"),
    "zaporizhzhia": ("Запоріжжя", "Zaporizhzhia"),
    "ivano-frankivsk": ("Івано-Франківськ", "Ivano-Frankivsk"),
    "kirovohrad": ("Кропивницький", "Kropyvnytskyi"),
    "luhansk": ("Луганськ", "Luhansk"),
    "lviv": ("Львів", "Lviv"),
    "mykolaiv": ("Миколаїв", "Mykolaiv"),
    "odesa": ("Одеса", "Odesa"),
    "poltava": ("Полтава", "Poltava"),
    "rivne": ("Рівне", "Rivne"),
    "sumy": ("Суми", "Sumy"),
    "ternopil": ("Тернопіль", "Ternopil"),
    "kharkiv": ("Харків", "Kharkiv"),
    "kherson": ("Херсон", "Kherson"),
    "khmelnytskyi": ("Хмельницький", "Khmelnytskyi"),
    "cherkasy": ("Черкаси", "Cherkasy"),
    "chernivtsi": ("Чернівці", "Chernivtsi"),
    "chernihiv": ("Чернігів", "Chernihiv"),
    "crimea": ("Сімферополь", "Simferopol"),
}


def incident_search_texts(incident: Incident, regions: dict[int, Region]) -> dict[str, str]:
    """What search may match in an incident, by weight: never a withheld victim's name.

    `incident` comes with its victims and categories prefetched; `regions` by primary key.
    Both names of its region and of its centre are searchable, so "Kharkiv" and "у Харкові"
    find the Ukrainian articles from there; both names of its categories, so "побиття" finds the incidents filed under
    "Побиття, напад" whatever words their articles use. Not the groups' names: "Кіберзлочини
    проти медіа та журналістів" would make "журналіст" find every cyberattack.
    """
    details = [incident.place, incident.country]
    for victim in incident.victims.all():
        details += [victim.outlet, victim.role]
        if victim.name and not victim.is_anonymous:
            details.append(victim.name)
    region = regions.get(incident.region_id)
    if region is not None:
        details += [region.name_uk, region.name_en, *REGION_CENTRES.get(region.slug, ())]
    for category in sorted(incident.categories.all(), key=lambda category: category.pk):
        details += [category.name_uk, category.name_en]
    return {"title": incident.title, "lead": " ".join([incident.lead, *details])}


def incidents_index(*, ids: Iterable[int] | None = None, missing_only: bool = False) -> int:
    """Prepare the search text of these incidents (None: all), and learn the words of the
    public ones for "did you mean". Returns how many were indexed.

    Every writer reaches it through incidents_refresh; incidents_rebuild indexes the rows
    that have never been (a bulk import), the search_reindex command all of them.
    """
    regions = {region.pk: region for region in Region.objects.all()}
    names = Category.objects.only("pk", "name_uk", "name_en")
    rows = Incident.objects.prefetch_related(
        "victims", Prefetch("categories", queryset=names)
    ).only("pk", "title", "lead", "body", "place", "country", "region_id", "status", "published_at")
    if ids is not None:
        rows = rows.filter(pk__in=list(ids))
    if missing_only:
        rows = rows.filter(search_document="")
    done, batch, vocabulary = 0, [], set()
    now = timezone.now()
    for incident in rows.order_by("pk").iterator(chunk_size=1000):
        texts = incident_search_texts(incident, regions)
        incident.search_title = search.document(texts["title"])
        incident.search_lead = search.document(texts["lead"])
        incident.search_document = search.document(texts["title"], texts["lead"], incident.body)
        batch.append(incident)
        if incident.status == Incident.Status.PUBLISHED and incident.published_at <= now:
            vocabulary |= {
                word.lower()
                for text in (texts["title"], texts["lead"], incident.body)
                for word in search.words(text)
                if 3 <= len(word) <= 64 and not word.isdigit()
            }
        if len(batch) >= 1000:
            done += _save_index(batch)
            batch = []
    done += _save_index(batch)
    SearchWord.objects.bulk_create(
        [SearchWord(word=word) for word in sorted(vocabulary)],
        ignore_conflicts=True,
        batch_size=5000,
    )
    return done


def _save_index(batch: list[Incident]) -> int:
    Incident.objects.bulk_update(
        batch, ["search_title", "search_lead", "search_document"], batch_size=500
    )
    return len(batch)


def listing_flags(*, status: str, language: str, live_in_story: set[str]) -> dict[str, bool]:
    """The one-version-per-language rule for one row: each interface language lists a
    published row if it is in that language, or if its story has no live version in it.
    `live_in_story`: the languages of the story's published versions whose time has come."""
    published = status == Incident.Status.PUBLISHED
    return {
        listed_field(wanted): published and (language == wanted or wanted not in live_in_story)
        for wanted in Language.values
    }


def _set_listing_flags(versions: list[Incident]) -> None:
    now = timezone.now()
    live_languages: dict[int, set[str]] = {}
    for version in versions:
        if version.status == Incident.Status.PUBLISHED and version.published_at <= now:
            story = version.translation_of_id or version.pk
            live_languages.setdefault(story, set()).add(version.language)
    changed = []
    for version in versions:
        flags = listing_flags(
            status=version.status,
            language=version.language,
            live_in_story=live_languages.get(version.translation_of_id or version.pk, set()),
        )
        if any(getattr(version, name) != value for name, value in flags.items()):
            for name, value in flags.items():
                setattr(version, name, value)
            changed.append(version)
    Incident.objects.bulk_update(changed, [listed_field(lang) for lang in Language.values])


def _month_filter(months: set[datetime.date] | None, field: str) -> Q:
    if months is None:
        return Q()
    condition = Q(pk__in=[])
    for month in months:
        condition |= Q(**{f"{field}__gte": month, f"{field}__lt": _next_month(month)})
    return condition


def _recount(months: set[datetime.date] | None) -> None:
    """Recount the given months (None: all of them) from the incident table."""
    DailyCount.objects.filter(_month_filter(months, "day")).delete()
    MonthlyCount.objects.filter(_month_filter(months, "month")).delete()
    through = Incident.categories.through
    daily, monthly = [], []
    for language in Language.values:
        public = (
            Incident.objects.published()
            .for_language(language)
            .filter(_month_filter(months, "occurred_on"))
        )
        own = Q(language=language)
        for row in (
            public.order_by()
            .values("occurred_on", "occurred_until")
            .annotate(n=Count("pk"), own=Count("pk", filter=own))
        ):
            daily.append(
                DailyCount(
                    language=language,
                    day=row["occurred_on"],
                    until=row["occurred_until"],
                    count=row["n"],
                    own=row["own"],
                )
            )
        linked = through.objects.filter(incident__in=public.order_by().values("pk"))
        linked_own = Q(incident__language=language)
        dimension = MonthlyCount.Dimension
        by_incident = (public, "occurred_on", "pk", own)
        by_link = (linked, "incident__occurred_on", "incident", linked_own)
        with_primary = public.filter(primary_category__isnull=False)
        # (dimension, the fields its key is made of, and what is counted: rows, their month's
        # field, what counts as one, which of them are written in `language`)
        sources = [
            (dimension.REGION, ["region_id"], *by_incident),
            (dimension.PERPETRATOR, ["perpetrator_type"], *by_incident),
            (dimension.CATEGORY, ["category_id"], *by_link),
            (dimension.GROUP, ["category__parent_id"], *by_link),
            (dimension.PRIMARY_CATEGORY, ["primary_category_id"], with_primary, *by_incident[1:]),
            (
                dimension.PRIMARY_GROUP,
                ["primary_category__parent_id"],
                with_primary,
                *by_incident[1:],
            ),
            (dimension.REGION_PERPETRATOR, ["region_id", "perpetrator_type"], *by_incident),
            (dimension.REGION_CATEGORY, ["incident__region_id", "category_id"], *by_link),
            (dimension.REGION_GROUP, ["incident__region_id", "category__parent_id"], *by_link),
            (
                dimension.PERPETRATOR_CATEGORY,
                ["incident__perpetrator_type", "category_id"],
                *by_link,
            ),
            (
                dimension.PERPETRATOR_GROUP,
                ["incident__perpetrator_type", "category__parent_id"],
                *by_link,
            ),
            (
                dimension.CATEGORY_GROUP,
                ["category_id", "incident__categories__parent_id"],
                *by_link,
            ),
        ]
        for name, keys, rows, date_field, counted, in_language in sources:
            grouped = (
                rows.order_by()
                .annotate(m=TruncMonth(date_field), last=TruncMonth(f"{date_field[:-2]}until"))
                .values("m", "last", *keys)
                .annotate(
                    n=Count(counted, distinct=True),
                    own=Count(counted, distinct=True, filter=in_language),
                )
            )
            for row in grouped:
                month, last = (
                    value.date() if isinstance(value, datetime.datetime) else value
                    for value in (row["m"], row["last"])
                )
                monthly.append(
                    MonthlyCount(
                        language=language,
                        month=month,
                        last_month=last,
                        dimension=name,
                        key=":".join(str(row[key]) for key in keys),
                        count=row["n"],
                        own=row["own"],
                    )
                )
    DailyCount.objects.bulk_create(daily, batch_size=2000)
    MonthlyCount.objects.bulk_create(monthly, batch_size=2000)
    _revise_reports(months)


# --- Monthly reports: published figures frozen, corrections shown beside them -----------------

REPORT_LANGUAGE = Language.UK  # every story is listed in each language: the same numbers


def month_figures(month: datetime.date) -> dict:
    """A month's barometer by IMI's rule, keyed by slug, from the summary tables."""
    month = _month(month)
    dimensions = MonthlyCount.Dimension
    # A month's figures hold what is known to have happened in it: a season or a year is
    # counted in the year's figures only (the report says how many).
    rows = MonthlyCount.objects.filter(language=REPORT_LANGUAGE, month=month, last_month=month)
    slugs = {c.pk: c.slug for c in Category.objects.all()}
    regions = {r.pk: r.slug for r in Region.objects.all()}
    figures = {"total": 0, "groups": {}, "categories": {}, "regions": {}, "perpetrators": {}}
    names = {
        dimensions.PRIMARY_GROUP: ("groups", slugs),
        dimensions.PRIMARY_CATEGORY: ("categories", slugs),
        dimensions.REGION: ("regions", regions),
        dimensions.PERPETRATOR: ("perpetrators", None),
    }
    for dimension, key, count in rows.values_list("dimension", "key", "count"):
        if dimension in names:
            name, lookup = names[dimension]
            label = key if lookup is None else lookup.get(int(key), key)
            figures[name][label] = count
    figures["total"] = sum(
        DailyCount.objects.filter(
            language=REPORT_LANGUAGE, day__gte=month, until__lt=_next_month(month)
        ).values_list("count", flat=True)
    )
    # Attempts count with completed acts; the article says how many of the month's they were.
    figures["attempts"] = (
        Incident.objects.published()
        .for_language(REPORT_LANGUAGE)
        .filter(occurred_on__gte=month, occurred_on__lt=_next_month(month), is_attempt=True)
        .count()
    )
    return figures


@transaction.atomic
def monthly_report_publish(*, month: datetime.date, user=None) -> MonthlyReport:
    """Freeze a month's figures as its published report. A month is published once: its
    figures never change afterwards (corrections show as revisions beside them)."""
    month = _month(month)
    if month > timezone.localdate():
        raise ValidationError(_("A month that has not begun cannot be published."))
    if MonthlyReport.objects.filter(month=month).exists():
        raise ValidationError(_("This month's report is already published."))
    figures = month_figures(month)
    report = MonthlyReport.objects.create(
        month=month,
        published_at=timezone.now(),
        published_by=user,
        figures=figures,
        current=figures,
    )
    report.notable.set(selectors.notable_incidents(month))
    monthly_article_draft(report=report)
    content_changed()
    return report


def _compared(month: datetime.date) -> article_text.Compared:
    """A month the article compares with: its published figures, else counted now."""
    report = MonthlyReport.objects.filter(month=month).first()
    if report is not None:
        return article_text.Compared(month=month, figures=report.figures, frozen=True)
    return article_text.Compared(month=month, figures=month_figures(month), frozen=False)


@transaction.atomic
def monthly_article_draft(*, report: MonthlyReport) -> dict[str, MonthlyArticle | None]:
    """Draft (or draft again) the month's article in each language from the report's frozen
    figures and its notable incidents. An article already published is never overwritten:
    its language maps to None."""
    month = report.month
    previous = _compared(_month(month - datetime.timedelta(days=1)))
    year_before = _compared(month.replace(year=month.year - 1))
    drafted: dict[str, MonthlyArticle | None] = {}
    for language in Language.values:
        article = (
            MonthlyArticle.objects.select_for_update()
            .filter(report=report, language=language)
            .first()
        )
        if article is not None and article.status == MonthlyArticle.Status.PUBLISHED:
            drafted[language] = None
            continue
        if article is None:
            article = MonthlyArticle(report=report, language=language)
        article.title, article.lead, article.body = article_text.draft_text(
            report, language, previous=previous, year_before=year_before
        )
        article.drafted_at = timezone.now()
        article.full_clean()
        article.save()
        drafted[language] = article
    return drafted


@transaction.atomic
def monthly_article_edit(*, article: MonthlyArticle, title: str, lead: str, body: str):
    """An editor's text. A published article's page changes at once."""
    article.title, article.lead, article.body = title, lead, body
    article.full_clean()
    article.save()
    if article.status == MonthlyArticle.Status.PUBLISHED:
        content_changed()
    return article


@transaction.atomic
def monthly_article_publish(*, article: MonthlyArticle, user=None) -> MonthlyArticle:
    """Show the article above the month's figures, in its language."""
    if article.status == MonthlyArticle.Status.PUBLISHED:
        raise ValidationError(_("This article is already published."))
    article.status = MonthlyArticle.Status.PUBLISHED
    article.published_at = timezone.now()
    article.published_by = user
    article.full_clean()
    article.save()
    content_changed()
    return article


@transaction.atomic
def monthly_report_pick(*, report: MonthlyReport, incidents: Iterable[Incident]) -> None:
    """Staff's choice of the month's notable incidents; the drafts follow when redrafted."""
    report.notable.set(list(incidents))


def _revise_reports(months: set[datetime.date] | None) -> None:
    """After a recount: a published month whose figures moved records when (revised_at)."""
    reports = MonthlyReport.objects.all()
    if months is not None:
        reports = reports.filter(month__in=months)
    for report in reports:
        # Only what the report froze: a figure counted since (attempts, issue 32) is no
        # revision of a month published before it was.
        now = {
            key: value
            for key, value in month_figures(report.month).items()
            if key in report.figures
        }
        if now != report.current:
            report.current = now
            report.revised_at = timezone.now()
            report.save(update_fields=["current", "revised_at"])


@transaction.atomic
def incidents_rebuild() -> None:
    """Every listing flag and every count anew: after a bulk import, or as a nightly check.

    listing_flags over the whole table: the live languages of every story in one query,
    then one UPDATE per combination of flags (100,000 rows: seconds).
    """
    story = Coalesce("translation_of_id", "id")
    live: dict[int, set[str]] = {}
    for story_id, language in (
        Incident.objects.published().annotate(story=story).values_list("story", "language")
    ):
        live.setdefault(story_id, set()).add(language)
    wanted: dict[tuple[tuple[str, bool], ...], list[int]] = {}
    rows = Incident.objects.annotate(story=story).values_list("pk", "story", "language", "status")
    for pk, story_id, language, status in rows.iterator(chunk_size=10_000):
        flags = listing_flags(
            status=status, language=language, live_in_story=live.get(story_id, set())
        )
        wanted.setdefault(tuple(flags.items()), []).append(pk)
    for flags, pks in wanted.items():
        for start in range(0, len(pks), 5_000):
            Incident.objects.filter(pk__in=pks[start : start + 5_000]).update(**dict(flags))
    incidents_set_primary()
    incidents_set_record()
    victims_link_people()
    _recount(None)
    incidents_index(missing_only=True)
    content_changed()


def incidents_refresh_due(*, window: datetime.timedelta = datetime.timedelta(minutes=15)) -> int:
    """Scheduled incidents whose time came within `window`: list and count them now.

    Run every minute by Celery beat; overlapping windows make a missed run harmless.
    """
    now = timezone.now()
    due = list(
        Incident.objects.filter(
            status=Incident.Status.PUBLISHED, published_at__gt=now - window, published_at__lte=now
        ).values_list("pk", flat=True)
    )
    if due:
        with transaction.atomic():
            incidents_hold_failing(ids=due)
            incidents_refresh(ids=due)
    return len(due)


def incidents_hold_failing(*, ids: Iterable[int]) -> list[int]:
    """Run the publication checks again on these published incidents (their time came, or
    what the checks protect changed since they were scheduled): one that fails goes back to
    draft before it is listed. Returns the ids sent back."""
    held = []
    for incident in Incident.objects.filter(pk__in=list(ids), status=Incident.Status.PUBLISHED):
        try:
            incident_check_publication(incident=incident)
        except ValidationError as error:
            incident_unpublish(incident=incident)
            held.append(incident.pk)
            logger.warning(
                "incident %s went back to draft: %s", incident.pk, "; ".join(error.messages)
            )
    return held


def incidents_scheduled_ids() -> list[int]:
    """Published incidents whose time has not come yet."""
    return list(
        Incident.objects.filter(
            status=Incident.Status.PUBLISHED, published_at__gt=timezone.now()
        ).values_list("pk", flat=True)
    )


@transaction.atomic
def incident_delete(*, incident: Incident) -> None:
    """Delete an incident; its other versions and its month are recounted."""
    story = incident.translation_of_id or incident.pk
    siblings = list(
        Incident.objects.filter(Q(pk=story) | Q(translation_of=story))
        .exclude(pk=incident.pk)
        .values_list("pk", flat=True)
    )
    month = incident.occurred_on
    gone = incident.pk
    incident.delete()
    incidents_refresh(ids=siblings, months=[month])
    content_changed(incidents=[gone])


def content_changed(*, incidents: Iterable[int] | None = None) -> None:
    """Drop the cached public pages a change touches: now, and again once the current
    transaction commits (see public_cache.changed). `incidents`: the incidents written, and
    only the pages that read one of them are dropped (the others are refreshed on their next
    request); None, for a change that may show on any page (a category, region or method
    note, a merged person, a report): every page is dropped."""
    marked = None if incidents is None else sorted({pk for pk in incidents if pk is not None})
    public_cache.changed(incidents=marked)
    transaction.on_commit(functools.partial(public_cache.changed, incidents=marked))


def incident_unique_slug(title: str, *, exclude_pk=None, incidents=None) -> str:
    """The address an incident gets from its title: transliterated (slug_from_title), then
    made unique with -2, -3 … The one rule for every path that names an incident (the admin
    form, a draft made from a complaint, a data migration), so an address says nothing but
    the title. `incidents` is the queryset that holds the addresses taken (a migration passes
    its historical model's); `exclude_pk` is the incident being named."""
    from .text import slug_from_title

    if incidents is None:
        incidents = Incident.objects.all()
    base = slug_from_title(title) or "incident"
    taken = incidents.exclude(pk=exclude_pk).filter(slug__startswith=base)
    taken = set(taken.values_list("slug", flat=True))
    slug, number = base, 2
    while slug in taken:
        slug = f"{base[:130].rstrip('-')}-{number}"
        number += 1
    return slug


@dataclasses.dataclass(frozen=True)
class DraftVictim:
    """The person an incident draft is about, as far as they may be named."""

    name: str = ""
    is_anonymous: bool = False
    outlet: str = ""
    role: str = ""


@transaction.atomic
def incident_create_draft(
    *,
    title: str,
    language: str,
    occurred_on: datetime.date,
    region: Region,
    category: Category,
    victim: DraftVictim,
    occurred_precision: str = DatePrecision.DAY,
    occurred_until: datetime.date | None = None,
    place: str = "",
    perpetrator_type: str = "",
    author=None,
    sources: Iterable[str] = (),
) -> Incident:
    """A new draft with the facts another part of the site knows (the hotline's verified
    complaint), for an editor to write up. Its address comes from its title; its lead and
    body are left empty, so it cannot be published before the editor writes them. Never
    public: publication is incident_publish's. `sources`: web addresses given with the facts,
    cited as sources not yet judged independent (the editor does); one that is not a valid
    address is left out. Their copies are made as for any source (sources_written)."""
    fields = {"perpetrator_type": perpetrator_type} if perpetrator_type else {}
    incident = Incident(
        title=title,
        slug=incident_unique_slug(title),
        lead="",
        body="",
        language=language,
        status=Incident.Status.DRAFT,
        occurred_on=occurred_on,
        occurred_precision=occurred_precision,
        occurred_until=occurred_until,
        region=region,
        place=place,
        author=author,
        **fields,
    )
    incident.full_clean(exclude=["categories", "lead", "body"])
    incident.save()
    incident.categories.set([category])
    Victim.objects.create(incident=incident, **dataclasses.asdict(victim))
    SourceLink.objects.bulk_create(
        SourceLink(incident=incident, url=url, is_independent=False)
        for url in _valid_addresses(sources)
    )
    incidents_refresh(ids=[incident.pk])
    return incident


def _valid_addresses(addresses: Iterable[str]) -> list[str]:
    """Each web address once, in order, as a source can cite it: one typed without its
    scheme ("t.me/channel/5", as people paste them) is read as https, as the site's forms
    read one; a line that is no address is left out."""
    field, kept = forms.URLField(assume_scheme="https", max_length=500), []
    for address in addresses:
        try:
            address = field.clean(address.strip())
        except ValidationError:
            continue
        if address and address not in kept:
            kept.append(address)
    return kept


@transaction.atomic
def incident_add_source(
    *, incident: Incident, url: str, title: str = "", publisher: str = "", published_on=None
) -> SourceLink | None:
    """One more source for an incident (an archive's copy of the same story, merged into
    it); None if the incident already cites that address. Its verification follows."""
    if url and incident.sources.filter(url=url).exists():
        return None
    source = SourceLink(
        incident=incident,
        url=url,
        title=title[:300],
        publisher=publisher,
        published_on=published_on,
    )
    source.full_clean()
    source.save()
    incidents_refresh(ids=[incident.pk])
    return source


@transaction.atomic
def incident_archive(*, incident: Incident, refresh: bool = True) -> Incident:
    """Archived: gone from the public pages, feeds and counts as a draft is, but kept as the
    article it was, with its publication time (`refresh` as for incident_publish)."""
    return _withdraw(incident, Incident.Status.ARCHIVED, refresh=refresh)


def _withdraw(incident: Incident, status: str, *, refresh: bool) -> Incident:
    """A status that is not public (incident_unpublish, incident_archive): no check to pass."""
    incident.status = status
    incident.full_clean()
    incident.save()
    if refresh:
        incidents_refresh(ids=[incident.pk])
    return incident


# --- A whole incident from a plain record: the demo data, later an archive import ----------

# Never in a record's `fields`: the status and publication time are set by their owners
# below, the rest by incidents_refresh.
_NOT_RECORD_FIELDS = frozenset({"status", "published_at", *Incident.REFRESHED_FIELDS})


@transaction.atomic
def incident_save_record(
    *,
    slug: str,
    fields: dict,
    categories: Iterable[int],
    status: str = Incident.Status.DRAFT,
    published_at: datetime.datetime | None = None,
    victims: Iterable[dict] = (),
    sources: Iterable[dict] = (),
    perpetrators: Iterable[dict] = (),
    cases: Iterable[dict] = (),
    updates: Iterable[dict] = (),
    refresh: bool = True,
) -> tuple[Incident, str]:
    """Make the incident `slug` match a plain record, writing only what differs; returns it
    and "created", "updated" or "unchanged" (then nothing was written, not even updated_at).

    `fields`: its content (model field names, `region_id`, `translation_of_id`);
    `categories`: primary keys; victims, sources, perpetrators, cases, updates: their rows as
    dicts of fields, in order, each list replaced whole when it differs, except the sources:
    a source still cited keeps its row (and the source archive's copies on it). The status and the
    publication time are not fields: a new incident is a draft, and it becomes `status`
    through incident_publish (at `published_at`; the publication checks run), incident_archive
    (a published_at: it was public once) and incident_unpublish. A public one whose record
    changed stays public only if it passes the checks again. `refresh=False`: the caller
    refreshes a batch once (incidents_rebuild), in the same transaction.
    """
    if wrong := _NOT_RECORD_FIELDS & set(fields):
        raise ValueError(f"Not a record's field: {', '.join(sorted(wrong))}.")
    if status not in Incident.Status.values:
        raise ValueError(f"Unknown status: {status}.")
    incident = Incident.objects.filter(slug=slug).first()
    created = incident is None
    if created:
        incident = Incident(slug=slug)
    before = {"story": incident.translation_of_id, "month": incident.occurred_on}
    fields = _record_dates(fields, incident)
    changed = created or any(getattr(incident, name) != value for name, value in fields.items())
    if changed:
        for name, value in fields.items():
            setattr(incident, name, value)
        incident.full_clean()
        incident.save()
    wanted = set(categories)
    if created:
        incident.categories.add(*wanted)
    elif set(incident.categories.values_list("pk", flat=True)) != wanted:
        incident.categories.set(wanted)
        changed = True
    for related, rows in (
        (incident.victims, victims),
        (incident.perpetrators, perpetrators),
        (incident.cases, cases),
        (incident.updates, updates),
    ):
        changed |= _record_rows(related, list(rows), created=created)
    changed |= _record_sources(incident, list(sources), created=created)
    moved = _record_publication(
        incident, status=status, published_at=published_at, changed=changed, refresh=refresh
    )
    if refresh and changed and not moved:
        incidents_refresh(
            ids=[incident.pk, before["story"]], months=[before["month"]] if before["month"] else []
        )
    if created:
        return incident, "created"
    return incident, "updated" if changed or moved else "unchanged"


def _record_dates(fields: dict, incident: Incident) -> dict:
    """A record's date as the incident stores it (the period's first and last day), so a
    record read again compares equal and writes nothing."""
    if not {"occurred_on", "occurred_precision", "occurred_until"} & set(fields):
        return fields
    fields = dict(fields)
    precision = fields.get("occurred_precision", incident.occurred_precision)
    start = fields.get("occurred_on", incident.occurred_on)
    if start is None:
        return fields
    until = (
        fields.get("occurred_until")
        if "occurred_until" in fields or "occurred_on" in fields
        else incident.occurred_until
    )
    fields["occurred_on"] = period_start(precision, start)
    fields["occurred_until"] = period_end(precision, until or start)
    return fields


def _record_rows(related, wanted: list[dict], *, created: bool) -> bool:
    """Make an incident's rows of one kind equal `wanted`; True if they differed."""
    if not created:
        keys = list(wanted[0]) if wanted else []
        if keys and list(related.order_by("pk").values(*keys)) == wanted:
            return False
        if not keys and not related.exists():
            return False
        related.all().delete()
    elif not wanted:
        return False
    related.model.objects.bulk_create(
        related.model(incident=related.instance, **row) for row in wanted
    )
    return True


def _record_sources(incident: Incident, wanted: list[dict], *, created: bool) -> bool:
    """Make an incident's sources equal `wanted`, keeping each row whose address is still
    cited: the copies the source archive holds hang on that row (SourceArchive, cascading),
    so a record read again must not delete and recreate it. A kept row's other fields are
    updated in place, an address no longer cited is removed, a new one added after the
    others; sources with no address are matched among themselves in order. True if
    anything differed."""
    if created:
        return _record_rows(incident.sources, wanted, created=True)
    wanted = [{"url": "", **row} for row in wanted]
    fields = sorted({"url"}.union(*wanted))
    unmatched: dict[str, list[dict]] = {}
    for row in incident.sources.order_by("pk").values("pk", *fields):
        unmatched.setdefault(row["url"], []).append(row)
    changed, new = False, []
    for row in wanted:
        if not unmatched.get(row["url"]):
            new.append(SourceLink(incident=incident, **row))
            continue
        have = unmatched[row["url"]].pop(0)
        if differs := {name: value for name, value in row.items() if have[name] != value}:
            SourceLink.objects.filter(pk=have["pk"]).update(**differs)
            changed = True
    if gone := [row["pk"] for rows in unmatched.values() for row in rows]:
        SourceLink.objects.filter(pk__in=gone).delete()
    SourceLink.objects.bulk_create(new)
    return changed or bool(gone or new)


def _record_publication(
    incident: Incident, *, status: str, published_at, changed: bool, refresh: bool
) -> bool:
    """The record's status and publication time, by their owners; True if either moved."""
    Status = Incident.Status
    if status == Status.DRAFT:
        if incident.status == Status.DRAFT:
            return False
        incident_unpublish(incident=incident, refresh=refresh)
        return True
    moved = False
    other_time = published_at is not None and incident.published_at != published_at
    if other_time or (status == Status.PUBLISHED and incident.status != Status.PUBLISHED):
        incident_publish(incident=incident, at=published_at, refresh=refresh)
        moved = True
    elif changed and incident.status == Status.PUBLISHED:
        incident_check_publication(incident=incident)
    if status == Status.ARCHIVED and incident.status != Status.ARCHIVED:
        incident_archive(incident=incident, refresh=refresh)
        moved = True
    return moved
