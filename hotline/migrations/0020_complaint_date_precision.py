from django.db import migrations, models


def approximate_to_month(apps, schema_editor):
    """The complaint form's "the date is approximate" meant a day somewhere in that month
    (the draft made from it became a month-precise incident, see incidents 0021): month
    precision, the date moved to the month's first day."""
    for name in ("Complaint", "HistoricalComplaint"):
        model = apps.get_model("hotline", name)
        rows = model.objects.using(schema_editor.connection.alias).filter(
            occurred_on_approximate=True, occurred_on__isnull=False
        )
        moved = []
        for complaint in rows.only("pk", "occurred_on").iterator():
            complaint.occurred_on = complaint.occurred_on.replace(day=1)
            complaint.occurred_precision = "month"
            moved.append(complaint)
        rows.model.objects.using(schema_editor.connection.alias).bulk_update(
            moved, ["occurred_on", "occurred_precision"], 1000
        )


def approximate_back(apps, schema_editor):
    for name in ("Complaint", "HistoricalComplaint"):
        model = apps.get_model("hotline", name)
        model.objects.using(schema_editor.connection.alias).exclude(
            occurred_precision="day"
        ).update(occurred_on_approximate=True)


PRECISION = models.CharField(
    choices=[
        ("day", "the day"),
        ("month", "the month"),
        ("season", "the season"),
        ("year", "the year only"),
    ],
    default="day",
    help_text="“I don't know the exact day”: the reporter gave a month and year, or a year.",
    max_length=6,
    verbose_name="the date is known to",
)
OCCURRED_ON = models.DateField(
    blank=True,
    help_text="The day, or the first day of the month or year when only that is known.",
    null=True,
    verbose_name="date of the incident",
)


class Migration(migrations.Migration):
    dependencies = [
        ("hotline", "0019_staff_desks"),
    ]

    operations = [
        *(
            migrations.AddField(model_name=model, name="occurred_precision", field=PRECISION)
            for model in ("complaint", "historicalcomplaint")
        ),
        migrations.RunPython(approximate_to_month, approximate_back),
        *(
            migrations.RemoveField(model_name=model, name="occurred_on_approximate")
            for model in ("complaint", "historicalcomplaint")
        ),
        *(
            migrations.AlterField(model_name=model, name="occurred_on", field=OCCURRED_ON)
            for model in ("complaint", "historicalcomplaint")
        ),
    ]
