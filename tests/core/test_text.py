"""Search normalisation: Arabic and English text match however it was typed."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.text import like_pattern, normalize, search_text


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("إسْتِشَارَة", "استشاره"),  # harakat and sukun dropped, hamza-under alef, ta marbuta
        ("مَدْرَسَةٌ", "مدرسه"),  # tanween too
        ("ٱلرَّحْمَٰن", "الرحمن"),  # alef wasla, shadda, superscript alef
        ("ـــطريق", "طريق"),  # tatweel
        ("طـــريــق", "طريق"),
        ("أبها", "ابها"),  # hamza above alef
        ("إنارة", "اناره"),  # hamza below alef
        ("آمنة", "امنه"),  # alef madda
        ("مستشفى", "مستشفي"),  # alef maqsura
        ("إلى", "الي"),
        ("مسؤول", "مسوول"),  # hamza on waw
        ("رئيس", "رييس"),  # hamza on ya
        ("مساء", "مسا"),  # lone hamza
        ("جزء", "جز"),
        ("٢٠٢٦", "2026"),  # Arabic-Indic digits
        ("۱۴۴۷", "1447"),  # Eastern (Persian) digits
        ("ABHA", "abha"),  # case
        ("Straße", "strasse"),  # full case folding, not lower()
        ("ＡＢＨＡ ２０２６", "abha 2026"),  # full-width forms (NFKC)
        ("ﻷبها", "لابها"),  # a presentation-form ligature (NFKC), then its hamza
        ("  طريق \t الملك\n\nفهد  ", "طريق الملك فهد"),  # spaces collapsed and trimmed
        ("طريق\u00a0الملك", "طريق الملك"),  # a no-break space is a space
    ],
)
def test_normalize_folds_what_a_reader_would_call_the_same_word(typed: str, stored: str) -> None:
    assert normalize(typed) == stored


def test_decomposed_hamza_and_madda_fold_like_the_precomposed_letters() -> None:
    # A keyboard may send alef + combining hamza above (U+0654) instead of U+0623.
    assert normalize("ا\u0654بها") == normalize("أبها") == "ابها"
    assert normalize("ا\u0653من") == normalize("آمن") == "امن"
    assert normalize("ي\u0654") == normalize("ئ") == "ي"


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("مستشفى", "مستشفي"),  # maqsura and ya: the same word either way
        ("مدرسة", "مدرسه"),  # ta marbuta and ha
        ("تطوير مَدْخَل أبها الجنوبي", "تطوير مدخل ابها الجنوبي"),
        ("إنارة الطريق إلى السودة", "انارة الطريق الى السوده"),
    ],
)
def test_differently_typed_spellings_normalise_equal(first: str, second: str) -> None:
    assert normalize(first) == normalize(second)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("مدرسة", "مدرس"),  # a school is not a teacher
        ("علم", "عالم"),  # letters are never dropped, only marks
        ("abha", "abhaa"),
    ],
)
def test_different_words_stay_different(first: str, second: str) -> None:
    assert normalize(first) != normalize(second)


@pytest.mark.parametrize(
    "mark",
    [
        "\u200f",  # right-to-left mark
        "\u200e",  # left-to-right mark
        "\u061c",  # Arabic letter mark
        "\u200c",  # zero-width non-joiner
        "\u200d",  # zero-width joiner
        "\u2067",  # right-to-left isolate
        "\ufeff",  # byte order mark / zero-width no-break space
        "\u00ad",  # soft hyphen
    ],
)
def test_invisible_direction_and_joining_marks_do_not_split_words(mark: str) -> None:
    # Copied Arabic text often carries these around Latin words and digits; the reader sees none.
    assert normalize(f"{mark}مشروع ASR{mark} في أبها{mark}") == "مشروع asr في ابها"


def test_search_text_joins_every_given_field_and_skips_empty_ones() -> None:
    assert (
        search_text("تطوير مَدْخَل أبها", None, "", "Abha ENTRANCE") == "تطوير مدخل ابها abha entrance"
    )
    assert search_text() == ""
    assert search_text(None, "") == ""


def test_search_text_of_multiline_fields_is_one_line() -> None:
    assert search_text("السطر الأول\r\nالسطر الثاني", "سطر\tثالث") == (
        "السطر الاول السطر الثاني سطر ثالث"
    )


@pytest.mark.parametrize(
    ("query", "pattern"),
    [
        ("أبها", "%ابها%"),  # normalised like the stored text
        ("  مَدْخَل   أبها ", "%مدخل ابها%"),
        ("١٠٠%", "%100\\%%"),  # the percent sign is literal
        ("ASR_12", "%asr\\_12%"),  # so is the underscore
        ("C:\\data", "%c:\\\\data%"),  # the escape character itself is escaped first
        ("\\%", "%\\\\\\%%"),
        ("％＿", "%\\%\\_%"),  # full-width wildcards become ASCII by NFKC, then are escaped
    ],
)
def test_like_pattern_normalises_then_escapes_wildcards(query: str, pattern: str) -> None:
    assert like_pattern(query) == pattern


# -- properties ------------------------------------------------------------------------------------

ARABIC_LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهويءأإآٱىئؤة"
MARKS = "\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652\u0670\u0640"
TEXT = st.text(alphabet=ARABIC_LETTERS + MARKS + " %_\\abcABC0123٠١٢٣۰۱۲۳", max_size=40)
WORDS = st.text(alphabet=ARABIC_LETTERS + " ", max_size=30)


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_normalising_twice_changes_nothing(text: str) -> None:
    # ckan_query normalises q into words, then like_pattern normalises each word again.
    assert normalize(normalize(text)) == normalize(text)


@settings(max_examples=300, deadline=None)
@given(WORDS, st.lists(st.tuples(st.integers(0, 30), st.sampled_from(MARKS)), max_size=6))
def test_harakat_and_tatweel_anywhere_never_change_the_match(
    words: str, insertions: list[tuple[int, str]]
) -> None:
    letters = list(words)
    for position, mark in insertions:
        letters.insert(min(position, len(letters)), mark)
    assert normalize("".join(letters)) == normalize(words)


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_like_pattern_leaves_no_wildcard_unescaped_between_its_ends(text: str) -> None:
    pattern = like_pattern(text)
    assert pattern.startswith("%") and pattern.endswith("%")
    inner = pattern[1:-1]
    assert re.fullmatch(r"(?:[^\\%_]|\\[\\%_])*", inner), inner
    assert re.sub(r"\\(.)", r"\1", inner) == normalize(text)
