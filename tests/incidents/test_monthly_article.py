"""The month's article (issue 32): drafted from the frozen figures in Ukrainian and English,
edited and published through the services, shown above the month's figures, with a later
revision of the month said on it."""

import datetime
import re

import pymorphy3
import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incidents import selectors, services
from incidents.barometer import article
from incidents.models import Category, MonthlyArticle, MonthlyReport, PerpetratorType, Region

from .factories import IncidentFactory, TranslationFactory, VictimFactory
from .pages import parse

MARCH = datetime.date(2025, 3, 1)
LANGUAGES = ("uk", "en")


def beating(day, month=MARCH, **kwargs):
    return IncidentFactory(
        occurred_on=month.replace(day=day),
        categories=[Category.objects.get(slug="beating")],
        **kwargs,
    )


def numbers_in(text: str, years) -> list[int]:
    """Every digit run of a text, links (titles and addresses of incidents) and the years
    of the months named left out."""
    text = re.sub(r"\[(?:[^\]\\]|\\.)*\]\([^)]*\)", "", text)
    for year in years:
        text = text.replace(str(year), "")
    return [int(run) for run in re.findall(r"\d+", text)]


def table_numbers(figures: dict) -> set[int]:
    found = {figures.get("total", 0), figures.get("attempts", 0)}
    for key in ("groups", "categories", "regions", "perpetrators"):
        found |= set(figures.get(key, {}).values())
    return found


def comparison_numbers(figures: dict, other: dict) -> set[int]:
    total, before = figures.get("total", 0), other.get("total", 0)
    russia = other.get("perpetrators", {}).get(PerpetratorType.RUSSIAN_FORCES.value, 0)
    found = {before, abs(total - before), russia}
    if before:
        found.add(abs(round((total - before) * 100 / before)))
    return found


# --- Every number in the draft is a figure of the table or of the comparison ------------------


@st.composite
def month_figures(draw, categories, regions):
    picked = draw(st.dictionaries(st.sampled_from(categories), st.integers(1, 400), max_size=6))
    total = sum(picked.values())
    places = draw(st.lists(st.sampled_from(regions), min_size=1, max_size=5, unique=True))
    by_region = dict.fromkeys(places, 0)
    for n in range(total):
        by_region[places[n % len(places)]] += 1
    perpetrators = {PerpetratorType.UNKNOWN.value: total}
    russia = draw(st.integers(0, total))
    if russia:
        perpetrators = {PerpetratorType.RUSSIAN_FORCES.value: russia}
        if total - russia:
            perpetrators[PerpetratorType.POLICE.value] = total - russia
    figures = {
        "total": total,
        "groups": {},
        "categories": picked,
        "regions": {k: v for k, v in by_region.items() if v},
        "perpetrators": perpetrators if total else {},
    }
    if draw(st.booleans()):  # a report frozen before attempts were counted has none
        figures["attempts"] = draw(st.integers(0, total))
    return figures


@pytest.mark.django_db
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_every_number_in_the_draft_is_a_figure_of_the_table(data):
    categories = list(Category.objects.leaves().values_list("slug", flat=True))
    regions = list(Region.objects.values_list("slug", flat=True))
    groups = {c.slug: c.parent.slug for c in Category.objects.leaves().select_related("parent")}
    figures = data.draw(month_figures(categories, regions))
    for slug, n in figures["categories"].items():
        figures["groups"][groups[slug]] = figures["groups"].get(groups[slug], 0) + n
    previous = data.draw(month_figures(categories, regions))
    year_before = data.draw(month_figures(categories, regions))
    month = datetime.date(data.draw(st.integers(2015, 2025)), data.draw(st.integers(1, 12)), 1)
    report = MonthlyReport(month=month, figures=figures, current=figures)
    compared_previous = article.Compared(
        month=(month - datetime.timedelta(days=1)).replace(day=1),
        figures=previous,
        frozen=data.draw(st.booleans()),
    )
    compared_year = article.Compared(
        month=month.replace(year=month.year - 1), figures=year_before, frozen=True
    )
    allowed = (
        table_numbers(figures)
        | comparison_numbers(figures, previous)
        | comparison_numbers(figures, year_before)
    )
    years = {month.year, month.year - 1}
    for language in LANGUAGES:
        title, lead, body = article.draft_text(
            report, language, previous=compared_previous, year_before=compared_year
        )
        found = numbers_in(f"{title}\n{lead}\n{body}", years)
        assert set(found) <= allowed, (language, set(found) - allowed, body)
        assert str(figures["total"]) in lead or not figures["total"]


