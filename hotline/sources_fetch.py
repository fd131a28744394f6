"""Fetching a cited web page for the source archive, guarded against server-side request
forgery: a source's address is typed by staff or comes from an import or a complaint, and
the worker that fetches it sits inside the network, next to the database, Redis and the
cloud's metadata service.

The rules, on the first request and on every redirect:
- http and https only, with a host; no user name or password in the address;
- the host is resolved once, and EVERY address it resolves to must be public (not private,
  loopback, link-local, multicast, reserved, shared or unspecified, nor such an address
  inside an IPv6 one: mapped, 6to4, Teredo, NAT64); otherwise nothing is sent;
- the connection goes to the address that was checked (the Host header and the TLS name
  are the host's), so the name cannot be resolved again to something else in between
  (DNS rebinding);
- connect and read timeouts, a deadline for the whole fetch, a cap on redirects and on the
  body's size, which is read in pieces and never held whole.

SOURCE_ARCHIVE_ALLOW_PRIVATE lets chosen private networks (optionally one port) through,
for a test server or an intranet mirror; it is empty by default.

Only the standard library is used (http.client, ssl, socket, ipaddress): nothing here needs
a client library's conveniences (cookies, pools, retries), and its connection is the one we
open to the checked address.
"""

import contextlib
import dataclasses
import http.client
import ipaddress
import socket
import ssl
import time
from collections.abc import Iterator
from urllib.parse import urljoin, urlsplit

from django.conf import settings

PIECE = 64 * 1024
REDIRECTS = {301, 302, 303, 307, 308}
USER_AGENT = "IMI-Portal-source-archive/1.0 (+copy of a cited source)"


class Kind:
    """Why a fetch failed: the values of SourceArchive.Failure."""

    SCHEME = "scheme"
    BAD_URL = "bad_url"
    BLOCKED = "blocked"
    DNS = "dns"
    CONNECT = "connect"
    TIMEOUT = "timeout"
    TLS = "tls"
    GONE = "gone"
    HTTP = "http"
    REDIRECTS = "redirects"
    TOO_LARGE = "too_large"
    PROTOCOL = "protocol"


# Retrying cannot change these: the address itself is refused.
PERMANENT = frozenset({Kind.SCHEME, Kind.BAD_URL, Kind.BLOCKED})


class FetchError(Exception):
    """A fetch that gave no copy: `kind` (Kind) and a line for staff naming the address."""

    def __init__(self, kind: str, detail: str, *, status: int | None = None):
        super().__init__(detail)
        self.kind, self.detail, self.status = kind, detail, status


@dataclasses.dataclass
class Response:
    url: str  # the address that answered, after redirects
    status: int
    content_type: str
    length: int | None
    _response: http.client.HTTPResponse
    _deadline: float
    _sock: socket.socket

    def chunks(self) -> Iterator[bytes]:
        """The body in pieces, at most SOURCE_ARCHIVE_MAX_BYTES in all; FetchError beyond
        that, on a stalled read or past the deadline."""
        cap, total = settings.SOURCE_ARCHIVE_MAX_BYTES, 0
        while True:
            _set_timeout(self._sock, settings.SOURCE_ARCHIVE_READ_TIMEOUT, self._deadline, self.url)
            try:
                piece = self._response.read1(PIECE)
            except TimeoutError as error:
                raise FetchError(Kind.TIMEOUT, f"{self.url}: the body stopped coming") from error
            except (http.client.HTTPException, OSError) as error:
                raise FetchError(Kind.PROTOCOL, f"{self.url}: the body broke off") from error
            if not piece:
                return
            total += len(piece)
            if total > cap:
                raise FetchError(
                    Kind.TOO_LARGE, f"{self.url}: larger than {cap:,} bytes, not copied"
                )
            yield piece


def _set_timeout(sock, limit: float, deadline: float, url: str) -> None:
    left = deadline - time.monotonic()
    if left <= 0:
        raise FetchError(Kind.TIMEOUT, f"{url}: took longer than the whole fetch may take")
    sock.settimeout(min(limit, left))


def _allowed_private(address, port: int) -> bool:
    """Whether SOURCE_ARCHIVE_ALLOW_PRIVATE lets this address (and port) through: entries
    are networks or addresses, each optionally with a port ("127.0.0.1:8123",
    "[::1]:8123", "10.0.0.0/8")."""
    for entry in settings.SOURCE_ARCHIVE_ALLOW_PRIVATE:
        network, _sep, wanted_port = entry.strip().rpartition(":")
        if entry.startswith("["):
            network = network.strip("[]")
        elif entry.count(":") != 1:  # a plain IPv6 network, or no port at all
            network, wanted_port = entry.strip(), ""
        try:
            if address in ipaddress.ip_network(network, strict=False) and (
                not wanted_port or int(wanted_port) == port
            ):
                return True
        except ValueError:
            continue
    return False


def _embedded(address) -> list:
    """The address and any IPv4 address carried inside an IPv6 one."""
    found = [address]
    if address.version == 6:
        found += [a for a in (address.ipv4_mapped, address.sixtofour) if a]
        if address.teredo:
            found += list(address.teredo)
        if address in ipaddress.ip_network("64:ff9b::/96"):
            found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return found


def is_public(address) -> bool:
    return all(
        a.is_global and not (a.is_multicast or a.is_reserved or a.is_unspecified)
        for a in _embedded(address)
    )


# The cloud's instance metadata (AWS, GCP, Azure, OpenStack; EC2's IPv6 one): never, not even
# when SOURCE_ARCHIVE_ALLOW_PRIVATE lets its network through.
METADATA = frozenset(map(ipaddress.ip_address, ["169.254.169.254", "fd00:ec2::254"]))


