"""Every interface text in the reader's language (issue 18): the catalogues are complete, and
no page shows a Ukrainian reader an English interface string, or an English reader a
Ukrainian one. Text in an element marked with another `lang` (an article written in the
other language, the language switch) is the content's, not the interface's, and is skipped.
"""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.utils.translation import trans_real

from tests.incidents.factories import IncidentFactory, VictimFactory
from tests.incidents.pages import parse

LOCALE = Path(settings.BASE_DIR) / "locale"


@pytest.mark.skipif(not shutil.which("msgfmt"), reason="needs GNU gettext's msgfmt")
def test_the_catalogues_compile_with_nothing_empty_or_fuzzy():
    for catalogue in sorted(LOCALE.glob("*/LC_MESSAGES/*.po")):
        language = catalogue.parts[-3]
        result = subprocess.run(
            ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(catalogue)],
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stderr
        if language == "en":
            continue  # the source language: its strings are the msgids themselves
        assert "fuzzy" not in result.stderr, f"{language}: {result.stderr.strip()}"
        assert "untranslated" not in result.stderr, f"{language}: {result.stderr.strip()}"


def interface_strings() -> dict[str, set[str]]:
    """What each language's interface says that the other's does not: the English source
    strings (for a Ukrainian page) and their Ukrainian translations (for an English one)."""
    catalogue = trans_real.translation("uk")._catalog
    english, ukrainian = set(), set()
    for msgid, msgstr in catalogue.items():
        if not isinstance(msgid, str) or not msgid or msgid == msgstr or "%" in msgid:
            continue
        if len(msgid) < 4 or not re.search(r"[A-Za-z]{3}", msgid):
            continue
        english.add(msgid)
        ukrainian.add(msgstr)
    return {"uk": english, "en": ukrainian}


def texts_in_language(node, page_language, inherited=None):
    """The text nodes of `node` in the page's own language (not inside another lang)."""
    language = (
        node.attrs.get("lang", inherited or page_language) if hasattr(node, "attrs") else inherited
    )
    if node.tag in ("script", "style", "template", "code"):
        return  # not read as words: scripts, and identifiers (field names, parameters)
    if language.split("-")[0] == page_language:  # what screen readers and tooltips say
        for name in ("aria-label", "title", "placeholder", "alt"):
            if node.attrs.get(name, "").strip():
                yield " ".join(node.attrs[name].split())
        if node.tag == "input" and node.attrs.get("type") in ("submit", "button", "reset"):
            yield " ".join(node.attrs.get("value", "").split())  # a button's words
    for child in node.children:
        if isinstance(child, str):
            if language.split("-")[0] == page_language and child.strip():
                yield " ".join(child.split())
        else:
            yield from texts_in_language(child, page_language, language)


PAGES = [
    "/",
    "/incidents/",
    "/incidents/{slug}/",
    "/stats/?date_from=2024-01-01&date_to=2024-12-31",
    "/callback/",
    "/complaint/",
    "/support/",
    "/privacy/",
    "/incidents/export/sdg-16-10-1/",
]


@pytest.mark.django_db
def test_no_interface_string_in_the_other_language(client):
    incident = IncidentFactory(slug="translated-check", language="uk")
    VictimFactory(incident=incident)
    wrong = interface_strings()
    found = []
    for language, prefix in (("uk", ""), ("en", "/en")):
        for path in PAGES:
            address = prefix + path.format(slug=incident.slug)
            response = client.get(address, follow=True)
            assert response.status_code == 200, address
            found += [
                (address, text)
                for text in texts_in_language(parse(response).find("html"), language)
                if text in wrong[language]
            ]
        # The forms after a mistake: their errors and warnings too.
        for path in ("/callback/", "/complaint/"):
            response = client.post(prefix + path, {"name": "", "description": "x"})
            found += [
                (f"POST {prefix}{path}", text)
                for text in texts_in_language(parse(response).find("html"), language)
                if text in wrong[language]
            ]
    assert found == [], "\n".join(f"{where}: {text!r}" for where, text in found)


def said_in_js(text: str) -> str:
    """`text` as the script catalogue writes it (JSON, non-ASCII escaped)."""
    return json.dumps(text)[1:-1]


def staff_reading(language: str):
    """A superuser whose admin is in `language` (their staff profile's choice)."""
    from hotline.models import StaffProfile
    from tests.incidents.factories import UserFactory

    user = UserFactory(is_staff=True, is_superuser=True)
    StaffProfile.objects.update_or_create(user=user, defaults={"language": language})
    return user


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["uk", "en"])
def test_the_admin_forms_staff_publish_from_speak_the_staff_members_language(client, language):
    """The incident editor's own submit row ("Save and publish now", "Save and schedule",
    its publication fieldset) and the complaint page, in the staff member's language."""
    from tests.hotline.factories import ComplaintFactory

    client.force_login(staff_reading(language))
    draft = IncidentFactory(draft=True, title="Напад на знімальну групу", lead="Вступ до статті")
    complaint = ComplaintFactory()
    wrong = interface_strings()[language]
    found = []
    for address in (
        "/admin/incidents/incident/add/",
        f"/admin/incidents/incident/{draft.pk}/change/",
        f"/admin/hotline/complaint/{complaint.pk}/change/",
    ):
        response = client.get(address)
        assert response.status_code == 200, address
        found += [
            (address, text)
            for text in texts_in_language(parse(response).find("html"), language)
            if text in wrong
        ]
    assert found == [], "\n".join(f"{where}: {text!r}" for where, text in found)


@pytest.mark.django_db
def test_the_admin_scripts_speak_ukrainian_where_djangos_catalogue_is_empty(client):
    """The category selector read "Choose категорії by selecting them": Django's Ukrainian
    catalogue for the admin's scripts leaves those texts empty; the project's fills them."""
    from django.test import Client

    client.force_login(staff_reading("uk"))
    script = client.get("/admin/jsi18n/").content.decode()
    assert said_in_js("Вибрати всі: %s") in script
    assert said_in_js("Виберіть %s: позначте їх") in script
    assert said_in_js("Зберегти") in script  # Django's own Ukrainian is still there
    english = Client()
    english.force_login(staff_reading("en"))
    assert said_in_js("Вибрати всі") not in english.get("/admin/jsi18n/").content.decode()
