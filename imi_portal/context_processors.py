import functools

import phonenumbers
from django.conf import settings
from django.core.signals import setting_changed
from django.urls import get_script_prefix, get_urlconf, reverse, translate_url
from django.utils import translation
from django.utils.functional import SimpleLazyObject


def _hotline():
    number = phonenumbers.parse(settings.HOTLINE_PHONE, "UA")
    national = f"0{number.national_number}"
    if number.country_code == 380 and len(national) == 10:
        # The way Ukrainians write it, and the seed page shows it: (050) 447-70-63.
        display = f"({national[:3]}) {national[3:6]}-{national[6:8]}-{national[8:]}"
    else:
        display = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return {
        "display": display,
        "tel": phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
    }


def _language_links(request):
    # The query is the same in every language: the path alone is translated.
    path, mark, query = request.get_full_path().partition("?")
    where = (translation.get_language(), get_urlconf(), get_script_prefix())
    return [
        {"code": code, "name": name, "url": _translated(path, code, *where) + mark + query}
        for code, name in settings.LANGUAGES
    ]


@functools.lru_cache(maxsize=4096)
def _translated(path: str, code: str, *where) -> str:
    """translate_url of a path, once per path, language, URLconf and script prefix (`where`:
    what resolving and reversing it depend on): it was a twentieth of a page's miss."""
    return translate_url(path, code)


def _forget(**kwargs):
    _translated.cache_clear()


setting_changed.connect(_forget, dispatch_uid="language-links-forget")


def _donate_url() -> str:
    return settings.DONATE_URL or reverse("support")


def site_wide() -> dict:
    """What every page shows from the settings alone: the hotline, the donation link."""
    return {"hotline": _hotline(), "donate_url": _donate_url()}


def site(request):
    """Site-wide facts every page shows: the hotline, the donation link, the other language."""
    return {
        "hotline": SimpleLazyObject(_hotline),
        "donate_url": _donate_url(),
        # IMI's own donation page, when one is configured (the support page links to it).
        "donation_page": settings.DONATE_URL,
        # Where "Leave this site quickly" goes (the hotline's pages).
        "quick_exit_url": settings.QUICK_EXIT_URL,
        "language_links": SimpleLazyObject(lambda: _language_links(request)),
    }
