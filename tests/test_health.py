"""/health/ as a load balancer or an operator's monitor sees it."""

import time

import pytest
from django.urls import reverse

from imi_portal.celery import app as celery_app

from .hotline.worker_support import reset_connections

CLOSED_BROKER = "redis://127.0.0.1:1/0"


@pytest.fixture
def broker_unreachable(settings):
    """Point Django's setting and the Celery app at a port nobody listens on, then restore."""
    conf = celery_app.conf
    # Kept before the Django setting changes (the app reads its conf from it): read after,
    # it was the closed port, which then outlived the test and later tests' /health/ found
    # the broker down.
    saved = conf["broker_url"]
    settings.CELERY_BROKER_URL = CLOSED_BROKER
    conf.update(broker_url=CLOSED_BROKER)
    reset_connections(celery_app)
    yield
    conf.update(broker_url=saved)
    # Forget the pools, not only close them: kombu keeps one per broker address for the
    # process, and a closed one left there refused every later publish in this process,
    # eager ones included ("Acquire on closed pool"), which a later test's mail never survived.
    reset_connections(celery_app)


@pytest.mark.django_db
def test_health_answers_ok(client, settings):
    response = client.get(reverse("health"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] is True
    if settings.CELERY_BROKER_URL:
        assert body["broker"] is True
    else:
        assert body["broker"] is None
    assert set(body) == {"status", "database", "broker"}


@pytest.mark.django_db
def test_health_is_never_cached(client):
    response = client.get(reverse("health"))
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


@pytest.mark.django_db
def test_health_reports_a_broker_that_is_down(client, broker_unreachable):
    started = time.monotonic()
    response = client.get(reverse("health"))
    took = time.monotonic() - started

    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": True, "broker": False}
    assert took < 10  # a monitor's probe must not hang on a dead broker


@pytest.mark.django_db
def test_health_recovers_once_the_broker_setting_is_gone(client, settings, broker_unreachable):
    settings.CELERY_BROKER_URL = None
    response = client.get(reverse("health"))
    assert response.status_code == 200
    assert response.json()["broker"] is None
