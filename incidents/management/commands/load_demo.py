"""Load demo data: one real article (in English and Ukrainian) and clearly fictional incidents.

Idempotent: every incident is keyed by its slug and saved only when something differs, and
victims and sources are replaced only when they differ, so a second run changes nothing (not
even `updated_at`). The fictional incidents come from random.Random(2019), so every run builds
the same data; only the three "this month" incidents follow the current date.
"""

import datetime
import random
import re
import zlib
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from incidents import services
from incidents.models import (
    PERPETRATOR_CATEGORY,
    Category,
    CriminalCase,
    Incident,
    IncidentUpdate,
    Perpetrator,
    PerpetratorType,
    Person,
    Region,
    SourceLink,
    Victim,
)

KYIV = ZoneInfo("Europe/Kyiv")
WAR_START = datetime.date(2022, 2, 24)
FIRST_DAY = datetime.date(2017, 1, 1)
LAST_GENERATED_MONTH = (2026, 10)  # fixed, so the generated dates never depend on today
FICTIONAL_COUNT = 66

DEMO_ADMIN_USERNAME = "admin"
DEMO_ADMIN_PASSWORD = "imi-demo-admin"  # noqa: S105 - a documented local demo login
DEMO_SITE_URL = "http://127.0.0.1:8000"  # make run passes --site with its HOST and PORT

P = PerpetratorType


def _unwrap(text: str) -> str:
    """Paragraphs separated by blank lines; the line breaks inside a paragraph become spaces."""
    paragraphs = [p for p in text.strip().split("\n\n") if p.strip()]
    return "\n\n".join(" ".join(line.strip() for line in p.splitlines()) for p in paragraphs)


# --- The real article (IMI, 27 February 2019), wording kept as published --------------------

AKHMET_EN_SLUG = "kazakh-journalist-claimed-about-provocation-targeting-tv-channel-she-ran"
AKHMET_UK_SLUG = "kazakhska-zhurnalistka-zaiavyla-pro-provokatsiiu-proty-telekanalu"

AKHMET_EN_BODY = _unwrap(
    """
Zhanara Akhmet, journalist, who lives in Ukraine fleeing Kazakhstan prosecution, told IMI
the “16/12” oppositional Kazakh news TV channel she ran was target of a provocation.

As to her, today, the police came to the apartment where the journalists were working for
the “16/12” channel live. The TV editorial office is based in this apartment too. The police
came after someone called and said the building would be mined and that apartment would be
at the origin of the danger.

“Today, in Kazakhstan, we held a rally, today it was the leading party congress and just
before this congress we had launched a great rally around all the country. Each time, we
organize such events, they make us big problems, they make it by means of secret services of
Kazakhstan. This time, they organized a would-be anonymous call to the police, and reacting
to this call the police unit came here. Two policemen came, they went to the knock at the
door of our journalists. They knocked at the door, but we did not open”, Zhanara Akhmet
told.

The journalist said the incident was due to her journalistic activity. As she said this was
a way to get access to the information of the editorial office and the political force
“Kazakhstan’s democratic choice” that she represents.

“We launched the news service of “Kazakhstan’s democratic choice”, which is opposition
institution. Within this institution, I deal not only with journalism, but with politics
too. We have some group of journalists who are refugees from Kazakhstan and not only. We
united our efforts and we come out the news at the web-site edition “16/12”, she said.

“This was a provocation made by the secret services of Kazakhstan. I know theywant to get
access to the information, to our HQ, materials. “We don’t know what is will be further, so
we raised a hue and cry and we made it public through the social network”, Zhanara Akhemt
told.

As IMI reported before, journalist and blogger from Kazakhstan was detained on October 21
due to being on Interpol wanted list. She was forced to escape to Ukraine from Kazakhstan in
March of 2017. She is accused of fraud, but she claims her case was fabricated due to her
criticism of Kazakhstan authorities.

In the District administrative court of Kyiv city, Zhanara Akhmet lost her case against the
State Migration Service in Kyivska oblast, which denied her the status of a political
refugee. On November 8, 2017, the Court of Appeal of Kyiv Oblast issued the resolution of
Kyevo-Sviatoshynskyi district court of Kyivska region on temporary arrest of journalist
Zhanara Akhmet from Kazakhstan illegal.

On July 31st 2018, Appeal court in Kyiv dismissed the decision of the District
administrative court in Kyiv on denial to appeal against the decision to accord a refugee
status to Zhanara Akhmet. On September 28, 2018, the Supreme court of Ukraine obliged the
State migration service to accord the status of refugee to Zhanara Akhmet.
"""
)

AKHMET_UK_BODY = _unwrap(
    """
Журналістка Жанара Ахмет, яка живе в Україні, рятуючись від переслідування в Казахстані,
розповіла ІМІ, що опозиційний казахський новинний телеканал «16/12», який вона очолює, став
мішенню провокації.

За її словами, сьогодні до квартири, де журналісти працювали в прямому ефірі каналу «16/12»,
прийшла поліція. У цій квартирі також розташована редакція телеканалу. Поліція прийшла після
того, як хтось зателефонував і заявив, що будинок нібито заміновано, а джерелом небезпеки є
саме ця квартира.

«Сьогодні в Казахстані ми провели мітинг, сьогодні відбувся з'їзд правлячої партії, і якраз
перед цим з'їздом ми розпочали масштабну акцію по всій країні. Щоразу, коли ми організовуємо
такі заходи, нам створюють великі проблеми, і роблять це за допомогою спецслужб Казахстану.
Цього разу вони організували нібито анонімний дзвінок до поліції, і, реагуючи на цей дзвінок,
сюди приїхав наряд поліції. Прийшли двоє поліцейських, вони стукали у двері наших
журналістів. Вони стукали, але ми не відчинили», — розповіла Жанара Ахмет.

Журналістка вважає, що інцидент пов'язаний з її журналістською діяльністю. За її словами, у
такий спосіб намагалися отримати доступ до інформації редакції та політичної сили
«Демократичний вибір Казахстану», яку вона представляє.

«Ми запустили службу новин „Демократичного вибору Казахстану“ — це опозиційна структура. У її
межах я займаюся не лише журналістикою, а й політикою. У нас є група журналістів — біженців
із Казахстану, і не тільки. Ми об'єднали зусилля й випускаємо новини на сайті видання
„16/12“», — сказала вона.

«Це була провокація спецслужб Казахстану. Я знаю, що вони хочуть отримати доступ до
інформації, до нашого штабу, до матеріалів. Ми не знаємо, що буде далі, тому ми здійняли галас
і оприлюднили це в соціальній мережі», — розповіла Жанара Ахмет.

Як раніше повідомляв ІМІ, журналістку та блогерку з Казахстану затримали 21 жовтня, оскільки
вона перебувала в розшуку Інтерполу. У березні 2017 року вона була змушена втекти з
Казахстану в Україну. Її звинувачують у шахрайстві, але сама вона стверджує, що справу
сфабрикували через її критику влади Казахстану.

В Окружному адміністративному суді міста Києва Жанара Ахмет програла справу проти Державної
міграційної служби в Київській області, яка відмовила їй у статусі політичної біженки.
8 листопада 2017 року Апеляційний суд Київської області визнав незаконною ухвалу
Києво-Святошинського районного суду Київської області про тимчасовий арешт журналістки з
Казахстану Жанари Ахмет.

31 липня 2018 року апеляційний суд у Києві скасував рішення Окружного адміністративного суду
міста Києва, яким Жанарі Ахмет відмовили в оскарженні рішення щодо надання їй статусу
біженки. 28 вересня 2018 року Верховний Суд України зобов'язав Державну міграційну службу
надати Жанарі Ахмет статус біженки.
"""
)


# --- Building blocks of the fictional incidents -------------------------------------------
# Texts come in (Ukrainian, English) pairs. In templates {g:masculine|feminine} agrees with
# the first victim; {who} names that victim (or withholds the name), {loc} is "у Харкові".

DEMO_NOTE = ("*Демо-дані: цей інцидент вигаданий.*", "*Demo data: this incident is fictional.*")

# (Ukrainian, English, gender): obviously invented people.
NAMES = [
    ("Оксана Тестенко", "Oksana Testenko", "f"),
    ("Петро Вигаданий", "Petro Vyhadanyi", "m"),
    ("Марія Прикладна", "Mariia Prykladna", "f"),
    ("Іван Демченко-Макет", "Ivan Demchenko-Maket", "m"),
    ("Наталія Зразкова", "Nataliia Zrazkova", "f"),
    ("Олег Пробний", "Oleh Probnyi", "m"),
    ("Ірина Шаблонська", "Iryna Shablonska", "f"),
    ("Андрій Умовний", "Andrii Umovnyi", "m"),
    ("Софія Тестова", "Sofiia Testova", "f"),
    ("Богдан Примірний", "Bohdan Prymirnyi", "m"),
    ("Юлія Демова", "Yuliia Demova", "f"),
    ("Тарас Навмисний", "Taras Navmysnyi", "m"),
    ("Галина Ескізна", "Halyna Eskizna", "f"),
    ("Максим Чернетка", "Maksym Chernetka", "m"),
    ("Катерина Фіктивна", "Kateryna Fiktyvna", "f"),
    ("Дмитро Зразок", "Dmytro Zrazok", "m"),
]

