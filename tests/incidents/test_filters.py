import datetime
import urllib.parse

import pytest
from django.utils.translation import gettext, ngettext, override
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incidents.filters import IncidentFilter
from incidents.models import Category, Incident, Region
from tests.shared_data import shared_data

from .factories import IncidentFactory, TranslationFactory
from .pages import card_titles, filter_form_html, pagination_links, parse, result_count

LIST = "/incidents/"
EN_LIST = "/en/incidents/"


def make(title, categories, region, perpetrator, occurred_on, **kwargs):
    kwargs.setdefault("lead", "A short lead.")
    kwargs.setdefault("body", "The body of the article.")
    return IncidentFactory(
        title=title,
        categories=[Category.objects.get(slug=slug) for slug in categories],
        region=Region.objects.get(slug=region),
        perpetrator_type=perpetrator,
        occurred_on=occurred_on,
        **kwargs,
    )


@shared_data
def incidents():
    """Four public incidents that differ in every filtered fact, and a draft like the first."""
    make("Zebra beaten", ["beating"], "kyiv", "police", datetime.date(2020, 3, 15))
    make("Threats in Lviv", ["threats"], "lviv", "officials", datetime.date(2021, 3, 10))
    make("Censored in Kyiv", ["censorship"], "kyiv", "politicians", datetime.date(2020, 7, 1))
    make(
        "Beaten and threatened",
        ["beating", "threats"],
        "odesa",
        "police",
        datetime.date(2022, 11, 20),
    )
    make(
        "Draft zebra",
        ["beating"],
        "kyiv",
        "police",
        datetime.date(2020, 3, 15),
        status=Incident.Status.DRAFT,
        published_at=None,
    )


def shown(response):
    """The count line and the titles on the page, which must agree on a one-page result."""
    assert response.status_code == 200
    titles = card_titles(response)
    assert result_count(response) == len(titles)
    return set(titles)


ALL_PUBLIC = {"Zebra beaten", "Threats in Lviv", "Censored in Kyiv", "Beaten and threatened"}


@pytest.mark.parametrize(
    "params, expected",
    [
        ({}, ALL_PUBLIC),
        ({"q": "zebra"}, {"Zebra beaten"}),
        ({"q": "Lviv"}, {"Threats in Lviv"}),
        ({"group": "physical-aggression"}, {"Zebra beaten", "Threats in Lviv", "Beaten and threatened"}),
        ({"group": "censorship-access"}, {"Censored in Kyiv"}),
        ({"group": "legal-pressure"}, set()),
        ({"category": "threats"}, {"Threats in Lviv", "Beaten and threatened"}),
        ({"category": "censorship"}, {"Censored in Kyiv"}),
        ({"region": "kyiv"}, {"Zebra beaten", "Censored in Kyiv"}),
        ({"region": "odesa"}, {"Beaten and threatened"}),
        ({"perpetrator": "police"}, {"Zebra beaten", "Beaten and threatened"}),
        ({"perpetrator": "officials"}, {"Threats in Lviv"}),
        ({"year": "2020"}, {"Zebra beaten", "Censored in Kyiv"}),
        ({"month": "3"}, {"Zebra beaten", "Threats in Lviv"}),
        ({"date_from": "2021-03-10"}, {"Threats in Lviv", "Beaten and threatened"}),
        ({"date_to": "2020-07-01"}, {"Zebra beaten", "Censored in Kyiv"}),
        ({"date_from": "01.07.2020", "date_to": "10.03.2021"}, {"Censored in Kyiv", "Threats in Lviv"}),
        # combined
        ({"region": "kyiv", "year": "2020", "month": "3"}, {"Zebra beaten"}),
        ({"category": "beating", "perpetrator": "police"}, {"Zebra beaten", "Beaten and threatened"}),
        ({"group": "physical-aggression", "date_from": "2021-01-01"}, {"Threats in Lviv", "Beaten and threatened"}),
        ({"q": "beaten", "region": "odesa"}, {"Beaten and threatened"}),
        ({"region": "lviv", "perpetrator": "police"}, set()),
    ],
)  # fmt: skip
@pytest.mark.django_db
def test_each_filter_and_combinations(client, incidents, params, expected):
    assert shown(client.get(LIST, params)) == expected


