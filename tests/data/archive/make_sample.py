"""The sample archive the import's tests read (issue 31), made by the project, deterministic:

    python tests/data/archive/make_sample.py

writes beside itself: newsroom.wxr (300 items, Ukrainian and English, with an attachment,
deliberate duplicates and broken items), newsroom.csv (200 rows, UTF-8), newsroom-1251.csv
(30 rows in Windows-1251), feed.rss and feed.atom (20 items each). Every name and story is
invented. `wxr(n)` is also what bench/archive_import.py generates its 20,000 items with."""

import csv
import datetime
import io
import random
from pathlib import Path
from xml.sax.saxutils import escape

HERE = Path(__file__).resolve().parent

CITIES_UK = [
    ("Києві", "kyiv"),
    ("Харкові", "kharkiv"),
    ("Львові", "lviv"),
    ("Одесі", "odesa"),
    ("Дніпрі", "dnipro"),
    ("Житомирі", "zhytomyr"),
    ("Полтаві", "poltava"),
    ("Херсоні", "kherson"),
    ("Черкасах", "cherkasy"),
    ("Ужгороді", "uzhhorod"),
]
CITIES_EN = [
    "Kyiv",
    "Kharkiv",
    "Lviv",
    "Odesa",
    "Dnipro",
    "Zhytomyr",
    "Poltava",
    "Kherson",
    "Cherkasy",
    "Uzhhorod",
]
ACTS_UK = [
    ("побили журналіста", "Побиття"),
    ("погрожували журналістці", "Погрози"),
    ("затримали оператора", "Затримання"),
    ("перешкоджали знімальній групі", "Перешкоджання"),
    ("зламали акаунт редакції", "Кібератаки"),
    ("подали позов проти видання", "Позови"),
]
ACTS_EN = [
    ("journalist beaten", "Beating"),
    ("reporter threatened", "Threats"),
    ("camera operator detained", "Detention"),
    ("film crew obstructed", "Obstruction"),
    ("newsroom account hacked", "Cyberattacks"),
    ("lawsuit filed against outlet", "Lawsuits"),
]
NAMES_UK = [
    "Олена Коваль",
    "Андрій Мельник",
    "Ірина Бондар",
    "Тарас Шевчук",
    "Марія Ткаченко",
    "Олег Кравець",
    "Наталія Лисенко",
    "Богдан Гнатюк",
]
NAMES_EN = [
    "Olena Koval",
    "Andrii Melnyk",
    "Iryna Bondar",
    "Taras Shevchuk",
    "Mariia Tkachenko",
    "Oleh Kravets",
    "Nataliia Lysenko",
    "Bohdan Hnatiuk",
]
OUTLETS = ["«Вечірнє місто»", "«Край-інфо»", "«Голос громади»", "«Новини регіону»"]
SITE = "https://newsroom.example.org"


def story(i: int, rng: random.Random) -> dict:
    day = datetime.date(2016, 1, 1) + datetime.timedelta(days=rng.randrange(3000))
    city = rng.randrange(len(CITIES_UK))
    act = rng.randrange(len(ACTS_UK))
    who = rng.randrange(len(NAMES_UK))
    outlet = rng.choice(OUTLETS)
    if i % 3 == 2:
        title = f"In {CITIES_EN[city]}, {ACTS_EN[act][0]}: {NAMES_EN[who]} ({i})"
        body = (
            f"<p>On {day:%d %B %Y} in {CITIES_EN[city]}, <strong>{NAMES_EN[who]}</strong>, "
            f"a journalist of {outlet}, reported that a {ACTS_EN[act][0]}.</p>\n"
            f'<p>The police opened proceedings. <a href="{SITE}/statement/{i}">The outlet\'s '
            f"statement</a>.</p><ul><li>Witnesses: two</li><li>Equipment: damaged</li></ul>"
        )
        terms, language = [ACTS_EN[act][1], CITIES_EN[city]], "en"
    else:
        title = f"У {CITIES_UK[city][0]} {ACTS_UK[act][0]} {NAMES_UK[who]} ({i})"
        body = (
            f"<p>{day:%d.%m.%Y} у {CITIES_UK[city][0]} {ACTS_UK[act][0]} — "
            f"<em>{NAMES_UK[who]}</em>, видання {outlet}.</p>\n\n"
            f"Поліція відкрила провадження.\n\n"
            f"<blockquote>«Ми не зупинимось», — сказала редакція.</blockquote>"
        )
        terms, language = [ACTS_UK[act][1]], "uk"
    return {
        "id": i, "title": title, "day": day, "body": body, "terms": terms,
        "url": f"{SITE}/{day:%Y/%m}/story-{i}/", "language": language,
    }  # fmt: skip