# The people (NAMES indexes) who asked not to be named: never named in any demo incident.
WITHHELD_NAMES = frozenset({4, 11})

OUTLETS = [
    ("Demo Visti", "Demo Visti"),
    ("Тестовий вісник", "Testovyi Visnyk"),
    ("Вигадані новини", "Vyhadani Novyny"),
    ("Радіо Приклад", "Radio Pryklad"),
    ("ТБ Демо-канал", "Demo Channel TV"),
    ("Sample Media", "Sample Media"),
    ("Примірна газета", "Prymirna Gazeta"),
    ("Макет.Інфо", "Maket.Info"),
    ("Fictional Daily", "Fictional Daily"),
    ("Чернетка UA", "Chernetka UA"),
]

# (Ukrainian masculine, Ukrainian feminine, English)
ROLES = [
    ("журналіст", "журналістка", "journalist"),
    ("оператор", "операторка", "camera operator"),
    ("редактор", "редакторка", "editor"),
    ("фотокореспондент", "фотокореспондентка", "photojournalist"),
    ("кореспондент", "кореспондентка", "correspondent"),
    ("блогер", "блогерка", "blogger"),
]

# Region slug -> the city named in the text: (Ukrainian, Ukrainian "in ...", English).
CITIES = {
    "vinnytsia": ("Вінниця", "у Вінниці", "Vinnytsia"),
    "volyn": ("Луцьк", "у Луцьку", "Lutsk"),
    "dnipropetrovsk": ("Дніпро", "у Дніпрі", "Dnipro"),
    "donetsk": ("Краматорськ", "у Краматорську", "Kramatorsk"),
    "zhytomyr": ("Житомир", "у Житомирі", "Zhytomyr"),
    "zakarpattia": ("Ужгород", "в Ужгороді", "Uzhhorod"),
    "zaporizhzhia": ("Запоріжжя", "у Запоріжжі", "Zaporizhzhia"),
    "ivano-frankivsk": ("Івано-Франківськ", "в Івано-Франківську", "Ivano-Frankivsk"),
    "kyiv-oblast": ("Бровари", "у Броварах", "Brovary"),
    "kirovohrad": ("Кропивницький", "у Кропивницькому", "Kropyvnytskyi"),
    "luhansk": ("Сєвєродонецьк", "у Сєвєродонецьку", "Sievierodonetsk"),
    "lviv": ("Львів", "у Львові", "Lviv"),
    "mykolaiv": ("Миколаїв", "у Миколаєві", "Mykolaiv"),
    "odesa": ("Одеса", "в Одесі", "Odesa"),
    "poltava": ("Полтава", "у Полтаві", "Poltava"),
    "rivne": ("Рівне", "у Рівному", "Rivne"),
    "sumy": ("Суми", "у Сумах", "Sumy"),
    "ternopil": ("Тернопіль", "у Тернополі", "Ternopil"),
    "kharkiv": ("Харків", "у Харкові", "Kharkiv"),
    "kherson": ("Херсон", "у Херсоні", "Kherson"),
    "khmelnytskyi": ("Хмельницький", "у Хмельницькому", "Khmelnytskyi"),
    "cherkasy": ("Черкаси", "у Черкасах", "Cherkasy"),
    "chernivtsi": ("Чернівці", "у Чернівцях", "Chernivtsi"),
    "chernihiv": ("Чернігів", "у Чернігові", "Chernihiv"),
    "kyiv": ("Київ", "у Києві", "Kyiv"),
    "sevastopol": ("Севастополь", "у Севастополі", "Sevastopol"),
    "crimea": ("Сімферополь", "у Сімферополі", "Simferopol"),
}

# Abroad: (country in Ukrainian, in English, (city, "in city", city in English)).
COUNTRIES = [
    ("Польща", "Poland", ("Варшава", "у Варшаві", "Warsaw")),
    ("Грузія", "Georgia", ("Тбілісі", "у Тбілісі", "Tbilisi")),
    ("Молдова", "Moldova", ("Кишинів", "у Кишиневі", "Chisinau")),
    ("Литва", "Lithuania", ("Вільнюс", "у Вільнюсі", "Vilnius")),
    ("Німеччина", "Germany", ("Берлін", "у Берліні", "Berlin")),
]

DOMESTIC = [slug for slug in CITIES if slug not in ("crimea", "sevastopol")]
OCCUPIED_BEFORE_WAR = ["crimea", "sevastopol"]
WAR_ZONE = [
    "kharkiv",
    "donetsk",
    "zaporizhzhia",
    "kherson",
    "mykolaiv",
    "sumy",
    "chernihiv",
    "kyiv-oblast",
    "dnipropetrovsk",
    "odesa",
    "kyiv",
]

