"""Search by word forms (issue 16): the prepared text, its PostgreSQL index, the vocabulary.

The trigger of 0003 indexed the raw title, lead and body with the 'simple' configuration, so
"Харків" missed "Харкові". It now indexes the forms prepared by incidents/search.py (title A,
lead and details B, everything C). pg_trgm serves "did you mean" over SearchWord.
Existing rows are prepared here, with a frozen copy of what may be searched.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models

TRIGGER = """
CREATE OR REPLACE FUNCTION incidents_incident_search_vector() RETURNS trigger AS $$
BEGIN
  NEW.search_vector :=
    setweight(to_tsvector('simple', coalesce(NEW.search_title, '')), 'A') ||
    setweight(to_tsvector('simple', coalesce(NEW.search_lead, '')), 'B') ||
    setweight(to_tsvector('simple', coalesce(NEW.search_document, '')), 'C');
  RETURN NEW;
END
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS incidents_incident_search_vector_trigger ON incidents_incident;
CREATE TRIGGER incidents_incident_search_vector_trigger
  BEFORE INSERT OR UPDATE OF search_title, search_lead, search_document, search_vector
  ON incidents_incident
  FOR EACH ROW EXECUTE FUNCTION incidents_incident_search_vector();

CREATE INDEX IF NOT EXISTS incidents_searchword_trgm
  ON incidents_searchword USING gin (word gin_trgm_ops);
"""

OLD_TRIGGER = """
DROP INDEX IF EXISTS incidents_searchword_trgm;
CREATE OR REPLACE FUNCTION incidents_incident_search_vector() RETURNS trigger AS $$
BEGIN
  NEW.search_vector :=
    setweight(to_tsvector('simple', coalesce(NEW.title, '')), 'A') ||
    setweight(to_tsvector('simple', coalesce(NEW.lead, '')), 'B') ||
    setweight(to_tsvector('simple', coalesce(NEW.body, '')), 'C');
  RETURN NEW;
END
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS incidents_incident_search_vector_trigger ON incidents_incident;
CREATE TRIGGER incidents_incident_search_vector_trigger
  BEFORE INSERT OR UPDATE OF title, lead, body, search_vector ON incidents_incident
  FOR EACH ROW EXECUTE FUNCTION incidents_incident_search_vector();
UPDATE incidents_incident SET title = title;
"""


def trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER)


def old_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(OLD_TRIGGER)


def prepare(apps, schema_editor):
    from incidents import search

    Incident = apps.get_model("incidents", "Incident")
    Region = apps.get_model("incidents", "Region")
    regions = {r.pk: (r.name_uk, r.name_en) for r in Region.objects.all()}
    batch = []
    for incident in Incident.objects.prefetch_related("victims").iterator(chunk_size=500):
        details = [incident.place, incident.country, *regions.get(incident.region_id, ())]
        for victim in incident.victims.all():
            details += [victim.outlet, victim.role]
            if victim.name and not victim.is_anonymous:
                details.append(victim.name)
        lead = " ".join([incident.lead, *details])
        incident.search_title = search.document(incident.title)
        incident.search_lead = search.document(lead)
        incident.search_document = search.document(incident.title, lead, incident.body)
        batch.append(incident)
        if len(batch) >= 500:
            Incident.objects.bulk_update(batch, ["search_title", "search_lead", "search_document"])
            batch = []
    Incident.objects.bulk_update(batch, ["search_title", "search_lead", "search_document"])


class Migration(migrations.Migration):
    dependencies = [("incidents", "0007_featured_index")]

    operations = [
        TrigramExtension(),
        migrations.CreateModel(
            name="SearchWord",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("word", models.CharField(max_length=64, unique=True)),
            ],
        ),
        migrations.AddField(
            model_name="incident",
            name="search_document",
            field=models.TextField(default="", editable=False),
        ),
        migrations.AddField(
            model_name="incident",
            name="search_lead",
            field=models.TextField(default="", editable=False),
        ),
        migrations.AddField(
            model_name="incident",
            name="search_title",
            field=models.TextField(default="", editable=False),
        ),
        migrations.RunPython(trigger, old_trigger),
        migrations.RunPython(prepare, migrations.RunPython.noop),
    ]