@pytest.mark.django_db
def test_filters_work_on_the_english_list(client, incidents):
    response = client.get(EN_LIST, {"region": "kyiv", "year": "2020", "languages": "all"})
    assert shown(response) == {"Zebra beaten", "Censored in Kyiv"}
    assert parse(response).by_id("result-count").text == "2 incidents match"


@pytest.mark.django_db
def test_count_line_speaks_ukrainian_on_the_ukrainian_list(client, incidents):
    response = client.get(LIST, {"region": "kyiv"})
    with override("uk"):
        expected = ngettext("%(counter)s incident matches", "%(counter)s incidents match", 2) % {
            "counter": 2
        }
    assert "incidents match" not in expected  # the catalogue really translates it
    assert parse(response).by_id("result-count").text == expected


@pytest.mark.django_db
def test_applied_filters_are_named(client, incidents):
    response = client.get(EN_LIST, {"region": "lviv", "date_from": "2021-01-01"})
    badges = [b.text for b in parse(response).find("p", class_="active-filters").find_all("span")]
    assert badges == ["Region: Lviv Oblast", "From: 01.01.2021"]


@pytest.mark.django_db
def test_incident_in_two_categories_of_a_group_is_counted_once(client, beating, threats):
    IncidentFactory(title="Both", categories=[beating, threats])
    response = client.get(LIST, {"group": "physical-aggression"})
    assert card_titles(response) == ["Both"]
    assert result_count(response) == 1


@pytest.mark.django_db
def test_translated_story_is_counted_once_per_language(client):
    TranslationFactory(translation_of__title="Оригінал", title="Original in English")
    assert card_titles(client.get(LIST)) == ["Оригінал"]
    assert result_count(client.get(LIST)) == 1
    assert card_titles(client.get(EN_LIST)) == ["Original in English"]
    assert result_count(client.get(EN_LIST)) == 1


NOT_UNDERSTOOD = "Some filters in this address were not understood and were left out:"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params",
    [
        {"category": "unknown"},
        {"group": "beating"},  # a category, not a group
        {"year": "abc"},
        {"year": "1700"},
        {"month": "13"},
        {"date_from": "notadate"},
        {"date_to": "31.02.2020"},
        {"region": "<script>alert(1)</script>"},
        {"perpetrator": "aliens"},
    ],
)
def test_bad_filter_values_are_left_out_with_a_message(client, incidents, params):
    for path, language in [(LIST, "uk"), (EN_LIST, "en")]:
        response = client.get(path, {**params, "languages": "all"})
        assert response.status_code == 200
        with override(language):
            assert gettext(NOT_UNDERSTOOD) in response.content.decode()
        # The filter is ignored, so everything public is listed.
        assert shown(response) == ALL_PUBLIC
        assert b"<script>alert(1)</script>" not in response.content


@pytest.mark.django_db
def test_bad_filter_is_dropped_and_good_ones_still_apply(client, incidents):
    response = client.get(EN_LIST, {"region": "kyiv", "month": "13", "languages": "all"})
    assert NOT_UNDERSTOOD in response.content.decode()
    assert shown(response) == {"Zebra beaten", "Censored in Kyiv"}


@pytest.mark.django_db
def test_one_readers_wrong_value_never_marks_the_next_readers_form(client, incidents):
    """Each filterset has filters and fields of its own (IncidentFilter copies them shallowly
    and skips the form's deep copy): a field marked invalid for one reader, its choices or
    its queryset, stay with that reader."""
    wrong = IncidentFilter.public({"year": "abc", "region": "nowhere"})
    marked = {field.name: field.field.widget.attrs for field in wrong.fields_for_display}
    assert "is-invalid" in marked["year"]["class"]
    assert marked["region"]["aria-invalid"] == "true"
    right = IncidentFilter.public({"year": "2024", "region": "kyiv"})
    for field in right.fields_for_display:
        assert "is-invalid" not in field.field.widget.attrs["class"], field.name
        assert "aria-invalid" not in field.field.widget.attrs, field.name
    # The page after them, with no filter, is not marked either.
    response = client.get(EN_LIST)
    assert b"is-invalid" not in response.content
    # Each method filter (year, month, group) asks its own filterset, built side by side.
    found = {
        params["year"]: IncidentFilter.public({**params, "languages": "all"})
        for params in (
            {"year": "2020"},
            {"year": "2021", "group": "censorship-access"},
            {"year": "2022"},
        )
    }
    titles = {year: {i.title for i in filterset.qs} for year, filterset in found.items()}
    assert titles == {
        "2020": {"Zebra beaten", "Censored in Kyiv"},
        "2021": set(),
        "2022": {"Beaten and threatened"},
    }


