"""Whether a text names a person: the one owner of that matching (issue 26).

IMI writes about the same person in Ukrainian and in English, in every grammatical case,
and people spell their own names in whichever romanisation their passport, their bank or
their habit gave them: Мельничук, Мельничука, Мельничуком, Melnychuk, Mel'nychuk,
Mel′ničuk, Melnichuk. A check that compares the spelling the reporter typed with the text
found none of those. Here every word, of the name and of the text, is folded to one key
that the common romanisations share with Cyrillic:

- letters that the systems write differently fold to one class: г ґ х g h kh x → H,
  ж zh ž → Z, ц ч ts c ch č tch tsch cz → C, ш щ sh shch sch š ŝ šč → S, и і ї й y j ı → i,
  є ye ie je ê → ie, ю yu iu ju û → iu, я ya ia ja â → ia; soft signs and apostrophes go;
  a letter written twice counts once (Ганна, Hanna, Hana);
- a Cyrillic word of the text is also read through its dictionary forms (pymorphy3's
  Ukrainian dictionary, the one search uses: Ользі → ольга, Мельничуком → мельничук);
- a name word also matches its key followed by a Ukrainian case ending (Оксан|ою,
  Oksan|oiu; Петренк|а; Ковальськ|ого), so forms the dictionary does not know match too.

Keys are computed in Python from the text, so SQLite and PostgreSQL match the same.

How sure a match is, is the caller's rule (hotline.services.consent): inside the story a reporter's
own complaint is about, any word of the name counts; elsewhere only the full name, or a
name with the outlet. A name that is also an everyday word (COMMON_WORD_NAMES: Надія,
Віра, Любов are "hope", "faith", "love"; Коваль is a smith) counts where the text writes
it as a name — capitalised, or in lower case right beside another word of the name, as an
address does ("nadiia-koval", "надія-коваль") — so "надія на справедливість" never stops
an article, and "Надія", "з Надією" or "надія коваль" always does. Initials and one-letter
words never count: they identify nobody on their own; a name of two or three letters (Ян)
counts only whole and capitalised.
"""

import dataclasses
import functools
import re
import unicodedata

from . import search

# Longest first: a digraph is read before its letters.
_FOLD = {
    # Cyrillic
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "H",
    "ґ": "H",
    "д": "d",
    "е": "e",
    "є": "ie",
    "ж": "Z",
    "з": "z",
    "и": "i",
    "і": "i",
    "ї": "ii",
    "й": "i",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "H",
    "ц": "C",
    "ч": "C",
    "ш": "S",
    "щ": "S",
    "ь": "",
    "ъ": "",
    "ю": "iu",
    "я": "ia",
    "ё": "io",
    "ы": "i",
    "э": "e",
    # Latin digraphs and letters with marks, as the romanisations write them
    "shch": "S",
    "tsch": "C",
    "sch": "S",
    "shh": "S",
    "šč": "S",
    "tch": "C",
    "zh": "Z",
    "kh": "H",
    "ch": "C",
    "sh": "S",
    "ts": "C",
    "cz": "C",
    "gh": "H",
    "ŝ": "S",
    "š": "S",
    "č": "C",
    "ž": "Z",
    "ğ": "H",
    "ĭ": "i",
    "ȳ": "i",
    "ı": "i",
    "â": "ia",
    "û": "iu",
    "ê": "ie",
    "ï": "ii",
    "ì": "i",
    "c": "C",
    "g": "H",
    "h": "H",
    "x": "H",
    "j": "i",
    "y": "i",
    "w": "v",
    "q": "k",
}
_LONGEST = max(len(key) for key in _FOLD)
_VOWELS = frozenset("aeiou")
# A word of a text or a name: letters, with apostrophes (and the marks some romanisations
# use for the soft sign) inside. Hyphens split: Петренко-Коваль is two names.
WORD = re.compile(r"(?:[^\W\d_]|[\u0300-\u036f])+(?:['’ʼʹ′`]+(?:[^\W\d_]|[\u0300-\u036f])+)*")
_MARKS = re.compile(r"['’ʼʹ′`]")
# Ukrainian case endings, as keys: what follows a name's stem in its other forms.
ENDINGS = (
    "a",
    "ia",
    "u",
    "iu",
    "i",
    "e",
    "o",
    "ovi",
    "evi",
    "ievi",
    "om",
    "em",
    "iem",
    "oiu",
    "eiu",
    "ieiu",
    "ie",
    "oHo",
    "eHo",
    "omu",
    "emu",
    "oi",
    "ei",
    "im",
    "iH",
    "ami",
    "iami",
    "aH",
    "iaH",
    "s",  # English possessive: Melnychuk's
)
# A name word shorter than this (in letters) is an initial or a particle: never matched.
MIN_NAME_LETTERS = 2
# Name words this short match only whole and capitalised (Ян, Лі), never by stem.
SHORT_NAME_LETTERS = 3
# In a text, two words of one name within this many words of each other are "the name".
NEAR = 3


