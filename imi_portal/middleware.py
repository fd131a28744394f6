"""Request plumbing: the security headers, the proxy in front, oversized bodies."""

import contextlib
import logging

from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware

logger = logging.getLogger(__name__)


class SameOriginFormPostMiddleware:
    """Lets same-origin form posts through Django's CSRF origin check under
    ``Referrer-Policy: no-referrer``.

    With that policy browsers send ``Origin: null`` (and no Referer) with every form post, which
    Django's CsrfViewMiddleware rightly refuses. The browser also sends ``Sec-Fetch-Site``, a
    header no page script can set: when it says the post came from this very origin, the
    origin is put back as the request's own. Everything else is left for the CSRF check as it
    came, and the CSRF token is always checked.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        meta = request.META
        if (
            request.method == "POST"
            and meta.get("HTTP_ORIGIN") == "null"
            and meta.get("HTTP_SEC_FETCH_SITE") == "same-origin"
        ):
            meta["HTTP_ORIGIN"] = f"{request.scheme}://{request.get_host()}"
        return self.get_response(request)


class RequestBodyLimitMiddleware:
    """Refuses a request whose declared body is larger than MAX_REQUEST_BODY_BYTES before
    anything reads it, for deployments without the proxy in front (which refuses it first),
    with the site's page for it (imi_portal.error_pages), never a bare text.

    Django would otherwise read and spool a 1 GiB upload to disk before any view could say
    no. The limit sits just above the complaint form's own (five files of 10 MB plus text),
    so that form still answers with its own explanation up to there.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.conf import settings
        from django.http import HttpResponse

        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return HttpResponse("Bad Content-Length.", status=400, content_type="text/plain")
        if length > settings.MAX_REQUEST_BODY_BYTES:
            # The page nginx shows for the same refusal, in the language of the address.
            # (No "Connection: close": a WSGI application may not set it, and runserver
            # answered that with a 500.)
            from .error_pages import page_response

            return page_response("too-large", request.path_info, 413)
        return self.get_response(request)


class TrustedProxyMiddleware:
    """The client's address as the proxy in front saw it, when the request comes from that
    proxy (TRUSTED_PROXY_NETWORKS); otherwise the connecting address, whatever the request
    says. Rate limits, login lockouts and the API throttle all read REMOTE_ADDR.

    nginx (deploy/nginx) replaces X-Forwarded-For with the address it saw, so the header
    holds one address; a client talking to gunicorn directly cannot choose its own.
    """

    def __init__(self, get_response):
        import ipaddress

        from django.conf import settings

        self.networks = [
            ipaddress.ip_network(net, strict=False) for net in settings.TRUSTED_PROXY_NETWORKS
        ]
        self.get_response = get_response

    def __call__(self, request):
        import ipaddress

        meta = request.META
        forwarded = meta.get("HTTP_X_FORWARDED_FOR", "")
        if self.networks and forwarded:
            try:
                peer = ipaddress.ip_address(meta.get("REMOTE_ADDR", ""))
            except ValueError:
                peer = None
            if peer is not None and any(peer in net for net in self.networks):
                client = forwarded.split(",")[-1].strip()
                with contextlib.suppress(ValueError):  # not an address: keep the peer's
                    meta["REMOTE_ADDR"] = str(ipaddress.ip_address(client))
        return self.get_response(request)


class SessionMiddleware(DjangoSessionMiddleware):
    """Django's, except that a session that cannot be saved (the database went away after
    the view's work was committed) costs the visitor the session, never the page: the
    answer goes out without a new session cookie instead of as a 500 (issue 29: a callback
    request stored, then "Server error" because the session save failed)."""

    def process_response(self, request, response):
        from django.db import DatabaseError

        try:
            return super().process_response(request, response)
        except DatabaseError:
            logger.exception("session not saved: the answer goes out without it")
            return response


class DatabaseUnavailableMiddleware:
    """A page or form whose database is unreachable answers 503 with the site's page (the
    hotline, and how to keep what was typed), not the 500 page; the API answers in JSON
    itself (incidents.api)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from django.db import DatabaseError

        from .error_pages import page_response

        if isinstance(exception, DatabaseError) and not request.path_info.startswith("/api/"):
            logger.error("database unavailable: %s", type(exception).__name__)
            response = page_response("unavailable", request.path_info, 503)
            response["Retry-After"] = "30"
            return response
        return None
