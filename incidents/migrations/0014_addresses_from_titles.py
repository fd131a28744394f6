"""Incidents drafted from a complaint get an address from their title (issue 26).

Their old address, `complaint-<number>-<random>`, told that the victim came to the hotline
and how many complaints it gets. Each gets the address any incident gets from its title
(incidents.services.incident_unique_slug). The old one is not redirected: it answers 404, so
the word and the number live on in no redirect, log or archive. Nothing to undo backwards.
"""

from django.db import migrations

OLD_PREFIX = "complaint-"


def rename_complaint_addresses(apps, schema_editor=None) -> int:
    from incidents import public_cache
    from incidents.services import incident_unique_slug

    Incident = apps.get_model("incidents", "Incident")
    renamed = 0
    for pk, title in (
        Incident.objects.filter(slug__startswith=OLD_PREFIX)
        .order_by("pk")
        .values_list("pk", "title")
    ):
        slug = incident_unique_slug(title, exclude_pk=pk, incidents=Incident.objects.all())
        Incident.objects.filter(pk=pk).update(slug=slug)
        renamed += 1
    if renamed:
        # Cached lists and articles link the old addresses.
        public_cache.bump_version()
    return renamed


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0013_record_data"),
    ]

    operations = [
        migrations.RunPython(rename_complaint_addresses, migrations.RunPython.noop),
    ]