# Per leaf category: where it happened, title, lead, detail paragraphs, plausible perpetrators
# and a plausible second category.
TEMPLATES = {
    "killing": {
        "spot": ("околиця міста", "outskirts of the city"),
        "title": (
            "{Loc} {g:загинув|загинула} {role} видання «{outlet}»",
            "{Role} of {outlet} killed in {city}",
        ),
        "lead": (
            "{Loc} {g:загинув|загинула} {who}. Правоохоронці не виключають, що вбивство "
            "пов'язане з професійною діяльністю.",
            "{Who} was killed in {city}. Law enforcement does not rule out that the killing "
            "is linked to {g:his|her} professional work.",
        ),
        "details": [
            (
                "Тіло виявили неподалік від дому. Колеги розповідають, що останніми тижнями "
                "{g:він готував|вона готувала} матеріал про місцеві земельні оборудки.",
                "The body was found near {g:his|her} home. Colleagues say that in recent weeks "
                "{g:he|she} had been preparing a story about local land deals.",
            ),
            (
                "Слідство відкрило провадження за статтею про умисне вбивство. Редакція "
                "«{outlet}» вимагає не затягувати розслідування й регулярно інформувати "
                "громадськість.",
                "Investigators opened a case of premeditated murder. The {outlet} newsroom "
                "demands that the investigation not be delayed and that the public be kept "
                "informed.",
            ),
        ],
        "perpetrators": [P.UNKNOWN, P.PRIVATE_PERSONS, P.RUSSIAN_FORCES],
        "related": ["threats", "abduction"],
    },
    "detention": {
        "spot": ("центральна площа", "central square"),
        "title": (
            "{Role} видання «{outlet}» {g:заявив|заявила} про незаконне затримання",
            "{outlet} {role} reports unlawful detention in {city}",
        ),
        "lead": (
            "{Who} {g:повідомив|повідомила} ІМІ, що {g:його|її} затримали {loc} під час "
            "знімання й кілька годин не пояснювали причин.",
            "{Who} told IMI {g:he|she} was detained in {city} while filming and for several "
            "hours was given no reason.",
        ),
        "details": [
            (
                "За {g:його|її} словами, від {g:нього|неї} вимагали видалити відзняте й "
                "розблокувати телефон. Після втручання юриста {g:його|її} відпустили без "
                "складання протоколу.",
                "According to {g:him|her}, {g:he|she} was told to delete the footage and unlock "
                "{g:his|her} phone. After a lawyer intervened, {g:he|she} was released without "
                "any report being drawn up.",
            ),
            (
                "Редакція «{outlet}» надіслала скаргу та запит щодо підстав затримання. "
                "Відповіді наразі немає.",
                "The {outlet} newsroom has filed a complaint and a request about the grounds "
                "for the detention. There has been no reply so far.",
            ),
        ],
        "perpetrators": [P.POLICE, P.SECURITY_SERVICES, P.FOREIGN_STATE, P.RUSSIAN_FORCES],
        "related": ["obstruction", "prosecution"],
    },
    "abduction": {
        "spot": ("автостанція", "bus station"),
        "title": (
            "{Loc} {g:зник|зникла} {role} видання «{outlet}»: колеги заявляють про викрадення",
            "{Role} of {outlet} missing in {city}: colleagues report abduction",
        ),
        "lead": (
            "Колеги повідомляють, що {who} {g:зник|зникла} після редакційної поїздки, і "
            "вважають це викраденням.",
            "Colleagues say {who} went missing after a reporting trip and believe {g:he|she} "
            "was abducted.",
        ),
        "details": [
            (
                "Востаннє {g:його|її} бачили біля автостанції. Телефон вимкнений із того ж "
                "вечора, а {g:його|її} сторінки в соцмережах не оновлюються.",
                "{g:He|She} was last seen near the bus station. {g:His|Her} phone has been "
                "switched off since that evening, and {g:his|her} social media pages have not "
                "been updated.",
            ),
            (
                "Рідні звернулися до поліції та до Червоного Хреста. Редакція «{outlet}» "
                "просить усіх, хто має інформацію, зателефонувати на гарячу лінію.",
                "Relatives have contacted the police and the Red Cross. The {outlet} newsroom "
                "asks anyone with information to call the hotline.",
            ),
        ],
        "perpetrators": [P.RUSSIAN_FORCES, P.UNKNOWN],
        "related": ["threats", "detention"],
    },
    "beating": {
        "spot": ("біля торговельного центру", "near a shopping centre"),
        "title": (
            "{Loc} напали на знімальну групу видання «{outlet}»",
            "{outlet} film crew attacked in {city}",
        ),
        "lead": (
            "{Who} {g:повідомив|повідомила}, що під час знімання сюжету {g:його|її} штовхали, "
            "били й намагалися відібрати камеру.",
            "{Who} said {g:he|she} was pushed and beaten while filming a story, and that the "
            "attackers tried to grab the camera.",
        ),
        "details": [
            (
                "Інцидент стався біля входу до торговельного центру, де знімальна група "
                "готувала репортаж про незаконну забудову. {g:Потерпілий звернувся|Потерпіла "
                "звернулася} до травмпункту.",
                "It happened near the entrance to a shopping centre, where the crew was "
                "preparing a report on illegal construction. The victim went to an emergency "
                "room.",
            ),
            (
                "На відео, яке оприлюднила редакція, видно, як нападник вибиває з рук "
                "мікрофон. Поліція відкрила провадження за статтею про перешкоджання "
                "журналістській діяльності.",
                "Video published by the newsroom shows the attacker knocking the microphone "
                "out of the reporter's hands. Police opened a case for obstruction of "
                "journalistic activity.",
            ),
        ],
        "perpetrators": [P.PRIVATE_PERSONS, P.UNKNOWN, P.POLICE, P.POLITICIANS],
        "related": ["obstruction", "damage-to-property"],
    },
    "threats": {
        "spot": ("місце проживання журналіста", "the journalist's home"),
        "title": (
            "{Role} видання «{outlet}» отримує погрози після публікації",
            "{outlet} {role} receives threats after publication",
        ),
        "lead": (
            "{Who} отримує погрози в месенджерах після виходу розслідування про місцевий бюджет.",
            "{Who} has been receiving threats via messaging apps since an investigation into "
            "the local budget was published.",
        ),
        "details": [
            (
                "Автори повідомлень погрожують розправою та згадують адресу, де живе родина. "
                "Скриншоти передано до поліції.",
                "The senders threaten violence and mention the address where the family lives. "
                "Screenshots have been handed to the police.",
            ),
            (
                "Біля під'їзду, де {g:він живе|вона живе}, хтось залишив записку з вимогою "
                "«припинити писати». Редакція «{outlet}» думає, як тимчасово переселити "
                "колегу в безпечне місце.",
                "Someone left a note at the entrance of {g:his|her} building demanding that "
                '{g:he|she} "stop writing". The {outlet} newsroom is considering temporarily '
                "moving {g:him|her} to a safe place.",
            ),
        ],
        "perpetrators": [
            P.PRIVATE_PERSONS,
            P.UNKNOWN,
            P.POLITICIANS,
            P.BUSINESS,
            P.FOREIGN_STATE,
        ],
        "related": ["political-pressure", "account-hacking"],
    },
    "damage-to-property": {
        "spot": ("двір редакції", "the newsroom's yard"),
        "title": (
            "{Loc} пошкодили автомобіль видання «{outlet}»",
            "{outlet} car damaged in {city}",
        ),
        "lead": (
            "Службовому автомобілю, яким користується {who}, розбили вікна та прокололи шини.",
            "The windows of the company car used by {who} were smashed and its tyres slashed.",
        ),
        "details": [
            (
                "Пошкодження виявили вранці, напередодні публікації матеріалу про вирубку "
                "лісу. Збитки редакція оцінює в кілька десятків тисяч гривень.",
                "The damage was discovered in the morning, the day before a story about illegal "
                "logging was due out. The newsroom puts the damage at several tens of thousands "
                "of hryvnias.",
            ),
            (
                "Раніше під час знімання акції протесту {g:йому|їй} розбили об'єктив камери "
                "та зламали штатив.",
                "Earlier, while {g:he|she} was filming a protest, {g:his|her} camera lens was "
                "smashed and tripod broken.",
            ),
        ],
        "perpetrators": [P.UNKNOWN, P.PRIVATE_PERSONS, P.POLICE],
        "related": ["obstruction", "beating"],
    },
    "attack-on-media-office": {
        "spot": ("приміщення редакції", "newsroom premises"),
        "title": (
            "На редакцію видання «{outlet}» {loc} скоєно напад",
            "Office of {outlet} attacked in {city}",
        ),
        "lead": (
            "Уночі вікна редакції «{outlet}» закидали камінням, а на дверях написали образливі "
            "гасла.",
            "Overnight, the windows of the {outlet} office were pelted with stones and "
            "offensive slogans were painted on the door.",
        ),
        "details": [
            (
                "Камери спостереження зафіксували двох людей у капюшонах. {Who} каже, що "
                "напередодні редакції телефонували з вимогою зняти публікацію.",
                "Surveillance cameras recorded two people in hoods. {Who} says the newsroom "
                "had received calls the day before demanding that a story be taken down.",
            ),
            (
                "Зранку працівники виявили, що замок зламано, а серверна шафа відчинена. "
                "Техніка на місці, але документи розкидані.",
                "In the morning, staff found the lock broken and the server cabinet open. No "
                "equipment was missing, but documents had been scattered.",
            ),
        ],
        "perpetrators": [P.UNKNOWN, P.PRIVATE_PERSONS],
        "related": ["damage-to-property", "threats"],
    },
    "shelling-injury": {
        "spot": ("житловий квартал після удару", "residential block after a strike"),
        "title": (
            "{Loc} під обстріл потрапила знімальна група видання «{outlet}»",
            "{outlet} crew comes under shelling in {city}",
        ),
        "lead": (
            "Під час знімання наслідків удару {who} {g:потрапив|потрапила} під повторний "
            "обстріл і {g:дістав|дістала} поранення.",
            "While filming the aftermath of a strike, {who} came under repeated shelling and "
            "was wounded.",
        ),
        "details": [
            (
                "На журналістах були бронежилети з написом PRESS. Медики діагностували "
                "осколкові поранення, загрози життю немає.",
                "The journalists wore body armour marked PRESS. Doctors diagnosed shrapnel "
                "wounds; {g:his|her} life is not in danger.",
            ),
            (
                "Удар припав на житловий квартал, де працювали кілька знімальних груп. Колеги "
                "допомогли евакуювати {g:пораненого|поранену} до лікарні.",
                "The strike hit a residential block where several crews were working. "
                "Colleagues helped evacuate {g:him|her} to hospital.",
            ),
        ],
        "perpetrators": [P.RUSSIAN_FORCES],
        "related": ["damage-to-property", "newsroom-damage"],
    },
    "newsroom-damage": {
        "spot": ("центр міста", "city centre"),
        "title": (
            "Унаслідок ракетного удару {loc} зруйновано редакцію «{outlet}»",
            "Missile strike destroys {outlet} newsroom in {city}",
        ),
        "lead": (
            "Ракетний удар по центру міста пошкодив приміщення, де працює {who} разом із колегами.",
            "A missile strike on the city centre damaged the premises where {who} works with "
            "colleagues.",
        ),
        "details": [
            (
                "Вибухова хвиля вибила вікна, зруйнувала студію та знищила частину техніки. "
                "Ніхто не постраждав, бо вночі редакція була порожня.",
                "The blast blew out the windows, destroyed the studio and part of the "
                "equipment. Nobody was hurt because the newsroom was empty at night.",
            ),
            (
                "Редакція тимчасово працює з укриття та з дому. Вихід друкованого номера "
                "довелося відкласти.",
                "The newsroom is temporarily working from a shelter and from home. The print "
                "issue had to be postponed.",
            ),
        ],
        "perpetrators": [P.RUSSIAN_FORCES],
        "related": ["media-closed-war", "damage-to-property"],
    },
    "tv-tower-attack": {
        "spot": ("телевежа", "TV tower"),
        "title": (
            "{Loc} атаковано телевежу, мовлення «{outlet}» перервано",
            "TV tower attacked in {city}, {outlet} broadcast interrupted",
        ),
        "lead": (
            "Удар дрона пошкодив телевежу, через що мовлення «{outlet}» кілька годин не мало "
            "сигналу.",
            "A drone strike damaged the TV tower, leaving {outlet} off the air for several hours.",
        ),
        "details": [
            (
                "Інженери перемкнули сигнал на резервний передавач. {Who} розповідає, що "
                "глядачі з усієї області писали про зникнення трансляції.",
                "Engineers switched the signal to a backup transmitter. {Who} says viewers "
                "across the region wrote in about the lost broadcast.",
            ),
            (
                "Пошкоджено антенно-фідерну систему та кабелі живлення. Відновлення може "
                "тривати кілька тижнів.",
                "The antenna feeder system and power cables were damaged. Repairs may take "
                "several weeks.",
            ),
        ],
        "perpetrators": [P.RUSSIAN_FORCES],
        "related": ["broadcast-switch-off"],
    },
    "obstruction": {
        "spot": ("будівля міської ради", "city council building"),
        "title": (
            "{Loc} перешкодили роботі журналістів видання «{outlet}»",
            "{outlet} journalists obstructed in {city}",
        ),
        "lead": (
            "{Who} {g:повідомив|повідомила}, що {g:йому|їй} не дали знімати на відкритому "
            "заході та вимагали вимкнути камеру.",
            "{Who} said {g:he|she} was prevented from filming at a public event and ordered "
            "to switch off the camera.",
        ),
        "details": [
            (
                "Охоронець закрив об'єктив рукою та вивів {g:його|її} із зали, посилаючись на "
                "«розпорядження керівництва». Захід був відкритим для громадськості.",
                "A guard covered the lens with his hand and led {g:him|her} out of the hall, "
                'citing "management\'s orders". The event was open to the public.',
            ),
            (
                "У {g:нього|неї} вимагали акредитацію, хоча закон не вимагає її для відкритих "
                "засідань. Редакція «{outlet}» звернулася до поліції.",
                "{g:He|She} was asked for accreditation, although the law does not require it "
                "for open meetings. The {outlet} newsroom has reported it to the police.",
            ),
        ],
        "perpetrators": [P.POLICE, P.OFFICIALS, P.MILITARY, P.BUSINESS, P.PRIVATE_PERSONS],
        "related": ["access-to-information", "beating", "threats"],
    },
    "access-to-information": {
        "spot": ("міська адміністрація", "city administration"),
        "title": (
            "Видання «{outlet}» не може отримати відповідь на запит про витрати бюджету",
            "{outlet} denied an answer to a request on public spending",
        ),
        "lead": (
            "{Who} понад місяць чекає на відповідь на запит про публічну інформацію щодо "
            "ремонту доріг {loc}.",
            "{Who} has waited over a month for a reply to a freedom-of-information request "
            "about road repairs in {city}.",
        ),
        "details": [
            (
                "Розпорядник інформації спершу послався на «службову таємницю», а потім "
                "перестав відповідати зовсім. Закон дає на відповідь п'ять робочих днів.",
                'The information holder first cited "official secrecy" and then stopped '
                "replying altogether. The law allows five working days for a reply.",
            ),
            (
                "Копій договорів журналістам не надали, бо документи нібито «на погодженні». "
                "Редакція готує скаргу до омбудсмана.",
                "Journalists were refused copies of the contracts because the documents were "
                'supposedly "under review". The newsroom is preparing a complaint to the '
                "ombudsman.",
            ),
        ],
        "perpetrators": [P.OFFICIALS, P.MILITARY, P.COURTS],
        "related": ["obstruction"],
    },
    "censorship": {
        "spot": ("редакція", "newsroom"),
        "title": (
            "Від видання «{outlet}» вимагали видалити критичний матеріал",
            "{outlet} pressed to remove a critical story",
        ),
        "lead": (
            "{Who} {g:розповів|розповіла}, що від редакції вимагали зняти з сайту матеріал про "
            "роботу місцевої влади.",
            "{Who} said the newsroom was pressed to remove a story about the local "
            "authorities from its website.",
        ),
        "details": [
            (
                "Матеріал про закупівлю шкільних автобусів зник із сайту через кілька годин "
                "після публікації. За словами редакції, його зняли після дзвінка «згори».",
                "A story on the purchase of school buses disappeared from the website a few "
                "hours after publication. According to the newsroom, it was taken down after a "
                'call "from above".',
            ),
            (
                "Редакторам надіслали список тем, які «не рекомендовано висвітлювати» до кінця "
                "року. Колектив «{outlet}» відмовився його виконувати.",
                'Editors received a list of topics "not recommended for coverage" until the '
                "end of the year. The {outlet} team refused to comply.",
            ),
        ],
        "perpetrators": [P.OFFICIALS, P.POLITICIANS, P.BUSINESS],
        "related": ["political-pressure", "economic-pressure"],
    },
    "broadcast-switch-off": {
        "spot": ("радіотелевізійний передавач", "radio and TV transmitter"),
        "title": (
            "{Loc} вимкнули мовлення «{outlet}»",
            "{outlet} broadcast switched off in {city}",
        ),
        "lead": (
            "Після захоплення передавача мовлення «{outlet}» у регіоні замінили на чужий сигнал.",
            "After the transmitter was seized, the {outlet} broadcast in the region was "
            "replaced with a foreign signal.",
        ),
        "details": [
            (
                "{Who} каже, що мешканці громади залишилися без українських новин. Редакція "
                "продовжує працювати онлайн і в Telegram.",
                "{Who} says residents of the community were left without Ukrainian news. The "
                "newsroom keeps working online and on Telegram.",
            ),
            (
                "Передавач вимкнули без попередження, обладнання з вежі вивезли. Відновити "
                "мовлення наразі неможливо.",
                "The transmitter was switched off without warning and the equipment removed "
                "from the tower. The broadcast cannot be restored for now.",
            ),
        ],
        "perpetrators": [P.RUSSIAN_FORCES],
        "related": ["censorship", "tv-tower-attack"],
    },
    "political-pressure": {
        "spot": ("сесійна зала ради", "council chamber"),
        "title": (
            "Видання «{outlet}» заявляє про політичний тиск",
            "{outlet} reports political pressure",
        ),
        "lead": (
            "{Who} заявляє, що редакцію змушують погоджувати матеріали перед виборами.",
            "{Who} says the newsroom is being pushed to clear its stories in advance of the "
            "election.",
        ),
        "details": [
            (
                "На публічному заході редакцію назвали «ворогами міста» та закликали бізнес "
                "припинити з нею співпрацю.",
                'At a public event the newsroom was called "enemies of the city", and '
                "businesses were urged to stop working with it.",
            ),
            (
                "Журналістам пропонували «співпрацю» в обмін на позитивні матеріали й "
                "погрожували перевірками в разі відмови.",
                'Journalists were offered "cooperation" in exchange for positive coverage '
                "and threatened with inspections if they refused.",
            ),
        ],
        "perpetrators": [P.POLITICIANS, P.OFFICIALS, P.FOREIGN_STATE],
        "related": ["censorship", "lawsuit-against-media"],
    },
    "economic-pressure": {
        "spot": ("офіс редакції", "newsroom office"),
        "title": (
            "Видання «{outlet}» втрачає рекламодавців після тиску",
            "{outlet} loses advertisers after pressure",
        ),
        "lead": (
            "{Who} {g:повідомив|повідомила}, що рекламодавці масово розривають договори з "
            "виданням після дзвінків із погрозами.",
            "{Who} said advertisers are cancelling their contracts with the outlet en masse "
            "after threatening phone calls.",
        ),
        "details": [
            (
                "Орендодавець без пояснень утричі підвищив плату за приміщення й вимагає "
                "звільнити його до кінця місяця.",
                "The landlord tripled the rent without explanation and demands that the "
                "premises be vacated by the end of the month.",
            ),
            (
                "Друкарня відмовилася друкувати наклад, пославшись на «технічні причини». "
                "Редакція «{outlet}» пов'язує це з публікаціями про місцевий бізнес.",
                'The printing house refused to print the issue, citing "technical reasons". '
                "The {outlet} newsroom links this to its stories about local business.",
            ),
        ],
        "perpetrators": [P.BUSINESS, P.OFFICIALS],
        "related": ["political-pressure"],
    },
    "media-closed-war": {
        "spot": ("редакція в прифронтовій громаді", "newsroom in a front-line community"),
        "title": (
            "Видання «{outlet}» призупинило роботу через війну",
            "{outlet} suspends work because of the war",
        ),
        "lead": (
            "Через бойові дії та постійні обстріли видання «{outlet}» припинило вихід.",
            "Because of the fighting and constant shelling, {outlet} has stopped publishing.",
        ),
        "details": [
            (
                "{Who} розповідає, що більшість працівників евакуювалися, а міська друкарня "
                "зруйнована.",
                "{Who} says most of the staff have been evacuated and the city's printing "
                "house has been destroyed.",
            ),
            (
                "Рекламний ринок у громаді зник, а передплатники виїхали. Редакція сподівається "
                "відновити роботу онлайн.",
                "The local advertising market has disappeared and subscribers have left. The "
                "newsroom hopes to resume work online.",
            ),
        ],
        "perpetrators": [P.RUSSIAN_FORCES],
        "related": ["economic-pressure"],
    },
    "lawsuit-against-media": {
        "spot": ("місцевий суд", "local court"),
        "title": (
            "Проти видання «{outlet}» подали позов про захист честі та гідності",
            "Defamation lawsuit filed against {outlet}",
        ),
        "lead": (
            "{Who} {g:дізнався|дізналася}, що редакцію позивають через матеріал про розподіл "
            "земельних ділянок.",
            "{Who} learned that the newsroom is being sued over a story about the allocation "
            "of land plots.",
        ),
        "details": [
            (
                "Позивач вимагає спростування та мільйон гривень компенсації моральної шкоди. "
                "Юристи вважають позов спробою залякати редакцію.",
                "The plaintiff demands a retraction and a million hryvnias in damages. Lawyers "
                "see the claim as an attempt to intimidate the newsroom.",
            ),
            (
                "Суд уже вжив заходів забезпечення позову й заборонив поширювати спірний "
                "матеріал до розгляду справи.",
                "The court has already granted interim measures and banned distribution of the "
                "disputed story until the case is heard.",
            ),
        ],
        "perpetrators": [P.POLITICIANS, P.BUSINESS, P.OFFICIALS, P.PRIVATE_PERSONS],
        "related": ["economic-pressure", "political-pressure"],
    },
    "prosecution": {
        "spot": ("приміщення слідчого відділу", "investigators' office"),
        "title": (
            "{Role} видання «{outlet}» {g:отримав|отримала} підозру",
            "{outlet} {role} served with a notice of suspicion",
        ),
        "lead": (
            "{Who} {g:отримав|отримала} повідомлення про підозру, яке редакція пов'язує з "
            "професійною діяльністю.",
            "{Who} has been served a notice of suspicion, which the newsroom links to "
            "{g:his|her} professional work.",
        ),
        "details": [
            (
                "Під час обшуку в {g:нього|неї} вилучили ноутбук і диктофон із записами "
                "інтерв'ю. Адвокат наголошує на порушенні таємниці джерел.",
                "During a search, {g:his|her} laptop and a voice recorder with interview "
                "recordings were seized. The lawyer stresses that source confidentiality was "
                "violated.",
            ),
            (
                "Слідство кваліфікує публікацію як «поширення неправдивих відомостей». "
                "Наступне засідання суду призначене на наступний місяць.",
                'Investigators classify the publication as "spreading false information". '
                "The next court hearing is scheduled for next month.",
            ),
        ],
        "perpetrators": [P.COURTS, P.SECURITY_SERVICES, P.FOREIGN_STATE],
        "related": ["political-pressure", "detention"],
    },
    "cyberattack": {
        "spot": ("сайт редакції", "the outlet's website"),
        "title": (
            "Сайт видання «{outlet}» зазнав DDoS-атаки",
            "{outlet} website hit by DDoS attack",
        ),
        "lead": (
            "Після публікації розслідування сайт «{outlet}» кілька годин був недоступний через "
            "DDoS-атаку.",
            "After an investigation was published, the {outlet} website was down for several "
            "hours due to a DDoS attack.",
        ),
        "details": [
            (
                "{Who} каже, що пікове навантаження в сотні разів перевищило звичайний трафік. "
                "Хостинг-провайдер допоміг відфільтрувати запити.",
                "{Who} says peak traffic was hundreds of times higher than normal. The hosting "
                "provider helped filter the requests.",
            ),
            (
                "Зловмисники також намагалися підібрати пароль до адмінпанелі сайту. Редакція "
                "увімкнула двофакторну автентифікацію.",
                "The attackers also tried to guess the password to the site's admin panel. The "
                "newsroom has enabled two-factor authentication.",
            ),
        ],
        "perpetrators": [P.UNKNOWN, P.RUSSIAN_FORCES, P.FOREIGN_STATE],
        "related": ["account-hacking"],
    },
    "account-hacking": {
        "spot": ("сторінка редакції в соцмережі", "the outlet's social media page"),
        "title": (
            "Зламано сторінку видання «{outlet}» у соцмережі",
            "{outlet} social media page hacked",
        ),
        "lead": (
            "{Who} {g:втратив|втратила} доступ до робочого акаунта, з якого зловмисники почали "
            "поширювати фейкові повідомлення.",
            "{Who} lost access to a work account, which the attackers then used to spread fake "
            "messages.",
        ),
        "details": [
            (
                "Від імені редакції підписникам розсилали посилання на фішинговий сайт. Доступ "
                "вдалося відновити лише через дві доби.",
                "Subscribers were sent links to a phishing site in the newsroom's name. Access "
                "was restored only two days later.",
            ),
            (
                "Зловмисники змінили назву сторінки та видалили архів публікацій за кілька років.",
                "The attackers renamed the page and deleted several years' worth of archived "
                "posts.",
            ),
        ],
        "perpetrators": [P.UNKNOWN, P.PRIVATE_PERSONS],
        "related": ["cyberattack", "threats"],
    },
}