def check_address(address, port: int, url: str) -> None:
    if set(_embedded(address)) & METADATA or not (
        is_public(address) or _allowed_private(address, port)
    ):
        raise FetchError(Kind.BLOCKED, f"{url}: {address} is not a public address, not fetched")


def resolve(host: str, port: int, url: str) -> list:
    """Every address the host resolves to, each checked; FetchError if any one is not
    allowed (a name that also points inside is refused whole)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise FetchError(Kind.DNS, f"{url}: the name {host} does not resolve") from error
    addresses = []
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        check_address(address, port, url)
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise FetchError(Kind.DNS, f"{url}: the name {host} has no address")
    return addresses


def parse(url: str) -> tuple[str, str, int, str]:
    """Scheme, host, port and the request's path of an address we may fetch."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as error:
        raise FetchError(Kind.BAD_URL, f"{url}: not a valid address") from error
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise FetchError(Kind.SCHEME, f"{url}: only http and https addresses are copied")
    if not parts.hostname:
        raise FetchError(Kind.BAD_URL, f"{url}: the address has no host")
    if parts.username is not None or parts.password is not None:
        # Named without its password: the line is shown to staff.
        raise FetchError(
            Kind.BAD_URL, f"{scheme}://{parts.hostname}: an address with a password is not fetched"
        )
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return scheme, parts.hostname, port or (443 if scheme == "https" else 80), path


class _Pinned:
    """Connect to the checked address, never to whatever the name resolves to by then."""

    address: str

    def connect(self):
        self.sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _HTTP(_Pinned, http.client.HTTPConnection):
    pass


class _HTTPS(_Pinned, http.client.HTTPSConnection):
    def connect(self):
        _Pinned.connect(self)
        self.sock = self._context.wrap_socket(self.sock, server_hostname=self.host)


def _connect(scheme, host, port, addresses, url, deadline):
    last = None
    for address in addresses:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        timeout = min(settings.SOURCE_ARCHIVE_CONNECT_TIMEOUT, left)
        if scheme == "https":
            conn = _HTTPS(host, port, timeout=timeout, context=ssl.create_default_context())
        else:
            conn = _HTTP(host, port, timeout=timeout)
        conn.address = str(address)
        try:
            conn.connect()
            return conn
        except ssl.SSLError as error:
            conn.close()
            raise FetchError(Kind.TLS, f"{url}: the secure connection failed") from error
        except TimeoutError as error:
            conn.close()
            last = FetchError(Kind.TIMEOUT, f"{url}: no connection within the time allowed")
            last.__cause__ = error
        except OSError as error:
            conn.close()
            last = FetchError(Kind.CONNECT, f"{url}: the server refused the connection")
            last.__cause__ = error
    raise last or FetchError(Kind.TIMEOUT, f"{url}: no connection within the time allowed")


@contextlib.contextmanager
def open_url(url: str) -> Iterator[Response]:
    """The response to GET `url` (redirects followed, each hop checked), open while the
    block runs; FetchError for anything but a 2xx answer."""
    deadline = time.monotonic() + settings.SOURCE_ARCHIVE_DEADLINE
    seen = []
    while True:
        scheme, host, port, path = parse(url)
        addresses = resolve(host, port, url)
        conn = _connect(scheme, host, port, addresses, url, deadline)
        # Kept: http.client lets go of a connection that closes after the response (the
        # response reads on through its own file object of this same socket).
        sock = conn.sock
        try:
            _set_timeout(sock, settings.SOURCE_ARCHIVE_READ_TIMEOUT, deadline, url)
            try:
                conn.request(
                    "GET",
                    path,
                    headers={
                        "User-Agent": USER_AGENT,
                        "Accept": "text/html,application/xhtml+xml,*/*;q=0.8",
                        "Accept-Encoding": "identity",
                    },
                )
                response = conn.getresponse()
            except TimeoutError as error:
                raise FetchError(Kind.TIMEOUT, f"{url}: the server did not answer") from error
            except ssl.SSLError as error:
                raise FetchError(Kind.TLS, f"{url}: the secure connection failed") from error
            except (http.client.HTTPException, OSError) as error:
                raise FetchError(Kind.PROTOCOL, f"{url}: not a valid HTTP answer") from error
            status = response.status
            if status in REDIRECTS and response.getheader("Location"):
                seen.append(url)
                if len(seen) > settings.SOURCE_ARCHIVE_MAX_REDIRECTS:
                    raise FetchError(
                        Kind.REDIRECTS,
                        f"{seen[0]}: more than {settings.SOURCE_ARCHIVE_MAX_REDIRECTS} redirects",
                    )
                url = urljoin(url, response.getheader("Location").strip())
                continue
            if status in (404, 410):
                raise FetchError(Kind.GONE, f"{url}: the page is gone ({status})", status=status)
            if not 200 <= status < 300:
                raise FetchError(Kind.HTTP, f"{url}: the server answered {status}", status=status)
            length = response.getheader("Content-Length")
            length = int(length) if length and length.isdigit() else None
            if length is not None and length > settings.SOURCE_ARCHIVE_MAX_BYTES:
                raise FetchError(
                    Kind.TOO_LARGE,
                    f"{url}: {length:,} bytes, larger than "
                    f"{settings.SOURCE_ARCHIVE_MAX_BYTES:,}, not copied",
                )
            yield Response(
                url=url,
                status=status,
                content_type=(response.getheader("Content-Type") or "")[:100],
                length=length,
                _response=response,
                _deadline=deadline,
                _sock=sock,
            )
            return
        finally:
            conn.close()
            sock.close()
