import datetime
import itertools
import uuid

from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext

from incidents.models import Category, Region


def said(msgid: str, language: str = "uk", **params) -> str:
    """A message as the site says it in `language`: translated and %-formatted."""
    with translation.override(language):
        text = gettext(msgid)
    return text % params if params else text


def shown(msgid: str, language: str = "uk", **params) -> str:
    """A message as a page in `language` shows it: translated, formatted, HTML-escaped."""
    return escape(said(msgid, language, **params))


_numbers = itertools.count()


def callback_post_data(**overrides) -> dict:
    """A callback request as the form sends it, from a made-up number of its own (a second
    request from one number within minutes is the first one: tests that want that say so)."""
    n = next(_numbers) % 10_000
    data = {
        "name": "Olena",
        "phone": f"(067) 555-{n // 100:02d}-{n % 100:02d}",
        "preferred_time": "any",
        "topic": "journalists_rights",
        "message": "Please call me about an accreditation refusal.",
        "consent": "on",
        "website": "",
        "submission_key": str(uuid.uuid4()),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def complaint_post_data(**overrides) -> dict:
    data = {
        "reporter_name": "Ivanna Koval",
        "outlet": "Demo Visti",
        "role": "journalist",
        "email": "ivanna@example.org",
        "phone": "+380671234567",
        "preferred_channel": "email",
        "safe_times": "weekdays after 18:00",
        "occurred_on": (timezone.localdate() - datetime.timedelta(days=2)).isoformat(),
        "region": Region.objects.get(slug="kyiv").pk,
        "place": "Khreshchatyk street",
        "category": Category.objects.get(slug="beating").pk,
        "perpetrator_type": "police",
        "description": (
            "Two police officers pushed me away from the court entrance and broke my camera "
            "while I was filming."
        ),
        "links": "https://example.org/video",
        "consent_processing": "on",
        "safety": "safe",
        "consent_publish": "on",
        "website": "",
        "submission_key": str(uuid.uuid4()),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def stored_plaintext(row) -> bytes:
    """What an evidence row's stored file decrypts to (as the staff download serves it)."""
    from hotline.vault import cipher

    return b"".join(cipher.plain_chunks(row.file, row.lock))


def assert_encrypted_at_rest(path, plaintext: bytes) -> None:
    """The bytes on disk are the vault's format and hold no run of the plaintext."""
    from hotline.vault import cipher

    stored = path.read_bytes()
    assert stored.startswith(cipher.MAGIC)
    for start in range(0, max(len(plaintext) - 16, 1), max(len(plaintext) // 8, 1)):
        assert plaintext[start : start + 16] not in stored