@pytest.mark.django_db
def test_the_published_months_draft_matches_its_frozen_table(client):
    kyiv_beating = beating(3)
    beating(9, region=Region.objects.get(slug="lviv"), is_attempt=True)
    IncidentFactory(
        occurred_on=MARCH.replace(day=12),
        categories=[Category.objects.get(slug="threats")],
        perpetrator_type=PerpetratorType.RUSSIAN_FORCES,
    )
    beating(5, month=datetime.date(2025, 2, 1))
    report = services.monthly_report_publish(month=MARCH)
    assert report.figures["attempts"] == 1
    assert set(report.notable.all()) <= set(
        report.notable.model.objects.filter(occurred_on__month=3)
    )
    allowed = table_numbers(report.figures) | {1, 2, 200, 0, 3}  # Feb: 1 (+200%); Mar 2024: 0
    assert kyiv_beating in report.notable.all()
    for language in LANGUAGES:
        draft = report.articles.get(language=language)
        text = f"{draft.title}\n{draft.lead}\n{draft.body}"
        assert set(numbers_in(text, {2025, 2024})) <= allowed
        assert "3" in draft.lead
    uk = report.articles.get(language="uk")
    assert uk.lead == "У березні 2025 року ІМІ зафіксував 3 випадки порушення свободи слова."
    assert "Порівняно з лютим 2025 року (1, підраховано зараз): на 2 більше (+200%)." in uk.body
    assert "Проти березня 2024 року, рік тому (0, підраховано зараз): на 3 більше." in uk.body
    assert "- Побиття, напад — 2" in uk.body
    assert "1 з них — спроба" in uk.body
    # Every heading in the reader's language (they were left in English once: a gettext
    # call inside an f-string is invisible to makemessages; tests/test_gettext_calls.py).
    headings = re.findall(r"^## (.+)$", uk.body, re.M)
    assert headings == [
        "За типами порушень",
        "Найчастіші порушення",
        "Регіони",
        "Порушники",
        "Резонансні випадки",
    ]
    en = report.articles.get(language="en")
    assert re.findall(r"^## (.+)$", en.body, re.M) == [
        "By type of violation",
        "The most frequent violations",
        "Regions",
        "Perpetrators",
        "Notable cases",
    ]
    assert en.lead == "In March 2025 IMI recorded 3 violations of freedom of speech."
    assert "Compared with February 2025 (1, counted now): 2 more (+200%)." in en.body
    assert "Of these, 1 violation was committed by the Russian Federation." in en.body


# --- Grammar --------------------------------------------------------------------------------

MORPH = pymorphy3.MorphAnalyzer(lang="uk")
CASE = next(p for p in MORPH.parse("випадок") if "NOUN" in p.tag and "nomn" in p.tag)
FORMS = tuple(
    next(p.word for p in CASE.lexeme if grammemes <= p.tag.grammemes)
    for grammemes in ({"masc", "nomn"}, {"plur", "nomn"}, {"plur", "gent"})
)


def expected_noun(n: int) -> str:
    """The dictionary's forms of "випадок", by the grammar's rule for numerals."""
    if n % 10 == 1 and n % 100 != 11:
        return FORMS[0]
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return FORMS[1]
    return FORMS[2]


def lead_for(n: int, language: str) -> str:
    figures = {"total": n, "groups": {}, "categories": {}, "regions": {}, "perpetrators": {}}
    report = MonthlyReport(month=MARCH, figures=figures, current=figures)
    return article.draft_text(report, language)[1]


@pytest.mark.django_db
@pytest.mark.parametrize("n", [1, 2, 5, 11, 21, 22, 25, 111])
def test_ukrainian_numerals_agree_with_their_noun(n):
    assert f" {n} {expected_noun(n)} порушення" in lead_for(n, "uk")
    assert FORMS == ("випадок", "випадки", "випадків")


@pytest.mark.django_db
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(n=st.integers(1, 100_000))
def test_ukrainian_numerals_agree_for_any_count(n):
    assert f" {n} {expected_noun(n)} порушення" in lead_for(n, "uk")
    english = lead_for(n, "en")
    assert f" {n} violation{'' if n == 1 else 's'} of" in english


