import uuid

from django.db import migrations, models

import hotline.models


def give_each_row_a_token(apps, schema_editor):
    Notification = apps.get_model("hotline", "Notification")
    for pk in Notification.objects.filter(message_token__isnull=True).values_list("pk", flat=True):
        Notification.objects.filter(pk=pk).update(message_token=uuid.uuid4().hex)


class Migration(migrations.Migration):
    dependencies = [("hotline", "0007_held_files_and_unknown_answers")]

    operations = [
        migrations.AddField(
            model_name="notification",
            name="message_token",
            field=models.CharField(editable=False, max_length=32, null=True),
        ),
        migrations.RunPython(give_each_row_a_token, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="notification",
            name="message_token",
            field=models.CharField(
                default=hotline.models.new_message_token,
                editable=False,
                max_length=32,
                unique=True,
            ),
        ),
    ]
