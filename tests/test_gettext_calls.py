"""Every text shown to people is in the catalogues: makemessages (xgettext) cannot see a
gettext call inside an f-string, so such a text is never translated. The Ukrainian monthly
barometer went out with English headings ("Regions", "Notable cases") that way."""

import ast
from pathlib import Path

BASE = Path(__file__).resolve().parent.parent
GETTEXT = {"_", "gettext", "gettext_lazy", "ngettext", "ngettext_lazy", "pgettext", "pgettext_lazy"}


def calls_in_fstrings(source: str) -> list[int]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.JoinedStr):
            for inner in ast.walk(node):
                if (
                    isinstance(inner, ast.Call)
                    and isinstance(inner.func, ast.Name)
                    and inner.func.id in GETTEXT
                ):
                    found.append(inner.lineno)
    return found


def test_no_text_is_translated_inside_an_f_string():
    offenders = []
    for folder in ("incidents", "hotline", "imi_portal", "demo"):
        for path in sorted((BASE / folder).rglob("*.py")):
            for line in calls_in_fstrings(path.read_text()):
                offenders.append(f"{path.relative_to(BASE)}:{line}")
    assert offenders == []


def test_the_check_finds_a_call_inside_an_f_string():
    assert calls_in_fstrings("x = f'## {_(\"Regions\")}'") == [1]
    assert calls_in_fstrings("heading = _('Regions')\nx = f'## {heading}'") == []
