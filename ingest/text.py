"""A guide file's bytes as text: UTF-8 checked, and one normal form for hashing and parsing."""

from __future__ import annotations

from pathlib import Path

from ingest.errors import GuideError


def normalise(text: str) -> str:
    """One canonical form, so hashes ignore BOMs, CRLF, trailing spaces and blank-line runs."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line for line, _ in normalise_lines(text.split("\n")))


def normalise_lines(
    lines: list[str], pages: list[int | None] | None = None
) -> list[tuple[str, int | None]]:
    """:func:`normalise` line by line, each kept line with its page: trailing spaces go,
    blank-line runs become one blank line, and blank lines at either end go."""
    kept: list[tuple[str, int | None]] = []
    for n, line in enumerate(lines):
        line = line.rstrip()
        if not line and (not kept or not kept[-1][0]):
            continue
        kept.append((line, pages[n] if pages else None))
    while kept and not kept[-1][0]:
        kept.pop()
    return kept


def decode(data: bytes, shown: str | Path) -> str:
    """UTF-8 text of a guide, or a :class:`GuideError` saying what is wrong with the bytes."""
    if not data:
        raise GuideError(shown, "file is empty — add content or remove it")
    if b"\x00" in data:
        raise GuideError(
            shown, "looks like a binary file (it contains NUL bytes) — guides must be UTF-8 text"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise GuideError(
            shown,
            f"is not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}) — "
            "re-save it as UTF-8",
        ) from None