def stories(n: int, seed: int = 31) -> list[dict]:
    rng = random.Random(seed)
    items = [story(i, rng) for i in range(1, n + 1)]
    if n >= 60:
        # Deliberate duplicates: an address again, a title again two days on (another case,
        # a Latin "a" typed in the Cyrillic word), and the same guid twice.
        items[40] = {**items[10], "id": 9001, "title": items[10]["title"] + " (оновлено)"}
        twin = items[12]
        items[41] = {**twin, "id": 9002, "url": f"{SITE}/copy/{twin['id']}/",
                     "title": twin["title"].replace("а", "a", 1).upper(),
                     "day": twin["day"] + datetime.timedelta(days=1)}  # fmt: skip
        items[42] = dict(items[13])
        # Broken items.
        items[50] = {**items[50], "title": ""}
        items[51] = {**items[51], "day": None}
        items[52] = {**items[52], "day": datetime.date(1850, 3, 1)}
        items[53] = {**items[53], "day": datetime.date(2099, 1, 1)}
        items[54] = {
            **items[54],
            "body": "<script>alert(1)</script><iframe src='https://x.example'></iframe><style>p{}</style>",
        }
    return items


def _wxr_date(day) -> str:
    return f"{day:%Y-%m-%d} 10:{0:02d}:00" if day else ""


def wxr(n: int, seed: int = 31) -> str:
    out = io.StringIO()
    out.write(
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:wp="http://wordpress.org/export/1.2/" '
        'xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/">\n<channel>\n'
        f"<title>Newsroom</title><link>{SITE}</link><wp:wxr_version>1.2</wp:wxr_version>\n"
    )
    for position, s in enumerate(stories(n, seed), start=1):
        if position == 7:
            out.write(
                "<item><title>logo.png</title><wp:post_type>attachment</wp:post_type>"
                "<guid>https://newsroom.example.org/logo.png</guid></item>\n"
            )
        cats = "".join(
            f'<category domain="post_tag" nicename="t"><![CDATA[{escape(t)}]]></category>'
            for t in s["terms"]
        )
        out.write(
            f"<item><title>{escape(s['title'])}</title><link>{escape(s['url'])}</link>"
            f'<guid isPermaLink="false">{SITE}/?p={s["id"]}</guid>'
            f"<wp:post_id>{s['id']}</wp:post_id><wp:post_date>{_wxr_date(s['day'])}</wp:post_date>"
            f"<wp:post_type>post</wp:post_type><wp:status>publish</wp:status>{cats}"
            f"<content:encoded><![CDATA[{s['body']}]]></content:encoded></item>\n"
        )
    out.write("</channel>\n</rss>\n")
    return out.getvalue()


def csv_text(n: int, seed: int, plain: bool = False) -> str:
    """`plain`: the characters Windows-1251 lacks replaced, for the older spreadsheets."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Заголовок", "Дата", "Текст", "Посилання", "Теги"])
    for s in stories(n, seed):
        if plain:
            s = {
                k: v.translate(str.maketrans("—«»", '-""')) if isinstance(v, str) else v
                for k, v in s.items()
            }
        day = f"{s['day']:%d.%m.%Y}" if s["day"] else ""
        writer.writerow(
            [
                s["title"],
                day,
                s["body"],
                s["url"].replace(SITE, SITE + "/csv"),
                "; ".join(s["terms"]),
            ]
        )
    return out.getvalue()


def rss(n: int, seed: int) -> str:
    items = "".join(
        f"<item><title>{escape(s['title'])}</title><link>{SITE}/rss/{s['id']}/</link>"
        f"<guid>{SITE}/rss/{s['id']}/</guid>"
        f"<pubDate>{s['day']:%a, %d %b %Y} 09:00:00 +0200</pubDate>"
        f"<category>{escape(s['terms'][0])}</category>"
        f"<description>{escape(s['body'])}</description></item>\n"
        for s in stories(n, seed)
    )
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>Newsroom</title>\n{items}</channel></rss>\n'


def atom(n: int, seed: int) -> str:
    entries = "".join(
        f"<entry><title>{escape(s['title'])}</title><id>tag:newsroom.example.org,2024:{s['id']}</id>"
        f'<link rel="alternate" href="{SITE}/atom/{s["id"]}/"/>'
        f"<published>{s['day']:%Y-%m-%d}T09:00:00+02:00</published>"
        f'<category term="{escape(s["terms"][0])}"/>'
        f'<content type="html">{escape(s["body"])}</content></entry>\n'
        for s in stories(n, seed)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>Newsroom</title>\n{entries}</feed>\n"
    )


def main() -> None:
    (HERE / "newsroom.wxr").write_text(wxr(300), encoding="utf-8")
    (HERE / "newsroom.csv").write_text(csv_text(200, seed=32), encoding="utf-8")
    (HERE / "newsroom-1251.csv").write_bytes(csv_text(30, seed=33, plain=True).encode("cp1251"))
    (HERE / "feed.rss").write_text(rss(20, seed=34), encoding="utf-8")
    (HERE / "feed.atom").write_text(atom(20, seed=35), encoding="utf-8")


if __name__ == "__main__":
    main()