def test_month_names_take_the_case_of_their_phrase():
    with translation.override("uk"):
        assert article.month_phrase(MARCH) == "березень 2025 року"
        assert article.month_phrase(MARCH, article.GENITIVE) == "березня 2025 року"
        assert article.month_phrase(MARCH, article.LOCATIVE) == "березні 2025 року"
        assert article.month_phrase(MARCH, article.INSTRUMENTAL) == "березнем 2025 року"
        february = datetime.date(2025, 2, 1)
        assert article.month_phrase(february, article.INSTRUMENTAL) == "лютим 2025 року"
        assert article.month_phrase(february, article.LOCATIVE) == "лютому 2025 року"
    with translation.override("en"):
        assert article.month_phrase(MARCH, article.LOCATIVE) == "March 2025"
    # Every month's forms are the dictionary's (the noun's, not the adjective "лютий").
    for n, name in enumerate(article.UK_MONTHS[article.NOMINATIVE]):
        noun = next(p for p in MORPH.parse(name) if "NOUN" in p.tag and "nomn" in p.tag)
        for case, grammeme in (
            (article.GENITIVE, "gent"),
            (article.LOCATIVE, "loct"),
            (article.INSTRUMENTAL, "ablt"),
        ):
            assert article.UK_MONTHS[case][n] in {
                p.word for p in noun.lexeme if grammeme in p.tag and "plur" not in p.tag
            }, (name, case)


@pytest.mark.parametrize(
    ("current", "previous", "en", "uk"),
    [
        (14, 11, "3 more (+27%)", "на 3 більше (+27%)"),
        (9, 12, "3 fewer (−25%)", "на 3 менше (−25%)"),
        (5, 5, "as many", "стільки ж"),
        (0, 0, "as many", "стільки ж"),
        (5, 0, "5 more", "на 5 більше"),
        (0, 4, "4 fewer (−100%)", "на 4 менше (−100%)"),
    ],
)
def test_direction_words(current, previous, en, uk):
    with translation.override("en"):
        assert article.change_words(current, previous) == en
    with translation.override("uk"):
        assert article.change_words(current, previous) == uk


@pytest.mark.django_db
def test_a_month_without_incidents_says_so_briefly():
    report = services.monthly_report_publish(month=MARCH)
    en = report.articles.get(language="en")
    assert en.lead == "IMI recorded no violations of freedom of speech in March 2025."
    assert "##" not in en.body
    uk = report.articles.get(language="uk")
    assert uk.lead == "У березні 2025 року ІМІ не зафіксував жодного порушення свободи слова."
    assert uk.title == "Барометр свободи слова: березень 2025 року"


# --- Notable incidents -------------------------------------------------------------------------


@pytest.mark.django_db
def test_notable_incidents_are_the_most_severe_by_imis_ranking():
    threat = IncidentFactory(
        occurred_on=MARCH.replace(day=2), categories=[Category.objects.get(slug="threats")]
    )
    hurt = beating(4)
    VictimFactory(incident=hurt, injury="serious")
    light = beating(3)
    killing = IncidentFactory(
        occurred_on=MARCH.replace(day=20), categories=[Category.objects.get(slug="killing")]
    )
    TranslationFactory(translation_of=killing, occurred_on=killing.occurred_on)
    assert selectors.notable_incidents(MARCH) == [killing, hurt, light, threat]
    assert selectors.notable_incidents(MARCH, n=1) == [killing]
    # The article links each story in its own language when it is published in it.
    report = services.monthly_report_publish(month=MARCH)
    en = report.articles.get(language="en").body
    assert f"(/en/incidents/{killing.translations.get().slug}/)" in en
    assert f"(/en/incidents/{hurt.slug}/)" in en and "(in Ukrainian)" in en
    uk = report.articles.get(language="uk").body
    assert f"(/incidents/{killing.slug}/)" in uk


# --- Editing, publishing, the page, revisions, redraft -----------------------------------------


@pytest.mark.django_db
def test_edited_and_published_it_shows_above_the_figures_in_both_languages(client):
    beating(3)
    beating(9)
    report = services.monthly_report_publish(month=MARCH)
    assert parse(client.get("/en/stats/2025/3/")).by_id("monthly-article") is None
    for draft in report.articles.all():
        services.monthly_article_edit(
            article=draft, title=draft.title, lead=draft.lead, body=draft.body + "\n\nEdited."
        )
        services.monthly_article_publish(article=draft)
    en = parse(client.get("/en/stats/2025/3/")).by_id("monthly-article")
    assert "Barometer of freedom of speech: March 2025" in en.text
    assert "In March 2025 IMI recorded 2 violations" in en.text and "Edited." in en.text
    uk = parse(client.get("/stats/2025/3/")).by_id("monthly-article")
    assert "У березні 2025 року ІМІ зафіксував 2 випадки" in uk.text
    assert MonthlyArticle.objects.filter(status="published").count() == 2
    with translation.override("en"), pytest.raises(ValidationError, match="already published"):
        services.monthly_article_publish(article=report.articles.first())


