"""Categories and region guessed for an imported item, and how sure the guess is.

How: first the archive's own categories and tags (and a CSV's region column): a term that
is a category's or region's name or slug, in either language, or holds one of the stems
below, is taken as it stands ("high"). Failing that, the title and the first 1,000
characters of the text are searched for the same stems ("medium"). Failing that, no
category and the run's default region ("low"): staff see these first in the review queue.
Stems are lower-case word beginnings, so they match the Ukrainian cases ("Харкові",
"Харківщині") and English inflections."""

import dataclasses
import re
from functools import lru_cache

from ..models import Category, ImportItem, Region

# category slug → stems (Ukrainian and English word beginnings)
CATEGORY_STEMS = {
    "killing": ("вбив", "убив", "вбит", "убит", "загинув", "загинула", "killed", "murder"),
    "detention": ("затрима", "заарешт", "арешт", "detain", "detention", "arrest"),
    "abduction": ("викра", "полон", "abduct", "kidnap", "captiv"),
    "beating": ("побил", "побит", "побиття", "напа", "вдари", "beat", "assault", "attacked"),
    "threats": ("погрож", "погроз", "заляк", "threat", "intimidat"),
    "damage-to-property": ("пошкод", "підпал", "розбил", "damag", "arson", "set fire"),
    "attack-on-media-office": ("напад на редакц", "обшук у редакц", "raid on the newsroom"),
    "shelling-injury": ("обстріл", "поранен", "shell", "wounded", "injur"),
    "obstruction": ("перешкод", "не пусти", "не допусти", "obstruct", "prevented", "barred"),
    "access-to-information": ("доступ до інформ", "запит на інформ", "access to information"),
    "censorship": ("цензур", "censor"),
    "political-pressure": ("політичн тиск", "тиск на", "pressure on", "political pressure"),
    "economic-pressure": ("економічн тиск", "economic pressure"),
    "lawsuit-against-media": ("позов", "lawsuit", "sued", "libel", "defamation"),
    "prosecution": ("кримінальн переслід", "підозр", "prosecut", "charged", "indicted"),
    "cyberattack": ("кібератак", "ddos", "дудос", "cyberattack", "cyber-attack"),
    "account-hacking": ("злам", "hacked", "hacking"),
}
# region slug → stems; the oblast's before the city's of the same name.
REGION_STEMS = {
    "kyiv-oblast": ("київщин", "київськ", "kyiv oblast", "kyiv region"),
    "kyiv": ("київ", "києв", "kyiv", "kiev"),
    "vinnytsia": ("вінниц", "вінничч", "vinnyts"),
    "volyn": ("волин", "луцьк", "volyn", "lutsk"),
    "dnipropetrovsk": ("дніпр", "dnipro"),
    "donetsk": ("донеч", "донецьк", "маріупол", "краматорськ", "donetsk", "mariupol", "kramatorsk"),
    "zhytomyr": ("житомир", "zhytomyr"),
    "zakarpattia": ("закарпат", "ужгород", "zakarpat", "uzhhorod"),
    "zaporizhzhia": ("запоріж", "zaporizh"),
    "ivano-frankivsk": ("франків", "frankivsk"),
    "kirovohrad": ("кропивниц", "кіровоград", "kropyvnyts", "kirovohrad"),
    "luhansk": ("луган", "luhansk"),
    "lviv": ("львів", "львов", "lviv"),
    "mykolaiv": ("миколаїв", "миколаєв", "mykolaiv"),
    "odesa": ("одес", "odesa", "odessa"),
    "poltava": ("полтав", "poltava"),
    "rivne": ("рівне", "рівному", "рівненськ", "rivne"),
    "sumy": ("суми", "сумах", "сумськ", "сумщин", "sumy"),
    "ternopil": ("терноп", "ternopil"),
    "kharkiv": ("харків", "харков", "kharkiv"),
    "kherson": ("херсон", "kherson"),
    "khmelnytskyi": ("хмельниц", "khmelnyts"),
    "cherkasy": ("черкас", "cherkas"),
    "chernivtsi": ("чернівц", "chernivts"),
    "chernihiv": ("черніг", "chernihiv"),
    "sevastopol": ("севастопол", "sevastopol"),
    "crimea": ("криму", "кримськ", "крим ", "крим,", "крим.", "crimea"),
}
# Short stems that are also common words' beginnings: matched as whole stems of a word only.
_WORD = r"(?<![\w-])"


@dataclasses.dataclass
class Guess:
    categories: list[int]
    region: Region
    confidence: str


@lru_cache(maxsize=1)
def _patterns():
    def compile_(stems):
        return re.compile(
            _WORD + "(?:" + "|".join(re.escape(s) for s in stems) + ")", re.IGNORECASE
        )

    return (
        {slug: compile_(stems) for slug, stems in CATEGORY_STEMS.items()},
        {slug: compile_(stems) for slug, stems in REGION_STEMS.items()},
    )


class Guesser:
    """One per run: the categories and regions read once."""

    def __init__(self, default_region: Region):
        self.default_region = default_region
        self.categories = {c.slug: c for c in Category.objects.leaves()}
        # Never "abroad": an incident abroad needs its country, which no guess gives.
        self.regions = {r.slug: r for r in Region.objects.exclude(kind=Region.Kind.ABROAD)}
        self.category_names = _names(self.categories.values())
        self.region_names = _names(self.regions.values())

    def guess(self, *, terms: list[str], region: str, text: str) -> Guess:
        category_pats, region_pats = _patterns()
        terms = [t for t in terms if t]
        found = self._from_terms(terms, self.category_names, category_pats, self.categories)
        category_level = "high" if found else ""
        if not found:
            found = _search(text, category_pats, self.categories)
            category_level = "medium" if found else "low"
        place = self._from_terms(
            [region, *terms] if region else terms, self.region_names, region_pats, self.regions
        )[:1]
        region_level = "high" if place else ""
        if not place:
            place = _search(text, region_pats, self.regions)[:1]
            region_level = "medium" if place else "low"
        order = {"high": 0, "medium": 1, "low": 2}
        level = max(category_level, region_level, key=order.__getitem__)
        region_obj = self.regions[place[0]] if place else self.default_region
        return Guess(
            categories=[self.categories[slug].pk for slug in found],
            region=region_obj,
            confidence={
                "high": ImportItem.Confidence.HIGH,
                "medium": ImportItem.Confidence.MEDIUM,
                "low": ImportItem.Confidence.LOW,
            }[level],
        )

    @staticmethod
    def _from_terms(terms, names, patterns, objects) -> list[str]:
        found = []
        for term in terms:
            key = " ".join(term.casefold().split())
            slug = names.get(key)
            if slug is None:
                slug = next(
                    (s for s, p in patterns.items() if p.search(term) and s in objects), None
                )
            if slug and slug not in found:
                found.append(slug)
        return found


def _names(objects) -> dict[str, str]:
    names = {}
    for obj in objects:
        for name in (obj.slug, obj.name_uk, obj.name_en):
            names[" ".join(name.casefold().split())] = obj.slug
    return names


def _search(text: str, patterns, objects) -> list[str]:
    return [slug for slug, pattern in patterns.items() if slug in objects and pattern.search(text)]
