"""A corpus of real Ukrainian (and English) inflection: articles, and what readers type.

Each query is a form a reader would type (a nominative, another case, another tense); the
articles use the forms news texts use, and are filed under a category, whose names (both
languages) are searchable too. `EXPECTED` lists which articles each query must find,
and only those. Used by tests/incidents/test_search_corpus.py on both databases.
"""

ARTICLES = {
    "kharkiv": {
        "title": "У Харкові поліцейські затримали оператора телеканалу",
        "lead": "Поліція Харкова затримала оператора під час зйомки протесту біля облради.",
        "body": "Оператора телеканалу «Харків News» відпустили через три години. "
        "Журналісти вимагають від поліції пояснень; ІМІ звернувся до прокуратури.",
        "place": "Харків",
        "region": "kharkiv",
        "category": "detention",
    },
    "kyiv": {
        "title": "Невідомі побили журналістку в Києві",
        "lead": "Журналістку онлайн-видання побили біля редакції на Подолі.",
        "body": "Нападники погрожували їй розправою за публікації про забудову. "
        "Кияни, які бачили напад, викликали поліцію.",
        "place": "Київ",
        "region": "kyiv",
        "category": "beating",
    },
    "lviv": {
        "title": "Редакції у Львові надходять погрози",
        "lead": "Редакція львівського сайту отримує листи з погрозами від початку місяця.",
        "body": "Головний редактор каже, що погрози надходять після розслідування про "
        "земельні ділянки. Поліція Львова відкрила кримінальне провадження.",
        "place": "Львів",
        "region": "lviv",
        "category": "threats",
    },
    "odesa": {
        "title": "В Одесі суд заборонив журналістам знімати засідання",
        "lead": "Суддя заборонив відеозйомку на засіданні у справі депутата міськради.",
        "body": "Журналісти трьох одеських видань не змогли зафіксувати засідання. "
        "Перешкоджання професійній діяльності журналістів карається законом.",
        "place": "Одеса",
        "region": "odesa",
        "category": "obstruction",
    },
    "mariupol": {
        "title": "Російські військові обстріляли знімальну групу під Маріуполем",
        "lead": "Під обстріл потрапили двоє кореспондентів.",
        "body": "Кореспондентів поранено, їх евакуювали до Запоріжжя. "
        "Обстріл журналістів є воєнним злочином.",
        "place": "Маріуполь",
        "region": "donetsk",
        "category": "shelling-injury",
    },
    "cyber": {
        "title": "Хакери зламали сайт регіональної газети",
        "lead": "Зловмисники розмістили на сайті газети фейкові новини.",
        "body": "Кібератака тривала дві доби; редакція відновила доступ до сайту. "
        "Кіберполіція встановлює особи хакерів.",
        "place": "Чернігів",
        "region": "chernihiv",
        "category": "cyberattack",
    },
    "english": {
        "title": "Journalists attacked while covering a protest in Kyiv",
        "lead": "Two reporters were beaten and their cameras were broken.",
        "body": "The police opened a criminal investigation into the attack on the journalists.",
        "place": "Kyiv",
        "region": "kyiv",
        "category": "beating",
        "language": "en",
    },
}

# (query, articles it must find)
EXPECTED = [
    # Place names in other cases than the article's
    ("Харків", {"kharkiv"}),
    ("Харкові", {"kharkiv"}),
    ("Харкова", {"kharkiv"}),
    ("Київ", {"kyiv", "english"}),
    # The English article is in Kyiv too: its region is searchable by both names.
    ("Києві", {"kyiv", "english"}),
    ("Києва", {"kyiv", "english"}),
    ("Львів", {"lviv"}),
    ("Львова", {"lviv"}),
    ("Одеса", {"odesa"}),
    ("Одесу", {"odesa"}),
    ("Маріуполь", {"mariupol"}),
    ("Маріуполі", {"mariupol"}),
    ("Запоріжжя", {"mariupol"}),
    ("Чернігові", {"cyber"}),
    # Nouns in other cases and numbers
    ("поліція", {"kharkiv", "kyiv", "lviv"}),
    ("поліцію", {"kharkiv", "kyiv", "lviv"}),
    ("поліцією", {"kharkiv", "kyiv", "lviv"}),
    ("журналістка", {"kyiv"}),
    ("журналістки", {"kyiv"}),
    ("журналіст", {"kharkiv", "kyiv", "odesa", "mariupol"}),
    # "журналістку" is a form of "журналістка", another word than "журналіст".
    ("журналістів", {"kharkiv", "odesa", "mariupol"}),
    ("оператор", {"kharkiv"}),
    ("операторові", {"kharkiv"}),
    ("редакція", {"kyiv", "lviv", "cyber"}),
    ("редакцією", {"kyiv", "lviv", "cyber"}),
    ("погроза", {"lviv"}),
    ("погрозу", {"lviv"}),
    ("газета", {"cyber"}),
    ("газеті", {"cyber"}),
    ("кореспондент", {"mariupol"}),
    ("суду", {"odesa"}),
    ("засідань", {"odesa"}),
    ("хакер", {"cyber"}),
    ("телеканал", {"kharkiv"}),
    # Verbs in other tenses, persons and aspects
    # The English article is filed under "Побиття, напад" / "Beating, attack" too.
    ("побити", {"kyiv", "english"}),
    ("побив", {"kyiv", "english"}),
    ("затримати", {"kharkiv"}),
    ("затримав", {"kharkiv"}),
    ("погрожувати", {"kyiv"}),
    ("погрожує", {"kyiv"}),
    ("зламати", {"cyber"}),
    ("заборонила", {"odesa"}),
    ("обстріляли", {"mariupol"}),
    # Several words, in other forms
    ("журналістку побили", {"kyiv"}),
    ("поліція Харків", {"kharkiv"}),
    ("погрози редакції Львів", {"lviv"}),
    ("побили в Києві", {"kyiv", "english"}),
    # What a new reader types (issue: natural searches that found nothing). A noun for what
    # the article says with a verb, and the category named by it:
    ("побиття", {"kyiv", "english"}),
    ("затримання", {"kharkiv"}),
    ("напад", {"kyiv", "english"}),
    ("обстріл", {"mariupol"}),
    ("погрози", {"lviv"}),
    ("зламали", {"cyber"}),
    # Joining words between the content words, in any case:
    ("напад на журналістку", {"kyiv"}),
    ("погрози для редакції у Львові", {"lviv"}),
    ("Затримання оператора в Харкові", {"kharkiv"}),
    ("обстріл під Маріуполем", {"mariupol"}),
    # Places after a preposition:
    ("у Харкові", {"kharkiv"}),
    ("в Києві", {"kyiv", "english"}),
    ("зі Львова", {"lviv"}),
    ("до Запоріжжя", {"mariupol"}),
    # English, stemmed
    # Mariupol's category: "Shelling or injury of journalists".
    ("journalist", {"english", "mariupol"}),
    # Kyiv's category: "Beating, attack".
    ("attack", {"english", "kyiv"}),
    ("attacks", {"english", "kyiv"}),
    ("beat", {"english", "kyiv"}),
    ("protests", {"english"}),
    ("camera", {"english"}),
    ("investigating", {"english"}),
]
