"""Ukrainian counts, dates and numbers as a reader expects them, and mail in the recipient's
language (issue 18, item 2).

Ukrainian has three plural forms: 1, 21, 31 інцидент; 2–4, 22–24 інциденти; 5–20, 25–30 and
11–14 інцидентів. After "з" (of) the noun is in the genitive: з 21 інциденту, з 22 інцидентів.
The expected words are written out here, not looked up in the catalogue, so a wrong
translation or a count rendered without ngettext fails.

Dates are numeric (04.12.2026, Kyiv time) in both languages; a month with its year is written
out ("грудень 2026", lower case in Ukrainian; "December 2026"). Counts and years are plain
digits in both languages: the site does not group thousands, so a year never reads "2 025".
"""

import datetime
import gettext
import re
import zoneinfo
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone, translation
from django.utils.translation import ngettext

from hotline.models import Notification
from hotline.services import outbox
from incidents.models import Region
from tests.hotline.factories import ComplaintFactory
from tests.incidents.factories import IncidentFactory
from tests.incidents.pages import Node, parse
from tests.shared_data import shared_data

LOCALE = Path(__file__).resolve().parent.parent / "locale"
KYIV = zoneinfo.ZoneInfo("Europe/Kyiv")
COUNTS = (1, 2, 5, 11, 21, 22, 25)
MONTHS_UK = [
    "січень", "лютий", "березень", "квітень", "травень", "червень", "липень", "серпень",
    "вересень", "жовтень", "листопад", "грудень",
]  # fmt: skip


def incidents_uk(n: int) -> str:
    """1 інцидент, 2 інциденти, 5 інцидентів: the rule written out, not the catalogue's."""
    if n % 10 == 1 and n % 100 != 11:
        return "інцидент"
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return "інциденти"
    return "інцидентів"


def of_incidents_uk(n: int) -> str:
    """After "з": з 1 інциденту, з 21 інциденту, з 2 / 11 / 22 інцидентів."""
    return "інциденту" if n % 10 == 1 and n % 100 != 11 else "інцидентів"


def plural_index_uk(n: int) -> int:
    return {"інцидент": 0, "інциденти": 1, "інцидентів": 2}[incidents_uk(n)]


def page(client, url) -> Node:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return parse(response)


def text_of(root: Node, element_id: str) -> str:
    element = root.by_id(element_id)
    assert element is not None, element_id
    return element.text


def tile_title(root: Node, region: str) -> str:
    return root.find("a", **{"data-region": region}).find("title").text


def po_entries(language: str) -> tuple[str, list[str]]:
    """The catalogue's header and its entries (blocks between blank lines)."""
    text = (LOCALE / language / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    blocks = [b for b in re.split(r"\n\s*\n", text) if "msgid" in b]
    return blocks[0], blocks[1:]


# --- the catalogues ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "language, nplurals, reference",
    [("uk", 3, plural_index_uk), ("en", 2, lambda n: 0 if n == 1 else 1)],
)
def test_each_catalogue_states_its_language_s_plural_rule(language, nplurals, reference):
    header, entries = po_entries(language)
    rule = re.search(r'"Plural-Forms: nplurals=(\d+); plural=(.+?);\\n"', header)
    assert rule, "no Plural-Forms header"
    assert int(rule.group(1)) == nplurals
    choose = gettext.c2py(rule.group(2))
    assert [choose(n) for n in range(1000)] == [reference(n) for n in range(1000)]
    # Every counted message has exactly that many forms, none of them empty (uk) or missing.
    for entry in entries:
        if "msgid_plural" not in entry or entry.lstrip().startswith("#~"):
            continue
        forms = re.findall(r"^msgstr\[(\d)\]", entry, flags=re.M)
        assert forms == [str(i) for i in range(nplurals)], entry
        if language == "uk":
            assert not re.search(r'^msgstr\[\d\] ""\n(?!")', entry + "\n", flags=re.M), entry


@pytest.mark.parametrize("n", COUNTS)
def test_django_picks_the_ukrainian_form_for_each_count(n):
    """Django also loads its own Ukrainian catalogue (four forms); ours keeps its three."""
    with translation.override("uk"):
        said = ngettext("%d incident published.", "%d incidents published.", n) % n
    assert said == f"Опубліковано {n} {incidents_uk(n)}."


# --- the public pages ------------------------------------------------------------------------


