"""Search normalisation, so Arabic and English text match however it was typed.

Stored beside the text in a ``search_text`` column and applied to every ``q``, so matching is the
same on SQLite and PostgreSQL.
"""

import re
import unicodedata

# Harakat, Quranic annotation marks, superscript alef and tatweel carry no meaning for search;
# neither do invisible direction and joining marks (ALM, ZWNJ, ZWJ, LRM, RLM, embeddings,
# isolates, word joiner, BOM, soft hyphen), which mixed Arabic and Latin text and pasted queries
# carry unseen and which would otherwise split a word in two.
_IGNORED = re.compile(
    "[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640"
    "\u061c\u200c-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff\u00ad]"
)
_FOLDED = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ى": "ي",
        "ئ": "ي",
        "ؤ": "و",
        "ة": "ه",
        "ء": "",
        "ک": "ك",  # Persian-keyboard kaf and yeh
        "ی": "ي",
        "٪": "%",  # Arabic percent sign
        **{chr(0x0660 + digit): str(digit) for digit in range(10)},  # Arabic-Indic digits
        **{chr(0x06F0 + digit): str(digit) for digit in range(10)},  # Eastern (Persian) digits
    }
)
_SPACES = re.compile(r"\s+")


def without_marks(text: str) -> str:
    """The text without the marks search ignores (they would also split words apart)."""
    return _IGNORED.sub("", text)


def normalize(text: str) -> str:
    """Fold diacritics, letter variants, digits, case and spacing for matching."""
    text = without_marks(unicodedata.normalize("NFKC", text)).translate(_FOLDED).casefold()
    return _SPACES.sub(" ", text).strip()


def search_text(*parts: str | None) -> str:
    """The normalised text a row is searched by, from all of its searchable fields."""
    return normalize(" \n ".join(part for part in parts if part))


def like_pattern(query: str) -> str:
    """A LIKE pattern matching the normalised query anywhere, with wildcards escaped (``\\``)."""
    escaped = normalize(query).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
