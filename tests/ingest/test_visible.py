"""Text as a reader sees it: compatibility forms, invisible characters and look-alikes undone."""

from __future__ import annotations

import pytest

from ingest.visible import invisible, skeleton, visible


@pytest.mark.parametrize(
    "char", ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u202e", "\u2066"]
)
def test_zero_width_and_bidi_controls_are_invisible(char: str) -> None:
    assert invisible(char) and visible(f"a{char}b") == "ab"


def test_full_width_and_mathematical_letters_read_as_ascii() -> None:
    assert visible("Ｉｇｎｏｒｅ") == "Ignore"
    assert visible("𝐈𝐠𝐧𝐨𝐫𝐞") == "Ignore"


def test_look_alike_letters_and_marks_fold_to_ascii() -> None:
    assert skeleton("Іgnоrе") == "Ignore"  # Cyrillic І, о, е
    assert skeleton("ΙGNΟRΕ") == "IGNORE"  # Greek capitals
    assert skeleton("I\u0332g\u0332n\u0332o\u0332r\u0332e\u0332") == "Ignore"


def test_text_in_other_scripts_and_accents_is_kept_visible() -> None:
    for text in ("Résumé", "Lebenslauf für Ärzte", "求职信", "резюме"):
        assert visible(text) == text