@shared_data
def march():
    """25 Ukrainian incidents in Kyiv, one a day from 1 March 2025, and two English ones on 1
    and 2 April: the date filters then count any number from 1 to 25."""
    for day in range(1, 26):
        IncidentFactory(occurred_on=datetime.date(2025, 3, day), title=f"Березневий {day}")
    for day in (1, 2):
        IncidentFactory(
            occurred_on=datetime.date(2025, 4, day), language="en", title=f"April {day}"
        )


def dates(start: str, end: str) -> str:
    return f"?date_from={start}&date_to={end}"


@pytest.mark.django_db
def test_the_ukrainian_list_and_barometer_count_in_the_right_form(client, march):
    kyiv = Region.objects.get(slug="kyiv").name_uk
    for n in COUNTS:
        query = dates("2025-03-01", f"2025-03-{n:02d}")
        words = f"{n} {incidents_uk(n)}"

        listing = page(client, f"/incidents/{query}")
        assert text_of(listing, "result-count") == f"Знайдено {words}"

        barometer = page(client, f"/stats/{query}")
        assert text_of(barometer, "stats-total") == f"Знайдено {words}"
        assert tile_title(barometer, "kyiv") == f"{kyiv}: {words}"
        # "of the N incidents" takes the genitive: з 21 інциденту, з 22 інцидентів.
        of_total = f"з {n} {of_incidents_uk(n)}"
        assert f"0 {of_total} (0%)" in text_of(barometer, "summary-russia")
        assert text_of(barometer, "summary-regions") == f"Найбільше: {kyiv} — {n} {of_total}."
        assert text_of(barometer, "summary-months").startswith(f"{n} {incidents_uk(n)} ")


@pytest.mark.django_db
def test_incidents_in_the_other_language_are_counted_in_the_right_form(client, march):
    """When nothing matches in the page's language, the switch says how many do in any."""
    for end, expected in [("01", "(1 збіг)"), ("02", "(2 збіги)")]:  # written in English
        ukrainian = page(client, f"/incidents/{dates('2025-04-01', f'2025-04-{end}')}")
        assert text_of(ukrainian, "result-count") == "Знайдено 0 інцидентів"
        assert text_of(ukrainian, "other-language-total") == expected
    for start, expected in [("25", "(1 match)"), ("24", "(2 matches)"), ("05", "(21 matches)")]:
        english = page(client, f"/en/incidents/{dates(f'2025-03-{start}', '2025-03-25')}")
        assert text_of(english, "result-count") == "0 incidents match"
        assert text_of(english, "other-language-total") == expected
    for end, expected in [("01", "1 incident matches"), ("02", "2 incidents match")]:
        english = page(client, f"/en/incidents/{dates('2025-04-01', f'2025-04-{end}')}")
        assert text_of(english, "result-count") == expected


@pytest.mark.django_db
@pytest.mark.parametrize("n, expected", [(1, "1 incident"), (2, "2 incidents")])
def test_the_english_barometer_counts_one_and_many(client, march, n, expected):
    barometer = page(client, f"/en/stats/{dates('2025-04-01', f'2025-04-0{n}')}")
    assert text_of(barometer, "stats-total") == f"{expected} {'matches' if n == 1 else 'match'}"
    assert text_of(barometer, "summary-russia") == (
        f"The Russian Federation committed 0 of the {expected} (0%)."
    )
    assert text_of(barometer, "summary-months").startswith(f"{expected} from ")
    assert tile_title(barometer, "kyiv") == f"Kyiv: {expected}"


@pytest.mark.django_db
def test_a_month_s_report_names_its_month_and_counts_it(client, march):
    uk = page(client, "/stats/2025/3/")
    assert uk.find("h1").text == "Барометр: березень 2025"
    assert uk.find("title").text.startswith("Барометр: березень 2025")
    assert text_of(uk, "month-total") == "Зафіксовано 25 інцидентів"
    assert uk.find("a", rel="prev").text == "← лютий 2025"
    assert uk.find("a", rel="next").text == "квітень 2025 →"
    assert "Усі 25 інцидентів цього місяця" in uk.text

    en = page(client, "/en/stats/2025/3/")
    assert en.find("h1").text == "Barometer: March 2025"
    assert text_of(en, "month-total") == "25 incidents recorded"
    assert en.find("a", rel="next").text == "April 2025 →"
    assert "All 25 incidents of this month" in en.text

    april = page(client, "/stats/2025/4/")  # two stories, written in English: counted all the same
    assert text_of(april, "month-total") == "Зафіксовано 2 інциденти"


