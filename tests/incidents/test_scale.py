"""Issue 13: what keeps the public pages fast at 100,000 incidents, checked for what a
visitor would notice if it went wrong: one version of each story per language, counts
exact to the incident, cached pages that change the moment the record does, 304s."""

import datetime
import random
from urllib.parse import urlencode

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.translation import override

from incidents import services
from incidents.barometer import counts
from incidents.barometer import stats as stats_views
from incidents.filters import IncidentFilter
from incidents.models import Category, DailyCount, Incident, MonthlyCount, PerpetratorType, Region
from tests.incidents.pages import ADMIN_INLINES_EMPTY

from .factories import IncidentFactory, TranslationFactory, UserFactory
from .pages import card_titles, parse, result_count, url_of


def listed(language: str) -> list[str]:
    with override(language):
        return sorted(Incident.objects.public().values_list("title", flat=True))


# --- One version of each story per language, as stored flags --------------------------------


@pytest.mark.django_db
def test_each_language_lists_its_own_version_or_else_the_other_one():
    alone = IncidentFactory(title="Only in Ukrainian")
    original = IncidentFactory(title="Original")
    TranslationFactory(translation_of=original, title="Translation")
    english_only = IncidentFactory(title="Only in English", language="en")

    assert listed("uk") == ["Only in English", "Only in Ukrainian", "Original"]
    assert listed("en") == ["Only in English", "Only in Ukrainian", "Translation"]

    services.incident_unpublish(incident=Incident.objects.get(title="Translation"))
    assert listed("en") == ["Only in English", "Only in Ukrainian", "Original"]

    services.incident_delete(incident=original)
    assert "Original" not in listed("en") + listed("uk")
    assert alone.pk and english_only.pk


@pytest.mark.django_db
def test_a_scheduled_translation_takes_over_when_its_time_comes(client):
    original = IncidentFactory(title="Original")
    translation = TranslationFactory(
        translation_of=original,
        title="Translation",
        published_at=timezone.now() + datetime.timedelta(hours=1),
    )
    assert listed("en") == ["Original"]

    # Its time comes (moved, as the clock would): the minute job lists it in English.
    Incident.objects.filter(pk=translation.pk).update(
        published_at=timezone.now() - datetime.timedelta(seconds=30)
    )
    assert services.incidents_refresh_due() == 1
    assert listed("en") == ["Translation"]
    assert listed("uk") == ["Original"]
    assert card_titles(client.get("/en/incidents/")) == ["Translation"]
    assert result_count(client.get("/en/incidents/")) == 1


@pytest.mark.django_db
def test_a_stale_copy_saved_later_does_not_undo_the_listing():
    original = IncidentFactory(title="Original")
    stale = Incident.objects.get(pk=original.pk)
    TranslationFactory(translation_of=original, title="Translation")
    stale.lead = "Edited from a copy loaded before the translation was published."
    stale.save()
    assert listed("en") == ["Translation"]


@pytest.mark.django_db
def test_the_rebuild_agrees_with_what_the_services_kept():
    build_archive(random.Random(4), 40)
    flags = sorted(Incident.objects.values_list("pk", "listed_uk", "listed_en"))
    daily = sorted(DailyCount.objects.values_list("language", "day", "count"))
    monthly = sorted(
        MonthlyCount.objects.values_list("language", "month", "dimension", "key", "count")
    )
    Incident.objects.update(listed_uk=False, listed_en=True)
    DailyCount.objects.all().delete()
    services.incidents_rebuild()
    assert sorted(Incident.objects.values_list("pk", "listed_uk", "listed_en")) == flags
    assert sorted(DailyCount.objects.values_list("language", "day", "count")) == daily
    assert (
        sorted(MonthlyCount.objects.values_list("language", "month", "dimension", "key", "count"))
        == monthly
    )


# --- Counts exact to the incident ----------------------------------------------------------


