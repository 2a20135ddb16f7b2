"""Reading a guide: validate the file, normalise its text, recover its sections."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

from ingest.errors import GuideError
from ingest.formats.canonical import TextFormatReader
from ingest.formats.registry import (
    MARKDOWN_SUFFIXES,
    SUPPORTED_SUFFIXES,
    TEXT_SUFFIXES,
    reader_for,
)
from ingest.headings import Heading, markdown_headings, text_headings
from ingest.injection import FlaggedLine, flag_lines
from ingest.requests import request_lines
from ingest.text import decode, normalise, normalise_lines

__all__ = [
    "MARKDOWN_SUFFIXES",
    "SUPPORTED_SUFFIXES",
    "Guide",
    "GuideError",
    "Section",
    "decode",
    "normalise",
]

PATH_SEPARATOR = " > "


@dataclass(frozen=True)
class Section:
    """A verbatim slice of a guide under one heading path (title left out).

    ``text`` starts with the section's heading lines (and any bare heading before them);
    its body begins at ``body_offset``.
    """

    path: tuple[str, ...]
    text: str
    body_offset: int = 0
    first_line: int = 0  # where ``text`` starts among the guide's lines

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
    line_pages: tuple[int | None, ...] = ()  # the page of each line of ``text`` (PDF only)
    links: tuple[tuple[str, str], ...] = ()  # (link text, URL): kept as metadata, not prose

    def page_of(self, section: Section, offset: int = 0) -> int | None:
        """The page on which ``section.text[offset:]`` starts, or None without pages."""
        line = section.first_line + section.text.count("\n", 0, offset)
        return self.line_pages[line] if line < len(self.line_pages) else None


ACRONYMS = frozenset("ai ml llm llms api apis rag aws gcp sql ux ui cv qa devops mlops".split())


def title_from_file_name(name: str) -> str:
    """``backend-to-ai.md`` -> ``Backend To AI``: the fallback when a guide has no title."""
    words = re.split(r"[-_\s.]+", Path(name).stem)
    return " ".join(w.upper() if w.lower() in ACRONYMS else w.capitalize() for w in words if w)


@dataclass(frozen=True)
class GuideText:
    """A guide file's normalised text, before its sections are found."""

    text: str
    flagged: tuple[FlaggedLine, ...]
    markdown: bool  # headings are CommonMark headings (every format but plain text)
    line_pages: tuple[int | None, ...] = ()
    links: tuple[tuple[str, str], ...] = ()
    title: str | None = None  # a title the format states apart from the text


def _check_file(path: Path, shown: str | Path) -> None:
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        kind = f"'{path.suffix}'" if path.suffix else "(no extension)"
        raise GuideError(
            shown, f"unsupported file type {kind} — guides must be {', '.join(SUPPORTED_SUFFIXES)}"
        )
    if path.is_dir():
        raise GuideError(shown, "is a directory, not a guide file")
    if not path.exists():
        raise GuideError(shown, "no such file — check the path")


def _read_bytes(path: Path, shown: str | Path) -> bytes:
    try:
        return path.read_bytes()
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


