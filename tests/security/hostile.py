"""Hostile values and payloads shared by the security tests."""

import re
from html.parser import HTMLParser

from hypothesis import strategies as st

MEGABYTE = 1024 * 1024

# Characters that break naive code: NUL, C0/C1 controls, bidi overrides, zero-width and
# byte-order marks, line separators, combining marks, non-characters, the last code point,
# astral symbols, case-mapping oddities, an ANSI escape and a CRLF.
ODD_CHARACTERS = [
    "\x00",
    "\x07",
    "\x1b",
    "\x7f",
    "\x85",
    "\x9f",
    "\u202e",
    "\u2066",
    "\u200b",
    "\u200d",
    "\ufeff",
    "\u2028",
    "\u2029",
    "\u0301",
    "\ufdd0",
    "\ufffe",
    "\uffff",
    "\U0010ffff",
    "\U0001f4f7",
    "\U0001d54f",
    "İ",
    "ß",
    "ǅ",
    "ﷺ",
    "\r\n",
    "\t",
    "\x1b[31m",
    "'",
    '"',
    "\\",
    "%",
    "%00",
    "&amp;",
    "<",
    ">",
]

# Any unicode text (Hypothesis leaves out lone surrogates: they cannot be sent as UTF-8).
any_text = st.text(max_size=300)
control_text = st.text(alphabet=st.characters(max_codepoint=0x9F), max_size=200)
odd_text = st.lists(st.sampled_from(ODD_CHARACTERS), max_size=40).map("".join)
huge_text = st.sampled_from(
    [
        "A" * MEGABYTE,
        "я" * (MEGABYTE // 2),  # one megabyte of UTF-8 in two-byte characters
        "\U0001f4f7" * (MEGABYTE // 4),
        ("\u202e<script>" * 1000),
    ]
)
# What a field of another type receives: numbers out of range, malformed dates and
# booleans, SQL, paths, markup, JSON.
wrong_type_values = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "-1",
            "0",
            "1.5",
            "1e309",
            "NaN",
            "-0",
            "99999999999999999999999999",
            "0x10",
            "true",
            "false",
            "off",
            "None",
            "null",
            "[]",
            '{"a": 1}',
            "0000-00-00",
            "2024-02-30",
            "31.02.2024",
            "9999-12-31",
            "0001-01-01",
            "2024-13-01",
            "1991-01-01T00:00:00",
            "'; DROP TABLE hotline_complaint; --",
            "' OR '1'='1",
            "../../etc/passwd",
            "<script>alert(1)</script>",
            "{{7*7}}",
            "${7*7}",
        ]
    ),
    st.integers().map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.dates().map(lambda d: d.isoformat()),
)

hostile_value = st.one_of(any_text, control_text, odd_text, wrong_type_values, huge_text)
# The same without megabyte values: for URLs, where each is tried once by itself instead
# (percent-encoded, a megabyte of Cyrillic is six).
small_hostile_value = st.one_of(any_text, control_text, odd_text, wrong_type_values)
# A field sent several times (key=a&key=b).
hostile_values = st.one_of(hostile_value, st.lists(hostile_value, min_size=2, max_size=3))


# --- XSS payloads ------------------------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
JS_URL = "javascript:alert(1)"
TEXTAREA = "</textarea><svg onload=alert(1)>"
TEMPLATE = "{{7*7}}"
PAYLOADS = [SCRIPT, IMG, TEXTAREA, TEMPLATE, "'><svg/onload=alert(1)>", JS_URL]
# All of them in one value.
ALL_PAYLOADS = " ".join(PAYLOADS)
# For fields of at most 120 characters (names).
SHORT_PAYLOADS = f"{SCRIPT}{IMG}{TEMPLATE}{TEXTAREA}"
assert len(SHORT_PAYLOADS) <= 120


class _TagCollector(HTMLParser):
    """The elements and attributes a browser would build from the page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems = []
        self._in_script = self._json = False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            value = (value or "").strip()
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…>")
            if name in {"href", "src", "action", "formaction", "data", "xlink:href"} and re.match(
                r"^\s*(javascript|vbscript|data:text/html)", value, re.IGNORECASE
            ):
                self.problems.append(f"<{tag} {name}={value}>")
        if tag in {"iframe", "object", "embed"}:
            self.problems.append(f"<{tag}>")
        if tag == "img" and dict(attrs).get("src") == "x":
            self.problems.append("<img src=x>")
        self._in_script = tag == "script"
        # json_script blocks are data, not code: but "<" must not appear raw inside them.
        self._json = tag == "script" and dict(attrs).get("type") == "application/json"

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        self._in_script = False

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script and self._json and "<" in data:
            self.problems.append(f"unescaped < in JSON script: {data[:40]}")
        elif self._in_script and not self._json and "alert(" in data:
            self.problems.append(f"<script>{data[:40]}")


def raw_markup_in(html: str) -> list[str]:
    """What of the payloads reached the page as markup (elements, handlers, script URLs)
    rather than as text. Parsed as a browser would, so an escaped payload inside an attribute
    value or text is not reported."""
    collector = _TagCollector()
    collector.feed(html)
    collector.close()
    return collector.problems
