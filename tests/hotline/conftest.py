import types

import pytest
from django.contrib.auth.models import Group
from django.utils import translation

from incidents.models import Category, Region

from .factories import UserFactory


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    """Evidence goes to a temporary directory, never into the repository."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private_media"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.NOTIFY_WEBHOOK_URL = ""
    settings.HOTLINE_PHONE = "+380504477063"
    return settings.PRIVATE_MEDIA_ROOT


@pytest.fixture(autouse=True)
def _ukrainian():
    """Each test starts in the default language, whatever an earlier request activated."""
    with translation.override("uk"):
        yield


@pytest.fixture(autouse=True)
def _steady_ratelimit_clock(monkeypatch):
    """Rate-limit windows are aligned to the clock; a fixed clock keeps a test in one window."""
    import time

    import django_ratelimit.core

    now = int(time.time())
    monkeypatch.setattr(django_ratelimit.core, "time", types.SimpleNamespace(time=lambda: now))


@pytest.fixture
def kyiv(db):
    return Region.objects.get(slug="kyiv")


@pytest.fixture
def beating(db):
    return Category.objects.get(slug="beating")


def _staff_in(group_name, username):
    user = UserFactory(username=username, is_staff=True)
    user.groups.add(Group.objects.get(name=group_name))
    return user


@pytest.fixture
def operator(db):
    return _staff_in("Hotline operators", "operator")


@pytest.fixture
def triage(db):
    return _staff_in("Triage", "triage")


@pytest.fixture
def editor(db):
    return _staff_in("Editors", "editor")


@pytest.fixture
def triage_client(client, triage):
    client.force_login(triage)
    return client
