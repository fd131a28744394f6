"""The header's language links: the same page in the other language, with the same query,
as Django's translate_url gives it, whatever was asked before (the translated path is kept
per path, language, URLconf and script prefix)."""

from urllib.parse import urlencode

from django.test import RequestFactory
from django.urls import translate_url
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from imi_portal.context_processors import _language_links

PATHS = [
    "/",
    "/en/",
    "/incidents/",
    "/en/incidents/",
    "/incidents/some-story/",
    "/en/incidents/some-story/",
    "/stats/",
    "/en/stats/2024/3/",
    "/callback/",
    "/nowhere/at/all/",
    "/en/nowhere/",
]


@settings(deadline=None)  # the first example imports the URLconf
@given(
    path=st.sampled_from(PATHS),
    params=st.dictionaries(
        st.sampled_from(["q", "region", "page", "year", "x"]),
        st.text(max_size=12),
        max_size=3,
    ),
    language=st.sampled_from(["uk", "en"]),
)
def test_each_language_link_is_translate_url_of_the_whole_address(path, params, language):
    """In either interface language (a page's address says which; a stray /en/ address
    read in Ukrainian is asked too)."""
    url = f"{path}?{urlencode(params)}" if params else path
    request = RequestFactory().get(url)
    with translation.override(language):
        links = _language_links(request)
        expected = {code: translate_url(request.get_full_path(), code) for code in ("uk", "en")}
    assert {link["code"]: link["url"] for link in links} == expected


def test_the_same_path_keeps_each_readers_own_query():
    with translation.override("uk"):
        first = _language_links(RequestFactory().get("/incidents/?region=kyiv"))
        second = _language_links(RequestFactory().get("/incidents/?region=lviv&page=2"))
    english = {link["code"]: link["url"] for link in second}["en"]
    assert english == "/en/incidents/?region=lviv&page=2"
    assert {link["code"]: link["url"] for link in first}["en"] == "/en/incidents/?region=kyiv"
