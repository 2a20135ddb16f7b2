"""Text as a reader sees it, so that a check on a line cannot be dodged by how it is encoded.

Three evasions leave a line looking the same on screen while its code points differ:
compatibility forms (full-width or mathematical letters), invisible characters (zero-width
spaces, bidi controls, variation selectors) and look-alike letters from other scripts
(Cyrillic "о" for Latin "o"). :func:`visible` undoes the first two; :func:`skeleton` also
folds marks and look-alikes, for checks that only ask what the line says.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from confusable_homoglyphs import confusables

# Unicode's Default_Ignorable_Code_Point ranges (DerivedCoreProperties.txt) that are not
# already format characters (category Cf): fillers and selectors that render as nothing.
_IGNORABLE_RANGES: tuple[tuple[int, int], ...] = (
    (0x034F, 0x034F),  # combining grapheme joiner
    (0x115F, 0x1160),  # Hangul choseong and jungseong fillers
    (0x17B4, 0x17B5),  # Khmer inherent vowels
    (0x180B, 0x180F),  # Mongolian variation selectors and vowel separator
    (0x3164, 0x3164),  # Hangul filler
    (0xFE00, 0xFE0F),  # variation selectors
    (0xFFA0, 0xFFA0),  # half-width Hangul filler
    (0xFFF0, 0xFFF8),  # unassigned specials
    (0x1BCA0, 0x1BCA3),  # shorthand format controls
    (0x1D173, 0x1D17A),  # musical symbol format controls
    (0xE0000, 0xE0FFF),  # tags and supplementary variation selectors
)


def invisible(char: str) -> bool:
    """Whether ``char`` renders as nothing: a format control (zero-width, bidi, BOM, soft
    hyphen, tags) or another default-ignorable code point."""
    if unicodedata.category(char) == "Cf":
        return True
    point = ord(char)
    return any(low <= point <= high for low, high in _IGNORABLE_RANGES)


def visible(text: str) -> str:
    """``text`` in NFKC form without invisible characters: what is on screen, and no more."""
    folded = unicodedata.normalize("NFKC", text)
    return "".join(char for char in folded if not invisible(char))


@lru_cache(maxsize=4096)
def _latin(char: str) -> str:
    """The ASCII look-alike of one non-ASCII character (Unicode's confusables data), or itself.

    The data maps every I-shaped letter to "l"; a capital that looks like "l" reads as "I".
    """
    found = confusables.is_confusable(char, greedy=True, preferred_aliases=["latin"])
    if not found:
        return char
    for glyph in found[0]["homoglyphs"]:
        latin = glyph["c"]
        if latin.isascii() and latin.isalnum():
            return "I" if latin == "l" and char.isupper() else latin
    return char


def skeleton(text: str) -> str:
    """:func:`visible` text with combining marks dropped and look-alike letters folded to
    ASCII: the form in which "Іgnоrе" and "Ｉｇｎｏｒｅ" both read "Ignore"."""
    bare = unicodedata.normalize("NFD", visible(text))
    unmarked = "".join(char for char in bare if not unicodedata.combining(char))
    return "".join(char if char.isascii() else _latin(char) for char in unmarked)
