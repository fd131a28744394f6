"""What search understands of a text: words, and the forms they are found under.

Ukrainian is highly inflected: an article says "у Харкові", "поліцію", "журналістку", and a
reader types "Харків", "поліція", "журналістка". Matching the typed form alone found a fifth
of what readers looked for (issue 16), and PostgreSQL ships no Ukrainian dictionary or
stemmer. So both databases search the same prepared text, made here:

- every word of an article is stored lower-cased with its dictionary forms: a Cyrillic word
  through pymorphy3's Ukrainian dictionary (with its guesser for names it does not know, so
  "Ахметом" gives "ахмет"), a Latin word through the Snowball English stemmer, the one
  PostgreSQL's "english" configuration uses;
- a word typed by the reader matches an article word that starts with it (someone still
  typing, "журналіст" for "журналістів") or that shares one of its dictionary forms.

On PostgreSQL the prepared text feeds a weighted tsvector (title A, lead and details B,
everything C) behind a GIN index; on SQLite it is matched with LIKE. The same tokens, so the
same hits, on both. Withheld victims' names never enter it (`incident_texts`).
"""

import dataclasses
import difflib
import functools
import re

import pymorphy3
import snowballstemmer
from django.utils.html import escape, strip_tags
from django.utils.safestring import mark_safe

WORD = re.compile(r"[^\W_]+(?:['’ʼ`][^\W_]+)*")
APOSTROPHES = re.compile(r"['’ʼ`]")
MAX_QUERY_WORDS = 12
# How many of a query's words PostgreSQL's index is asked for (the longest); the others are
# checked on the rows it gives (IncidentQuerySet.search_hits).
INDEXED_TERMS = 2
# A typed word this short matches only itself, never as a prefix ("в" is not "в*").
PREFIX_MIN = 3
# Words that only join others: a query "побиття в Харкові" must not need the "в", and a
# word found in nearly every article ("the", "на") narrows nothing while costing the most.
# They are dropped from a query (a single letter too); a query of nothing else searches for
# nothing, and the page says so (`ignored`).
STOP_WORDS = frozenset(
    ["a", "an", "and", "at", "by", "for", "from", "in", "into", "of", "on", "or", "the", "to"]
    + ["with", "as", "is", "are", "was", "were", "be", "been", "it", "its", "this", "that"]
    + ["but", "not", "has", "have", "had", "he", "she", "they", "his", "her", "their"]
    + ["в", "у", "і", "й", "та", "а", "але", "з", "із", "зі", "до", "за", "по", "від"]
    + ["для", "про", "на", "що", "як", "чи", "це", "не", "о", "об", "при", "під", "над"]
    + ["через", "після", "без", "біля", "між", "перед", "щодо", "бо", "ж", "же", "б", "би"]
    + ["щоб", "аби", "ні", "ще", "вже", "так", "його", "її", "їх", "він", "вона", "вони"]
)
CYRILLIC = re.compile(r"[а-яіїєґё]")
# A noun made from a verb ("побиття" from "побити", "затримання", "напад") is stored and
# searched with that verb too, so the reader's "побиття" finds "побили" and "напали" finds
# "напад". (stem ending, verb ending) pairs tried on the noun; a pair counts only when the
# dictionary knows the verb it makes, so "суспільство" makes nothing.
VERBAL_NOUNS = (
    ("ття", ("ти",)),
    ("ання", ("ати",)),
    ("яння", ("яти",)),
    ("іння", ("іти", "ити")),
    ("ення", ("ити", "іти", "ти")),
    ("ство", ("ати", "ити")),
    ("", ("ати", "яти", "ити", "увати", "ти")),
)
# The consonants that change between such a noun and its verb (пошкодження, пошкодити;
# встановлення, встановити), tried when the stem as it is makes no verb; and a "д" that is
# "с" before "ти" (напад, напасти; викрадення, викрасти), tried always.
ALTERNATIONS = (("дж", "д"), ("жд", "д"), ("щ", "ст"), ("ч", "т"), ("ж", "з"))
ALTERNATIONS += tuple((f"{labial}л", labial) for labial in "бвмпф")
# A bare noun shorter than this makes no verb ("край" is not "краяти").
BARE_NOUN_MIN = 5


@functools.cache
def _morph():
    return pymorphy3.MorphAnalyzer(lang="uk")


@functools.cache
def _english():
    return snowballstemmer.stemmer("english")


def _plain(word: str) -> str:
    """The stored spelling: apostrophes dropped, since PostgreSQL's parser splits at them."""
    return APOSTROPHES.sub("", word)


@functools.lru_cache(maxsize=200_000)
def forms(word: str) -> tuple[str, ...]:
    """The lower-cased word and its dictionary forms (and the verb of a verbal noun),
    without duplicates, word first."""
    word = word.lower().replace("’", "'").replace("ʼ", "'").replace("`", "'")
    found = [_plain(word)]
    if CYRILLIC.search(word):
        for parse in _morph().parse(word):
            found.append(_plain(parse.normal_form))
            if parse.tag.POS == "NOUN" and _morph().word_is_known(parse.normal_form):
                found += verbs_of(parse.normal_form)
    elif word.isascii() and word.isalpha():
        found.append(_english().stemWord(word))
    return tuple(dict.fromkeys(form for form in found if form))


