"""Reading a guide: validate the file, normalise its text, recover its sections."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

from coach.errors import InputError
from ingest.headings import Heading, markdown_headings, text_headings
from ingest.injection import FlaggedLine, flag_lines
from ingest.requests import request_lines

SUPPORTED_SUFFIXES = (".md", ".txt")
MARKDOWN_SUFFIXES = (".md",)
PATH_SEPARATOR = " > "


class GuideError(InputError):
    """A guide that cannot be ingested; the message names the file and says what to do."""

    def __init__(self, path: str | Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = str(path)
        self.problem = problem


@dataclass(frozen=True)
class Section:
    """A verbatim slice of a guide under one heading path (title left out).

    ``text`` starts with the section's heading lines (and any bare heading before them);
    its body begins at ``body_offset``.
    """

    path: tuple[str, ...]
    text: str
    body_offset: int = 0

    @property
    def name(self) -> str:
        """The heading path as stored in chunk metadata: ``"Reality Check > This Week"``."""
        return PATH_SEPARATOR.join(self.path)

    @property
    def body(self) -> str:
        return self.text[self.body_offset :]


@dataclass(frozen=True)
class Guide:
    """A normalised guide: its file name is its identity (the ``source`` of its chunks)."""

    source: str
    title: str
    text: str
    sections: tuple[Section, ...]
    flagged: tuple[FlaggedLine, ...] = ()  # lines flagged; left out of ``text`` unless kept


ACRONYMS = frozenset("ai ml llm llms api apis rag aws gcp sql ux ui cv qa devops mlops".split())


def title_from_file_name(name: str) -> str:
    """``backend-to-ai.md`` -> ``Backend To AI``: the fallback when a guide has no title."""
    words = re.split(r"[-_\s.]+", Path(name).stem)
    return " ".join(w.upper() if w.lower() in ACRONYMS else w.capitalize() for w in words if w)


def normalise(text: str) -> str:
    """One canonical form, so hashes ignore BOMs, CRLF, trailing spaces and blank-line runs."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n")


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


def read_guide(
    path: Path, shown: str | Path | None = None, *, accept_requests: bool = False
) -> tuple[str, list[FlaggedLine]]:
    """The normalised text of a supported, readable, non-empty guide file, without the lines
    that address an AI (prompt injection) or ask the reader for credentials, payment or a
    program (kept when ``accept_requests``); those come second, numbered as in the file."""
    shown = path if shown is None else shown
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        kind = f"'{path.suffix}'" if path.suffix else "(no extension)"
        raise GuideError(shown, f"unsupported file type {kind} — guides must be .md or .txt")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise GuideError(shown, "no such file — check the path") from None
    except IsADirectoryError:
        raise GuideError(shown, "is a directory, not a guide file") from None
    except PermissionError:
        raise GuideError(
            shown, "cannot be read (permission denied) — check its permissions"
        ) from None
    except OSError as exc:
        raise GuideError(
            shown, f"cannot be read ({exc.strerror or exc}) — check the file"
        ) from None
    raw = decode(data, shown).replace("\r\n", "\n").replace("\r", "\n")
    flagged = flag_lines(raw, str(shown))
    injected = {item.line for item in flagged}
    requests = request_lines(raw, str(shown), kept=accept_requests)
    flagged = sorted([*flagged, *(r for r in requests if r.line not in injected)], key=_line)
    if left_out := [item for item in flagged if not item.kept]:
        lines = raw.split("\n")  # blank them, so what remains keeps its line structure
        for item in left_out:
            lines[item.line - 1] = ""
        raw = "\n".join(lines)
    text = normalise(raw)
    if not text.strip():
        if left_out:
            raise GuideError(
                shown,
                "holds only lines left out (addressed to an AI, or asking the reader for "
                "credentials, payment or a program) — nothing to ingest",
            )
        raise GuideError(shown, "file contains only whitespace — add content or remove it")
    return text, flagged


def _line(item: FlaggedLine) -> int:
    return item.line


def read_guide_text(path: Path, shown: str | Path | None = None) -> str:
    """The normalised text of a guide (see :func:`read_guide`)."""
    return read_guide(path, shown)[0]


def _sections(
    lines: list[str], headings: list[Heading], title_heading: Heading | None
) -> list[Section]:
    """Slice the lines at each heading; a heading with no body leads into the next section."""
    first = headings[0].line if headings else len(lines)
    segments: list[tuple[Heading | None, int, int]] = [(None, 0, first)] if first else []
    for n, heading in enumerate(headings):
        end = headings[n + 1].line if n + 1 < len(headings) else len(lines)
        segments.append((heading, heading.line, end))

    sections: list[Section] = []
    stack: list[Heading] = []
    carried_from: int | None = None  # first line of bare headings waiting for a body
    for owner, start, end in segments:
        if owner is not None:
            while stack and stack[-1].level >= owner.level:
                stack.pop()
            stack.append(owner)
        body = [i for i in range(owner.end if owner else start, end) if lines[i].strip()]
        if not body:  # a bare heading (or the title) leads into what follows
            carried_from = start if carried_from is None else carried_from
            continue
        head = "\n".join(lines[start if carried_from is None else carried_from : body[0]])
        text = "\n".join(lines[body[0] : body[-1] + 1])
        path = tuple(h.text for h in stack if h is not title_heading)
        sections.append(Section(path, f"{head}\n{text}" if head else text, len(head) + bool(head)))
        carried_from = None
    if carried_from is not None:  # a guide that ends with a heading keeps it
        text = "\n".join(lines[carried_from:]).strip("\n")
        sections.append(Section(tuple(h.text for h in stack if h is not title_heading), text))
    return sections


def parse_guide(text: str, source: str) -> Guide:
    """Title and sections of normalised ``text`` (markdown when ``source`` ends in ``.md``)."""
    lines = text.split("\n")
    title_heading: Heading | None = None
    if source.lower().endswith(MARKDOWN_SUFFIXES):
        headings = markdown_headings(text)
        if headings and headings[0].level == 1:
            title_heading = headings[0]
    else:
        title_line, headings = text_headings(lines)
        if title_line is not None:
            title_heading = Heading(
                line=title_line, level=1, text=lines[title_line].strip(), end=title_line + 1
            )
            headings = [title_heading, *headings]
    title = title_heading.text if title_heading else title_from_file_name(source)
    return Guide(
        source=source,
        title=title,
        text=text,
        sections=tuple(_sections(lines, headings, title_heading)),
    )


def load_guide(
    path: str | Path, shown: str | Path | None = None, *, accept_requests: bool = False
) -> Guide:
    """Read, validate and parse one guide; ``shown`` is how error messages name the file.

    Raises :class:`GuideError` (an ``InputError``) naming the file when it cannot be used.
    Lines addressed to an AI, and (unless ``accept_requests``) lines asking the reader for
    credentials, payment or a program, are left out of its sections and listed in ``flagged``.
    """
    path = Path(path)
    text, flagged = read_guide(path, shown, accept_requests=accept_requests)
    return replace(parse_guide(text, path.name), flagged=tuple(flagged))
