"""Rows built once and read by many tests of one module.

    @shared_data
    def dataset():
        "About forty incidents over 2019–2020."
        ...

`dataset` is then a fixture: the first test of the module that asks for it builds the rows,
in a transaction that is rolled back when the module's last test is done. Each test still
runs in its own savepoint (pytest-django's `db`), so whatever a test writes is undone
after it and the next test finds the rows as they were built. A module's tests that do not
ask for the rows run before those that do (tests/conftest.py orders them), so they never
see them. Tests that need real commits (`transaction=True`, a live server) must not ask.

Building a dataset per test was a sixth of the suite's time on PostgreSQL.
"""

import pytest
from django.db import transaction

SHARED = "_shared_data"


def shared_data(build):
    def rows(django_db_setup, django_db_blocker):
        with django_db_blocker.unblock(), transaction.atomic():
            yield build()
            transaction.set_rollback(True)

    rows.__doc__ = build.__doc__
    setattr(rows, SHARED, True)
    return pytest.fixture(scope="module", name=build.__name__)(rows)


def shared_names(item) -> set[str]:
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return set()
    return {
        name
        for name, defs in info.name2fixturedefs.items()
        if defs and name in item.fixturenames and getattr(defs[-1].func, SHARED, False)
    }


def mark_database_use(items: list) -> None:
    """A test that reads shared rows uses the database, whether or not it says so: each runs
    in its own savepoint inside the module's transaction."""
    for item in items:
        if shared_names(item) and not item.get_closest_marker("django_db"):
            item.add_marker(pytest.mark.django_db)


def shared_data_last(items: list) -> None:
    """Within each run of a module's tests, those that use shared rows go last (in place,
    order otherwise kept), so the rows exist only while they run."""
    start = 0
    while start < len(items):
        end = start
        while end < len(items) and items[end].path == items[start].path:
            end += 1
        run = items[start:end]
        names = set().union(*(shared_names(item) for item in run))
        if len(names) > 1:
            # Both would stay until the module ends: each one's tests would see the other's rows.
            raise pytest.UsageError(f"{items[start].path}: one shared dataset per module {names}")
        items[start:end] = sorted(run, key=lambda item: bool(shared_names(item)))
        start = end
