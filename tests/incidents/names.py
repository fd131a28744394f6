"""Ukrainian names as the tests generate them (issue 26): given names, surnames and
patronymics, inflected in the seven cases by pymorphy3 (the project's own dictionary), and
romanised by translitua in each system people meet in passports, maps and newsrooms."""

import functools

import translitua
from hypothesis import strategies as st

from incidents import search

GIVEN = {
    "femn": ["Оксана", "Олена", "Ірина", "Наталія", "Юлія", "Ярослава", "Євгенія", "Марія"]
    + ["Тетяна", "Ольга", "Людмила", "Ганна", "Зоряна", "Галина"],
    "masc": ["Андрій", "Сергій", "Юрій", "Олексій", "Григорій", "Ярослав", "Євген", "Іван"]
    + ["Дмитро", "Віталій", "Олександр", "Тарас", "Богдан", "Микола"],
}
SURNAMES = ["Мельничук", "Петренко", "Шевчук", "Коваленко", "Бондаренко", "Ткаченко"] + [
    "Кравчук",
    "Олійник",
    "Щербак",
    "Зінченко",
    "Хомʼяк",
    "Кирʼяненко",
    "Литвиненко",
    "Гнатюк",
    "Згурський",
    "Ковальський",
    "Рожко",
]
PATRONYMICS = {"femn": ["Петрівна", "Іванівна", "Юріївна"], "masc": ["Петрович", "Іванович"]}
CASES = ["nomn", "gent", "datv", "accs", "ablt", "loct", "voct"]
# The romanisations of Ukrainian names: the official 2010 table and its predecessors,
# BGN/PCGN, ISO 9 and the scholarly ones, and the Russian-style spellings still in use.
SYSTEMS = [
    "UkrainianKMU",
    "UkrainianNational1996",
    "UkrainianPassport2007",
    "UkrainianUNGEGN",
    "UkrainianBGN",
    "UkrainianBGN2019",
    "UkrainianISO9",
    "UkrainianGOST1971",
    "UkrainianGOST1986",
    "UkrainianWWS",
    "UkrainianSimple",
    "UkrainianALALCModified",
    "UkrainianBritish",
    "RussianInternationalPassport",
    "RussianICAO",
    "RussianSimple",
]
# People in the same texts who are not the protected person (no name shares a key with
# the ones above: checked in test_identity).
OTHERS = ["Марченко", "Савчук", "Бойко", "Руденко", "Лисенко", "Гончар", "Кузьмич", "Тимошук"]
OTHER_GIVEN = ["Петро", "Василь", "Степан", "Надія", "Віра", "Любов", "Роман", "Лариса"]


def romanise(text: str, system: str) -> str:
    return translitua.translit(text, getattr(translitua, system))


@functools.cache
def inflect(word: str, case: str, gender: str) -> str:
    """The word in `case`, as Ukrainian writes it for a person of `gender`."""
    parses = [
        p
        for p in search._morph().parse(word.replace("ʼ", "'"))
        if {"Name", "Surn", "Patr"} & p.tag.grammemes and p.tag.case == "nomn"
    ]
    parses.sort(key=lambda p: gender not in p.tag.grammemes)  # the person's gender first
    for parse in parses:
        grammemes = parse.tag.grammemes
        wanted = {case} if "Fixd" in grammemes else {case, gender}
        form = parse.inflect(wanted) or parse.inflect({case})
        if form is not None:
            found = form.word.replace("'", "ʼ") if "ʼ" in word else form.word
            return found[:1].upper() + found[1:] if word[:1].isupper() else found
    return word


@st.composite
def people(draw):
    """(given, surname, patronymic, gender) of a Ukrainian person."""
    gender = draw(st.sampled_from(["femn", "masc"]))
    surname = draw(st.sampled_from(SURNAMES))
    if gender == "femn" and surname.endswith("ький"):
        surname = surname[:-2] + "а"
    return (
        draw(st.sampled_from(GIVEN[gender])),
        surname,
        draw(st.sampled_from(PATRONYMICS[gender])),
        gender,
    )


@st.composite
def typed_names(draw, person):
    """The name as a reporter types it: either order, a patronymic or not, in Cyrillic or a
    romanisation, in capitals or not."""
    given, surname, patronymic, _gender = person
    words = [given, surname]
    if draw(st.booleans()):
        words.reverse()
    if draw(st.booleans()):
        words.insert(words.index(given) + 1, patronymic)
    name = " ".join(words)
    system = draw(st.sampled_from([None, *SYSTEMS]))
    if system is not None:
        name = romanise(name, system)
    if draw(st.booleans()):
        name = name.upper()
    return name


@st.composite
def mentions(draw, person, *, full: bool):
    """How an article names the person: one word of the name (or the full name), in a case,
    in Cyrillic; or romanised (nominative, as English writes names), or in capitals."""
    given, surname, _patronymic, gender = person
    case = draw(st.sampled_from(CASES))
    words = [given, surname] if full else [draw(st.sampled_from([given, surname]))]
    system = draw(st.sampled_from([None, None, *SYSTEMS]))
    if system is None:
        text = " ".join(inflect(word, case, gender) for word in words)
    elif draw(st.booleans()):
        text = romanise(" ".join(words), system)  # English writes names in the nominative
    else:
        # Ukrainian in Latin letters: a source's address made from a Ukrainian title
        # ("napad-na-oksanu-melnychuk"), a transliterated quote.
        text = romanise(" ".join(inflect(word, case, gender) for word in words), system)
    if draw(st.integers(0, 9)) == 0:
        text = text.upper()
    return text, case, system
