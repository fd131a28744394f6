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
