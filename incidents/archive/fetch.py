"""A feed read from an address, carefully: http and https only, a time limit per read, at
most MAX_REDIRECTS redirects, at most ARCHIVE_FETCH_MAX_BYTES, and never a private,
loopback or link-local address (each hop's address is checked, and the connection is made
to the address checked) unless ARCHIVE_FETCH_ALLOW_PRIVATE is set (the tests' local server).
Self-contained on purpose: the hotline's source archiving has its own fetcher."""

import http.client
import ipaddress
import socket
import ssl
from typing import IO
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

MAX_REDIRECTS = 5
TIMEOUT = 15


class FetchError(Exception):
    pass


def _address(host: str, port: int) -> str:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as error:
        raise FetchError(
            _("The address's host is not found (%(error)s).") % {"error": error}
        ) from None
    allow = getattr(settings, "ARCHIVE_FETCH_ALLOW_PRIVATE", False)
    for info in infos:
        sockaddr = info[4]
        ip = ipaddress.ip_address(sockaddr[0])
        if allow or ip.is_global:
            return sockaddr[0]
    raise FetchError(_("The address points into a private network: refused."))


class _Connection(http.client.HTTPConnection):
    def __init__(self, host, port, ip, **kwargs):
        super().__init__(host, port, **kwargs)
        self._ip = ip

    def connect(self):
        self.sock = socket.create_connection((self._ip, self.port), self.timeout)


class _TLSConnection(http.client.HTTPSConnection):
    def __init__(self, host, port, ip, **kwargs):
        super().__init__(host, port, context=ssl.create_default_context(), **kwargs)
        self._ip = ip

    def connect(self):
        sock = socket.create_connection((self._ip, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def fetch(url: str, into: IO[bytes]) -> str:
    """Write the body at `url` into `into`; returns the address it was finally read from."""
    limit = getattr(settings, "ARCHIVE_FETCH_MAX_BYTES", 500 * 1024 * 1024)
    for _hop in range(MAX_REDIRECTS + 1):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchError(_("Only http and https addresses can be read."))
        port = parts.port or (443 if parts.scheme == "https" else 80)
        ip = _address(parts.hostname, port)
        kind = _TLSConnection if parts.scheme == "https" else _Connection
        connection = kind(parts.hostname, port, ip, timeout=TIMEOUT)
        try:
            path = parts.path or "/"
            connection.request(
                "GET",
                path + (f"?{parts.query}" if parts.query else ""),
                headers={"User-Agent": "IMI-Portal archive import", "Accept-Encoding": "identity"},
            )
            response = connection.getresponse()
            if response.status in (301, 302, 303, 307, 308):
                location = response.getheader("Location")
                if not location:
                    raise FetchError(_("A redirect without an address."))
                url = urljoin(url, location)
                continue
            if response.status != 200:
                raise FetchError(_("The server answered %(status)s.") % {"status": response.status})
            length = response.getheader("Content-Length")
            if length and length.isdigit() and int(length) > limit:
                raise FetchError(_("The feed is larger than %(limit)s bytes.") % {"limit": limit})
            read = 0
            while chunk := response.read(64 * 1024):
                read += len(chunk)
                if read > limit:
                    raise FetchError(
                        _("The feed is larger than %(limit)s bytes.") % {"limit": limit}
                    )
                into.write(chunk)
            return url
        except (OSError, http.client.HTTPException) as error:
            raise FetchError(
                _("The feed could not be read (%(error)s).") % {"error": error}
            ) from None
        finally:
            connection.close()
    raise FetchError(
        _("More than %(count)s redirects: the address redirects in a loop.")
        % {"count": MAX_REDIRECTS}
    )
