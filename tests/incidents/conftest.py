import pytest
from django.core.cache import caches

from incidents.models import Category, Region

from .factories import UserFactory


@pytest.fixture
def beating(db):
    return Category.objects.get(slug="beating")


@pytest.fixture
def threats(db):
    return Category.objects.get(slug="threats")


@pytest.fixture
def censorship(db):
    return Category.objects.get(slug="censorship")


@pytest.fixture
def kyiv(db):
    return Region.objects.get(slug="kyiv")


@pytest.fixture
def lviv(db):
    return Region.objects.get(slug="lviv")


@pytest.fixture
def abroad(db):
    return Region.objects.get(slug="abroad")


@pytest.fixture
def staff_user(db):
    """An editor: staff, allowed to view incidents (and so to preview unpublished ones)."""
    return UserFactory(is_staff=True, permissions=["incidents.view_incident"])


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def page_cache(settings):
    """The public page cache on (tests/settings.py has it off), empty before and after."""
    settings.PUBLIC_PAGE_CACHE = True
    caches["pages"].clear()
    yield
    caches["pages"].clear()
