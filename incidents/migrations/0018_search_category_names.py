"""Search finds incidents by their categories' names, and verbal nouns by their verbs.

"побиття" found nothing: no article says it, the category "Побиття, напад" was not in the
search text, and "побиття" is another word than the "побили" the articles use. The search
text now holds the names of each incident's categories (both languages; not their groups'),
and search.forms gives a verbal noun its verb; and the city each oblast is governed from
("у Харкові" for the Kharkiv region). Existing rows are prepared anew here, with a
frozen copy of what may be searched (services.incident_search_texts).

On PostgreSQL the search vectors are stored compressed with lz4 where the server has it
(PostgreSQL 14+): a search reads a few thousand of them, and pglz's decompression was about
half the time of each.
"""

from django.contrib.postgres.operations import BtreeGinExtension
from django.db import migrations


class PostgresBtreeGinExtension(BtreeGinExtension):
    """btree_gin on PostgreSQL; nothing elsewhere, both ways (Django's skips other databases
    only forwards, and its backwards asks SQLite for pg_extension)."""

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)

# The search index with the listing flags and the language beside the words: a word common
# in one language searched on the other's list ("police" on the Ukrainian one) had the plain
# index give every English match, each row read to be dropped (0.2 s at 100,000).
LISTED_INDEX = """
CREATE INDEX IF NOT EXISTS incidents_incident_search_listed_gin ON incidents_incident
  USING gin (search_vector, listed_uk, listed_en, language);
"""


# services.REGION_CENTRES as of this migration.
REGION_CENTRES = [
    ("vinnytsia", ("Вінниця", "Vinnytsia")),
    ("volyn", ("Луцьк", "Lutsk")),
    ("dnipropetrovsk", ("Дніпро", "Dnipro")),
    ("donetsk", ("Донецьк", "Donetsk")),
    ("zhytomyr", ("Житомир", "Zhytomyr")),
    ("zakarpattia", ("Ужгород", "Uzhhorod")),
    ("zaporizhzhia", ("Запоріжжя", "Zaporizhzhia")),
    ("ivano-frankivsk", ("Івано-Франківськ", "Ivano-Frankivsk")),
    ("kirovohrad", ("Кропивницький", "Kropyvnytskyi")),
    ("luhansk", ("Луганськ", "Luhansk")),
    ("lviv", ("Львів", "Lviv")),
    ("mykolaiv", ("Миколаїв", "Mykolaiv")),
    ("odesa", ("Одеса", "Odesa")),
    ("poltava", ("Полтава", "Poltava")),
    ("rivne", ("Рівне", "Rivne")),
    ("sumy", ("Суми", "Sumy")),
    ("ternopil", ("Тернопіль", "Ternopil")),
    ("kharkiv", ("Харків", "Kharkiv")),
    ("kherson", ("Херсон", "Kherson")),
    ("khmelnytskyi", ("Хмельницький", "Khmelnytskyi")),
    ("cherkasy", ("Черкаси", "Cherkasy")),
    ("chernivtsi", ("Чернівці", "Chernivtsi")),
    ("chernihiv", ("Чернігів", "Chernihiv")),
    ("crimea", ("Сімферополь", "Simferopol")),
]


def lz4_vectors(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
        )
        row = cursor.fetchone()
    if row and row[0]:
        schema_editor.execute(
            "ALTER TABLE incidents_incident ALTER COLUMN search_vector SET COMPRESSION lz4"
        )


def pglz_vectors(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('server_version_num')::int >= 140000")
            if cursor.fetchone()[0]:
                schema_editor.execute(
                    "ALTER TABLE incidents_incident ALTER COLUMN search_vector "
                    "SET COMPRESSION pglz"
                )


def listed_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(LISTED_INDEX)


def drop_listed_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS incidents_incident_search_listed_gin")


def prepare(apps, schema_editor):
    from incidents import search

    Incident = apps.get_model("incidents", "Incident")
    Region = apps.get_model("incidents", "Region")
    centres = {slug: names for slug, names in REGION_CENTRES}
    regions = {
        r.pk: (r.name_uk, r.name_en, *centres.get(r.slug, ())) for r in Region.objects.all()
    }
    fields = ["search_title", "search_lead", "search_document"]
    batch = []
    rows = Incident.objects.prefetch_related("victims", "categories").order_by("pk")
    for incident in rows.iterator(chunk_size=1000):
        details = [incident.place, incident.country, *regions.get(incident.region_id, ())]
        for victim in incident.victims.all():
            details += [victim.outlet, victim.role]
            if victim.name and not victim.is_anonymous:
                details.append(victim.name)
        for category in sorted(incident.categories.all(), key=lambda category: category.pk):
            details += [category.name_uk, category.name_en]
        lead = " ".join([incident.lead, *details])
        incident.search_title = search.document(incident.title)
        incident.search_lead = search.document(lead)
        incident.search_document = search.document(incident.title, lead, incident.body)
        batch.append(incident)
        if len(batch) >= 1000:
            Incident.objects.bulk_update(batch, fields, batch_size=500)
            batch = []
    Incident.objects.bulk_update(batch, fields, batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("incidents", "0017_record_filter_indexes")]

    operations = [
        # The compression first: the vectors written by `prepare` are stored with it.
        migrations.RunPython(lz4_vectors, pglz_vectors),
        migrations.RunPython(prepare, migrations.RunPython.noop),
        PostgresBtreeGinExtension(),
        migrations.RunPython(listed_index, drop_listed_index),
    ]
