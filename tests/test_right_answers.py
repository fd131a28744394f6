"""Right answers everywhere: JSON from the API, no 500 for any method on any URL, /health/
details for the internal network only, oversized bodies refused unread, trustworthy mail."""

import re

import pytest
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver

from hotline.models import Notification
from hotline.services import outbox
from tests.hotline.factories import ComplaintFactory
from tests.incidents.factories import IncidentFactory

# HEAD is left out: Django answers it with the view's GET (View.setup), asked here already.
METHODS = ["get", "options", "post", "put", "patch", "delete", "trace"]


def _paths(resolver=None, prefix=""):
    """Every URL of the site, with sample values in place of its parameters."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        pattern = str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _paths(entry, prefix + pattern)
        elif isinstance(entry, URLPattern):
            yield prefix + pattern


def _sample(path: str, slug: str) -> str | None:
    path = path.replace("^", "").replace("$", "").replace("\\Z", "")
    if "(?P<" in path or "(?" in path or "[" in path or "*" in path:
        return None  # regular expressions (the API's formats, the catch-all): covered below
    path = re.sub(r"<slug:slug>", slug, path)
    path = re.sub(r"<slug:\w+>", "month", path)
    path = re.sub(r"<int:year>", "2024", path)
    path = re.sub(r"<int:month>", "3", path)
    path = re.sub(r"<int:\w+>", "1", path)
    path = re.sub(r"<(?:str|path):\w+>", "x", path)
    path = re.sub(r"<\w+>", "1", path)
    return "/" + path.lstrip("/")


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["visitor", "staff"])
def test_no_method_on_any_url_answers_500(who, admin_client):
    incident = IncidentFactory()
    ComplaintFactory()
    paths = {p for p in (_sample(p, incident.slug) for p in _paths()) if p}
    paths |= {"/en" + p for p in list(paths) if not p.startswith(("/admin", "/api", "/en/"))}
    paths |= {"/api/nothing/here/", "/api/incidents.json", "/api/incidents/nope/"}
    assert len(paths) > 60
    failures = []
    user_client = admin_client if who == "staff" else Client()
    user_client.raise_request_exception = False
    for path in sorted(paths):
        for method in METHODS:
            response = getattr(user_client, method)(path)
            if response.status_code >= 500:
                failures.append((method.upper(), path, response.status_code))
    assert failures == [], "\n".join(map(str, sorted(set(failures))))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/api/nothing/here/", 404),
        ("post", "/api/whatever/", 404),
        ("get", "/api/incidents/no-such-incident/", 404),
        ("post", "/api/incidents/", 405),
        ("delete", "/api/regions/", 405),
    ],
)
def test_the_api_answers_json_for_errors(client, method, path, status):
    response = getattr(client, method)(path)
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    assert "detail" in response.json()


@pytest.mark.django_db
def test_the_api_docs_answer_options(client):
    assert client.options("/api/docs/").status_code < 500


@pytest.mark.django_db
def test_the_api_throttle_answers_json(client, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "2/min"},
    }
    for _ in range(2):
        client.get("/api/regions/")
    response = client.get("/api/regions/")
    assert response.status_code == 429
    assert "detail" in response.json()


# --- /health/ -----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "meta",
    [
        {"REMOTE_ADDR": "203.0.113.7"},
        {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.7"},
    ],
    ids=["outside address", "through the proxy"],
)
def test_health_tells_outsiders_only_up_or_down(meta):
    response = Client(**meta).get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_health_details_for_the_internal_network(client):
    assert set(client.get("/health/").json()) == {"status", "database", "broker"}


# --- Oversized bodies -----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/complaint/", "/callback/", "/api/incidents/", "/"])
def test_an_oversized_body_is_refused_before_it_is_read(client, settings, path):
    declared = settings.MAX_REQUEST_BODY_BYTES + 1
    response = client.post(
        path, data=b"x" * 10, content_type="application/octet-stream", CONTENT_LENGTH=declared
    )
    assert response.status_code == 413


# --- Mail that can be trusted ---------------------------------------------------------------


@pytest.mark.django_db
def test_message_ids_are_random_per_row_and_stable_across_retries(settings, mailoutbox):
    settings.STAFF_NOTIFY_EMAILS = ["duty@example.org"]
    complaint = ComplaintFactory()
    first, second = (
        Notification.objects.create(kind="new_complaint", channel="email", complaint=complaint)
        for _ in range(2)
    )
    assert first.message_token != second.message_token
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    outbox.deliver(first.pk)
    outbox.resend([first.pk])
    outbox.deliver(first.pk)
    outbox.deliver(second.pk)
    ids = [m.extra_headers["Message-ID"] for m in mailoutbox]
    assert ids[0] == ids[1]  # the same row sent again: the same mail
    assert ids[2] != ids[0]
    assert first.message_token in ids[0]


class WorkerDied(BaseException):
    """What the worker's death looks like from inside deliver(): nothing after it runs."""


@pytest.mark.django_db
def test_a_message_that_kills_the_worker_ends_failed_not_retried_forever(settings, monkeypatch):
    settings.NOTIFY_MAX_ATTEMPTS = 3
    settings.STAFF_NOTIFY_EMAILS = ["duty@example.org"]
    row = Notification.objects.create(
        kind="new_complaint", channel="email", complaint=ComplaintFactory()
    )

    def dies(notification):
        raise WorkerDied

    monkeypatch.setitem(outbox.CHANNELS, "email", dies)
    for _ in range(3):
        with pytest.raises(WorkerDied):
            outbox.deliver(row.pk)
    row.refresh_from_db()
    assert (row.attempts, row.status) == (3, Notification.Status.PENDING)
    # The next redelivery finds it out of attempts: failed, visibly, and never sent again.
    assert outbox.deliver(row.pk) == (outbox.Outcome.SKIPPED, None)
    row.refresh_from_db()
    assert row.status == Notification.Status.FAILED
    assert row.last_error


# --- The client's address behind the proxy ---------------------------------------------------


@pytest.mark.django_db
def test_the_client_address_comes_from_the_trusted_proxy_only(settings, client):
    from django.http import HttpResponse

    from imi_portal.middleware import TrustedProxyMiddleware

    seen = []

    def view(request):
        seen.append(request.META["REMOTE_ADDR"])
        return HttpResponse()

    settings.TRUSTED_PROXY_NETWORKS = ["10.0.0.10/32"]
    middleware = TrustedProxyMiddleware(view)
    factory = RequestFactory()
    middleware(factory.get("/", REMOTE_ADDR="10.0.0.10", HTTP_X_FORWARDED_FOR="203.0.113.9"))
    middleware(factory.get("/", REMOTE_ADDR="198.51.100.4", HTTP_X_FORWARDED_FOR="203.0.113.9"))
    middleware(factory.get("/", REMOTE_ADDR="10.0.0.10", HTTP_X_FORWARDED_FOR="not-an-ip"))
    assert seen == ["203.0.113.9", "198.51.100.4", "10.0.0.10"]
