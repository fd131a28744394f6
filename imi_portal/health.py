"""/health/: is the database answering, and the broker (when one is configured)?"""

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


@never_cache
def health(request):
    checks = {"database": _database_ok(), "broker": _broker_ok()}
    healthy = all(value is not False for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503
    )