@pytest.mark.django_db
def test_the_home_page_counts_this_month_in_the_right_form(client):
    today = timezone.localdate()
    made = 0
    for n in COUNTS:
        while made < n:
            IncidentFactory(occurred_on=today)
            made += 1
        card = page(client, "/").find(class_="stat-number").parent
        assert card.text == f"{n} {incidents_uk(n)} зафіксовано"
        # The count is of stories, whatever their language: the same number in English.
        card = page(client, "/en/").find(class_="stat-number").parent
        assert card.text == f"{n} {'incident' if n == 1 else 'incidents'} recorded"


# --- dates and numbers ------------------------------------------------------------------------


@pytest.mark.django_db
def test_dates_read_in_kyiv_time_and_months_in_each_language(client):
    # 22:30 UTC on 10 March is 00:30 on 11 March in Kyiv (UTC+2 until the end of March).
    published = datetime.datetime(2025, 3, 10, 22, 30, tzinfo=datetime.UTC)
    incident = IncidentFactory(
        published_at=published, occurred_on=datetime.date(2025, 3, 9), slug="kyiv-time"
    )
    for prefix, day in (("", "9 березня 2025"), ("/en", "9 March 2025")):
        article = page(client, f"{prefix}/incidents/{incident.slug}/")
        time = article.find("time")
        assert time.text == "11.03.2025, 00:30"
        assert time.attrs["datetime"].startswith("2025-03-11T00:30:00+02:00")
        assert day in article.find("dl").text  # the incident's day, as incidents.dates says it

    today = timezone.localdate()
    uk_month = f"{MONTHS_UK[today.month - 1]} {today.year}"
    assert text_of(page(client, "/"), "month-heading") == f"Цього місяця — {uk_month}"
    en_month = f"{today:%B} {today.year}"
    assert text_of(page(client, "/en/"), "month-heading") == f"This month, {en_month}"


@pytest.mark.django_db
def test_years_and_counts_are_plain_digits_in_both_languages(client, march):
    for prefix in ("", "/en"):
        home = page(client, f"{prefix}/")
        years = {
            a.text for a in home.find_all("a") if a.attrs.get("href", "").endswith("?year=2025")
        }
        assert years == {"2025 27"}, years  # every story, whatever its language
        stats = page(client, f"{prefix}/stats/?year=2025")
        assert re.search(r"\b27\b", text_of(stats, "stats-total"))
        assert "2 025" not in stats.text and "2,025" not in stats.text


# --- mail in the recipient's language ---------------------------------------------------------


@pytest.mark.django_db
def test_one_overdue_complaint_mails_each_supervisor_in_their_own_language(settings):
    settings.STAFF_NOTIFY_EMAILS = ["duty@example.org", "editor@example.org|en"]
    settings.ESCALATION_EMAILS = []
    settings.STAFF_NOTIFY_LANGUAGE = "uk"
    settings.NOTIFY_WEBHOOK_URL = ""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    received = timezone.now().replace(microsecond=0) - datetime.timedelta(minutes=300)
    complaint = ComplaintFactory(created_at=received)
    row = Notification.objects.create(
        kind=Notification.Kind.ESCALATION,
        channel=Notification.Channel.EMAIL,
        complaint=complaint,
    )

    with translation.override("en"):  # whatever language the worker happens to be in
        outbox.deliver(row.pk)

    by_address = {message.to[0]: message for message in mail.outbox}
    assert set(by_address) == {"duty@example.org", "editor@example.org"}
    kyiv_time = received.astimezone(KYIV).strftime("%d.%m.%Y, %H:%M")

    uk = by_address["duty@example.org"]
    assert uk.subject == f"[ПРОСТРОЧЕНО] Скарга №{complaint.pk}: Побиття, напад, Київ"
    assert "Ніхто ще не взяв це в роботу: звернення надійшло 300 хв тому." in uk.body
    assert f"Отримано: {kyiv_time} (300 хв тому)" in uk.body
    assert "Файли з доказами: 0" in uk.body
    assert f"{kyiv_time} (300 хв тому)" in uk.alternatives[0][0]

    en = by_address["editor@example.org"]
    assert en.subject == f"[OVERDUE] Complaint #{complaint.pk}: Beating, attack, Kyiv"
    assert "Nobody has taken this up yet: it came in 300 minutes ago." in en.body
    assert f"Received: {kyiv_time} (300 min ago)" in en.body
    assert "Evidence files: 0" in en.body
    for word in ("Скарга", "Отримано", "хв"):
        assert word not in en.subject + en.body + en.alternatives[0][0]
