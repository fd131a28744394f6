"""The fictional incidents: facts drawn from one seeded generator, random.Random(2019), and
written in Ukrainian and English from the templates and phrases of data/stories.yaml.

Every run builds the same data; only the three "this month" incidents follow the current
date. The draws follow the order of the lists in stories.yaml: adding to a list, or
reordering it, changes the stories (their slugs, places, people), not only the new entry.
"""

import datetime
import random
import re
import zlib
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.utils import timezone

from incidents.dates import DatePrecision
from incidents.models import PERPETRATOR_CATEGORY, Incident, PerpetratorType

from .data import read
from .record import Spec, source_fields, victim_fields

KYIV = ZoneInfo("Europe/Kyiv")
WAR_START = datetime.date(2022, 2, 24)
FIRST_DAY = datetime.date(2017, 1, 1)
LAST_GENERATED_MONTH = (2026, 10)  # fixed, so the generated dates never depend on today
FICTIONAL_COUNT = 66
DRAFTS, ARCHIVED = {5, 27, 49}, {14, 38}  # by the story's number

P = PerpetratorType


def demo_precision(index: int) -> str:
    """How precisely a generated incident's date is known: mostly the day; a month, a season
    and a year now and then, as the record has them (issue 31)."""
    if index % 10 == 7:
        return DatePrecision.MONTH
    if index % 25 == 13:
        return DatePrecision.SEASON
    if index % 25 == 22:
        return DatePrecision.YEAR
    return DatePrecision.DAY


_DATA = read("stories")
DEMO_NOTE = _DATA["demo_note"]
PHRASES = _DATA["phrases"]
NAMES = _DATA["names"]
# The people who asked not to be named: never named in any demo incident.
WITHHELD_NAMES = frozenset(n for n, person in enumerate(NAMES) if person.get("withheld"))
OUTLETS = _DATA["outlets"]
ROLES = _DATA["roles"]
CITIES = _DATA["cities"]
COUNTRIES = _DATA["countries"]
OCCUPIED_BEFORE_WAR = _DATA["occupied_before_war"]
DOMESTIC = [slug for slug in CITIES if slug not in OCCUPIED_BEFORE_WAR]
WAR_ZONE = _DATA["war_zone"]
TEMPLATES = {
    slug: {**template, "perpetrators": [P(p) for p in template["perpetrators"]]}
    for slug, template in _DATA["templates"].items()
}
PERPETRATORS = {P(p): texts for p, texts in _DATA["perpetrators"].items()}
CLOSINGS = _DATA["closings"]
SOURCES = _DATA["sources"]
CASES = _DATA["cases"]
AGE_GROUPS = _DATA["age_groups"]

_GENDERED = re.compile(r"\{g:([^|{}]*)\|([^{}]*)\}")


def _fill(template: str, context: dict, gender: str) -> str:
    chosen = _GENDERED.sub(lambda m: m.group(1) if gender == "m" else m.group(2), template)
    return chosen.format(**context)


def _capitalize(text: str) -> str:
    return text[:1].upper() + text[1:]


@dataclass
class DemoVictim:
    name: int
    role: int
    anonymous: bool


@dataclass
class Story:
    """The language-independent facts of one fictional incident."""

    slug: str
    published_at: datetime.datetime | None
    occurred_on: datetime.date
    precision: str
    status: str
    categories: list
    region: str
    country: int | None
    perpetrator: str
    outlet: int
    victims: list
    details: list
    closing: int | None
    source: bool


