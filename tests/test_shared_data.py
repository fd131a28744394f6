"""Rows built once for a module (tests/shared_data.py) are there, as built, for every test
that asks for them, and for no other test."""

import pytest

from incidents.models import Incident
from tests.incidents.factories import IncidentFactory
from tests.shared_data import shared_data

# Together on one worker, in this order, so each test sees what the one before it did.
pytestmark = pytest.mark.xdist_group("shared-data")


@shared_data
def three():
    """Three published incidents."""
    return [IncidentFactory(title=f"Shared {n}").pk for n in range(3)]


def test_a_test_that_changes_the_rows_changes_them_for_itself_only(three):
    assert Incident.objects.filter(pk__in=three).count() == 3
    Incident.objects.filter(pk=three[0]).update(title="Changed")
    Incident.objects.filter(pk=three[1]).delete()
    assert Incident.objects.filter(pk__in=three).count() == 2


def test_the_next_test_finds_the_rows_as_they_were_built(three):
    assert sorted(Incident.objects.filter(pk__in=three).values_list("title", flat=True)) == [
        "Shared 0",
        "Shared 1",
        "Shared 2",
    ]


@pytest.mark.django_db
def test_a_test_that_does_not_ask_sees_none_of_them():
    # Written last, run first: tests/conftest.py puts the shared rows' tests after the others.
    assert not Incident.objects.filter(title__startswith="Shared").exists()