def _collapse(key: str) -> str:
    return re.sub(r"(.)\1+", r"\1", key)


@functools.lru_cache(maxsize=100_000)
def fold(word: str) -> str:
    """The key of one word: the same for its Cyrillic spelling and its romanisations."""
    text = _MARKS.sub("", word.casefold())
    out, position = [], 0
    while position < len(text):
        for size in range(min(_LONGEST, len(text) - position), 0, -1):
            piece = text[position : position + size]
            if piece in _FOLD:
                out.append(_FOLD[piece])
                position += size
                break
        else:
            letter = text[position]
            plain = "".join(
                c for c in unicodedata.normalize("NFKD", letter) if not unicodedata.combining(c)
            )
            out.append(_FOLD.get(plain, plain) if plain != letter else letter)
            position += 1
    return _collapse("".join(out))


def _stem(key: str) -> str:
    return key.rstrip("aeiou") or key


@functools.lru_cache(maxsize=200_000)
def name_keys(word: str) -> frozenset[str]:
    """Every key a text word may have to name this name word: its own, its dictionary
    forms', each stem followed by a case ending; with and without the glide a name may open
    with (Євген: Yevhen, Ievgen and Evgen)."""
    bases = {fold(word)} | {fold(form) for form in _cyrillic_forms(word)}
    for base in list(bases):
        if base[:1] == "i" and base[1:2] in _VOWELS and len(base) >= 5:
            bases.add(base[1:])
        # зг is zgh in the 2010 table and zh in BGN/PCGN, which spells ж so too.
        if "zH" in base:
            bases.add(base.replace("zH", "Z"))
        if "Z" in base:
            bases.add(base.replace("Z", "zH"))
    keys = set(bases)
    if len(word) > SHORT_NAME_LETTERS:
        for base in bases:
            for stem in {base, _stem(base)}:
                keys |= {_collapse(stem + ending) for ending in ENDINGS}
            # Before -і the stem's last consonant changes: Ольга, Ользі; Тарасюк-Луці.
            stem = _stem(base)
            for hard, soft in (("H", "z"), ("H", "s"), ("k", "C")):
                if stem.endswith(hard):
                    keys.add(_collapse(stem[: -len(hard)] + soft + "i"))
    return frozenset(keys)


def _cyrillic_forms(word: str) -> tuple[str, ...]:
    return search.forms(word)[1:] if search.CYRILLIC.search(word.lower()) else ()


# Names that are also everyday words (given names: hope, faith, love, a novel, glory;
# surnames: a smith, a miller, a potter, a wolf...). The dictionary cannot tell: it also
# lists "олена" and "марія" as common nouns, which no article uses them as.
COMMON_WORD_NAMES = frozenset(
    [
        "надія",
        "віра",
        "любов",
        "роман",
        "слава",
        "зоряна",
        "калина",
        "лука",
        "лев",
        "злата",
        "мирослава",
        "коваль",
        "мельник",
        "гончар",
        "кравець",
        "бондар",
        "швець",
        "ткач",
        "рибак",
        "козак",
        "вовк",
        "сокіл",
        "голуб",
        "орел",
        "лебідь",
        "соловей",
        "журавель",
        "горобець",
        "ворона",
        "лисиця",
        "заєць",
        "кіт",
        "білий",
        "чорний",
        "сивий",
    ]
)


