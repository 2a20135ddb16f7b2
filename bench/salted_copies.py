"""Renamed, salted copies of guides, so a corpus can be scaled up without being deduplicated.

Copy ``n`` (n ≥ 2) of ``guide.md`` is ``guide--copy-NN.md``: its title line gets `` (copy n)``
and a short sentence naming the copy is inserted, as a line of its own, at the start of every
section's body and wherever a chunk would otherwise hold no such sentence. So every chunk of a
copy differs from the same chunk in every other copy (distinct content hashes), while every
original line is kept verbatim and in order: the copies share all their sentences. Copy 1 is the
guide itself. An insertion that would change the guide's sections (a plain-text line read as a
heading, say) is not made; a chunk left without salt is counted, never hidden.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from coach.settings import Settings
from ingest.chunker import chunk_guide
from ingest.formats.markdown import canonical_markdown
from ingest.loader import MARKDOWN_SUFFIXES, Guide, normalise, parse_guide, read_guide_text

SETEXT_UNDERLINE = re.compile(r"^ {0,3}(=+|-+)\s*$")  # a line after this one would be its heading
MAX_ROUNDS = 8  # salting passes per guide; each pass only adds salt lines


def copy_name(source: str, copy: int) -> str:
    """``guide.md`` -> ``guide--copy-03.md``; copy 1 keeps its name."""
    if copy == 1:
        return source
    path = Path(source)
    return f"{path.stem}--copy-{copy:02d}{path.suffix}"


def copy_mark(copy: int) -> str:
    """The words every salt line of copy ``copy`` carries (no other copy's line contains them)."""
    return f"Copy {copy}"


def salt_line(copy: int, passage: int) -> str:
    return f"{copy_mark(copy)}, passage {passage}."


@dataclass
class SaltedGuide:
    """One copy of a guide: its file name and text, and what a question about it can name."""

    name: str
    text: str
    title: str
    copy: int
    original: Path | None = None  # the file it copies
    sections: list[str] = field(default_factory=list)  # the last heading of each section path
    chunks: int = 0
    unsalted: int = 0  # chunks of a copy (n ≥ 2) that hold no salt line


def _structure(guide: Guide) -> list[tuple[str, ...]]:
    return [section.path for section in guide.sections]


def _body_starts(guide: Guide) -> list[int]:
    """The line index where each section's body begins."""
    starts, cursor = [], 0
    for section in guide.sections:
        at = guide.text.find(section.text, cursor)
        if at < 0:
            continue
        cursor = at + 1
        starts.append(guide.text.count("\n", 0, at + section.body_offset))
    return starts


class _Copy:
    """The lines of one copy under construction: the original's plus the salt lines."""

    def __init__(self, original: Guide, copy: int) -> None:
        self.original = original
        self.copy = copy
        self.name = copy_name(original.source, copy)
        self.markdown = self.name.lower().endswith(MARKDOWN_SUFFIXES)
        self.lines = original.text.split("\n")
        self.title_line = next(
            (n for n, line in enumerate(self.lines) if original.title and original.title in line),
            None,
        )
        self.inserts: set[int] = set()  # salt goes before these original line numbers

    def render(self, inserts: Iterable[int]) -> tuple[str, list[int]]:
        """The copy's text and, per line, the original line it is (-1 for added lines)."""
        wanted = set(inserts)
        out: list[str] = []
        origin: list[int] = []
        passage = 0
        for n, line in enumerate(self.lines):
            if n in wanted:
                passage += 1
                block = [salt_line(self.copy, passage)]
                if self.markdown:  # a paragraph of its own (CommonMark would join the next line)
                    if out and out[-1].strip():
                        block.insert(0, "")
                    if line.strip():
                        block.append("")
                out.extend(block)
                origin.extend([-1] * len(block))
            if n == self.title_line:
                line = f"{line.rstrip().rstrip('#').rstrip()} (copy {self.copy})"
            out.append(line)
            origin.append(n)
        return "\n".join(out), origin

    def parse(self, inserts: Iterable[int]) -> tuple[Guide, list[int]]:
        text, origin = self.render(inserts)
        return parse_guide(text, self.name), origin

    def keeps_structure(self, inserts: Iterable[int]) -> bool:
        """The copy reads back as written (markdown: through the markdown reader) and has
        the original's sections."""
        text, _ = self.render(inserts)
        if normalise(text) != text:
            return False
        if self.markdown and canonical_markdown(text).text.rstrip("\n") != text:
            return False
        return _structure(parse_guide(text, self.name)) == _structure(self.original)

    def try_insert(self, lines: Iterable[int]) -> bool:
        """Add salt before each of ``lines`` unless that would change the guide's sections.

        All at once when that keeps the sections (the common case: one parse), else one by one.
        """
        wanted = set()
        for line_no in lines:
            while line_no < len(self.lines) and SETEXT_UNDERLINE.match(self.lines[line_no]):
                line_no += 1  # salt right before an underline would become a heading
            if line_no < len(self.lines) and line_no not in self.inserts:
                wanted.add(line_no)
        if not wanted:
            return False
        if self.keeps_structure(self.inserts | wanted):
            self.inserts |= wanted
            return True
        added = False
        for line_no in sorted(wanted):
            if self.keeps_structure(self.inserts | {line_no}):
                self.inserts.add(line_no)
                added = True
        return added


def _line_inside(text: str, start: int, length: int) -> int | None:
    """The index of the first line that begins within ``text[start:start + length]``."""
    line_start = text.rfind("\n", 0, start) + 1
    if line_start != start:
        line_start = text.find("\n", start) + 1
        if line_start == 0 or line_start >= start + length:
            return None
    return text.count("\n", 0, line_start)


def salted_copy(
    text: str, source: str, copy: int, settings: Settings, hint: set[int] | None = None
) -> tuple[SaltedGuide, set[int]]:
    """Copy ``copy`` of the guide ``source`` whose (normalised) text is ``text``.

    Also returns where salt went (original line numbers): pass it as ``hint`` for the next
    copy of the same guide, which then needs no search.
    """
    original = parse_guide(normalise(text), source)
    work = _Copy(original, copy)
    if copy > 1:
        work.try_insert(hint if hint is not None else _body_starts(original))
    mark = copy_mark(copy)
    for _ in range(MAX_ROUNDS):
        guide, origin = work.parse(work.inserts)
        chunks = chunk_guide(guide, settings)
        if copy == 1:
            break
        missing, cursor = [], 0
        for chunk in chunks:
            at = guide.text.find(chunk.text, cursor)
            if at < 0:
                continue
            cursor = at + 1
            line = None if mark in chunk.text else _line_inside(guide.text, at, len(chunk.text))
            if line is not None and origin[line] >= 0:
                missing.append(origin[line])
        if not work.try_insert(missing):
            break
    salted = SaltedGuide(
        name=work.name,
        text=guide.text,
        title=guide.title,
        copy=copy,
        sections=[section.path[-1] for section in guide.sections if section.path],
        chunks=len(chunks),
        unsalted=0 if copy == 1 else sum(1 for c in chunks if mark not in c.text),
    )
    return salted, work.inserts


def guide_files(folder: Path) -> list[Path]:
    """The guides of a folder, as ingestion finds them (``*.md``/``*.txt``, not hidden)."""
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and p.suffix.lower() in (".md", ".txt") and not p.name.startswith(".")
    )


def write_copies(
    folders: Sequence[Path], copies: int, out: Path, settings: Settings
) -> list[SaltedGuide]:
    """Write ``copies`` copies of every guide in ``folders`` into the one folder ``out``.

    Guide file names must be unique in a store, so a name that two folders share gets its
    folder's name as a prefix.
    """
    out.mkdir(parents=True, exist_ok=True)
    written: list[SaltedGuide] = []
    taken: set[str] = set()
    for folder in folders:
        for path in guide_files(folder):
            source = path.name if path.name not in taken else f"{folder.parent.name}-{path.name}"
            taken.add(source)
            text = read_guide_text(path)
            hint: set[int] | None = None
            for copy in range(1, copies + 1):
                salted, inserts = salted_copy(text, source, copy, settings, hint)
                hint = inserts if copy > 1 else None
                salted.original = path
                (out / salted.name).write_text(salted.text + "\n", encoding="utf-8")
                written.append(salted)
    return written