@pytest.mark.django_db
def test_a_clean_address_shows_no_warning(client, incidents):
    response = client.get(EN_LIST, {"region": "kyiv"})
    assert NOT_UNDERSTOOD not in response.content.decode()


@pytest.mark.django_db
def test_empty_result_says_so(client, incidents):
    response = client.get(EN_LIST, {"region": "crimea"})
    assert shown(response) == set()
    assert "No incidents match these filters" in response.content.decode()
    assert parse(response).by_id("result-count").text == "0 incidents match"


@pytest.mark.django_db
def test_filtered_address_survives_into_pagination_links(client, settings, kyiv):
    settings.INCIDENTS_PER_PAGE = 2
    for n in range(5):
        IncidentFactory(region=kyiv, title=f"Kyiv {n}", occurred_on=datetime.date(2020, 5, 1))
    IncidentFactory(region=Region.objects.get(slug="lviv"), occurred_on=datetime.date(2020, 5, 1))
    response = client.get(LIST, {"region": "kyiv", "year": "2020"})
    assert result_count(response) == 5
    links = pagination_links(response)
    assert links
    for link in links:
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)
        assert query["region"] == ["kyiv"]
        assert query["year"] == ["2020"]
    # Following the link keeps the filter: page 3 holds the fifth Kyiv incident only.
    page3 = client.get(LIST + [link for link in links if "page=3" in link][0])
    assert result_count(page3) == 5
    assert len(card_titles(page3)) == 1
    assert card_titles(page3)[0].startswith("Kyiv")


# --- Random combinations ------------------------------------------------------------------

GROUPS = ["physical-aggression", "censorship-access", "legal-pressure"]
LEAVES = ["beating", "threats", "detention", "censorship", "obstruction", "prosecution"]
REGIONS = ["kyiv", "lviv", "odesa", "abroad"]
PERPETRATORS = ["police", "officials", "unknown", "russian_forces"]
WORDS = ["zebra", "quartz", "yacht"]


@pytest.fixture
def random_dataset(db):
    """Thirty-odd incidents spread over every filtered fact, as plain data for a reference."""
    rows = []
    for n in range(30):
        categories = [LEAVES[n % 6]] + ([LEAVES[(n * 5 + 1) % 6]] if n % 3 == 0 else [])
        categories = sorted(set(categories))
        region = REGIONS[n % 4]
        occurred_on = datetime.date(2019, 1, 1) + datetime.timedelta(days=n * 47)
        word = WORDS[n % 3] if n % 2 else "plain"
        status = Incident.Status.DRAFT if n % 10 == 9 else Incident.Status.PUBLISHED
        language = "en" if n % 7 == 3 else "uk"
        make(
            f"Case {n} {word}",
            categories,
            region,
            PERPETRATORS[n % 5 % 4],
            occurred_on,
            status=status,
            published_at=None if status == "draft" else datetime.datetime.now(datetime.UTC),
            language=language,
            country="Poland" if region == "abroad" else "",
        )
        rows.append(
            {
                "title": f"Case {n} {word}",
                "public": status == "published",
                "categories": categories,
                "groups": {Category.objects.get(slug=slug).parent.slug for slug in categories},
                "region": region,
                "perpetrator": PERPETRATORS[n % 5 % 4],
                "occurred_on": occurred_on,
                "language": language,
            }
        )
    # An English translation of a Ukrainian story: not a separate row in the Ukrainian list.
    TranslationFactory(
        translation_of=Incident.objects.get(title="Case 0 plain"), title="Case 0 zebra english"
    )
    return rows


def reference_count(rows, params):
    def keep(row):
        if not row["public"]:
            return False
        if row["language"] != "uk" and params.get("languages") != "all":
            return False  # the Ukrainian list shows what is written in Ukrainian
        if "q" in params and params["q"] not in row["title"]:
            return False
        if "group" in params and params["group"] not in row["groups"]:
            return False
        if "category" in params and params["category"] not in row["categories"]:
            return False
        if "region" in params and params["region"] != row["region"]:
            return False
        if "perpetrator" in params and params["perpetrator"] != row["perpetrator"]:
            return False
        day = row["occurred_on"]
        if "year" in params and str(day.year) != params["year"]:
            return False
        if "month" in params and str(day.month) != params["month"]:
            return False
        if "date_from" in params and day < datetime.date.fromisoformat(params["date_from"]):
            return False
        return not ("date_to" in params and day > datetime.date.fromisoformat(params["date_to"]))

    return sum(1 for row in rows if keep(row))


