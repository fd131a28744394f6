"""The record's new facts for the incidents already there (issue 17).

- each source gets its publisher, read off its address (the date stays unknown);
- each incident gets a perpetrator row from its perpetrator type and details;
- the categories get their SDG 16.10.1 act (editable in the admin afterwards);
- the Akhmet case gets its sources: her own account to IMI, and IMI's news item (which
  reports her account, so it is not independent of it);
- then today's incidents_rebuild (moved here from 0010, and on to 0016): flags, counts,
  search text, each victim's person record and each incident's verification level.
"""

import datetime
import re

from django.db import migrations

SDG = {
    "killing": "killing",
    "abduction": "kidnapping",
    "detention": "arbitrary_detention",
    "beating": "other_harmful_act",
    "threats": "other_harmful_act",
    "shelling-injury": "other_harmful_act",
    "attack-on-media-office": "other_harmful_act",
    "damage-to-property": "other_harmful_act",
    "prosecution": "other_harmful_act",
}

CATEGORY_OF = {
    "police": "state",
    "security_services": "state",
    "officials": "state",
    "politicians": "state",
    "courts": "state",
    "military": "state",
    "russian_forces": "foreign_state",
    "foreign_state": "foreign_state",
    "business": "non_state",
    "private_persons": "non_state",
    "unknown": "unknown",
}

AKHMET = {
    "kazakh-journalist-claimed-about-provocation-targeting-tv-channel-she-ran": "en",
    "kazakhska-zhurnalistka-zaiavyla-pro-provokatsiiu-proty-telekanalu": "uk",
}
AKHMET_SOURCES = {
    "uk": [
        ("Жанара Ахмет, заява ІМІ", "Жанара Ахмет", False, True),
        ("Інститут масової інформації, новина", "Інститут масової інформації", False, False),
    ],
    "en": [
        ("Zhanara Akhmet, statement to IMI", "Zhanara Akhmet", False, True),
        ("Institute of Mass Information, news item", "Institute of Mass Information", False, False),
    ],
}


def seed_sdg(apps, schema_editor=None):
    """The categories' SDG 16.10.1 acts, where staff have not set one (idempotent: the
    browser tests run it again after a flush)."""
    db = schema_editor.connection.alias if schema_editor else "default"
    Category = apps.get_model("incidents", "Category")
    for slug, act in SDG.items():
        Category.objects.using(db).filter(slug=slug, sdg_act="").update(sdg_act=act)


def forward(apps, schema_editor):
    db = schema_editor.connection.alias
    seed_sdg(apps, schema_editor)
    Incident = apps.get_model("incidents", "Incident")
    SourceLink = apps.get_model("incidents", "SourceLink")
    Perpetrator = apps.get_model("incidents", "Perpetrator")
    for source in SourceLink.objects.using(db).filter(publisher=""):
        host = re.match(r"\s*[a-z][a-z0-9+.-]*://([^/?#:]+)", source.url, re.IGNORECASE)
        if host:
            source.publisher = host.group(1).lower().removeprefix("www.")
            source.save(update_fields=["publisher"])
    rows = []
    for pk, kind, detail in (
        Incident.objects.using(db)
        .filter(perpetrators__isnull=True)
        .values_list("pk", "perpetrator_type", "perpetrator_detail")
    ):
        rows.append(
            Perpetrator(incident_id=pk, category=CATEGORY_OF.get(kind, "unknown"), body=detail)
        )
    Perpetrator.objects.using(db).bulk_create(rows, batch_size=2000)
    day = datetime.date(2019, 2, 27)
    for slug, language in AKHMET.items():
        incident = Incident.objects.using(db).filter(slug=slug).first()
        if incident is None or SourceLink.objects.using(db).filter(incident=incident).exists():
            continue
        for title, publisher, independent, own in AKHMET_SOURCES[language]:
            SourceLink.objects.using(db).create(
                incident=incident,
                url="",
                title=title,
                publisher=publisher,
                published_on=day,
                is_independent=independent,
                is_victim_account=own,
            )
    # Then today's incidents_rebuild: done by 0016, the latest migration that changes what it
    # reads or writes (run here, it would be run twice).


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0012_record_depth"),
    ]

    operations = [
        migrations.RunPython(forward, migrations.RunPython.noop),
    ]