def read_source(
    path: Path, shown: str | Path | None = None, *, accept_requests: bool = False
) -> GuideText:
    """The normalised text of a supported, readable, non-empty guide file in any format,
    without the lines that address an AI (prompt injection) or ask the reader for
    credentials, payment or a program (kept when ``accept_requests``); those are listed
    apart, numbered as in the file (as in the text the reader gave, for PDF, HTML, Word)."""
    shown = path if shown is None else shown
    _check_file(path, shown)
    suffix = path.suffix.lower()
    reader = reader_for(suffix)
    pages: list[int | None] | None = None
    links: tuple[tuple[str, str], ...] = ()
    title: str | None = None
    if reader is None or isinstance(reader, TextFormatReader):
        # text: lines addressed to an AI are found in the file's own lines, then parsed
        raw = decode(_read_bytes(path, shown), shown).replace("\r\n", "\n").replace("\r", "\n")
        raw, flagged = _left_out(raw, shown, accept_requests)
        if reader is not None and raw.strip():
            canonical = reader.read_text(raw, shown)
            raw, links, title = canonical.text, canonical.links, canonical.title
    else:
        canonical = reader.read(path, shown)
        raw, links, title = canonical.text, canonical.links, canonical.title
        if canonical.pages:
            pages, offset = [], 0
            for line in raw.split("\n"):
                pages.append(canonical.page_at(offset))
                offset += len(line) + 1
        raw, flagged = _left_out(raw, shown, accept_requests)
    kept = normalise_lines(raw.removeprefix("\ufeff").split("\n"), pages)
    text = "\n".join(line for line, _ in kept)
    if not text.strip():
        if any(not item.kept for item in flagged):
            raise GuideError(
                shown,
                "holds only lines left out (addressed to an AI, or asking the reader for "
                "credentials, payment or a program) — nothing to ingest",
            )
        raise GuideError(shown, "file contains only whitespace — add content or remove it")
    return GuideText(
        text=text,
        flagged=tuple(flagged),
        markdown=suffix not in TEXT_SUFFIXES,
        line_pages=tuple(page for _, page in kept) if pages else (),
        links=links,
        title=title,
    )


def _left_out(text: str, shown: str | Path, accept_requests: bool) -> tuple[str, list[FlaggedLine]]:
    """``text`` with the lines it must not quote emptied (so what remains keeps its line
    structure), and every flagged line in order: injection first, then reader requests."""
    flagged = flag_lines(text, str(shown))
    injected = {item.line for item in flagged}
    requests = request_lines(text, str(shown), kept=accept_requests)
    flagged = sorted([*flagged, *(r for r in requests if r.line not in injected)], key=_line)
    left_out = [item for item in flagged if not item.kept]
    if not left_out:
        return text, flagged
    lines = text.split("\n")
    for item in left_out:
        lines[item.line - 1] = ""
    return "\n".join(lines), flagged


def _line(item: FlaggedLine) -> int:
    return item.line


def read_guide(path: Path, shown: str | Path | None = None) -> tuple[str, list[FlaggedLine]]:
    """The normalised text of a guide and its flagged lines (see :func:`read_source`)."""
    source = read_source(path, shown)
    return source.text, list(source.flagged)


def read_guide_text(path: Path, shown: str | Path | None = None) -> str:
    """The normalised text of a guide (see :func:`read_source`)."""
    return read_source(path, shown).text


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
        first = start if carried_from is None else carried_from
        head = "\n".join(lines[first : body[0]])
        text = "\n".join(lines[body[0] : body[-1] + 1])
        path = tuple(h.text for h in stack if h is not title_heading)
        sections.append(
            Section(
                path,
                f"{head}\n{text}" if head else text,
                len(head) + bool(head),
                first if head else body[0],
            )
        )
        carried_from = None
    if carried_from is not None:  # a guide that ends with a heading keeps it
        rest = lines[carried_from:]
        skipped = next((i for i, line in enumerate(rest) if line), 0)
        text = "\n".join(rest).strip("\n")
        path = tuple(h.text for h in stack if h is not title_heading)
        sections.append(Section(path, text, first_line=carried_from + skipped))
    return sections


def parse_guide(
    text: str, source: str, markdown: bool | None = None, title: str | None = None
) -> Guide:
    """Title and sections of normalised ``text``: markdown when ``markdown`` says so, or by
    default when ``source`` ends in ``.md``; plain text (bare-line headings) otherwise."""
    lines = text.split("\n")
    title_heading: Heading | None = None
    if source.lower().endswith(MARKDOWN_SUFFIXES) if markdown is None else markdown:
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
    title = title_heading.text if title_heading else title or title_from_file_name(source)
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
    read = read_source(path, shown, accept_requests=accept_requests)
    return replace(
        parse_guide(read.text, path.name, read.markdown, read.title),
        flagged=read.flagged,
        line_pages=read.line_pages,
        links=read.links,
    )
