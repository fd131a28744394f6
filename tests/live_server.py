"""The browser tests' live server on the embedded default: one request at a time.

pytest-django's live server is Django's threaded test server, and with SQLite's in-memory
test database every one of its request threads shares the one connection of the test (it is
the only way they see the same data). Two requests at once then interleave their
transactions on it: a chunk of a large upload being written while the quick exit tells the
server to forget it failed the second with "OperationalError", now and then, in CI. Here a
lock is held from the application's call until its response is closed, so the requests take
turns, while connections (a browser keeps several open) are still served by their own
threads. With PostgreSQL each thread has its own connection and nothing is serialized.
"""

import threading

from django.core.servers.basehttp import ThreadedWSGIServer


class _Released:
    """The response's body, passed through; the lock goes with its close()."""

    def __init__(self, result, release):
        self._result, self._release = result, release

    def __iter__(self):
        return iter(self._result)

    def close(self):
        try:
            if hasattr(self._result, "close"):
                self._result.close()
        finally:
            self._release()


class OneRequestAtATime(ThreadedWSGIServer):
    # A turn longer than this is a stuck request: the next one goes on rather than hang.
    TURN_SECONDS = 30

    def set_app(self, application):
        if not self.connections_override:
            return super().set_app(application)
        lock = threading.Lock()

        def serialized(environ, start_response):
            held = [lock.acquire(timeout=self.TURN_SECONDS)]

            def release():  # once, whoever calls it first
                if held.pop() if held else False:
                    lock.release()

            try:
                return _Released(application(environ, start_response), release)
            except BaseException:
                release()
                raise

        return super().set_app(serialized)
