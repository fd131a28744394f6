"""/health/: is the database answering, and the broker (when one is configured)?

Which part is down is told only to the internal network (HEALTH_INTERNAL_NETWORKS, asking
the web server directly, not through the proxy); everyone else gets a plain 200 or 503, so
an attacker does not learn when the database or the broker is down.
"""

import ipaddress

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:  # noqa: BLE001 -- any failure is "down"
        return False


def _broker_ok() -> bool | None:
    if not settings.CELERY_BROKER_URL:
        return None  # tasks run in-process: nothing to check
    from imi_portal.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=3)
        return True
    except Exception:  # noqa: BLE001
        return False


def _internal(request) -> bool:
    if "HTTP_X_FORWARDED_FOR" in request.META:
        return False  # came through the proxy: from outside
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(
        address in ipaddress.ip_network(net, strict=False)
        for net in settings.HEALTH_INTERNAL_NETWORKS
    )


@never_cache
def health(request):
    checks = {"database": _database_ok(), "broker": _broker_ok()}
    healthy = all(value is not False for value in checks.values())
    body = {"status": "ok" if healthy else "error"}
    if _internal(request):
        body.update(checks)
    return JsonResponse(body, status=200 if healthy else 503)
