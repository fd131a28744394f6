"""The archive import in the admin (issue 31): the upload page runs an import (Celery runs
eagerly in tests) and shows its report; the review queue's filters and actions."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from incidents.models import ImportItem, ImportRun, Incident, Region, SourceLink

from .factories import IncidentFactory, UserFactory

DATA = Path(__file__).resolve().parent.parent / "data" / "archive"
IMPORT = "admin:incidents_importrun_import"
QUEUE = "admin:incidents_importitem_changelist"


@pytest.fixture(autouse=True)
def _eager_tasks():
    """The import's task runs in the test's process on either database: with REDIS_URL set
    the suite's Celery has a broker, and nothing here needs a worker."""
    from celery import current_app

    saved = current_app.conf.task_always_eager
    current_app.conf.task_always_eager = True
    yield
    current_app.conf.task_always_eager = saved


@pytest.fixture
def importer(client, db):
    user = UserFactory(
        is_staff=True, permissions=["incidents.import_archive", "incidents.view_incident"]
    )
    client.force_login(user)
    return client


def _upload(client, name, **extra):
    data = {
        "file": SimpleUploadedFile(name, (DATA / name).read_bytes()),
        "format": "feed",
        "default_region": Region.objects.get(slug="lviv").pk,
        **extra,
    }
    return client.post(reverse(IMPORT), data)


def test_staff_without_the_permission_cannot_import(client, db):
    client.force_login(UserFactory(is_staff=True, permissions=["incidents.view_incident"]))
    assert client.get(reverse(IMPORT)).status_code == 403


def test_uploading_a_feed_runs_the_import_and_shows_its_report(
    importer, django_capture_on_commit_callbacks
):
    page = importer.get(reverse(IMPORT))
    assert page.status_code == 200 and b"csrfmiddlewaretoken" in page.content
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(importer, "feed.atom", dry_run="on")
    run = ImportRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:incidents_importrun_change", args=[run.pk])
    run.refresh_from_db()
    assert run.status == ImportRun.Status.FINISHED and run.dry_run
    assert Incident.objects.count() == 0
    report = importer.get(response["Location"]).content.decode()
    assert "20 буде створено" in report  # the admin speaks Ukrainian and "100%" in report
    assert "http-equiv" not in report  # a finished run's page stops refreshing


def test_a_form_without_a_file_or_address_says_so(importer):
    response = importer.post(
        reverse(IMPORT), {"format": "feed", "default_region": Region.objects.get(slug="lviv").pk}
    )
    assert "Дайте файл або адресу стрічки" in response.content.decode()
    response = importer.post(
        reverse(IMPORT),
        {"url": "https://example.org/feed", "format": "csv", "csv_mapping": "nonsense",
         "default_region": Region.objects.get(slug="lviv").pk},
    )  # fmt: skip
    assert "Не відповідність: «nonsense»" in response.content.decode()


def test_the_review_queue_filters_and_merges_through_the_service(
    importer, django_capture_on_commit_callbacks
):
    existing = IncidentFactory(title="Elsewhere")
    SourceLink.objects.create(incident=existing, url="https://newsroom.example.org/rss/3/")
    with django_capture_on_commit_callbacks(execute=True):
        _upload(importer, "feed.rss")
    queue = importer.get(reverse(QUEUE), {"to_resolve": "yes"}).content.decode()
    duplicate = ImportItem.objects.get(status=ImportItem.Status.DUPLICATE)
    assert duplicate.title in queue
    for filter_ in (
        {"confidence__exact": "high"},
        {"run__id__exact": duplicate.run_id},
        {"to_resolve": "drafts"},
    ):
        assert importer.get(reverse(QUEUE), filter_).status_code == 200
    response = importer.post(
        reverse(QUEUE), {"action": "merge", "_selected_action": [duplicate.pk]}, follow=True
    )
    assert "Об’єднано 1 запис." in response.content.decode()
    duplicate.refresh_from_db()
    assert duplicate.resolution == ImportItem.Resolution.MERGED
    assert existing.sources.count() == 1  # the same address: not added twice
    # A draft that is not a duplicate cannot be merged: said, not done.
    draft = ImportItem.objects.filter(status=ImportItem.Status.CREATED).first()
    response = importer.post(
        reverse(QUEUE), {"action": "merge", "_selected_action": [draft.pk]}, follow=True
    )
    assert "Об’єднати можна лише дублікат" in response.content.decode()


def test_the_pages_in_ukrainian(importer, django_capture_on_commit_callbacks):
    importer.cookies["django_language"] = "uk"
    with django_capture_on_commit_callbacks(execute=True):
        _upload(importer, "feed.rss")
    run = ImportRun.objects.get()
    for url in (
        reverse(IMPORT),
        reverse("admin:incidents_importrun_change", args=[run.pk]),
        reverse(QUEUE),
    ):
        assert importer.get(url, HTTP_ACCEPT_LANGUAGE="uk").status_code == 200
