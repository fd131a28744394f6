"""The reporter's consent, as a rule of publication rather than of staff's memory.

`check_incident_publication` is listed in settings.INCIDENT_PUBLICATION_CHECKS, so the
incidents' publish service runs it without `incidents` knowing of the hotline. It refuses an
incident made from a complaint whose reporter did not agree to publication (or withdrew it),
and one whose public text carries the reporter's personal data: their contacts always, their
name and outlet when they asked not to be named.
"""

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import Complaint

# A phone number as people write it: digits with spaces, dots, dashes or brackets between.
_PHONE_LIKE = re.compile(r"\+?\d[\d\s().-]{5,}\d")
_WORD = re.compile(r"[^\W\d_]+(?:['’ʼ-][^\W\d_]+)*")
# Words shorter than this are too common to stand for a person (initials, "of", "та").
_MIN_NAME_WORD = 3


@dataclass(frozen=True)
class Leak:
    field: str
    what: str


def _fold(text: str) -> str:
    return " ".join((text or "").replace("’", "'").replace("ʼ", "'").casefold().split())


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _name_words(name: str) -> list[str]:
    return [w for w in _WORD.findall(_fold(name)) if len(w) >= _MIN_NAME_WORD]


def _word_pattern(word: str) -> str:
    """A word in any of its inflected forms: Ukrainian changes the ending (Петренко,
    Петренка; Олена, Олену; вісті, вістей), so the stem matches at the start of a word."""
    if len(word) >= 6:
        return rf"(?<![^\W\d_]){re.escape(word[:-2])}[^\W\d_]*"
    if len(word) >= 4:
        return rf"(?<![^\W\d_]){re.escape(word[:-1])}[^\W\d_]*"
    return rf"(?<![^\W\d_]){re.escape(word)}(?![^\W\d_])"


def _mentions_name(text: str, name: str) -> bool:
    """Any word of the name, in any form: a surname alone identifies a person."""
    folded = _fold(text)
    return any(re.search(_word_pattern(word), folded) for word in _name_words(name))


def _mentions_phrase(text: str, phrase: str) -> bool:
    """All the words of the phrase in a row, each in any form (an outlet's name)."""
    words = _WORD.findall(_fold(phrase))
    if not words:
        return False
    pattern = r"[\W\d_]+".join(_word_pattern(word) for word in words)
    return re.search(pattern, _fold(text)) is not None


def _mentions_phone(text: str, phone) -> bool:
    if not phone:
        return False
    national = str(getattr(phone, "national_number", "") or _digits(str(phone)))[-9:]
    if len(national) < 6:
        return False
    return any(_digits(m).endswith(national) for m in _PHONE_LIKE.findall(text or ""))


def _mentions_email(text: str, email: str) -> bool:
    return bool(email) and email.casefold() in (text or "").casefold()


def _public_texts(incident) -> list[tuple[str, str]]:
    """Every text of the incident that a public page, a feed, the API or an export shows."""
    texts = [
        ("title", incident.title),
        ("lead", incident.lead),
        ("body", incident.body),
        ("place", incident.place),
        ("perpetrator_detail", incident.perpetrator_detail),
    ]
    if incident.pk:
        for victim in incident.victims.all():
            # A withheld name is never shown, so only its outlet and role are public.
            if not victim.is_anonymous:
                texts.append(("victims", victim.name))
            texts += [("victims", victim.outlet), ("victims", victim.role)]
        for source in incident.sources.all():
            texts += [("sources", source.url), ("sources", source.title)]
    return texts


def personal_data_leaks(incident, complaint: Complaint) -> list[Leak]:
    """Where the incident's public text identifies the reporter against their wishes."""
    leaks = []
    for field, text in _public_texts(incident):
        if not text:
            continue
        if _mentions_email(text, complaint.email):
            leaks.append(Leak(field, "email"))
        if _mentions_phone(text, complaint.phone):
            leaks.append(Leak(field, "phone"))
        if complaint.anonymous:
            if _mentions_name(text, complaint.reporter_name):
                leaks.append(Leak(field, "name"))
            if _mentions_phrase(text, complaint.outlet):
                leaks.append(Leak(field, "outlet"))
    return list(dict.fromkeys(leaks))


WHAT = {
    "email": _("the reporter's e-mail"),
    "phone": _("the reporter's phone number"),
    "name": _("the name of a reporter who asked not to be named"),
    "outlet": _("the outlet of a reporter who asked not to be named"),
}
FIELD = {
    "title": _("title"),
    "lead": _("lead"),
    "body": _("body"),
    "place": _("place"),
    "perpetrator_detail": _("perpetrator details"),
    "victims": _("victims"),
    "sources": _("sources"),
}


def check_incident_publication(incident) -> None:
    """Raise ValidationError when this incident may not be made public (see the module)."""
    if not incident.pk:
        return
    complaint = Complaint.objects.filter(incident_id=incident.pk).first()
    if complaint is None:
        return
    if not complaint.consent_publish:
        raise ValidationError(
            _(
                "Not published: the reporter of %(complaint)s did not agree to publication"
                " or withdrew their consent."
            )
            % {"complaint": complaint},
            code="no_consent",
        )
    leaks = personal_data_leaks(incident, complaint)
    if leaks:
        raise ValidationError(
            [
                ValidationError(
                    _("Not published: the field “%(field)s” contains %(what)s."),
                    params={"field": FIELD[leak.field], "what": WHAT[leak.what]},
                    code="personal_data",
                )
                for leak in leaks
            ]
        )