@functools.lru_cache(maxsize=200_000)
def _token_info(word: str) -> tuple[frozenset[str], bool]:
    """A text word's keys (its own and its dictionary forms') and whether it can be read as
    an everyday word rather than a name (надія: hope; Надія: a woman's name)."""
    keys = {fold(word)}
    common = word.casefold() in COMMON_WORD_NAMES
    if search.CYRILLIC.search(word.lower()):
        for parse in search._morph().parse(word):
            keys.add(fold(parse.normal_form))
            common = common or parse.normal_form in COMMON_WORD_NAMES
    return frozenset(keys), common


@dataclasses.dataclass(frozen=True)
class Name:
    """A person's name, as words to look for."""

    words: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> "Name":
        found = [w for w in WORD.findall(text or "") if len(_MARKS.sub("", w)) >= MIN_NAME_LETTERS]
        # Initials written without a dot ("О М Коваль") are dropped by the length rule.
        return cls(tuple(dict.fromkeys(found)))

    def __bool__(self) -> bool:
        return bool(self.words)


@dataclasses.dataclass(frozen=True)
class Hit:
    word: str  # the name word found
    start: int  # the text word's index


@dataclasses.dataclass(frozen=True)
class Text:
    """A text read once for every name checked against it."""

    tokens: tuple[tuple[str, frozenset[str], bool], ...]  # word, its keys, everyday word?
    keys: frozenset[str]  # every key of every word
    emails: frozenset[str]
    phones: tuple[str, ...]  # the digits of what looks like a phone number


_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE_LIKE = re.compile(r"\+?\d[\d\s().-]{5,}\d")


@functools.lru_cache(maxsize=2048)
def read(text: str) -> Text:
    tokens = []
    for token in WORD.findall(text or ""):
        keys, common = _token_info(token)
        tokens.append((token, keys, common))
    return Text(
        tokens=tuple(tokens),
        keys=frozenset(key for _token, keys, _common in tokens for key in keys),
        emails=frozenset(m.casefold().rstrip(".") for m in _EMAIL.findall(text or "")),
        phones=tuple(re.sub(r"\D", "", m) for m in _PHONE_LIKE.findall(text or "")),
    )


@functools.lru_cache(maxsize=200_000)
def prefixes(word: str) -> frozenset[str]:
    """The first three letters of every key that names this word (NameIndex's buckets)."""
    return frozenset(key[:3] for key in name_keys(word))


class NameIndex:
    """Which of many names a text may contain, without reading the text once per name:
    names by the first letters of their keys; the text's keys are looked up there, and only
    the names found are matched in full. `entries`: (anything, Name) pairs."""

    def __init__(self, entries):
        self.buckets: dict[str, set] = {}
        for item, name in entries:
            for word in name.words:
                for prefix in prefixes(word):
                    self.buckets.setdefault(prefix, set()).add(item)

    def candidates(self, text: str) -> set:
        found = set()
        for prefix in {key[:3] for key in read(text).keys}:
            found |= self.buckets.get(prefix, set())
        return found


