"""PostgreSQL full-text search: a trigger keeps search_vector current, a GIN index serves it.

Only on PostgreSQL; on SQLite search falls back to substring matching and this does nothing.
The 'simple' configuration: no Ukrainian stemmer ships with PostgreSQL, and prefix queries
(word:*) cover inflected forms well enough for both languages.
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION incidents_incident_search_vector() RETURNS trigger AS $$
BEGIN
  NEW.search_vector :=
    setweight(to_tsvector('simple', coalesce(NEW.title, '')), 'A') ||
    setweight(to_tsvector('simple', coalesce(NEW.lead, '')), 'B') ||
    setweight(to_tsvector('simple', coalesce(NEW.body, '')), 'C');
  RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER incidents_incident_search_vector_trigger
  BEFORE INSERT OR UPDATE OF title, lead, body, search_vector ON incidents_incident
  FOR EACH ROW EXECUTE FUNCTION incidents_incident_search_vector();

CREATE INDEX incidents_incident_search_gin ON incidents_incident USING gin (search_vector);

UPDATE incidents_incident SET title = title;
"""

BACKWARD = """
DROP INDEX IF EXISTS incidents_incident_search_gin;
DROP TRIGGER IF EXISTS incidents_incident_search_vector_trigger ON incidents_incident;
DROP FUNCTION IF EXISTS incidents_incident_search_vector();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("incidents", "0002_seed_categories_and_regions")]

    operations = [migrations.RunPython(forward, backward)]
