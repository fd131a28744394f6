"""Request plumbing that the security headers need."""


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