def name_hits(text: str, name: Name) -> list[Hit]:
    """Where a word of `name` occurs in `text`, in any alphabet and grammatical case."""
    if not text or not name:
        return []
    wanted = [(word, name_keys(word), len(word) <= SHORT_NAME_LETTERS) for word in name.words]
    known = read(text)
    if all(accepted.isdisjoint(known.keys) for _word, accepted, _short in wanted):
        return []
    hits, weak = [], []
    for index, (token, keys, common) in enumerate(known.tokens):
        capitalised = token[:1].isupper()
        for word, accepted, short in wanted:
            if not keys & accepted:
                continue
            if short and (not capitalised or fold(token) != fold(word)):
                continue  # a short name only whole and as a name: Ян, not "ян" or Яна
            # An everyday word in lower case is a name only beside another word of the
            # name ("надія коваль" in an address), not in "надія на справедливість".
            (weak if common and not capitalised else hits).append(Hit(word, index))
    every = hits + weak
    hits += [
        hit
        for hit in weak
        if any(o.word != hit.word and abs(o.start - hit.start) == 1 for o in every)
    ]
    return sorted(hits, key=lambda hit: hit.start)


def mentions_name(text: str, name: Name) -> bool:
    """Any word of the name, in any form: inside a reporter's own story a first name or a
    surname alone tells who it is."""
    return bool(name_hits(text, name))


def mentions_full_name(text: str, name: Name) -> bool:
    """Two different words of the name near each other (Оксана Мельничук, Мельничук
    Оксана, Oksana P. Melnychuk); a one-word name needs only itself."""
    if len(name.words) > 1:
        known = read(text).keys
        if sum(not name_keys(word).isdisjoint(known) for word in name.words) < 2:
            return False  # not two of its words anywhere in the text
    hits = name_hits(text, name)
    if len(name.words) == 1:
        return bool(hits)
    return any(a.word != b.word and abs(a.start - b.start) <= NEAR for a in hits for b in hits)


def mentions_phrase(text: str, phrase: str) -> bool:
    """All the words of a phrase (an outlet's name) in a row, each in any form."""
    wanted = [name_keys(word) for word in WORD.findall(phrase or "")]
    if not wanted or not text:
        return False
    known = read(text)
    if any(keys.isdisjoint(known.keys) for keys in wanted):
        return False
    tokens = [keys for _token, keys, _common in known.tokens]
    size = len(wanted)
    return any(
        all(tokens[start + i] & wanted[i] for i in range(size))
        for start in range(len(tokens) - size + 1)
    )


def mentions_phone(text: str, phone) -> bool:
    """A phone number as people write it: its last nine digits, whatever is between them."""
    if not phone or not text:
        return False
    national = str(getattr(phone, "national_number", "") or re.sub(r"\D", "", str(phone)))[-9:]
    if len(national) < 6:
        return False
    return any(digits.endswith(national) for digits in read(text).phones)


def mentions_email(text: str, email: str) -> bool:
    return bool(email and text) and email.casefold() in read(text).emails


def public_texts(incident) -> list[tuple[str, str]]:
    """Every text of the incident that a public page, a feed, the API or an export shows,
    by the field it is in. The incident comes saved, with its related rows in the database
    (or prefetched)."""
    texts = [
        ("slug", _as_names(incident.slug)),
        ("title", incident.title),
        ("lead", incident.lead),
        ("body", incident.body),
        ("place", incident.place),
        ("perpetrator_detail", incident.perpetrator_detail),
        ("motive", getattr(incident, "motive", "") or ""),
    ]
    if incident.pk:
        for victim in incident.victims.all():
            # A withheld name is never shown, so only its outlet and role are public.
            if not victim.is_anonymous:
                texts.append(("victims", victim.name))
            texts += [("victims", victim.outlet), ("victims", victim.role)]
        for source in incident.sources.all():
            texts += [("sources", source.url), ("sources", _as_names(source.url))]
            texts.append(("sources", source.title))
            texts.append(("sources", source.publisher))
        for update in incident.updates.filter(is_public=True):
            texts += [("updates", update.text), ("updates", update.authority)]
        for case in incident.cases.all():
            texts.append(("cases", case.verdict))
    return [(field, text) for field, text in texts if text]


def _as_names(address: str) -> str:
    """An address has no capitals to tell a name from a word ("nadiia-koval", "надія"):
    its words are read as if each were written with one."""
    return " ".join(word[:1].upper() + word[1:] for word in WORD.findall(address or ""))