class StoryMaker:
    """Draws fictional facts from one seeded generator, spreading them over the taxonomy."""

    def __init__(self, wartime: dict):
        self.rng = random.Random(2019)  # noqa: S311 - demo data, not security
        self.wartime = wartime  # leaf slug -> is_wartime, from the database
        self.used_categories = set()
        self.used_perpetrators = set()
        self.used_regions = set()

    def _prefer_new(self, options: list, used: set):
        fresh = [o for o in options if o not in used]
        choice = self.rng.choice(fresh or options)
        used.add(choice)
        return choice

    def story(self, slug_for, published_at, occurred_on, *, precision, status, source):
        rng = self.rng
        war = occurred_on >= WAR_START
        allowed = [s for s in TEMPLATES if war or not self.wartime[s]]
        pool = allowed
        if war and rng.random() < 0.4:
            pool = [s for s in allowed if self.wartime[s]]
        primary = self._prefer_new(pool, self.used_categories)
        categories = [primary]
        related = [s for s in TEMPLATES[primary]["related"] if s in allowed]
        if related and rng.random() < 0.35:
            categories.append(rng.choice(related))
            self.used_categories.add(categories[-1])

        perpetrators = list(TEMPLATES[primary]["perpetrators"])
        if not war and primary not in ("detention", "abduction", "cyberattack"):
            perpetrators = [p for p in perpetrators if p != P.RUSSIAN_FORCES] or perpetrators
        perpetrator = self._prefer_new(perpetrators, self.used_perpetrators)

        country = None
        if perpetrator == P.FOREIGN_STATE or (
            perpetrator in (P.PRIVATE_PERSONS, P.UNKNOWN)
            and primary in ("threats", "account-hacking", "beating")
            and rng.random() < 0.3
        ):
            region = "abroad"
            country = rng.randrange(len(COUNTRIES))
        elif perpetrator == P.RUSSIAN_FORCES and primary != "cyberattack":
            region = self._prefer_new(WAR_ZONE if war else OCCUPIED_BEFORE_WAR, self.used_regions)
        else:
            domestic = [s for s in DOMESTIC if not (war and s == "luhansk")]
            region = self._prefer_new(domestic, self.used_regions)

        victims = []
        for _ in range(2 if rng.random() < 0.3 else 1):
            name = rng.choice([n for n in range(len(NAMES)) if n not in {v.name for v in victims}])
            role = rng.randrange(len(ROLES))
            rng.random()  # was each appearance's own chance of a withheld name
            # A withheld name is the person's wish, in every incident about them: an
            # archive that withholds a name in one article and prints it in another names
            # them against their will (issue 26).
            victims.append(DemoVictim(name, role, anonymous=name in WITHHELD_NAMES))
        details = rng.choice([[0], [1], [0, 1]])
        closing = rng.randrange(len(CLOSINGS)) if len(details) == 1 else None
        return Story(
            slug=slug_for(primary, region),
            published_at=published_at,
            occurred_on=occurred_on,
            precision=precision,
            status=status,
            categories=categories,
            region=region,
            country=country,
            perpetrator=perpetrator,
            outlet=rng.randrange(len(OUTLETS)),
            victims=victims,
            details=details,
            closing=closing,
            source=source,
        )


def render(story: Story, language: str, regions: dict, slug: str | None = None) -> Spec:
    """The incident as written in `language`: the same facts, texts from the templates."""
    template = TEMPLATES[story.categories[0]]
    outlet = OUTLETS[story.outlet][language]

    def role_of(victim):
        role = ROLES[victim.role]
        return role["en"] if language == "en" else role["uk"][NAMES[victim.name]["gender"]]

    first = story.victims[0]
    gender = NAMES[first.name]["gender"]
    role = role_of(first)
    who = PHRASES["who_withheld" if first.anonymous else "who"][language].format(
        role=role, outlet=outlet, name=NAMES[first.name][language]
    )
    town = CITIES[story.region] if story.country is None else COUNTRIES[story.country]["city"]
    city = town[language]
    loc = town["uk_in"] if language == "uk" else PHRASES["in_city"]["en"].format(city=city)
    context = {
        "who": who,
        "Who": _capitalize(who),
        "role": role,
        "Role": _capitalize(role),
        "outlet": outlet,
        "city": city,
        "loc": loc,
        "Loc": _capitalize(loc),
    }

    def text(texts):
        return _fill(texts[language], context, gender)

    perpetrator = PERPETRATORS[story.perpetrator]
    paragraphs = [DEMO_NOTE[language]]
    paragraphs += [text(template["details"][i]) for i in story.details]
    paragraphs.append(text(perpetrator["paragraph"]))
    if story.closing is not None:
        paragraphs.append(CLOSINGS[story.closing][language])
    return Spec(
        slug=slug or story.slug,
        fields={
            "language": language,
            "title": _capitalize(text(template["title"])),
            "lead": text(template["lead"]),
            "body": "\n\n".join(paragraphs),
            "occurred_on": story.occurred_on,
            "occurred_precision": story.precision,
            "region_id": regions[story.region].pk,
            "place": f"{city}, {template['spot'][language]}",
            "country": "" if story.country is None else COUNTRIES[story.country][language],
            "perpetrator_type": story.perpetrator,
            "perpetrator_detail": perpetrator["detail"][language],
        },
        categories=story.categories,
        status=story.status,
        published_at=story.published_at,
        **record_facts(story, language, outlet, role_of),
    )


