"""Is an archive item already on record? By its address (any incident's source), or by its
title and date close to an existing incident's, in either language and alphabet.

Titles are compared as keys: case folded, transliterated to Latin letters (so "Київ" and
"Kyiv", or a Cyrillic "а" typed for a Latin "a", compare alike), punctuation and spacing
dropped. Two titles match when their keys' similarity (difflib's ratio) reaches
TITLE_SIMILARITY and their dates are at most DATE_WINDOW days apart. On PostgreSQL the
candidates in the date window are first ranked by pg_trgm's similarity, so only the closest
few are compared; elsewhere every candidate in the window is."""

import datetime
import difflib
import re
import unicodedata
from functools import lru_cache
from urllib.parse import urlsplit

from django.contrib.postgres.search import TrigramSimilarity
from django.db import connection
from translitua import translit

from ..models import Incident, SourceLink

TITLE_SIMILARITY = 0.85
DATE_WINDOW = datetime.timedelta(days=2)
TRIGRAM_CANDIDATES = 20

# Latin letters that look like Cyrillic ones, typed by mistake in Ukrainian titles.
_HOMOGLYPHS = str.maketrans("aceiopxyABCEHIKMOPTX", "асеіорхуАВСЕНІКМОРТХ")
_CYRILLIC = re.compile(r"[а-яіїєґ]", re.IGNORECASE)
_TRACKING = re.compile(r"^(utm_|fbclid|gclid)")


def url_key(url: str) -> str:
    """An address as compared: no scheme, no "www.", no trailing slash, no fragment or
    tracking parameters, host in lower case."""
    url = (url or "").strip()
    if not url:
        return ""
    parts = urlsplit(url if "://" in url else f"http://{url}")
    host = (parts.hostname or "").lower().removeprefix("www.")
    query = "&".join(pair for pair in parts.query.split("&") if pair and not _TRACKING.match(pair))
    path = parts.path.rstrip("/")
    return f"{host}{path}" + (f"?{query}" if query else "")


@lru_cache(maxsize=4096)
def title_key(title: str) -> str:
    text = unicodedata.normalize("NFKC", title or "").casefold()
    words = re.findall(r"\w+", text)
    # A word mostly Cyrillic gets its stray Latin look-alikes back before transliteration.
    words = [w.translate(_HOMOGLYPHS) if _CYRILLIC.search(w) else w for w in words]
    return " ".join(translit(" ".join(words)).casefold().replace("'", "").split())


def title_similarity(a: str, b: str) -> float:
    ka, kb = title_key(a), title_key(b)
    if not ka or not kb:
        return 0.0
    return difflib.SequenceMatcher(None, ka, kb, autojunk=False).ratio()


class Matcher:
    """One per run: the addresses on record read once, then kept up to date as drafts are
    made; the titles of the run's own new items kept too (a dry run writes none)."""

    def __init__(self):
        self.urls: dict[str, int] = {}
        rows = SourceLink.objects.exclude(url="").values_list("url", "incident_id")
        for url, incident_id in rows.iterator(chunk_size=5000):
            self.urls.setdefault(url_key(url), incident_id)
        self.recent: dict[datetime.date, list[tuple[str, int | None, int]]] = {}

    def remember(self, *, url: str, title: str, day: datetime.date, incident_id, position: int):
        if url:
            self.urls.setdefault(url_key(url), incident_id)
        self.recent.setdefault(day, []).append((title, incident_id, position))

    def by_url(self, url: str) -> tuple[bool, int | None]:
        key = url_key(url)
        if key and key in self.urls:
            return True, self.urls[key]
        return False, None

    def by_title(self, title: str, day: datetime.date):
        """(incident id or None, position of an earlier item of this run, similarity) of the
        closest match, or None."""
        best = None
        for offset in range(-DATE_WINDOW.days, DATE_WINDOW.days + 1):
            for other, incident_id, position in self.recent.get(
                day + datetime.timedelta(offset), ()
            ):
                score = title_similarity(title, other)
                if score >= TITLE_SIMILARITY and (best is None or score > best[2]):
                    best = (incident_id, position, score)
        candidates = Incident.objects.filter(
            occurred_on__range=(day - DATE_WINDOW, day + DATE_WINDOW)
        )
        if connection.vendor == "postgresql":
            candidates = candidates.annotate(trigram=TrigramSimilarity("title", title)).order_by(
                "-trigram"
            )[:TRIGRAM_CANDIDATES]
        else:
            candidates = candidates.order_by("pk")[:2000]
        for pk, other in candidates.values_list("pk", "title"):
            score = title_similarity(title, other)
            if score >= TITLE_SIMILARITY and (best is None or score > best[2]):
                best = (pk, None, score)
        return best
