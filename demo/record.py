"""The demo's incidents written to the record: each one is a plain record (Spec) that
incidents.services.incident_save_record writes, by slug, saving only what differs; so a
second run changes nothing, not even `updated_at`."""

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from incidents import services
from incidents.models import Category, Person, Victim


@dataclass
class Spec:
    """One incident as it should be, keyed by slug."""

    slug: str
    fields: dict  # content fields only: the status and publication time are below
    categories: list  # leaf category slugs
    status: str
    published_at: datetime.datetime | None = None
    victims: list = field(default_factory=list)  # dicts of Victim fields
    sources: list = field(default_factory=list)  # dicts of SourceLink fields
    translation_of: str | None = None  # the original's slug
    perpetrators: list = field(default_factory=list)  # (category, body)
    cases: list = field(default_factory=list)  # dicts of CriminalCase fields
    updates: list = field(default_factory=list)  # dicts of IncidentUpdate fields
    people: list = field(default_factory=list)  # (sex, age group, name's number), per victim


VICTIM_DEFAULTS = {
    "occupation": "",
    "employment": "",
    "origin": "",
    "injury": "",
    "detained_from": None,
    "detained_until": None,
    "equipment": "",
    "killed": False,
}


def victim_fields(name, anonymous, outlet, role) -> dict:
    return {
        "name": name,
        "is_anonymous": anonymous,
        "outlet": outlet,
        "role": role,
        **VICTIM_DEFAULTS,
    }


def source_fields(url, title, publisher, published_on, independent=True, own=False) -> dict:
    return {
        "url": url,
        "title": title,
        "publisher": publisher,
        "published_on": published_on,
        "is_independent": independent,
        "is_victim_account": own,
    }


def save(specs: list[Spec], leaves: dict[str, Category]) -> dict[str, int]:
    """Write every spec, originals before their translations; how many were created,
    updated and left unchanged."""
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    pks, updated = {}, []
    for spec in specs:
        try:
            incident, outcome = services.incident_save_record(
                slug=spec.slug,
                fields={
                    **spec.fields,
                    "translation_of_id": pks[spec.translation_of] if spec.translation_of else None,
                },
                categories=[leaves[slug].pk for slug in spec.categories],
                status=spec.status,
                published_at=spec.published_at,
                victims=spec.victims,
                sources=spec.sources,
                perpetrators=[{"category": c, "body": b} for c, b in spec.perpetrators],
                cases=spec.cases,
                updates=spec.updates,
                refresh=False,
            )
        except ValidationError as error:  # refused by the checks any article must pass
            raise CommandError(f"{spec.slug}: {' '.join(error.messages)}") from error
        pks[spec.slug] = incident.pk
        counts[outcome] += 1
        if outcome == "updated":
            updated.append(incident.pk)
    # The listing flags, counts, people and search text of the public pages, once for all;
    # the rebuild indexes only what was never indexed: an edited incident is indexed here.
    services.incidents_rebuild()
    if updated:
        services.incidents_index(ids=updated)
    return counts


def people(specs: list[Spec]) -> None:
    """The demo people: sex and age group, and one person for each fictional name that is
    public wherever it appears (withheld ones are never linked)."""
    victims: dict[str, list[Victim]] = {spec.slug: [] for spec in specs}
    persons: dict[int, Person] = {}  # one instance per person, whichever victim it came with
    for victim in (
        Victim.objects.filter(incident__slug__in=list(victims))
        .select_related("person", "incident")
        .order_by("pk")
    ):
        victims[victim.incident.slug].append(victim)
        if victim.person_id is not None:
            persons.setdefault(victim.person_id, victim.person)
    by_name: dict[int, list[Person]] = {}
    for spec in specs:
        for victim, (sex, age_group, name) in zip(victims[spec.slug], spec.people, strict=True):
            person = persons.get(victim.person_id)
            if person is not None and (person.sex, person.age_group) != (sex, age_group):
                person.sex, person.age_group = sex, age_group
                person.save(update_fields=["sex", "age_group"])
            if person is not None and name is not None:
                by_name.setdefault(name, []).append(person)
    for found in by_name.values():
        distinct = sorted({person.pk: person for person in found}.values(), key=lambda p: p.pk)
        if len(distinct) > 1:
            services.people_merge(into=distinct[0], others=distinct[1:])
    Person.objects.filter(victims__isnull=True).delete()
