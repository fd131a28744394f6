"""The cache behind rate limits, login lockouts and the API throttle: Redis, and a local
fallback when Redis cannot be reached.

A visitor must never see an error page because Redis is down or hangs: with Redis
unreachable, every cache call is answered by a per-process local-memory cache instead (rate
limits and lockouts keep counting, per process, which is the safe side of "not shared"), and
Redis is tried again after FAILOVER_RETRY_SECONDS. Short socket timeouts (settings) bound
what the first failed call costs; the breaker makes the following calls cost nothing.
"""

import logging
import threading
import time

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

_FAILURES = (RedisError, OSError)


class ReusingRedisCacheClient(RedisCacheClient):
    """Django's client builds a new redis.Redis for every cache call, and redis-py fills a
    table of about 170 response callbacks in each: a quarter of a millisecond, more than the
    round trip to Redis. One redis.Redis per connection pool (it is thread-safe) instead."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class FailoverRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient
        options = params.get("OPTIONS", {})
        self._retry_after = float(params.get("FAILOVER_RETRY_SECONDS", 5.0))
        self._fallback = LocMemCache(
            f"failover-{server}",
            {
                "TIMEOUT": params.get("TIMEOUT", 300),
                "KEY_PREFIX": params.get("KEY_PREFIX", ""),
                "VERSION": params.get("VERSION", 1),
                "OPTIONS": {"MAX_ENTRIES": options.get("FALLBACK_MAX_ENTRIES", 10_000)},
            },
        )
        self._lock = threading.Lock()
        self._down_until = 0.0

    def validate_key(self, key):
        """Redis takes any key: Django's check (every character of every key, for memcached's
        sake) was a third of a millisecond on a page that reads 100 keys at once."""

    @property
    def is_down(self) -> bool:
        return time.monotonic() < self._down_until

    def _failed(self, error: Exception) -> None:
        with self._lock:
            first = not self.is_down
            self._down_until = time.monotonic() + self._retry_after
        if first:
            # No key, no value: they may hold hashed client keys; the type says enough.
            logger.warning(
                "Redis cache unreachable, using the local fallback: %s", type(error).__name__
            )


def _failover(name):
    primary = getattr(RedisCache, name)
    fallback = getattr(LocMemCache, name)

    def method(self, *args, **kwargs):
        if not self.is_down:
            try:
                return primary(self, *args, **kwargs)
            except _FAILURES as error:
                self._failed(error)
        return fallback(self._fallback, *args, **kwargs)

    method.__name__ = name
    method.__doc__ = primary.__doc__
    return method


for _name in (
    "add",
    "get",
    "set",
    "touch",
    "delete",
    "get_many",
    "has_key",
    "incr",
    "set_many",
    "delete_many",
    "clear",
):
    setattr(FailoverRedisCache, _name, _failover(_name))