# Perpetrator -> (details in Ukrainian, in English) and a paragraph about them.
PERPETRATORS = {
    P.POLICE: (
        ("Патрульна поліція (вигаданий епізод)", "Patrol police (fictional episode)"),
        (
            "Редакція пов'язує інцидент із діями поліцейських, які були на місці. У поліції "
            "заявили, що проводять службове розслідування.",
            "The newsroom links the incident to police officers who were at the scene. The "
            "police said they were conducting an internal investigation.",
        ),
    ),
    P.SECURITY_SERVICES: (
        (
            "Люди, які назвалися співробітниками спецслужби",
            "People who said they were security service officers",
        ),
        (
            "За словами редакції, до інциденту причетні люди, які назвалися співробітниками "
            "спецслужби, але не показали посвідчень. Офіційного коментаря немає.",
            "According to the newsroom, people who said they were security service officers "
            "but showed no ID were involved. There has been no official comment.",
        ),
    ),
    P.OFFICIALS: (
        ("Посадовці міської ради", "City council officials"),
        (
            "Редакція вважає, що за інцидентом стоять посадовці місцевої адміністрації. У "
            "міській раді від коментарів відмовилися.",
            "The newsroom believes local administration officials are behind the incident. "
            "The city council declined to comment.",
        ),
    ),
    P.POLITICIANS: (
        ("Депутат місцевої ради", "A local councillor"),
        (
            "Потерпіла сторона пов'язує тиск із місцевим депутатом, про якого видання писало "
            "раніше. Сам політик звинувачення заперечує.",
            "The victims link the pressure to a local councillor the outlet had written about "
            "before. The politician denies the accusations.",
        ),
    ),
    P.COURTS: (
        ("Місцевий суд і прокуратура", "Local court and prosecutor's office"),
        (
            "Юристи зауважують, що рішення ухвалили з порушенням процедури, і готують "
            "апеляцію. У прокуратурі заявили, що діють у межах закону.",
            "Lawyers note that the decision was made in breach of procedure and are preparing "
            "an appeal. The prosecutor's office said it was acting within the law.",
        ),
    ),
    P.MILITARY: (
        ("Військовослужбовці на блокпосту", "Soldiers at a checkpoint"),
        (
            "Редакція пов'язує інцидент із військовослужбовцями, які не визнали редакційне "
            "посвідчення. Пресслужба військової частини пообіцяла розібратися.",
            "The newsroom links the incident to soldiers who would not accept the press card. "
            "The unit's press office promised to look into it.",
        ),
    ),
    P.RUSSIAN_FORCES: (
        ("Російські військові", "Russian troops"),
        (
            "Відповідальність за інцидент лежить на російських військових. ІМІ фіксує такі "
            "випадки як воєнні злочини проти медіа.",
            "Russian troops are responsible for the incident. IMI records such cases as war "
            "crimes against the media.",
        ),
    ),
    P.FOREIGN_STATE: (
        ("Органи влади іноземної держави", "Authorities of a foreign state"),
        (
            "Інцидент стався за кордоном, до нього причетні представники місцевої влади. "
            "Українське консульство поінформоване про ситуацію.",
            "The incident happened abroad and involved local authorities. The Ukrainian "
            "consulate has been informed of the situation.",
        ),
    ),
    P.BUSINESS: (
        ("Місцевий забудовник", "A local developer"),
        (
            "Редакція пов'язує інцидент із місцевим забудовником, про діяльність якого писала "
            "раніше. У компанії звинувачення заперечують.",
            "The newsroom links the incident to a local developer whose business it had "
            "reported on. The company denies the accusations.",
        ),
    ),
    P.PRIVATE_PERSONS: (
        ("Місцевий мешканець", "A local resident"),
        (
            "Причетну особу встановлено: це місцевий мешканець, який заявив, що був "
            "незадоволений публікацією. Поліція склала протокол.",
            "The person involved has been identified as a local resident who said they were "
            "unhappy with the coverage. Police drew up a report.",
        ),
    ),
    P.UNKNOWN: (
        ("Невідомі особи", "Unknown persons"),
        (
            "Хто стоїть за інцидентом, наразі невідомо. Поліція відкрила провадження, але "
            "підозрюваних поки не встановила.",
            "It is not yet known who is behind the incident. Police have opened a case but "
            "have not identified any suspects.",
        ),
    ),
}