dates = st.dates(datetime.date(2018, 6, 1), datetime.date(2023, 6, 1)).map(str)
filter_params = st.fixed_dictionaries(
    {},
    optional={
        "q": st.sampled_from(WORDS),
        "group": st.sampled_from(GROUPS),
        "category": st.sampled_from(LEAVES),
        "region": st.sampled_from(REGIONS),
        "perpetrator": st.sampled_from(PERPETRATORS),
        "year": st.integers(2019, 2023).map(str),
        "month": st.integers(1, 12).map(str),
        "date_from": dates,
        "date_to": dates,
        "languages": st.just("all"),
    },
)


@pytest.mark.django_db
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(params=filter_params)
def test_list_count_matches_the_filter_and_a_plain_reference(client, random_dataset, params):
    expected = reference_count(random_dataset, params)
    queryset = Incident.objects.published().for_language("uk")
    with override("uk"):
        assert IncidentFilter(params, queryset=queryset).qs.count() == expected
    response = client.get(LIST, params)
    assert response.status_code == 200
    assert result_count(response) == expected


@pytest.mark.django_db
def test_a_filter_the_tables_cannot_count_is_counted_up_to_a_bound_and_says_more_than(
    client, settings
):
    """The record's filters are counted up to INCIDENTS_COUNT_MAX, never the whole archive;
    past it the page says "more than" and asks for a year or a region; below it the count is
    exact, as before."""
    settings.INCIDENTS_COUNT_MAX = 3
    settings.INCIDENTS_PER_PAGE = 2
    for n in range(5):
        IncidentFactory(title=f"Story {n}", occurred_on=datetime.date(2020, 1, 1))
    capped = client.get("/en/incidents/", {"no_verdict": "6", "languages": "all"})
    page = parse(capped)
    assert page.find(id="result-count").text.strip() == "More than 3 incidents match"
    assert page.find(id="count-capped") is not None
    assert len(card_titles(capped)) == 2
    settings.INCIDENTS_COUNT_MAX = 10
    exact = client.get("/en/incidents/", {"no_verdict": "6", "languages": "all"})
    assert result_count(exact) == 5
    assert parse(exact).find(id="count-capped") is None


# --- The taxonomy a filter reads while a page renders (incidents/widgets.py) ----------------


def region_queries(captured) -> list[str]:
    return [q["sql"] for q in captured if 'FROM "incidents_region"' in q["sql"]]


