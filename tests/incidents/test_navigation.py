"""The barometer can be found: from the menu of every page and from the home page."""

import pytest


@pytest.mark.django_db
@pytest.mark.parametrize(("prefix", "label"), [("", "Статистика"), ("/en", "Statistics")])
def test_the_statistics_are_in_the_menu_and_on_the_home_page(client, prefix, label):
    home = client.get(f"{prefix}/").content.decode()
    assert f'href="{prefix}/stats/">{label}</a>' in home
    assert 'id="home-stats-link"' in home
    for path in ("/incidents/", "/complaint/", "/callback/"):
        page = client.get(prefix + path).content.decode()
        assert f'href="{prefix}/stats/">{label}</a>' in page, path
    assert client.get(f"{prefix}/stats/", follow=True).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("prefix", "other", "label"), [("", "en", "in English"), ("/en", "uk", "українською")]
)
def test_a_card_in_the_other_language_is_labelled(client, prefix, other, label):
    from incidents import services

    from .factories import IncidentFactory

    same = IncidentFactory(language="uk" if other == "en" else "en", title="Same language")
    foreign = IncidentFactory(language=other, title="Other language")
    services.incidents_rebuild()
    # An untranslated story is listed in both languages (the listing rule): here in the other.
    page = client.get(f"{prefix}/incidents/?languages=all").content.decode()
    cards = {
        title: page.split(title)[0].rsplit("<article", 1)[1]
        for title in ("Same language", "Other language")
    }
    assert f'lang="{other}">{label}</span>' in cards["Other language"]
    assert "card-language" not in cards["Same language"]
    assert same.pk and foreign.pk