@functools.lru_cache(maxsize=50_000)
def verbs_of(noun: str) -> tuple[str, ...]:
    """The verbs the dictionary knows that `noun` (a dictionary form) is made from: from the
    stem as it is if any, else with its last consonants changed back."""
    for ending, verb_endings in VERBAL_NOUNS:
        if not noun.endswith(ending):
            continue
        stem = noun[: len(noun) - len(ending)]
        if not ending and (len(noun) < BARE_NOUN_MIN or stem[-1] in "аеєиіїоуюяьй'"):
            continue  # a bare noun that makes a verb ends in a consonant: "напад"
        changed = [stem[: -len(old)] + new for old, new in ALTERNATIONS if stem.endswith(old)]
        found = [stem + end for end in verb_endings if _is_verb(stem + end)]
        if not found:
            found = [s + end for s in changed for end in verb_endings if _is_verb(s + end)]
        if stem.endswith("д") and _is_verb(stem[:-1] + "сти"):
            found.append(stem[:-1] + "сти")
        if found:
            return tuple(verb for verb in dict.fromkeys(found) if verb != noun)
    return ()


def _is_verb(word: str) -> bool:
    morph = _morph()
    return morph.word_is_known(word) and any(
        parse.tag.POS in ("INFN", "VERB") and parse.normal_form == word
        for parse in morph.parse(word)
    )


def words(text: str) -> list[str]:
    return WORD.findall(text or "")


def document(*texts: str) -> str:
    """Every form of every word of the texts, once each, between spaces (" a b c "): the
    stored text both databases search."""
    seen: dict[str, None] = {}
    for text in texts:
        for word in words(text):
            for form in forms(word):
                seen[form] = None
    return f" {' '.join(seen)} " if seen else ""


@dataclasses.dataclass(frozen=True)
class Term:
    """One typed word: matches a stored word starting with `prefix`, or equal to a lemma."""

    typed: str
    prefix: str
    lemmas: tuple[str, ...]

    def alternatives(self) -> tuple[str, ...]:
        return (self.prefix, *self.lemmas)

    def matches(self, word: str) -> bool:
        """The rule both databases apply, for the snippets and the tests."""
        stored = forms(word)
        if len(self.prefix) >= PREFIX_MIN:
            if any(form.startswith(self.prefix) for form in stored):
                return True
        elif self.prefix in stored:
            return True
        return any(lemma in stored for lemma in self.lemmas)


def _too_common(word: str) -> bool:
    return word.lower() in STOP_WORDS or (len(word) == 1 and not word.isdigit())


def ignored(text: str) -> list[str]:
    """The typed words search leaves out: joining words and single letters, once each."""
    typed = words(text)[: MAX_QUERY_WORDS * 2]
    return list(dict.fromkeys(word.lower() for word in typed if _too_common(word)))


def parse(text: str) -> list[Term]:
    """The typed words as terms, without the joining words and single letters (`ignored`):
    a query of nothing else has no terms, and searches for nothing."""
    typed = words(text)[: MAX_QUERY_WORDS * 2]
    meaningful = [word for word in typed if not _too_common(word)]
    terms = []
    for word in dict.fromkeys(meaningful[:MAX_QUERY_WORDS]):
        found = forms(word)
        terms.append(Term(typed=word, prefix=found[0], lemmas=found[1:]))
    return terms


def tsquery(terms: list[Term]) -> str:
    """PostgreSQL's raw tsquery for the terms: every term, any of its forms. Forms are letters
    and digits only (WORD, _plain), so quoting cannot be broken out of."""

    def alternative(term: Term) -> str:
        prefix = f"'{term.prefix}':*" if len(term.prefix) >= PREFIX_MIN else f"'{term.prefix}'"
        return " | ".join([prefix, *(f"'{lemma}'" for lemma in term.lemmas)])

    return " & ".join(f"({alternative(term)})" for term in terms)


# --- What a result card shows: the passage that matched, the matches marked ---------------

SNIPPET_WORDS = 36


def highlight(text: str, terms: list[Term]) -> str:
    """`text` escaped, the words matching a term wrapped in <mark>."""
    if not terms:
        return escape(text)
    return mark_safe(_marked(text, terms, 0, None)[0])  # noqa: S308 -- every piece escaped


def snippet(texts: list[str], terms: list[Term]) -> str:
    """The passage of the first text with a match, about SNIPPET_WORDS words around the first
    match, escaped and marked; "" when no text matches (the card then shows its lead)."""
    for text in texts:
        plain = " ".join(strip_tags(text or "").split())
        spans = [m for m in WORD.finditer(plain) if any(t.matches(m.group()) for t in terms)]
        if not spans:
            continue
        every = list(WORD.finditer(plain))
        index = next(i for i, m in enumerate(every) if m.start() == spans[0].start())
        first = max(0, index - SNIPPET_WORDS // 3)
        last = min(len(every) - 1, first + SNIPPET_WORDS)
        start = every[first].start() if first else 0
        end = every[last].end() if last < len(every) - 1 else len(plain)
        html, _count = _marked(plain, terms, start, end)
        marked = ("… " if start else "") + html + (" …" if end < len(plain) else "")
        return mark_safe(marked)  # noqa: S308 -- _marked escapes every piece
    return ""


def _marked(text: str, terms: list[Term], start: int, end: int | None) -> tuple[str, int]:
    end = len(text) if end is None else end
    parts, position, count = [], start, 0
    for match in WORD.finditer(text, start, end):
        if any(term.matches(match.group()) for term in terms):
            parts.append(escape(text[position : match.start()]))
            parts.append(f"<mark>{escape(match.group())}</mark>")
            position = match.end()
            count += 1
    parts.append(escape(text[position:end]))
    return "".join(parts), count


def close_words(word: str, vocabulary: list[str], limit: int = 3) -> list[str]:
    """Known words spelt like `word` (SQLite's "did you mean"; PostgreSQL uses trigrams)."""
    return difflib.get_close_matches(word.lower(), vocabulary, n=limit, cutoff=0.75)
