"""The cache behind rate limits and lockouts answers from local memory while Redis is
unreachable: a real closed port and a real socket that never answers, no stubs."""

import pytest
from django.core.cache import caches
from redis.backoff import NoBackoff
from redis.retry import Retry

from imi_portal.cache import FailoverRedisCache
from tests.hotline.live_site import HangingServer
from tests.hotline.worker_support import free_port

from .test_staff_login import enrolled, password_step, required, staff  # noqa: F401 -- fixtures


def cache_at(port: int) -> FailoverRedisCache:
    return FailoverRedisCache(
        f"redis://127.0.0.1:{port}/0",
        {
            "KEY_PREFIX": "failover-test",
            "FAILOVER_RETRY_SECONDS": 30,
            "OPTIONS": {
                "socket_connect_timeout": 0.3,
                "socket_timeout": 0.3,
                "retry": Retry(NoBackoff(), 0),
            },
        },
    )


@pytest.mark.parametrize("fault", ["closed port", "never answers"])
def test_counting_goes_on_locally_while_redis_is_unreachable(fault):
    port = free_port()
    server = HangingServer(port).__enter__() if fault == "never answers" else None
    try:
        cache = cache_at(port)
        assert cache.add("hits", 1, 60) is True
        assert cache.incr("hits") == 2
        assert cache.get("hits") == 2
        assert cache.get_many(["hits", "other"]) == {"hits": 2}
        cache.set("x", "y")
        assert cache.has_key("x")
        cache.delete("x")
        assert cache.get("x") is None
        assert cache.is_down  # and Redis is not asked again until the retry time
    finally:
        if server:
            server.__exit__(None, None, None)


@pytest.mark.django_db
def test_staff_lockout_still_works_with_redis_down(client, required, staff, settings):  # noqa: F811
    settings.CACHES = {
        "default": {
            "BACKEND": "imi_portal.cache.FailoverRedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.3, "socket_timeout": 0.3},
        }
    }
    assert isinstance(caches["default"], FailoverRedisCache)
    enrolled(staff)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert password_step(client, password="wrong").status_code == 200
    assert password_step(client, password="wrong").status_code == 429  # locked, not a 500
