import calendar
import datetime

from django.db import migrations, models


def month_end(day):
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def approximate_to_month(apps, schema_editor):
    """occurred_on_approximate meant "only the month and year are known; any day of that month
    was entered" (its help text; the page showed "March 2022 (exact date unknown)", the SDG
    export said "month", and later dates were checked against the month's first day). So it
    becomes month precision, the date moved to the month's first day; every other date is a
    day, its period that day. The history keeps the same meaning."""
    alias = schema_editor.connection.alias
    for name in ("Incident", "HistoricalIncident"):
        model = apps.get_model("incidents", name)
        rows = model.objects.using(alias)
        rows.filter(occurred_on_approximate=False).update(
            occurred_precision="day", occurred_until=models.F("occurred_on")
        )
        moved = []
        for row in rows.filter(occurred_on_approximate=True).only("pk", "occurred_on").iterator():
            row.occurred_precision = "month"
            row.occurred_on = row.occurred_on.replace(day=1)
            row.occurred_until = month_end(row.occurred_on)
            moved.append(row)
        rows.bulk_update(moved, ["occurred_precision", "occurred_on", "occurred_until"], 1000)


def approximate_back(apps, schema_editor):
    alias = schema_editor.connection.alias
    for name in ("Incident", "HistoricalIncident"):
        model = apps.get_model("incidents", name)
        model.objects.using(alias).exclude(occurred_precision="day").update(
            occurred_on_approximate=True
        )


def clear_counts(apps, schema_editor):
    """The summary tables gain each period's end; they are rebuilt at the end."""
    alias = schema_editor.connection.alias
    apps.get_model("incidents", "DailyCount").objects.using(alias).delete()
    apps.get_model("incidents", "MonthlyCount").objects.using(alias).delete()


def rebuild(apps, schema_editor):
    """The counts by period for the incidents already there: today's incidents_rebuild
    (moved here from 0016), the latest migration that changes what it writes."""
    Incident = apps.get_model("incidents", "Incident")
    if Incident.objects.using(schema_editor.connection.alias).exists():
        from incidents.services import incidents_rebuild

        incidents_rebuild()


PRECISION = models.CharField(
    choices=[
        ("day", "the day"),
        ("month", "the month"),
        ("season", "the season"),
        ("year", "the year only"),
    ],
    default="day",
    help_text=(
        "Month, season or year when the exact day is not known: the public page says “March"
        " 2022” or “spring 2022”, and the barometer counts a season or a year only in the"
        " year's figures."
    ),
    max_length=6,
    verbose_name="the date is known to",
)
UNTIL_HELP = (
    "For a period (“March–April 2022”): its last day, or any day of the last month, season or"
    " year it spans. Left empty: the period the date names. Stored as the last day the"
    " incident may have happened."
)
OCCURRED_ON = models.DateField(
    help_text=(
        "The first day of what is known: the day, or the first of the month, of the season"
        " (spring 1 March, summer 1 June, autumn 1 September, winter 1 December) or of the"
        " year."
    ),
    verbose_name="date of the incident",
)


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0021_monthly_articles"),
    ]

    operations = [
        # The incident's date: a precision and the period's last day, filled from the old flag.
        migrations.AddField(model_name="incident", name="occurred_precision", field=PRECISION),
        migrations.AddField(
            model_name="historicalincident", name="occurred_precision", field=PRECISION
        ),
        migrations.AddField(
            model_name="incident",
            name="occurred_until",
            field=models.DateField(null=True, blank=True, verbose_name="until"),
        ),
        migrations.AddField(
            model_name="historicalincident",
            name="occurred_until",
            field=models.DateField(null=True, blank=True, verbose_name="until"),
        ),
        migrations.RunPython(approximate_to_month, approximate_back),
        migrations.AlterField(
            model_name="incident",
            name="occurred_until",
            field=models.DateField(blank=True, help_text=UNTIL_HELP, verbose_name="until"),
        ),
        migrations.AlterField(
            model_name="historicalincident",
            name="occurred_until",
            field=models.DateField(blank=True, help_text=UNTIL_HELP, verbose_name="until"),
        ),
        migrations.RemoveField(model_name="incident", name="occurred_on_approximate"),
        migrations.RemoveField(model_name="historicalincident", name="occurred_on_approximate"),
        migrations.AlterField(model_name="incident", name="occurred_on", field=OCCURRED_ON),
        migrations.AlterField(
            model_name="historicalincident", name="occurred_on", field=OCCURRED_ON
        ),
        migrations.AddIndex(
            model_name="incident",
            index=models.Index(fields=["occurred_until"], name="incident_occurred_until_idx"),
        ),
        migrations.AddConstraint(
            model_name="incident",
            constraint=models.CheckConstraint(
                condition=models.Q(("occurred_until__gte", models.F("occurred_on"))),
                name="incident_occurred_until_not_before",
            ),
        ),
        # The summary tables: each row says where its incidents' periods end.
        migrations.RunPython(clear_counts, migrations.RunPython.noop),
        migrations.RemoveConstraint(model_name="dailycount", name="dailycount_unique"),
        migrations.RemoveConstraint(model_name="monthlycount", name="monthlycount_unique"),
        migrations.AddField(
            model_name="dailycount",
            name="until",
            field=models.DateField(default=datetime.date(2000, 1, 1)),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="monthlycount",
            name="last_month",
            field=models.DateField(default=datetime.date(2000, 1, 1)),
            preserve_default=False,
        ),
        migrations.AddConstraint(
            model_name="dailycount",
            constraint=models.UniqueConstraint(
                fields=("language", "day", "until"), name="dailycount_day_until_unique"
            ),
        ),
        migrations.AddConstraint(
            model_name="monthlycount",
            constraint=models.UniqueConstraint(
                fields=("language", "dimension", "month", "last_month", "key"),
                name="monthlycount_month_last_unique",
            ),
        ),
        migrations.RunPython(rebuild, migrations.RunPython.noop),
    ]
