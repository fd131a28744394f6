"""The demo data that `make run` loads."""

import io

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_the_printed_demo_login_follows_the_port(settings):
    """`make run PORT=8011` passes --site: the login printed is where the site is (issue 18)."""
    settings.DEBUG = True
    out = io.StringIO()
    call_command("load_demo", "--site", "http://127.0.0.1:8011", stdout=out)
    assert "Demo admin: http://127.0.0.1:8011/admin/  login admin /" in out.getvalue()