CLOSINGS = [
    (
        "ІМІ нагадує, що перешкоджання законній професійній діяльності журналістів карається "
        "за статтею 171 Кримінального кодексу України.",
        "IMI reminds that obstructing the lawful professional activity of journalists is "
        "punishable under Article 171 of the Criminal Code of Ukraine.",
    ),
    (
        "Якщо ви журналіст і зіткнулися з тиском, зверніться на **гарячу лінію ІМІ**: юристи "
        "консультують безкоштовно.",
        "If you are a journalist facing pressure, call the **IMI hotline**: its lawyers give "
        "free advice.",
    ),
    ("ІМІ стежить за розвитком ситуації.", "IMI is following the story."),
]

SOURCE_TITLES = ("Демо-джерело: допис видання «{outlet}»", "Demo source: a post by {outlet}")

_GENDERED = re.compile(r"\{g:([^|{}]*)\|([^{}]*)\}")


def _fill(template: str, context: dict, gender: str) -> str:
    chosen = _GENDERED.sub(lambda m: m.group(1) if gender == "m" else m.group(2), template)
    return chosen.format(**context)


def _capitalize(text: str) -> str:
    return text[:1].upper() + text[1:]


# --- The data ------------------------------------------------------------------------------


@dataclass
class Spec:
    """One incident row as it should be, keyed by slug."""

    slug: str
    fields: dict
    categories: list
    victims: list = field(default_factory=list)  # dicts of Victim fields
    sources: list = field(default_factory=list)  # dicts of SourceLink fields
    translation_of: str | None = None  # the original's slug
    perpetrators: list = field(default_factory=list)  # (category, body)
    cases: list = field(default_factory=list)  # dicts of CriminalCase fields
    updates: list = field(default_factory=list)  # dicts of IncidentUpdate fields
    people: list = field(default_factory=list)  # (sex, age group, NAMES index), per victim


