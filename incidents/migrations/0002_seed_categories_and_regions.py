"""Seed the violation taxonomy (after IMI's barometer) and Ukraine's regions.

The data is written out here, not imported, so this migration means the same thing forever.
Staff may rename or reorder in the admin; re-running only fills in what is missing.
"""

from django.db import migrations

# (slug, Ukrainian, English, [(slug, Ukrainian, English, wartime), ...])
TAXONOMY = [
    ("physical-aggression", "Фізична агресія", "Physical aggression", [
        ("killing", "Вбивство", "Killing", False),
        ("detention", "Затримання, арешт", "Detention, arrest", False),
        ("abduction", "Викрадення", "Abduction", False),
        ("beating", "Побиття, напад", "Beating, attack", False),
        ("threats", "Погрози, залякування", "Threats, intimidation", False),
        ("damage-to-property", "Пошкодження майна", "Damage to property", False),
        ("attack-on-media-office", "Напад на редакцію", "Attack on a media office", False),
        ("shelling-injury", "Обстріл або поранення журналістів", "Shelling or injury of journalists", True),
        ("newsroom-damage", "Руйнування редакцій", "Damage to newsrooms", True),
        ("tv-tower-attack", "Атаки на телевежі", "Attacks on TV towers", True),
    ]),
    ("censorship-access", "Цензура та доступ до інформації", "Censorship and access to information", [
        ("obstruction", "Перешкоджання законній професійній діяльності", "Obstruction of lawful professional activity", False),
        ("access-to-information", "Обмеження доступу до публічної інформації", "Restricted access to public information", False),
        ("censorship", "Цензура", "Censorship", False),
        ("broadcast-switch-off", "Вимкнення мовлення", "Broadcast switch-off", True),
    ]),
    ("economic-political-pressure", "Економічний та політичний тиск", "Economic and political pressure", [
        ("political-pressure", "Політичний тиск", "Political pressure", False),
        ("economic-pressure", "Економічний тиск", "Economic pressure", False),
        ("media-closed-war", "Закриття медіа через війну", "Media closed because of the war", True),
    ]),
    ("legal-pressure", "Юридичний тиск", "Legal pressure", [
        ("lawsuit-against-media", "Позови проти медіа", "Lawsuit against media", False),
        ("prosecution", "Кримінальне переслідування журналістів", "Criminal prosecution of journalists", False),
    ]),
    ("cybercrimes", "Кіберзлочини проти медіа та журналістів", "Cybercrimes against media and journalists", [
        ("cyberattack", "Кібератака", "Cyberattack", False),
        ("account-hacking", "Злам акаунтів", "Hacking of accounts", False),
    ]),
]

# (slug, ISO 3166-2, kind, Ukrainian, English)
REGIONS = [
    ("vinnytsia", "UA-05", "oblast", "Вінницька область", "Vinnytsia Oblast"),
    ("volyn", "UA-07", "oblast", "Волинська область", "Volyn Oblast"),
    ("dnipropetrovsk", "UA-12", "oblast", "Дніпропетровська область", "Dnipropetrovsk Oblast"),
    ("donetsk", "UA-14", "oblast", "Донецька область", "Donetsk Oblast"),
    ("zhytomyr", "UA-18", "oblast", "Житомирська область", "Zhytomyr Oblast"),
    ("zakarpattia", "UA-21", "oblast", "Закарпатська область", "Zakarpattia Oblast"),
    ("zaporizhzhia", "UA-23", "oblast", "Запорізька область", "Zaporizhzhia Oblast"),
    ("ivano-frankivsk", "UA-26", "oblast", "Івано-Франківська область", "Ivano-Frankivsk Oblast"),
    ("kyiv-oblast", "UA-32", "oblast", "Київська область", "Kyiv Oblast"),
    ("kirovohrad", "UA-35", "oblast", "Кіровоградська область", "Kirovohrad Oblast"),
    ("luhansk", "UA-09", "oblast", "Луганська область", "Luhansk Oblast"),
    ("lviv", "UA-46", "oblast", "Львівська область", "Lviv Oblast"),
    ("mykolaiv", "UA-48", "oblast", "Миколаївська область", "Mykolaiv Oblast"),
    ("odesa", "UA-51", "oblast", "Одеська область", "Odesa Oblast"),
    ("poltava", "UA-53", "oblast", "Полтавська область", "Poltava Oblast"),
    ("rivne", "UA-56", "oblast", "Рівненська область", "Rivne Oblast"),
    ("sumy", "UA-59", "oblast", "Сумська область", "Sumy Oblast"),
    ("ternopil", "UA-61", "oblast", "Тернопільська область", "Ternopil Oblast"),
    ("kharkiv", "UA-63", "oblast", "Харківська область", "Kharkiv Oblast"),
    ("kherson", "UA-65", "oblast", "Херсонська область", "Kherson Oblast"),
    ("khmelnytskyi", "UA-68", "oblast", "Хмельницька область", "Khmelnytskyi Oblast"),
    ("cherkasy", "UA-71", "oblast", "Черкаська область", "Cherkasy Oblast"),
    ("chernivtsi", "UA-77", "oblast", "Чернівецька область", "Chernivtsi Oblast"),
    ("chernihiv", "UA-74", "oblast", "Чернігівська область", "Chernihiv Oblast"),
    ("kyiv", "UA-30", "city", "Київ", "Kyiv"),
    ("sevastopol", "UA-40", "city", "Севастополь", "Sevastopol"),
    ("crimea", "UA-43", "autonomy", "Автономна Республіка Крим", "Autonomous Republic of Crimea"),
    ("abroad", "", "abroad", "За кордоном", "Abroad"),
]


def seed(apps, schema_editor):
    Category = apps.get_model("incidents", "Category")
    Region = apps.get_model("incidents", "Region")
    for g_pos, (g_slug, g_uk, g_en, children) in enumerate(TAXONOMY, start=1):
        group, _ = Category.objects.get_or_create(
            slug=g_slug, defaults={"name_uk": g_uk, "name_en": g_en, "position": g_pos * 100}
        )
        for c_pos, (slug, uk, en, wartime) in enumerate(children, start=1):
            Category.objects.get_or_create(
                slug=slug,
                defaults={
                    "name_uk": uk, "name_en": en, "parent": group,
                    "position": g_pos * 100 + c_pos, "is_wartime": wartime,
                },
            )
    for pos, (slug, iso, kind, uk, en) in enumerate(REGIONS, start=1):
        Region.objects.get_or_create(
            slug=slug,
            defaults={"iso_code": iso, "kind": kind, "name_uk": uk, "name_en": en, "position": pos},
        )


class Migration(migrations.Migration):
    dependencies = [("incidents", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
