"""Checks on text from outside: it must be storable Unicode."""

from __future__ import annotations


def unpaired_surrogate(text: str) -> int | None:
    """The index of the first lone UTF-16 surrogate (``"\\ud800"`` in JSON), or None.

    Such a string is valid JSON but not Unicode text: it cannot be encoded as UTF-8, so
    no database or client could take it.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return exc.start
    return None


def surrogate_problem(text: str) -> str | None:
    """What is wrong with ``text`` for people, or None when it is fine."""
    at = unpaired_surrogate(text)
    if at is None:
        return None
    return (
        f"contains an unpaired surrogate (\\u{ord(text[at]):04x} at character {at}), which is "
        "not Unicode text; send the text as valid UTF-8"
    )