def record_facts(story: Story, language: str, outlet: str, role_of) -> dict:
    """The record's depth (issue 17): victims' details, sources, perpetrators, a criminal
    case and its dated updates. Drawn from a hash of the story's slug, not from the
    generator, so the stories themselves stay as they were, and both versions of a story
    get the same facts."""
    today = timezone.localdate()
    seed = zlib.crc32(story.slug.encode())
    primary = story.categories[0]
    day = story.occurred_on
    sources = []
    if story.source:
        own = seed % 3 == 0
        sources.append(
            source_fields(
                SOURCES["urls"]["story"].format(slug=story.slug),
                SOURCES["victims" if own else "outlet"][language].format(outlet=outlet),
                outlet,
                day,
                independent=not own,
                own=own,
            )
        )
        if seed % 3 == 1:
            sources.append(
                source_fields(
                    SOURCES["urls"]["monitor"].format(slug=story.slug),
                    SOURCES["monitor"]["title"][language],
                    SOURCES["monitor"]["publisher"][language],
                    min(day + datetime.timedelta(days=2), today),
                )
            )
    detail = PERPETRATORS[story.perpetrator]["detail"][language]
    perpetrators = [(PERPETRATOR_CATEGORY[story.perpetrator].value, detail)]
    if seed % 7 == 0 and story.perpetrator != P.UNKNOWN:
        perpetrators.append(("unknown", ""))
    victims, people = [], []
    for position, victim in enumerate(story.victims):
        person = NAMES[victim.name]
        facts = victim_fields(person[language], victim.anonymous, outlet, role_of(victim))
        facts["occupation"] = ROLES[victim.role]["occupation"]
        facts["employment"] = "freelance" if (seed >> position) % 4 == 0 else "staff"
        facts["origin"] = "local" if story.country is None else "foreign"
        if position == 0:
            if primary in ("beating", "shelling-injury"):
                facts["injury"] = "serious" if seed % 5 == 0 else "minor"
            if primary in ("detention", "abduction"):
                facts["detained_from"] = day
                facts["detained_until"] = min(day + datetime.timedelta(days=seed % 4), today)
            if primary in ("damage-to-property", "beating") and seed % 2:
                facts["equipment"] = "damaged"
            facts["killed"] = primary == "killing"
        victims.append(facts)
        people.append(
            (
                "female" if person["gender"] == "f" else "male",
                AGE_GROUPS[(seed >> (position + 3)) % len(AGE_GROUPS)],
                None if victim.anonymous else victim.name,
            )
        )
    cases, updates = [], []
    article = CASES["articles"].get(primary)
    opened = day + datetime.timedelta(days=3)
    if article and story.published_at and seed % 4 != 3 and opened <= today:
        texts = {kind: texts[language] for kind, texts in CASES["texts"].items()}
        stage = ["investigating", "in_court", "verdict", "closed", "investigating"][seed % 5]
        verdict_on = opened + datetime.timedelta(days=300)
        if stage in ("in_court", "verdict") and verdict_on > today:
            stage = "investigating"
        cases.append(
            {
                "number": f"1202{day:%y}{seed % 10**10:010d}",
                "article": article,
                "opened_on": opened,
                "status": stage,
                "verdict_on": verdict_on if stage == "verdict" else None,
                "verdict": texts["verdict"] if stage == "verdict" else "",
                "impunity": {"verdict": "partial", "closed": "complete"}.get(stage, ""),
            }
        )
        entries = [(opened, "case", "", texts["opened"].format(article=article))]
        replied = opened + datetime.timedelta(days=30)
        if replied <= today:
            entries.append((replied, "reply", CASES["authority"][language], texts["reply"]))
        if stage in ("in_court", "verdict"):
            entries.append((opened + datetime.timedelta(days=200), "case", "", texts["court"]))
        if stage == "verdict":
            entries.append((verdict_on, "case", "", texts["verdict"]))
        if stage == "closed":
            entries.append((opened + datetime.timedelta(days=120), "case", "", texts["closed"]))
        updates = [
            {"on": on, "kind": kind, "authority": authority, "text": text, "is_public": True}
            for on, kind, authority, text in entries
            if on <= today
        ]
    return {
        "victims": victims,
        "sources": sources,
        "perpetrators": perpetrators,
        "cases": cases,
        "updates": updates,
        "people": people,
    }