@dataclass
class DemoVictim:
    name: int
    role: int
    anonymous: bool


@dataclass
class Story:
    """The language-independent facts of one fictional incident."""

    slug: str
    published_at: datetime.datetime | None
    occurred_on: datetime.date
    approximate: bool
    status: str
    categories: list
    region: str
    country: int | None
    perpetrator: str
    outlet: int
    victims: list
    details: list
    closing: int | None
    source: bool


VICTIM_DEFAULTS = {
    "occupation": "",
    "employment": "",
    "origin": "",
    "injury": "",
    "detained_from": None,
    "detained_until": None,
    "equipment": "",
    "killed": False,
}


def victim_fields(name, anonymous, outlet, role) -> dict:
    return {
        "name": name,
        "is_anonymous": anonymous,
        "outlet": outlet,
        "role": role,
        **VICTIM_DEFAULTS,
    }


def source_fields(url, title, publisher, published_on, independent=True, own=False) -> dict:
    return {
        "url": url,
        "title": title,
        "publisher": publisher,
        "published_on": published_on,
        "is_independent": independent,
        "is_victim_account": own,
    }


def akhmet_sources(language: str) -> list:
    """As migration 0013 gives them: her own account to IMI, and IMI's news item (which
    reports her account, so it is not independent of it)."""
    day = datetime.date(2019, 2, 27)
    if language == "uk":
        return [
            source_fields("", "Жанара Ахмет, заява ІМІ", "Жанара Ахмет", day, False, True),
            source_fields(
                "",
                "Інститут масової інформації, новина",
                "Інститут масової інформації",
                day,
                False,
            ),
        ]
    return [
        source_fields("", "Zhanara Akhmet, statement to IMI", "Zhanara Akhmet", day, False, True),
        source_fields(
            "",
            "Institute of Mass Information, news item",
            "Institute of Mass Information",
            day,
            False,
        ),
    ]


def akhmet_specs(regions: dict) -> list:
    facts = {
        "status": Incident.Status.PUBLISHED,
        "published_at": datetime.datetime(2019, 2, 27, 22, 25, tzinfo=KYIV),
        "occurred_on": datetime.date(2019, 2, 27),
        "occurred_on_approximate": False,
        "region_id": regions["kyiv"].pk,
        "country": "",
        "perpetrator_type": P.FOREIGN_STATE,
    }
    categories = ["political-pressure", "obstruction"]
    english = Spec(
        slug=AKHMET_EN_SLUG,
        fields={
            **facts,
            "language": "en",
            "title": "Kazakh journalist claimed about provocation targeting TV channel she ran",
            "lead": AKHMET_EN_BODY.split("\n\n")[0],
            "body": AKHMET_EN_BODY,
            "place": "Apartment used as the “16/12” editorial office",
            "perpetrator_detail": (
                "Kazakhstan's secret services, as the journalist claims; police came after an "
                "anonymous bomb-threat call"
            ),
        },
        categories=categories,
        victims=[
            victim_fields("Zhanara Akhmet", False, "16/12", "journalist, head of the TV channel")
            | {"occupation": "journalist", "origin": "foreign"}
        ],
        sources=akhmet_sources("en"),
        perpetrators=[("foreign_state", "Kazakhstan's secret services, as the journalist claims")],
        people=[("female", "", None)],
    )
    ukrainian = Spec(
        slug=AKHMET_UK_SLUG,
        fields={
            **facts,
            "language": "uk",
            "title": "Казахська журналістка заявила про провокацію проти телеканалу, "
            "який вона очолює",
            "lead": AKHMET_UK_BODY.split("\n\n")[0],
            "body": AKHMET_UK_BODY,
            "place": "Квартира, у якій розміщується редакція «16/12»",
            "perpetrator_detail": (
                "Спецслужби Казахстану, як стверджує журналістка; поліція прийшла після "
                "анонімного дзвінка про замінування"
            ),
        },
        categories=categories,
        victims=[
            victim_fields("Жанара Ахмет", False, "16/12", "журналістка, керівниця телеканалу")
            | {"occupation": "journalist", "origin": "foreign"}
        ],
        sources=akhmet_sources("uk"),
        perpetrators=[("foreign_state", "Спецслужби Казахстану, як стверджує журналістка")],
        people=[("female", "", None)],
        translation_of=AKHMET_EN_SLUG,
    )
    return [english, ukrainian]


class StoryMaker:
    """Draws fictional facts from one seeded generator, spreading them over the taxonomy."""

    def __init__(self, wartime: dict):
        self.rng = random.Random(2019)  # noqa: S311 - demo data, not security
        self.wartime = wartime  # leaf slug -> is_wartime, from the database
        self.used_categories = set()
        self.used_perpetrators = set()
        self.used_regions = set()

    def _prefer_new(self, options: list, used: set):
        fresh = [o for o in options if o not in used]
        choice = self.rng.choice(fresh or options)
        used.add(choice)
        return choice

    def story(self, slug_for, published_at, occurred_on, *, approximate, status, source):
        rng = self.rng
        war = occurred_on >= WAR_START
        allowed = [s for s in TEMPLATES if war or not self.wartime[s]]
        pool = allowed
        if war and rng.random() < 0.4:
            pool = [s for s in allowed if self.wartime[s]]
        primary = self._prefer_new(pool, self.used_categories)
        categories = [primary]
        related = [s for s in TEMPLATES[primary]["related"] if s in allowed]
        if related and rng.random() < 0.35:
            categories.append(rng.choice(related))
            self.used_categories.add(categories[-1])

        perpetrators = list(TEMPLATES[primary]["perpetrators"])
        if not war and primary not in ("detention", "abduction", "cyberattack"):
            perpetrators = [p for p in perpetrators if p != P.RUSSIAN_FORCES] or perpetrators
        perpetrator = self._prefer_new(perpetrators, self.used_perpetrators)

        country = None
        if perpetrator == P.FOREIGN_STATE or (
            perpetrator in (P.PRIVATE_PERSONS, P.UNKNOWN)
            and primary in ("threats", "account-hacking", "beating")
            and rng.random() < 0.3
        ):
            region = "abroad"
            country = rng.randrange(len(COUNTRIES))
        elif perpetrator == P.RUSSIAN_FORCES and primary != "cyberattack":
            region = self._prefer_new(WAR_ZONE if war else OCCUPIED_BEFORE_WAR, self.used_regions)
        else:
            domestic = [s for s in DOMESTIC if not (war and s == "luhansk")]
            region = self._prefer_new(domestic, self.used_regions)

        victims = []
        for _ in range(2 if rng.random() < 0.3 else 1):
            name = rng.choice([n for n in range(len(NAMES)) if n not in {v.name for v in victims}])
            role = rng.randrange(len(ROLES))
            rng.random()  # was each appearance's own chance of a withheld name
            # A withheld name is the person's wish, in every incident about them: an
            # archive that withholds a name in one article and prints it in another names
            # them against their will (issue 26).
            victims.append(DemoVictim(name, role, anonymous=name in WITHHELD_NAMES))
        details = rng.choice([[0], [1], [0, 1]])
        closing = rng.randrange(len(CLOSINGS)) if len(details) == 1 else None
        return Story(
            slug=slug_for(primary, region),
            published_at=published_at,
            occurred_on=occurred_on,
            approximate=approximate,
            status=status,
            categories=categories,
            region=region,
            country=country,
            perpetrator=perpetrator,
            outlet=rng.randrange(len(OUTLETS)),
            victims=victims,
            details=details,
            closing=closing,
            source=source,
        )


