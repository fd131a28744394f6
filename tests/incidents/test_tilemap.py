"""The tile map of regions on the statistics page: its counts are the list's counts."""

import datetime

import pytest

from incidents.barometer.tilemap import TILES, legend, level
from incidents.models import Region

from .factories import IncidentFactory
from .pages import parse, result_count

PERIOD = {"date_from": "2024-01-01", "date_to": "2024-12-31"}


@pytest.mark.django_db
def test_every_region_but_abroad_has_one_tile_and_none_overlap():
    slugs = set(Region.objects.exclude(kind=Region.Kind.ABROAD).values_list("slug", flat=True))
    assert set(TILES) == slugs
    assert len(set(TILES.values())) == len(TILES)


def test_levels_span_zero_to_the_highest_and_the_legend_says_which_is_which():
    assert level(0, 10) == 0
    assert level(1, 10) == 1
    assert level(10, 10) == 5
    assert level(1, 1) == 5  # the busiest region is the darkest, however few
    for highest in (1, 3, 7, 10, 123):
        for low_high in legend(highest):
            shade, low, high = low_high
            assert all(level(count, highest) == shade for count in range(low, high + 1))
        covered = [c for _s, low, high in legend(highest) for c in range(low, high + 1)]
        assert covered == list(range(1, highest + 1))


@pytest.fixture
def spread(db):
    days = iter(range(1, 28))
    for slug, n in [("kharkiv", 5), ("kyiv", 3), ("lviv", 1), ("crimea", 2), ("abroad", 1)]:
        for _ in range(n):
            IncidentFactory(
                region=Region.objects.get(slug=slug),
                occurred_on=datetime.date(2024, 5, next(days)),
                country="Poland" if slug == "abroad" else "",
            )
    # One outside the period: on neither the map nor the list it leads to.
    IncidentFactory(
        region=Region.objects.get(slug="kharkiv"), occurred_on=datetime.date(2023, 5, 1)
    )


@pytest.mark.django_db
@pytest.mark.parametrize("prefix", ["", "/en"])
def test_each_tile_counts_what_its_link_lists(client, spread, prefix):
    page = client.get(f"{prefix}/stats/", PERIOD)
    svg = parse(page).find("svg", class_="tile-map")
    tiles = svg.find_all("a")
    assert len(tiles) == len(TILES)
    shown = {}
    for tile in tiles:
        count = int(tile.find_all("text")[1].text)
        shown[tile.attrs["data-region"]] = count
        if tile.attrs["data-region"] in ("kharkiv", "kyiv", "lviv", "crimea", "odesa"):
            listed = client.get(tile.attrs["href"])
            assert listed.status_code == 200
            assert result_count(listed) == count, tile.attrs["data-region"]
    assert shown["kharkiv"] == 5 and shown["kyiv"] == 3 and shown["odesa"] == 0
    # The most incidents, the darkest; none, the palest.
    classes = {t.attrs["data-region"]: t.find("rect").attrs["class"] for t in tiles}
    assert classes["kharkiv"].endswith("tile-l5") and classes["odesa"].endswith("tile-l0")


@pytest.mark.django_db
def test_the_map_has_no_style_attribute_or_script(client, spread):
    html = client.get("/stats/", PERIOD).content.decode()
    svg = html[html.index('<svg class="tile-map"') : html.index("</svg>")]
    assert (
        "style=" not in svg
        and "<script" not in svg
        and "http" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")
    )


@pytest.mark.django_db
@pytest.mark.parametrize("prefix", ["", "/en"])
def test_every_tile_is_named_by_its_region_and_the_abbreviations_have_a_key(client, spread, prefix):
    """Not "volyn": a region with nothing counted is named like the others, and Чрг, Чрв,
    Чрк are spelled out under the map."""
    page = parse(client.get(f"{prefix}/stats/", PERIOD))
    volyn = Region.objects.get(slug="volyn")
    name = volyn.name_en if prefix else volyn.name_uk
    tile = next(
        a
        for a in page.find("svg", class_="tile-map").find_all("a")
        if a.attrs["data-region"] == "volyn"
    )
    assert tile.attrs["aria-label"].startswith(("Вол 0 — " if not prefix else "Vol 0 — ") + name)
    assert "volyn" not in tile.attrs["aria-label"] and "volyn" not in tile.find("title").text
    key = page.by_id("tile-key")
    terms = [" ".join(node.text.split()) for node in key.find_all("dt")]
    names = [" ".join(node.text.split()) for node in key.find_all("dd")]
    assert len(terms) == len(TILES) and len(set(terms)) == len(TILES)
    chernihiv = Region.objects.get(slug="chernihiv")
    expected = ("Chg", chernihiv.name_en) if prefix else ("Чрг", chernihiv.name_uk)
    assert expected in zip(terms, names, strict=True)


@pytest.mark.django_db
def test_one_period_button_is_current_even_when_two_give_the_same_dates(client, db):
    """In December "Last 12 months" and "This year" are the same dates: one is marked."""
    import time_machine

    with time_machine.travel(datetime.datetime(2026, 12, 7, 12, 0), tick=False):
        page = client.get("/en/stats/", follow=True)
        links = parse(page).find("nav", class_="period-links").find_all("a")
    current = [a.text.strip() for a in links if a.attrs.get("aria-current")]
    assert current == ["Last 12 months"]
