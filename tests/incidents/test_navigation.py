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
