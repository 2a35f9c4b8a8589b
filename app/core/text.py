"""Search normalisation, so Arabic and English text match however it was typed.

Stored beside the text in a ``search_text`` column and applied to every ``q``, so matching is the
same on SQLite and PostgreSQL.
"""

import re
import unicodedata

# Harakat, Quranic annotation marks, superscript alef and tatweel carry no meaning for search.
_IGNORED = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
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
        **{chr(0x0660 + digit): str(digit) for digit in range(10)},  # Arabic-Indic digits
        **{chr(0x06F0 + digit): str(digit) for digit in range(10)},  # Eastern (Persian) digits
    }
)
_SPACES = re.compile(r"\s+")


def normalize(text: str) -> str:
    """Fold diacritics, letter variants, digits, case and spacing for matching."""
    text = unicodedata.normalize("NFKC", text)
    text = _IGNORED.sub("", text).translate(_FOLDED).casefold()
    return _SPACES.sub(" ", text).strip()


def search_text(*parts: str | None) -> str:
    """The normalised text a row is searched by, from all of its searchable fields."""
    return normalize(" \n ".join(part for part in parts if part))


def like_pattern(query: str) -> str:
    """A LIKE pattern matching the normalised query anywhere, with wildcards escaped (``\\``)."""
    escaped = normalize(query).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
