from django.db import migrations

TEXT_UK = """\
**Що ми рахуємо.** Порушення свободи слова та прав журналістів в Україні (і щодо
українських журналістів за кордоном), які зафіксував моніторинг ІМІ й оприлюднив на цьому
сайті. Чернетки та архівні матеріали не враховуються.

**За якою датою.** Інцидент зараховується до місяця, коли він стався, а не коли про нього
написали. Якщо точна дата невідома, ми рахуємо місяць, який назвали джерела.

**Два порушення в одному інциденті.** Інцидент рахується один раз у загальних підсумках і
по одному разу в кожній своїй категорії та групі. Тому сума за категоріями може бути більшою
за загальну кількість.

**Переклади.** Матеріал українською та його переклад англійською — це один інцидент.

**Воєнні категорії** (обстріли, руйнування редакцій, атаки на телевежі, вимкнення мовлення,
закриття медіа через війну) ведуться з 24 лютого 2022 року.
"""

TEXT_EN = """\
**What is counted.** Violations of freedom of speech and of journalists' rights in Ukraine
(and against Ukrainian journalists abroad) recorded by IMI's monitoring and published on this
site. Drafts and archived articles are not counted.

**By which date.** An incident counts in the month it happened, not the month it was
reported. When the exact date is unknown, the month given by the sources is used.

**Two violations in one incident.** An incident counts once in every total, and once in each
of its categories and groups. So the figures by category can add up to more than the total.

**Translations.** An article in Ukrainian and its English translation are one incident.

**Wartime categories** (shelling, destroyed newsrooms, attacks on TV towers, broadcast
switch-offs, media closed because of the war) are recorded since 24 February 2022.
"""


def seed(apps, schema_editor):
    MethodNote = apps.get_model("incidents", "MethodNote")
    if not MethodNote.objects.exists():
        MethodNote.objects.create(text_uk=TEXT_UK, text_en=TEXT_EN)


class Migration(migrations.Migration):
    dependencies = [("incidents", "0004_method_note")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
