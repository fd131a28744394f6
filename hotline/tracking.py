"""Tracking codes: random, readable over the phone, stored only as a keyed hash.

Crockford's base32 alphabet (no I, L, O, U), 16 symbols = 80 bits, shown as
XXXX-XXXX-XXXX-XXXX. Codes given out before were 12 symbols (60 bits): they keep working.
Reading back forgives case, spaces, dashes and the look-alikes O/0 and I/L/1. The database
holds an HMAC keyed by SECRET_KEY, so a leaked database alone reveals no code; codes made
under a previous key keep working while it is listed in SECRET_KEY_FALLBACKS.
"""

import re
import secrets

from django.conf import settings
from django.utils.crypto import salted_hmac

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 16
# Every length a code was ever given out with (the first codes had 12 symbols).
LENGTHS = frozenset({12, LENGTH})
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SALT = "hotline.tracking-code"


def generate() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, LENGTH, 4))


def normalise(code: str) -> str | None:
    """The canonical form of what someone typed, or None if it cannot be a code."""
    cleaned = re.sub(r"[\s\-‐-―]", "", code or "").upper().translate(_LOOKALIKES)
    if len(cleaned) not in LENGTHS or any(ch not in ALPHABET for ch in cleaned):
        return None
    return cleaned


def display(code: str) -> str:
    """The canonical code in groups of four, as it is shown and read aloud."""
    canonical = normalise(code) or ""
    return "-".join(canonical[i : i + 4] for i in range(0, len(canonical), 4))


def same(typed: str, code: str) -> bool:
    """Whether what someone typed is this code (forgiving like every lookup)."""
    return normalise(typed) is not None and secrets.compare_digest(
        normalise(typed), normalise(code) or ""
    )


def digest(code: str, secret: str | None = None) -> str:
    canonical = normalise(code)
    if canonical is None:
        raise ValueError("not a tracking code")
    secret = secret or settings.SECRET_KEY
    return salted_hmac(_SALT, canonical, secret=secret, algorithm="sha256").hexdigest()


def candidate_digests(code: str) -> list[str]:
    """Digests under the current key and every fallback key, for lookups."""
    secrets_in_use = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return [digest(code, secret) for secret in secrets_in_use]
