"""Pages for a request nobody may read: one template (templates/errors/too_large.html),
rendered the same way by the middleware that refuses an oversized body under runserver and
gunicorn, and written as static files by collectstatic (SiteStaticStorage) for nginx's
`error_page 413`, in each of the site's languages. It needs no request and no database."""

from django.conf import settings
from django.core.files.base import ContentFile
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import get_language_from_path
from whitenoise.storage import CompressedManifestStaticFilesStorage

from .context_processors import _hotline

TOO_LARGE = "errors/too-large.{language}.html"


def language_of(path: str) -> str:
    return get_language_from_path(path) or settings.LANGUAGE_CODE


def render_too_large(language: str) -> str:
    prefix = "" if language == settings.LANGUAGE_CODE else f"/{language}"
    with translation.override(language):
        return render_to_string(
            "errors/too_large.html",
            {
                "language": language,
                "hotline": _hotline(),
                "max_size": settings.MAX_REQUEST_BODY_BYTES,
                "home_url": f"{prefix}/",
                "form_url": f"{prefix}/complaint/",
            },
        )


class SiteStaticStorage(CompressedManifestStaticFilesStorage):
    """whitenoise's storage, which also writes the error pages once the files they link to
    have their final (hashed) names."""

    def post_process(self, *args, **kwargs):
        yield from super().post_process(*args, **kwargs)
        if kwargs.get("dry_run"):
            return
        for language, _name in settings.LANGUAGES:
            name = TOO_LARGE.format(language=language)
            if self.exists(name):
                self.delete(name)
            self._save(name, ContentFile(render_too_large(language).encode()))
            yield name, name, True