@pytest.mark.django_db
def test_a_filtered_miss_asks_nothing_of_the_taxonomy_once_it_is_known(
    client, incidents, page_cache
):
    """On a cache miss, the chosen region is found in the taxonomy this process read once (it
    was a query on every filtered list, barometer and API miss); the page is the same."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    first = client.get(EN_LIST, {"region": "kyiv", "languages": "all"})
    with CaptureQueriesContext(connection) as captured:
        again = client.get(EN_LIST, {"region": "kyiv", "languages": "all", "other": "1"})
    assert again["X-Page-Cache"] == "miss"
    assert region_queries(captured) == []
    assert shown(again) == shown(first) == {"Zebra beaten", "Censored in Kyiv"}


@pytest.mark.django_db
def test_a_region_added_after_the_taxonomy_was_read_filters_at_once(client, incidents, page_cache):
    client.get(EN_LIST, {"region": "kyiv"})  # the taxonomy read
    added = Region.objects.create(
        name_uk="Нова", name_en="New region", slug="new-region", kind="region", position=99
    )
    make("In the new region", ["threats"], "new-region", "police", datetime.date(2023, 1, 2))
    response = client.get(EN_LIST, {"region": added.slug, "languages": "all"})
    assert NOT_UNDERSTOOD not in response.content.decode()
    assert shown(response) == {"In the new region"}


@pytest.mark.django_db
def test_a_region_given_a_new_address_in_the_admin_answers_only_to_it(
    client, admin_client, incidents, page_cache, lviv
):
    """Renamed in the admin (which drops every cached page), the old address is no longer
    understood, by the list or by the API, and the new one filters, at once."""
    assert shown(client.get(EN_LIST, {"region": "lviv", "languages": "all"})) == {"Threats in Lviv"}
    client.get("/api/incidents/", {"region": "lviv"})
    form = {
        "name_uk": lviv.name_uk,
        "name_en": lviv.name_en,
        "slug": "lviv-oblast",
        "kind": lviv.kind,
        "iso_code": lviv.iso_code,
        "position": lviv.position,
    }
    saved = admin_client.post(f"/admin/incidents/region/{lviv.pk}/change/", form)
    assert saved.status_code == 302, saved.content.decode()[:2000]
    old = client.get(EN_LIST, {"region": "lviv", "languages": "all", "x": "1"})
    assert NOT_UNDERSTOOD in old.content.decode()
    assert client.get("/api/incidents/", {"region": "lviv", "x": "1"}).status_code == 400
    new = client.get(EN_LIST, {"region": "lviv-oblast", "languages": "all"})
    assert shown(new) == {"Threats in Lviv"}
    assert client.get("/api/incidents/", {"region": "lviv-oblast"}).json()["count"] == 1


@pytest.mark.django_db
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    extra=st.dictionaries(
        st.sampled_from(["utm_source", "fbclid", "ref", "x", "sort"]),
        st.text(max_size=10),
        min_size=1,
        max_size=3,
    )
)
def test_an_address_with_no_filter_answers_as_the_bare_one(client, incidents, extra):
    """A tracking parameter or anything else that is no filter: the same incidents, count,
    filter form and "other languages" switch as the bare address, and the API's same 200
    (a filterset with no filter asked for validates nothing: IncidentFilter.__init__)."""
    bare, other = client.get(EN_LIST), client.get(EN_LIST, extra)
    assert shown(other) == shown(bare)
    assert result_count(other) == result_count(bare)
    assert filter_form_html(other) == filter_form_html(bare)
    api_bare = client.get("/api/incidents/", {"lang": "en"})
    api_other = client.get("/api/incidents/", {"lang": "en", **extra})
    assert api_other.status_code == 200
    assert api_other.json()["count"] == api_bare.json()["count"]
    assert [i["title"] for i in api_other.json()["results"]] == [
        i["title"] for i in api_bare.json()["results"]
    ]


class EveryFieldFilter(IncidentFilter):
    """The filterset as it was: every field made and validated, whatever the address names."""

    def get_form_class(self):
        import django_filters

        return django_filters.FilterSet.get_form_class(self)


FILTER_VALUES = {
    "region": ["kyiv", "lviv", "nowhere", ""],
    "group": ["physical-aggression", "censorship-access", "bogus"],
    "category": ["beating", "threats", "nope"],
    "perpetrator": ["police", "officials", "martians"],
    "year": ["2020", "2021", "abc", "1800"],
    "month": ["3", "7", "13"],
    "date_from": ["01.01.2020", "2021-01-01", "32.13.2020"],
    "date_to": ["31.12.2021", "yesterday"],
    "verification": ["sourced", "victim", "maybe"],
    "languages": ["all", "some"],
    "q": ["zebra", "", "beaten threats"],
}


@pytest.mark.django_db
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    params=st.dictionaries(
        st.sampled_from(sorted(FILTER_VALUES)),
        st.integers(min_value=0, max_value=3),
        max_size=4,
    ).map(
        lambda chosen: {
            name: FILTER_VALUES[name][i % len(FILTER_VALUES[name])] for name, i in chosen.items()
        }
    )
)
def test_validating_only_the_named_filters_changes_nothing_a_reader_sees(incidents, params):
    """A filterset validates the fields its address names (IncidentFilter.get_form_class):
    the same incidents, the same understood filters and errors, and the panel still shows
    every field, with what was typed and the wrong ones marked."""
    with override("en"):
        named, every = IncidentFilter.public(params), EveryFieldFilter.public(params)
        assert sorted(named.qs.values_list("pk", flat=True)) == sorted(
            every.qs.values_list("pk", flat=True)
        )
        assert named.chosen() == every.chosen()
        assert dict(named.errors) == dict(every.errors)
        assert named.active_filters == every.active_filters
        shown, reference = named.fields_for_display, every.fields_for_display
        assert [f.name for f in shown] == [f.name for f in reference] == list(every.filters)
        assert [str(f) for f in shown] == [str(f) for f in reference]