@pytest.mark.django_db
def test_revised_twice_shows_the_latest_date_and_the_whole_difference(client):
    beating(3)
    beating(9)
    report = services.monthly_report_publish(month=MARCH)
    for draft in report.articles.all():
        services.monthly_article_publish(article=draft)
    first = timezone.now() + datetime.timedelta(days=3)
    second = timezone.now() + datetime.timedelta(days=10)
    with time_machine.travel(first):
        beating(20)
    with time_machine.travel(second):
        IncidentFactory(
            occurred_on=MARCH.replace(day=21), categories=[Category.objects.get(slug="threats")]
        )
    report.refresh_from_db()
    assert report.current["total"] == 4
    en = parse(client.get("/en/stats/2025/3/")).by_id("article-revised").text
    assert f"Revised on {timezone.localtime(second):%d.%m.%Y}:" in en
    assert (
        "in all 2 → 4" in en
        and "Beating, attack 2 → 3" in en
        and "Threats, intimidation 0 → 1" in en
    )
    uk = parse(client.get("/stats/2025/3/")).by_id("article-revised").text
    assert f"Переглянуто {timezone.localtime(second):%d.%m.%Y}:" in uk and "2 → 4" in uk
    # The text keeps the figures as published.
    assert "2 violations" in parse(client.get("/en/stats/2025/3/")).by_id("monthly-article").text


@pytest.mark.django_db
def test_redraft_never_overwrites_a_published_article(admin_client):
    beating(3)
    report = services.monthly_report_publish(month=MARCH)
    en = report.articles.get(language="en")
    services.monthly_article_edit(article=en, title="Our March", lead=en.lead, body="By hand.")
    services.monthly_article_publish(article=en)
    beating(9)  # a correction since: the Ukrainian draft is redrafted from the same figures
    uk = report.articles.get(language="uk")
    MonthlyArticle.objects.filter(pk=uk.pk).update(body="stale")
    response = admin_client.post(
        "/admin/incidents/monthlyreport/",
        {"action": "redraft", "_selected_action": [report.pk]},
        follow=True,
    )
    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"]]
    assert any("Англійська: статтю вже опубліковано" in m for m in shown), shown
    en.refresh_from_db()
    uk.refresh_from_db()
    assert (en.title, en.body) == ("Our March", "By hand.")
    assert uk.body != "stale" and "1 випадок" in uk.lead


@pytest.mark.django_db
def test_the_admin_edits_the_pick_and_the_article(admin_client):
    chosen = beating(3)
    other = beating(4)
    report = services.monthly_report_publish(month=MARCH)
    page = admin_client.get(f"/admin/incidents/monthlyreport/{report.pk}/change/")
    assert page.status_code == 200
    response = admin_client.post(
        f"/admin/incidents/monthlyreport/{report.pk}/change/",
        {
            "notable": [other.pk],
            "articles-TOTAL_FORMS": "2",
            "articles-INITIAL_FORMS": "2",
            "articles-MIN_NUM_FORMS": "0",
            "articles-MAX_NUM_FORMS": "1000",
            **{
                f"articles-{i}-id": str(a.pk)
                for i, a in enumerate(report.articles.order_by("-report__month", "language"))
            },
            **{f"articles-{i}-report": str(report.pk) for i in range(2)},
        },
    )
    assert response.status_code == 302, response.content[:2000]
    assert list(report.notable.all()) == [other]
    assert chosen not in report.notable.all()
    draft = report.articles.get(language="en")
    page = admin_client.get(f"/admin/incidents/monthlyarticle/{draft.pk}/change/")
    assert page.status_code == 200
    response = admin_client.post(
        f"/admin/incidents/monthlyarticle/{draft.pk}/change/",
        {"title": "March, by hand", "lead": draft.lead, "body": draft.body},
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.title == "March, by hand" and draft.status == "draft"
    admin_client.post(
        "/admin/incidents/monthlyarticle/", {"action": "publish", "_selected_action": [draft.pk]}
    )
    draft.refresh_from_db()
    assert draft.status == "published" and draft.published_at is not None