def render(story: Story, language: str, regions: dict, slug: str | None = None) -> Spec:
    """The incident as written in `language`: the same facts, texts from the templates."""
    li = 0 if language == "uk" else 1
    template = TEMPLATES[story.categories[0]]
    outlet = OUTLETS[story.outlet][li]

    def role_of(victim):
        masculine, feminine, english = ROLES[victim.role]
        return english if li else (masculine if NAMES[victim.name][2] == "m" else feminine)

    first = story.victims[0]
    gender = NAMES[first.name][2]
    role = role_of(first)
    if language == "uk":
        who = f"{role} видання «{outlet}» " + (
            "(ім'я не розголошується)" if first.anonymous else NAMES[first.name][0]
        )
    elif first.anonymous:
        who = f"a {role} of {outlet} (name withheld)"
    else:
        who = f"{outlet} {role} {NAMES[first.name][1]}"
    if story.country is None:
        city, loc, city_en = CITIES[story.region]
    else:
        city, loc, city_en = COUNTRIES[story.country][2]
    if li:
        city, loc = city_en, f"in {city_en}"
    context = {
        "who": who,
        "Who": _capitalize(who),
        "role": role,
        "Role": _capitalize(role),
        "outlet": outlet,
        "city": city,
        "loc": loc,
        "Loc": _capitalize(loc),
    }

    def text(pair):
        return _fill(pair[li], context, gender)

    detail_name, paragraph = PERPETRATORS[story.perpetrator]
    paragraphs = [DEMO_NOTE[li]]
    paragraphs += [text(template["details"][i]) for i in story.details]
    paragraphs.append(text(paragraph))
    if story.closing is not None:
        paragraphs.append(CLOSINGS[story.closing][li])
    return Spec(
        slug=slug or story.slug,
        fields={
            "language": language,
            "title": _capitalize(text(template["title"])),
            "lead": text(template["lead"]),
            "body": "\n\n".join(paragraphs),
            "status": story.status,
            "published_at": story.published_at,
            "occurred_on": story.occurred_on,
            "occurred_on_approximate": story.approximate,
            "region_id": regions[story.region].pk,
            "place": f"{city}, {template['spot'][li]}",
            "country": "" if story.country is None else COUNTRIES[story.country][li],
            "perpetrator_type": story.perpetrator,
            "perpetrator_detail": detail_name[li],
        },
        categories=story.categories,
        **record_facts(story, li, outlet, role_of),
    )


# The record's depth for the fictional stories (issue 17): drawn from a hash of the story's
# slug, not from the generator, so the stories themselves stay as they were, and both
# versions of a story get the same facts.
OCCUPATIONS = ["journalist", "camera_operator", "editor", "photographer", "journalist", "blogger"]
MONITOR = ("Демо-монітор", "Demo Monitor")
MONITOR_TITLES = ("Демо-джерело: звіт моніторингу", "Demo source: a monitoring report")
VICTIM_TITLES = ("Демо-джерело: заява постраждалих", "Demo source: the victims' statement")
ARTICLES = {
    "beating": "345-1",
    "threats": "345-1",
    "obstruction": "171",
    "detention": "171",
    "damage-to-property": "347-1",
    "attack-on-media-office": "347-1",
    "killing": "348-1",
    "abduction": "349-1",
}
AGE_GROUPS = ["18-29", "30-44", "45-59", "30-44", ""]
CASE_TEXTS = {
    "opened": (
        "Поліція відкрила кримінальне провадження за статтею {article} Кримінального кодексу.",
        "The police opened criminal proceedings under Article {article} of the Criminal Code.",
    ),
    "reply": (
        "На запит ІМІ відповіли, що провадження розслідують; підозр нікому не повідомлено.",
        "Answering IMI's request, they said the case is being investigated; no one has been "
        "named a suspect.",
    ),
    "court": (
        "Справу передали до суду.",
        "The case was sent to court.",
    ),
    "verdict": (
        "Суд визнав нападника винним і призначив умовний термін.",
        "The court found the attacker guilty and gave a suspended sentence.",
    ),
    "closed": (
        "Провадження закрили: слідство не встановило винних.",
        "The case was closed: the investigation did not identify anyone responsible.",
    ),
}
AUTHORITY = ("Національна поліція", "National Police")


def record_facts(story: Story, li: int, outlet: str, role_of) -> dict:
    today = timezone.localdate()
    seed = zlib.crc32(story.slug.encode())
    primary = story.categories[0]
    day = story.occurred_on
    url = f"https://example.org/demo/{story.slug}"
    sources = []
    if story.source:
        own = seed % 3 == 0
        sources.append(
            source_fields(
                url,
                (VICTIM_TITLES if own else SOURCE_TITLES)[li].format(outlet=outlet),
                outlet,
                day,
                independent=not own,
                own=own,
            )
        )
        if seed % 3 == 1:
            sources.append(
                source_fields(
                    f"https://example.net/demo/{story.slug}",
                    MONITOR_TITLES[li],
                    MONITOR[li],
                    min(day + datetime.timedelta(days=2), today),
                )
            )
    detail_name, _paragraph = PERPETRATORS[story.perpetrator]
    perpetrators = [(PERPETRATOR_CATEGORY[story.perpetrator].value, detail_name[li])]
    if seed % 7 == 0 and story.perpetrator != P.UNKNOWN:
        perpetrators.append(("unknown", ""))
    victims, people = [], []
    for position, victim in enumerate(story.victims):
        facts = victim_fields(NAMES[victim.name][li], victim.anonymous, outlet, role_of(victim))
        facts["occupation"] = OCCUPATIONS[victim.role]
        facts["employment"] = "freelance" if (seed >> position) % 4 == 0 else "staff"
        facts["origin"] = "local" if story.country is None else "foreign"
        if position == 0:
            if primary in ("beating", "shelling-injury"):
                facts["injury"] = "serious" if seed % 5 == 0 else "minor"
            if primary in ("detention", "abduction"):
                facts["detained_from"] = day
                facts["detained_until"] = min(day + datetime.timedelta(days=seed % 4), today)
            if primary in ("damage-to-property", "beating") and seed % 2:
                facts["equipment"] = "damaged"
            facts["killed"] = primary == "killing"
        victims.append(facts)
        people.append(
            (
                "female" if NAMES[victim.name][2] == "f" else "male",
                AGE_GROUPS[(seed >> (position + 3)) % len(AGE_GROUPS)],
                None if victim.anonymous else victim.name,
            )
        )
    cases, updates = [], []
    article = ARTICLES.get(primary)
    opened = day + datetime.timedelta(days=3)
    if article and story.published_at and seed % 4 != 3 and opened <= today:
        stage = ["investigating", "in_court", "verdict", "closed", "investigating"][seed % 5]
        verdict_on = opened + datetime.timedelta(days=300)
        if stage in ("in_court", "verdict") and verdict_on > today:
            stage = "investigating"
        case = {
            "number": f"1202{day:%y}{seed % 10**10:010d}",
            "article": article,
            "opened_on": opened,
            "status": stage,
            "verdict_on": verdict_on if stage == "verdict" else None,
            "verdict": CASE_TEXTS["verdict"][li] if stage == "verdict" else "",
            "impunity": {"verdict": "partial", "closed": "complete"}.get(stage, ""),
        }
        cases.append(case)
        entries = [(opened, "case", "", CASE_TEXTS["opened"][li].format(article=article))]
        replied = opened + datetime.timedelta(days=30)
        if replied <= today:
            entries.append((replied, "reply", AUTHORITY[li], CASE_TEXTS["reply"][li]))
        if stage in ("in_court", "verdict"):
            entries.append(
                (opened + datetime.timedelta(days=200), "case", "", CASE_TEXTS["court"][li])
            )
        if stage == "verdict":
            entries.append((verdict_on, "case", "", CASE_TEXTS["verdict"][li]))
        if stage == "closed":
            entries.append(
                (opened + datetime.timedelta(days=120), "case", "", CASE_TEXTS["closed"][li])
            )
        updates = [
            {"on": on, "kind": kind, "authority": authority, "text": text, "is_public": True}
            for on, kind, authority, text in entries
            if on <= today
        ]
    return {
        "victims": victims,
        "sources": sources,
        "perpetrators": perpetrators,
        "cases": cases,
        "updates": updates,
        "people": people,
    }


