"""Whether a text names a person, in any alphabet and grammatical case (issue 26): the
properties of incidents.identity, over generated Ukrainian names."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from incidents import identity
from incidents.identity import Name

from .names import (
    OTHER_GIVEN,
    OTHERS,
    SYSTEMS,
    inflect,
    mentions,
    people,
    romanise,
    typed_names,
)

# Sentences an article is made of, with common words that are also names in lower case.
FILLER = [
    "У Києві",
    "поліція затримала",
    "журналістку телеканалу",
    "під час зйомки",
    "надія на справедливість",
    "віра у свободу слова",
    "любов до професії",
    "мельник з Полтави",
    "про напад повідомили в ІМІ",
    "Police detained a camera operator",
    "the viral video",
    "faith and hope",
]


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_any_word_of_the_name_is_found_in_any_case_alphabet_and_spelling(data):
    person = data.draw(people())
    typed = data.draw(typed_names(person))
    found, case, system = data.draw(mentions(person, full=False))
    before, after = (
        data.draw(st.lists(st.sampled_from(FILLER), max_size=3)),
        data.draw(st.lists(st.sampled_from(FILLER), max_size=3)),
    )
    text = " ".join([*before, found, *after])
    assert identity.mentions_name(text, Name.parse(typed)), (typed, text, case, system)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_the_full_name_is_found_in_any_order_case_and_alphabet(data):
    person = data.draw(people())
    typed = data.draw(typed_names(person))
    found, case, system = data.draw(mentions(person, full=True))
    if data.draw(st.booleans()):
        words = found.split(" ")
        found = " ".join(reversed(words))
    text = f"Журналіст {found} розповів про напад."
    assert identity.mentions_full_name(text, Name.parse(typed)), (typed, text, case, system)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_other_peoples_names_and_common_words_are_not_the_person(data):
    person = data.draw(people())
    typed = data.draw(typed_names(person))
    words = data.draw(
        st.lists(st.sampled_from(FILLER + OTHERS + OTHER_GIVEN), min_size=1, max_size=12)
    )
    case = data.draw(st.sampled_from(["nomn", "gent", "datv", "ablt", "loct"]))
    text = " ".join(inflect(w, case, person[3]) if w in OTHERS else w for w in words)
    assert not identity.mentions_name(text.lower(), Name.parse(typed)) or any(
        # Надія, Віра and Любов are names too: only written with a capital they are one.
        w in OTHER_GIVEN
        for w in words
    )
    assert not identity.mentions_full_name(text, Name.parse(typed)), (typed, text)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("Ми не втрачаємо надії на справедливість.", False),
        ("надія на справедливість", False),
        ("Віра в суд зникла; любов до професії лишилась.", False),
        ("Надія розповіла про напад.", True),
        ("Ми поговорили з Надією.", True),
        ("Nadiia told IMI about the attack.", True),
        ("NADIYA KOVAL", True),
    ],
)
def test_a_name_that_is_a_common_word_counts_only_when_written_as_a_name(text, named):
    assert identity.mentions_name(text, Name.parse("Надія Коваль")) is named


@pytest.mark.parametrize(
    "typed",
    ["Mel'nyčuk Oksana", "MELNYCHUK OKSANA PETRIVNA", "Мельничук Оксана Петрівна", "Oksana M."],
)
def test_a_name_typed_with_diacritics_capitals_a_patronymic_or_an_initial(typed):
    name = Name.parse(typed)
    assert identity.mentions_name("Оксану побили біля суду.", name)
    if "Mel" in typed or "MEL" in typed or "Мель" in typed:
        assert identity.mentions_full_name("Оксану Мельничук побили біля суду.", name)


def test_initials_identify_nobody_and_a_short_name_only_whole():
    assert Name.parse("О. М.").words == ()
    assert not identity.mentions_name("О. М. Коваль", Name.parse("О. М."))
    short = Name.parse("Ян")
    assert identity.mentions_name("Ян розповів про напад.", short)
    assert not identity.mentions_name("Яна розповіла, що ян — це символ.", short)


def test_the_others_in_the_generated_texts_share_no_key_with_the_people():
    from .names import GIVEN, SURNAMES

    protected = {
        k for w in [*GIVEN["femn"], *GIVEN["masc"], *SURNAMES] for k in identity.name_keys(w)
    }
    for other in OTHERS:
        assert not identity.name_keys(other) & protected, other


@pytest.mark.parametrize("system", SYSTEMS)
def test_each_romanisation_of_a_hard_name_folds_to_the_cyrillic_key(system):
    name = "Євгенія Щербак-Зінченко Юріївна Григорій Кирʼян Ярослав Хомʼяк Згурський Ольга"
    spelled = romanise(name, system)
    for word in identity.WORD.findall(spelled):
        assert identity.mentions_name(word, Name.parse(name)), (system, spelled, word)


def test_phones_and_emails_as_people_write_them():
    assert identity.mentions_phone("тел. +38 (067) 123-45-67", "+380671234567")
    assert identity.mentions_phone("067.123.45.67", "+380671234567")
    assert not identity.mentions_phone("рік 2024, 12 людей", "+380671234567")
    assert identity.mentions_email("OLENA@EXAMPLE.ORG", "olena@example.org")