def build_archive(rng: random.Random, size: int) -> list[Incident]:
    """Incidents of every kind a count could get wrong: translations, drafts, scheduled
    ones, several categories, the edges of months."""
    leaves = list(Category.objects.leaves())
    regions = list(Region.objects.exclude(kind=Region.Kind.ABROAD)[:6])
    perpetrators = [value for value, _label in PerpetratorType.choices][:5]
    made = []
    for _n in range(size):
        day = datetime.date(2024, 1, 1) + datetime.timedelta(
            days=rng.choice([0, 30, 31, 59, 60, 90, 200, 365, 400])
        )
        kind = rng.random()
        fields = {
            "occurred_on": day,
            "region": rng.choice(regions),
            "perpetrator_type": rng.choice(perpetrators),
            "categories": rng.sample(leaves, rng.choice([1, 1, 2, 3])),
            "language": rng.choice(["uk", "uk", "en"]),
        }
        if kind < 0.1:
            incident = IncidentFactory(draft=True, **fields)
        elif kind < 0.2:
            incident = IncidentFactory(scheduled=True, **fields)
        else:
            incident = IncidentFactory(**fields)
        made.append(incident)
        if incident.language == "uk" and rng.random() < 0.4:
            made.append(
                TranslationFactory(
                    translation_of=incident,
                    categories=list(incident.categories.all()),
                    draft=rng.random() < 0.2,
                )
            )
    return made


def filter_cases(rng: random.Random):
    leaves = list(Category.objects.leaves().values_list("slug", flat=True))
    groups = list(Category.objects.groups().values_list("slug", flat=True))
    regions = list(Region.objects.values_list("slug", flat=True)[:6])
    dimension = [
        {},
        {"region": rng.choice(regions)},
        {"category": rng.choice(leaves)},
        {"group": rng.choice(groups)},
        {"perpetrator": rng.choice(["police", "officials", "unknown"])},
        {"region": rng.choice(regions), "group": rng.choice(groups)},
    ]
    dates = [
        {},
        {"year": "2024"},
        {"year": "2025", "month": "2"},
        {"month": "3"},
        {"date_from": "2024-01-31", "date_to": "2024-03-01"},
        {"date_from": "2024-02-01"},
        {"date_to": "2024-12-31"},
        {"date_from": "2024-03-02", "date_to": "2024-03-01"},
    ]
    for d in dimension:
        for t in dates:
            yield {**d, **t}


@pytest.mark.django_db
def test_summary_counts_equal_counting_the_incidents():
    rng = random.Random(13)
    build_archive(rng, 70)
    answered = 0
    for language in ("uk", "en"):
        with override(language):
            for params in filter_cases(rng):
                filterset = IncidentFilter(params, queryset=Incident.objects.public())
                summary = counts.filtered_total(filterset, language)
                if summary is not None:
                    answered += 1
                    assert summary == filterset.qs.count(), (language, params)
    assert answered >= 60  # the tables answered nearly every case, not only the easy ones


@pytest.mark.django_db
def test_two_filters_at_once_are_counted_by_the_tables_exactly(client, settings):
    """Any two of region, perpetrator, category and group (the slowest list at 100,000
    incidents counted the archive for its total): the tables answer, and what they answer is
    what counting the incidents gives, in each language, over any whole months."""
    settings.INCIDENTS_PER_PAGE = 100
    rng = random.Random(21)
    build_archive(rng, 60)
    values = {
        "region": list(Region.objects.values_list("slug", flat=True)[:6]),
        "perpetrator": [value for value, _label in PerpetratorType.choices][:5],
        "category": list(Category.objects.leaves().values_list("slug", flat=True)),
        "group": list(Category.objects.groups().values_list("slug", flat=True)),
    }
    dates = [{}, {"year": "2024"}, {"date_from": "2024-02-01", "date_to": "2025-01-31"}]
    names = counts.FILTER_DIMENSIONS
    found = 0
    for index, first in enumerate(names):
        for second in names[index + 1 :]:
            for _n in range(4):
                params = {first: rng.choice(values[first]), second: rng.choice(values[second])}
                params.update(rng.choice(dates))
                for language, every in (("uk", False), ("en", False), ("uk", True)):
                    asked = {**params, "languages": "all"} if every else params
                    with override(language):
                        filterset = IncidentFilter(asked, queryset=Incident.objects.public())
                        summary = counts.filtered_total(filterset, language)
                        assert summary == filterset.qs.count(), (language, asked)
                    found += summary
    assert found > 50  # the pairs drawn matched incidents, not only empty sets
    group = Category.objects.get(slug="physical-aggression")
    beaten = IncidentFactory(categories=[Category.objects.get(slug="beating")])
    IncidentFactory(categories=[Category.objects.get(slug="beating")], perpetrator_type="police")
    response = client.get(f"/incidents/?group={group.slug}&perpetrator=police")
    assert result_count(response) == len(card_titles(response)) > 0
    assert beaten.title not in card_titles(response)