def fictional_specs(regions: dict, wartime: dict) -> list:
    maker = StoryMaker(wartime)
    rng = maker.rng
    drafts, archived = {5, 27, 49}, {14, 38}
    originals, translations = [], []
    last_year, last_month = LAST_GENERATED_MONTH
    for i in range(FICTIONAL_COUNT):
        year = 2017 + i % 10
        month = rng.randint(1, last_month if year == last_year else 12)
        published = datetime.datetime(
            year,
            month,
            rng.randint(1, 28),
            rng.randint(8, 21),
            rng.randrange(0, 60, 5),
            tzinfo=KYIV,
        )
        occurred_on = max(FIRST_DAY, published.date() - datetime.timedelta(rng.randint(0, 10)))
        status = Incident.Status.PUBLISHED
        if i in drafts:
            status = Incident.Status.DRAFT
        elif i in archived:
            status = Incident.Status.ARCHIVED
        story = maker.story(
            lambda primary, region, i=i, d=occurred_on: (
                f"demo-{d:%Y-%m}-{primary}-{region}-{i + 1}"
            ),
            None if status == Incident.Status.DRAFT else published,
            occurred_on,
            approximate=i % 10 == 7,
            status=status,
            source=i % 2 == 0,
        )
        language = "en" if i % 4 == 1 else "uk"
        originals.append(render(story, language, regions))
        if language == "uk" and i % 8 == 0 and status == Incident.Status.PUBLISHED:
            translation = render(story, "en", regions, slug=f"{story.slug}-en")
            translation.translation_of = story.slug
            translations.append(translation)
    return originals + translations + this_month_specs(maker, regions)


def this_month_specs(maker: StoryMaker, regions: dict) -> list:
    """Three incidents in the current month; stable slugs, so they move along with the date."""
    now = timezone.now()
    today = timezone.localdate(now)
    specs = []
    for number, (back, language) in enumerate([(1, "uk"), (4, "uk"), (8, "en")], start=1):
        earlier = maker.rng.randint(0, 3)
        day = max(1, today.day - back)
        if day < today.day:
            published = datetime.datetime(today.year, today.month, day, 9 + number, 15, tzinfo=KYIV)
        else:  # the 1st of the month: early enough that it is already public
            published = datetime.datetime(today.year, today.month, day, 0, number, tzinfo=KYIV)
        occurred_on = published.date() - datetime.timedelta(min(earlier, day - 1))
        story = maker.story(
            lambda primary, region, n=number: f"demo-this-month-{n}",
            min(published, now),
            occurred_on,
            approximate=False,
            status=Incident.Status.PUBLISHED,
            source=number != 2,
        )
        specs.append(render(story, language, regions))
    return specs


class Command(BaseCommand):
    help = (
        "Load demo data: the 2019 article about Zhanara Akhmet (English and Ukrainian) and "
        "clearly fictional incidents. Safe to run again: it changes nothing the second time."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-admin", action="store_true", help="Do not create the local demo admin account."
        )
        parser.add_argument(
            "--site",
            default=DEMO_SITE_URL,
            help="The address the site is served on, for the printed admin login.",
        )

    @transaction.atomic
    def handle(self, *args, **options):
        regions = {r.slug: r for r in Region.objects.all()}
        leaves = {c.slug: c for c in Category.objects.leaves()}
        missing = sorted(({"kyiv", "abroad"} | set(CITIES)) - set(regions)) + sorted(
            set(TEMPLATES) - set(leaves)
        )
        if missing:
            raise CommandError(
                f"Missing seeded regions or categories ({', '.join(missing)}): run migrate first."
            )
        wartime = {slug: leaves[slug].is_wartime for slug in TEMPLATES}

        specs = akhmet_specs(regions) + fictional_specs(regions, wartime)
        counts = {"created": 0, "updated": 0, "unchanged": 0}
        pks = {}
        for spec in specs:
            incident, outcome = self.sync(spec, leaves, pks)
            pks[spec.slug] = incident.pk
            counts[outcome] += 1
        # The listing flags and the counts of the public pages, as every writer keeps them.
        services.incidents_rebuild()
        self.people(specs)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo incidents: {counts['created']} created, {counts['updated']} updated, "
                f"{counts['unchanged']} unchanged ({len(specs)} in all)."
            )
        )
        staff = None
        if not options["no_admin"]:
            staff = self.demo_admin(options["site"])
        # Other apps' demo data (settings.DEMO_DATA_LOADERS): the duty desk's queue.
        for path in getattr(settings, "DEMO_DATA_LOADERS", []):
            import_string(path)(stdout=self.stdout, staff=staff)

    def sync(self, spec: Spec, leaves: dict, pks: dict):
        """Make the incident match `spec`, saving only what differs."""
        wanted = dict(spec.fields)
        wanted["translation_of_id"] = pks[spec.translation_of] if spec.translation_of else None
        incident = Incident.objects.filter(slug=spec.slug).first()
        created = incident is None
        if created:
            incident = Incident(slug=spec.slug)
        changed = created or any(getattr(incident, k) != v for k, v in wanted.items())
        if changed:
            for name, value in wanted.items():
                setattr(incident, name, value)
            incident.full_clean()
            incident.save()

        categories = {leaves[slug].pk for slug in spec.categories}
        if created or set(incident.categories.values_list("pk", flat=True)) != categories:
            incident.categories.set(categories)
            changed = True

        changed |= self.replace(incident.victims, Victim, spec.victims)
        changed |= self.replace(incident.sources, SourceLink, spec.sources)
        changed |= self.replace(
            incident.perpetrators,
            Perpetrator,
            [{"category": c, "body": b} for c, b in spec.perpetrators],
        )
        changed |= self.replace(incident.cases, CriminalCase, spec.cases)
        changed |= self.replace(incident.updates, IncidentUpdate, spec.updates)

        if created:
            return incident, "created"
        return incident, "updated" if changed else "unchanged"

    @staticmethod
    def replace(related, model, wanted: list[dict]) -> bool:
        """Make an incident's rows of `model` equal `wanted`; True if they differed."""
        keys = list(wanted[0]) if wanted else []
        if keys and list(related.order_by("pk").values(*keys)) == wanted:
            return False
        if not keys and not related.exists():
            return False
        related.all().delete()
        model.objects.bulk_create(model(incident=related.instance, **row) for row in wanted)
        return True

    @staticmethod
    def people(specs: list) -> None:
        """The demo people: sex and age group, and one person for each fictional name
        that is public wherever it appears (withheld ones are never linked)."""
        by_name: dict[int, list[Person]] = {}
        for spec in specs:
            victims = Victim.objects.filter(incident__slug=spec.slug).select_related("person")
            for victim, (sex, age_group, name) in zip(
                victims.order_by("pk"), spec.people, strict=True
            ):
                person = victim.person
                if person is not None and (person.sex, person.age_group) != (sex, age_group):
                    person.sex, person.age_group = sex, age_group
                    person.save(update_fields=["sex", "age_group"])
                if person is not None and name is not None:
                    by_name.setdefault(name, []).append(person)
        for people in by_name.values():
            distinct = sorted({person.pk: person for person in people}.values(), key=lambda p: p.pk)
            if len(distinct) > 1:
                services.people_merge(into=distinct[0], others=distinct[1:])
        Person.objects.filter(victims__isnull=True).delete()

    def demo_admin(self, site: str = DEMO_SITE_URL):
        if not settings.DEBUG:
            self.stdout.write(
                "Demo admin skipped: the demo admin is only created in DEBUG mode (DEBUG=1)."
            )
            return
        User = get_user_model()
        admin = User.objects.filter(username=DEMO_ADMIN_USERNAME).first()
        if admin is None:
            admin = User.objects.create_superuser(
                username=DEMO_ADMIN_USERNAME, email="", password=DEMO_ADMIN_PASSWORD
            )
        self.stdout.write(
            f"Demo admin: {site.rstrip('/')}/admin/  login {DEMO_ADMIN_USERNAME} / "
            f"{DEMO_ADMIN_PASSWORD}"
        )
        return admin
