"""A tile-grid map of Ukraine's regions: one square each, roughly where the region lies.

No tile server and no third-party host (every page must load from this site alone), no
geometry to ship, and every region equally big, so a small oblast with many incidents is as
visible as a large one. Drawn as SVG by the template, coloured by classes (the CSP forbids
style attributes), each tile a link to the list filtered to that region.
"""

import math
from urllib.parse import urlencode

from ..models import Region, current_language

# (column, row): west to east, north to south.
TILES = {
    "volyn": (1, 0),
    "rivne": (2, 0),
    "zhytomyr": (3, 0),
    "kyiv": (4, 0),
    "chernihiv": (5, 0),
    "sumy": (6, 0),
    "lviv": (0, 1),
    "ternopil": (1, 1),
    "khmelnytskyi": (2, 1),
    "vinnytsia": (3, 1),
    "kyiv-oblast": (4, 1),
    "poltava": (5, 1),
    "kharkiv": (6, 1),
    "luhansk": (7, 1),
    "zakarpattia": (0, 2),
    "ivano-frankivsk": (1, 2),
    "chernivtsi": (2, 2),
    "kirovohrad": (3, 2),
    "cherkasy": (4, 2),
    "dnipropetrovsk": (5, 2),
    "donetsk": (6, 2),
    "odesa": (3, 3),
    "mykolaiv": (4, 3),
    "kherson": (5, 3),
    "zaporizhzhia": (6, 3),
    "sevastopol": (4, 4),
    "crimea": (5, 4),
}

# What fits on a tile; the full name is in its title and its link's label.
SHORT = {
    "vinnytsia": ("Він", "Vin"),
    "volyn": ("Вол", "Vol"),
    "dnipropetrovsk": ("Дні", "Dni"),
    "donetsk": ("Дон", "Don"),
    "zhytomyr": ("Жит", "Zht"),
    "zakarpattia": ("Зак", "Zak"),
    "zaporizhzhia": ("Зап", "Zap"),
    "ivano-frankivsk": ("І-Ф", "I-F"),
    "kyiv-oblast": ("Київщ", "Ky O"),
    "kirovohrad": ("Кір", "Kir"),
    "luhansk": ("Луг", "Luh"),
    "lviv": ("Льв", "Lvi"),
    "mykolaiv": ("Мик", "Myk"),
    "odesa": ("Оде", "Ode"),
    "poltava": ("Пол", "Pol"),
    "rivne": ("Рів", "Riv"),
    "sumy": ("Сум", "Sum"),
    "ternopil": ("Тер", "Ter"),
    "kharkiv": ("Хар", "Kha"),
    "kherson": ("Хер", "Khe"),
    "khmelnytskyi": ("Хме", "Khm"),
    "cherkasy": ("Чрк", "Chk"),
    "chernivtsi": ("Чрв", "Chv"),
    "chernihiv": ("Чрг", "Chg"),
    "kyiv": ("Київ", "Kyiv"),
    "sevastopol": ("Сев", "Sev"),
    "crimea": ("Крим", "Cri"),
}

SIZE = 60
GAP = 4
LEVELS = 5


def level(count: int, highest: int) -> int:
    """0 for none, then 1..LEVELS by the share of the highest count: the busiest region is
    always the darkest, whether it has 1 incident or 500."""
    if count <= 0 or highest <= 0:
        return 0
    return min(LEVELS, math.ceil(LEVELS * count / highest))


def legend(highest: int) -> list[tuple[int, int, int]]:
    """(level, lowest, highest count) of each shade in use: exactly what level() gives."""
    shades = []
    for n in range(1, LEVELS + 1):
        low, high = (n - 1) * highest // LEVELS + 1, n * highest // LEVELS
        if low <= high:
            shades.append((n, low, high))
    return shades


def tile_map(rows, list_url: str, query: dict) -> dict:
    """The map's tiles from (region, count) rows: every region on the map, zero where it
    has no row; regions off the map (abroad) are left to the table beside it."""
    counts = {region.slug: (region, n) for region, n in rows}
    # Every tile says its region's name, those with nothing counted too (not "volyn").
    regions = {r.slug: r for r in Region.objects.filter(slug__in=TILES)}
    highest = max((n for slug, (_r, n) in counts.items() if slug in TILES), default=0)
    english = current_language() == "en"
    tiles = []
    for slug, (column, row) in TILES.items():
        region, count = counts.get(slug, (regions.get(slug), 0))
        tiles.append(
            {
                "slug": slug,
                "x": column * (SIZE + GAP),
                "y": row * (SIZE + GAP),
                "cx": column * (SIZE + GAP) + SIZE // 2,
                "size": SIZE,
                "name": region.name if region is not None else SHORT[slug][1 if english else 0],
                "short": SHORT[slug][1 if english else 0],
                "count": count,
                "level": level(count, highest),
                "url": f"{list_url}?{urlencode({**query, 'region': slug})}",
            }
        )
    columns = 1 + max(c for c, _r in TILES.values())
    lines = 1 + max(r for _c, r in TILES.values())
    return {
        "width": columns * (SIZE + GAP) - GAP,
        "height": lines * (SIZE + GAP) - GAP,
        "tiles": tiles,
        "max": highest,
        "legend": legend(highest),
        # What the abbreviations stand for, as the tiles read, left to right, top to bottom.
        "key": [
            (tile["short"], tile["name"])
            for tile in sorted(tiles, key=lambda tile: (tile["y"], tile["x"]))
        ],
    }