@pytest.mark.django_db
def test_the_barometer_from_the_tables_equals_the_barometer_from_the_incidents():
    build_archive(random.Random(7), 70)
    today = datetime.date(2025, 3, 10)
    cases = [
        {"date_from": "2024-03-01", "date_to": "2025-03-10"},
        {"year": "2024"},
        {"date_from": "2024-01-01", "date_to": "2025-12-31"},
        {"year": "2025", "month": "2"},
    ]
    compared = 0
    for language in ("uk", "en"):
        with override(language):
            for params in cases:
                filterset = IncidentFilter(
                    params, queryset=Incident.objects.public(), every_language=True
                )
                start, end = stats_views.period_of(filterset, today)
                fast = stats_views.compute_from_counts(filterset, start, end, today)
                if fast is None:
                    continue
                compared += 1
                slow = slow_compute(filterset, today)
                assert fast == slow, (language, params)
    assert compared >= 6


def slow_compute(filterset, today):
    """compute() as it was: every number counted from the incidents."""
    start, end = stats_views.period_of(filterset, today)
    return stats_views.compute_from_incidents(filterset, start, end, today, "severest")


@pytest.mark.django_db
def test_an_edit_in_the_admin_moves_the_count_to_the_new_month(admin_client, client, beating):
    incident = IncidentFactory(occurred_on=datetime.date(2024, 5, 20), categories=[beating])
    may, july = {"year": "2024", "month": "5"}, {"year": "2024", "month": "7"}
    assert result_count(client.get("/incidents/", may)) == 1
    response = admin_client.post(
        f"/admin/incidents/incident/{incident.pk}/change/",
        {
            "title": incident.title,
            "slug": incident.slug,
            "lead": incident.lead,
            "body": incident.body,
            "language": "uk",
            "occurred_on": "2024-07-03",
            "categories": [beating.pk],
            "region": incident.region_id,
            "perpetrator_type": "unknown",
            **ADMIN_INLINES_EMPTY,
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert result_count(client.get("/incidents/", may)) == 0
    assert result_count(client.get("/incidents/", july)) == 1
    assert counts.total("uk", datetime.date(2024, 7, 1), datetime.date(2024, 7, 31)) == 1


# --- A constant number of queries, at any size ------------------------------------------------


def queries(client, url) -> int:
    caches["pages"].clear()
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(context)


@pytest.mark.django_db
def test_every_public_page_runs_as_many_queries_at_any_size(client):
    rng = random.Random(1)
    build_archive(rng, 6)
    IncidentFactory(occurred_on=datetime.date(2024, 3, 5))  # the monthly report has a card
    one = Incident.objects.published().filter(listed_uk=True).first()
    group = Category.objects.groups().first()
    urls = [
        "/",
        "/incidents/",
        "/incidents/?region=kyiv&year=2024",
        "/incidents/?q=incident",
        url_of(one),
        "/stats/?year=2024",
        "/stats/?date_from=1991-01-01&date_to=2025-12-31",
        "/stats/2024/3/",
        "/incidents/feed/rss/",
        f"/incidents/feed/{group.slug}/atom/",
        "/en/incidents/",
    ]
    few = {url: queries(client, url) for url in urls}
    build_archive(rng, 60)
    many = {url: queries(client, url) for url in urls}
    assert many == few


# --- Whole pages from the cache, dropped on every change -------------------------------------


@pytest.mark.django_db
def test_pages_come_from_the_cache_and_change_with_the_record(client, page_cache):
    first = IncidentFactory(title="First story")
    assert client.get("/incidents/")["X-Page-Cache"] == "miss"
    again = client.get("/incidents/")
    assert again["X-Page-Cache"] == "hit"
    assert card_titles(again) == ["First story"]

    draft = IncidentFactory(title="Second story", draft=True)
    assert card_titles(client.get("/incidents/")) == ["First story"]
    services.incident_publish(incident=draft)
    fresh = client.get("/incidents/")
    assert fresh["X-Page-Cache"] == "miss"
    assert card_titles(fresh) == ["Second story", "First story"]

    region = first.region
    region.name_uk = "Місто Київ (перейменовано)"
    region.save()
    services.content_changed()  # as the region admin does
    assert "перейменовано" in client.get(url_of(first)).content.decode()


@pytest.mark.django_db
def test_staff_and_form_pages_are_never_cached(client, page_cache):
    incident = IncidentFactory(title="Published")
    draft = IncidentFactory(title="Staff preview only", draft=True)
    staff = UserFactory(is_staff=True, permissions=["incidents.view_incident"])
    client.force_login(staff)
    preview = client.get(url_of(draft))
    assert preview.status_code == 200 and "X-Page-Cache" not in preview
    assert "X-Page-Cache" not in client.get(url_of(incident))
    client.logout()
    assert client.get(url_of(draft)).status_code == 404

    anonymous = client.get("/callback/")  # the hotline form carries a CSRF token
    assert anonymous.status_code == 200 and "X-Page-Cache" not in anonymous
    assert "csrfmiddlewaretoken" in anonymous.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/incidents/", "DETAIL", "/incidents/feed/rss/", "/en/"])
def test_unchanged_pages_are_answered_with_304(client, page_cache, url):
    incident = IncidentFactory()
    url = url_of(incident) if url == "DETAIL" else url
    first = client.get(url)
    assert first.status_code == 200 and first["ETag"] and first["Last-Modified"]
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 304
    IncidentFactory(title="A newer story")  # on the list, the feed, and as a related story
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200


@pytest.mark.django_db
def test_pages_render_without_the_cache_when_redis_is_down(client, settings):
    """A real closed port: the default cache fails over, pages are rendered, never an error,
    and none is cached in a process's memory where a later change could not reach it."""
    from tests.hotline.worker_support import free_port

    settings.PUBLIC_PAGE_CACHE = True
    down = {
        "BACKEND": "imi_portal.cache.FailoverRedisCache",
        "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        "FAILOVER_RETRY_SECONDS": 30,
        "OPTIONS": {"socket_connect_timeout": 0.3, "socket_timeout": 0.3},
    }
    settings.CACHES = {"default": down, "pages": down}
    IncidentFactory(title="Visible while Redis is down")
    for url in ["/", "/incidents/", "/stats/?year=2024", "/incidents/feed/atom/"]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "X-Page-Cache" not in response, url
    assert card_titles(client.get("/incidents/")) == ["Visible while Redis is down"]
    later = IncidentFactory(title="Published during the outage")
    assert "Published during the outage" in card_titles(client.get("/incidents/"))
    assert later.pk


@pytest.mark.django_db
def test_list_totals_from_the_tables_match_the_cards(client, settings):
    settings.INCIDENTS_PER_PAGE = 100
    build_archive(random.Random(99), 40)
    for params in [{}, {"region": "kyiv", "year": "2024"}, {"group": "physical-aggression"}]:
        for prefix in ("", "/en"):
            response = client.get(f"{prefix}/incidents/?{urlencode(params)}")
            assert result_count(response) == len(card_titles(response)), params


@pytest.mark.django_db
def test_a_search_lists_the_newest_matches_among_the_filtered_ones(client, settings, lviv):
    """On PostgreSQL a search ranks the newest SEARCH_MAX_RESULTS matches, after the other
    filters chose (a region's old matches are not crowded out by newer ones elsewhere)."""
    if connection.vendor != "postgresql":
        pytest.skip("ranked full-text search needs PostgreSQL")
    settings.SEARCH_MAX_RESULTS = 3
    now = timezone.now()
    for days in range(5):
        IncidentFactory(
            title=f"Press card taken {days}", published_at=now - datetime.timedelta(days=days)
        )
    for days in (30, 31):
        IncidentFactory(
            title=f"Press card taken in Lviv {days}",
            region=lviv,
            published_at=now - datetime.timedelta(days=days),
        )
    everywhere = client.get("/en/incidents/", {"q": "press card", "languages": "all"})
    assert result_count(everywhere) == 3
    assert parse(everywhere).by_id("search-capped") is not None
    assert sorted(card_titles(everywhere)) == [f"Press card taken {d}" for d in range(3)]

    in_lviv = client.get(
        "/en/incidents/", {"q": "press card", "region": "lviv", "languages": "all"}
    )
    assert sorted(card_titles(in_lviv)) == [
        "Press card taken in Lviv 30",
        "Press card taken in Lviv 31",
    ]
    assert parse(in_lviv).by_id("search-capped") is None
