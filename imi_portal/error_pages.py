"""The pages for requests the site could not serve, in the site's design and language, with
the hotline and a word about what the visitor typed (issues 28 and 29).

Each page is one template under templates/errors/, needing no request, no database and no
cache. Django renders them itself (the middleware refusing an oversized body under runserver
and gunicorn; the 500 handler), and collectstatic writes them as static files
(`SiteStaticStorage`) for nginx's `error_page`: 411, 413, and 502/503/504 when gunicorn is
down or slow. The language is the address's: `/en/...` is English, anything else Ukrainian.
"""

import logging

from django.conf import settings
from django.core.files.base import ContentFile
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import get_language_from_path
from whitenoise.storage import CompressedManifestStaticFilesStorage

from .context_processors import _hotline

logger = logging.getLogger(__name__)

# kind -> template; collectstatic writes static/errors/<kind>.<language>.html (deploy/nginx).
PAGES = {
    "too-large": "errors/too_large.html",
    "length-required": "errors/length_required.html",
    "too-many": "errors/too_many.html",
    "unavailable": "errors/unavailable.html",
    "server-error": "errors/server_error.html",
}


def language_of(path: str) -> str:
    return get_language_from_path(path) or settings.LANGUAGE_CODE


def render_page(kind: str, language: str) -> str:
    prefix = "" if language == settings.LANGUAGE_CODE else f"/{language}"
    with translation.override(language):
        return render_to_string(
            PAGES[kind],
            {
                "language": language,
                "hotline": _hotline(),
                "max_size": settings.MAX_REQUEST_BODY_BYTES,
                "home_url": f"{prefix}/",
                "form_url": f"{prefix}/complaint/",
            },
        )


def page_response(kind: str, path: str, status: int) -> HttpResponse:
    response = HttpResponse(render_page(kind, language_of(path)), status=status)
    response["Cache-Control"] = "no-store"
    return response


def server_error(request):
    """handler500: the site's page, never Django's bare one, whatever else is down."""
    try:
        return page_response("server-error", request.path_info, 500)
    except Exception:  # the page itself failed (a broken install): a plain answer, not a loop
        logger.exception("the 500 page could not be rendered")
        return HttpResponse(
            f"Помилка сервера / Server error. {settings.HOTLINE_PHONE}",
            status=500,
            content_type="text/plain; charset=utf-8",
        )


class SiteStaticStorage(CompressedManifestStaticFilesStorage):
    """whitenoise's storage, which also writes the error pages once the files they link to
    have their final (hashed) names."""

    def post_process(self, *args, **kwargs):
        yield from super().post_process(*args, **kwargs)
        if kwargs.get("dry_run"):
            return
        for kind in PAGES:
            for language, _name in settings.LANGUAGES:
                name = f"errors/{kind}.{language}.html"
                if self.exists(name):
                    self.delete(name)
                self._save(name, ContentFile(render_page(kind, language).encode()))
                yield name, name, True
