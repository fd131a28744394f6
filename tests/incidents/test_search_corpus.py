"""The inflection corpus (search_corpus.py) on whichever database the suite runs on.

Every query must find exactly the articles listed. The hit rate, and what matching only the
typed form would have found, are printed (pytest -s) for the issue's note.
"""

import pytest
from django.db import connection

from incidents import search
from incidents.models import Category, Incident, Region

from .factories import IncidentFactory
from .search_corpus import ARTICLES, EXPECTED


@pytest.fixture
def corpus(db):
    ids = {}
    for key, article in ARTICLES.items():
        incident = IncidentFactory(
            title=article["title"],
            lead=article["lead"],
            body=article["body"],
            place=article["place"],
            region=Region.objects.get(slug=article["region"]),
            language=article.get("language", "uk"),
            categories=[Category.objects.get(slug=article["category"])],
        )
        ids[incident.pk] = key
    return ids


def exact_form_hits(query: str) -> set[str]:
    """What matching the typed words only as written (any case) finds: the old behaviour."""
    typed = search.parse(query)
    found = set()
    for key, article in ARTICLES.items():
        text = " ".join([article["title"], article["lead"], article["body"], article["place"]])
        present = {w.lower() for w in search.words(text)}
        if all(t.typed.lower() in present for t in typed):
            found.add(key)
    return found


@pytest.mark.django_db
def test_every_corpus_query_finds_exactly_its_articles(corpus):
    misses, wrong, hits, exact = [], [], 0, 0
    expected_total = sum(len(articles) for _q, articles in EXPECTED)
    for query, expected in EXPECTED:
        found = {
            corpus[pk]
            for pk in Incident.objects.published().search(query).values_list("pk", flat=True)
        }
        hits += len(found & expected)
        exact += len(exact_form_hits(query) & expected)
        if expected - found:
            misses.append((query, sorted(expected - found)))
        if found - expected:
            wrong.append((query, sorted(found - expected)))
    print(
        f"\nsearch corpus on {connection.vendor}: {hits}/{expected_total} expected hits "
        f"({100 * hits / expected_total:.1f}%), {len(wrong)} queries with extra results; "
        f"matching the typed form only: {exact}/{expected_total} "
        f"({100 * exact / expected_total:.1f}%)"
    )
    assert misses == []
    assert wrong == []


@pytest.mark.django_db
def test_the_list_page_finds_an_inflected_place_and_marks_it(client, corpus):
    response = client.get("/incidents/", {"q": "Харків"})
    page = response.content.decode()
    assert "поліцейські затримали оператора" in page
    assert "<mark>Харкові</mark>" in page