def fictional_specs(regions: dict, wartime: dict) -> list[Spec]:
    maker = StoryMaker(wartime)
    rng = maker.rng
    originals, translations = [], []
    last_year, last_month = LAST_GENERATED_MONTH
    for i in range(FICTIONAL_COUNT):
        year = 2017 + i % 10
        month = rng.randint(1, last_month if year == last_year else 12)
        published = datetime.datetime(
            year,
            month,
            rng.randint(1, 28),
            rng.randint(8, 21),
            rng.randrange(0, 60, 5),
            tzinfo=KYIV,
        )
        occurred_on = max(FIRST_DAY, published.date() - datetime.timedelta(rng.randint(0, 10)))
        status = Incident.Status.PUBLISHED
        if i in DRAFTS:
            status = Incident.Status.DRAFT
        elif i in ARCHIVED:
            status = Incident.Status.ARCHIVED
        story = maker.story(
            lambda primary, region, i=i, d=occurred_on: (
                f"demo-{d:%Y-%m}-{primary}-{region}-{i + 1}"
            ),
            None if status == Incident.Status.DRAFT else published,
            occurred_on,
            precision=demo_precision(i),
            status=status,
            source=i % 2 == 0,
        )
        language = "en" if i % 4 == 1 else "uk"
        originals.append(render(story, language, regions))
        if language == "uk" and i % 8 == 0 and status == Incident.Status.PUBLISHED:
            translation = render(story, "en", regions, slug=f"{story.slug}-en")
            translation.translation_of = story.slug
            translations.append(translation)
    return originals + translations + this_month_specs(maker, regions)


def this_month_specs(maker: StoryMaker, regions: dict) -> list[Spec]:
    """Three incidents in the current month; stable slugs, so they move along with the date."""
    now = timezone.now()
    today = timezone.localdate(now)
    specs = []
    for number, (back, language) in enumerate([(1, "uk"), (4, "uk"), (8, "en")], start=1):
        earlier = maker.rng.randint(0, 3)
        day = max(1, today.day - back)
        if day < today.day:
            published = datetime.datetime(today.year, today.month, day, 9 + number, 15, tzinfo=KYIV)
        else:  # the 1st of the month: early enough that it is already public
            published = datetime.datetime(today.year, today.month, day, 0, number, tzinfo=KYIV)
        occurred_on = published.date() - datetime.timedelta(min(earlier, day - 1))
        story = maker.story(
            lambda primary, region, n=number: f"demo-this-month-{n}",
            min(published, now),
            occurred_on,
            precision=DatePrecision.DAY,
            status=Incident.Status.PUBLISHED,
            source=number != 2,
        )
        specs.append(render(story, language, regions))
    return specs


def needs() -> tuple[set[str], set[str]]:
    """The regions and the leaf categories the stories are filed under."""
    return {"abroad", *CITIES}, set(TEMPLATES)
