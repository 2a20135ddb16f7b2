"""Evaluation corpora: ``eval/corpora/<name>/`` with corpus.toml, its guides and golden.jsonl.

    corpus.toml    name = "<name>"; description = "one line"; guides = "guides"
    guides/        the guides (any format ingest reads), or wherever ``guides`` points
    golden.jsonl   the golden set: every item has a kind, a dev/test split and key facts

Loading a corpus validates its golden set against its own guides: unknown sources, kinds
or splits, and key facts found in none of an item's sources are errors naming the item.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from coach.errors import InputError
from eval.golden import GoldenSet, check_key_facts, check_sources, load_golden
from ingest.errors import GuideError
from ingest.formats.registry import SUPPORTED_SUFFIXES
from ingest.loader import read_guide_text

CORPORA_DIR = Path(__file__).with_name("corpora")
MANIFEST = "corpus.toml"
GOLDEN_FILE = "golden.jsonl"
KINDS = (
    "fact",
    "list",
    "comparison",
    "compound",
    "follow_up",
    "disagreement",
    "not_covered",
    "off_topic",
    "injection",
)


@dataclass(frozen=True)
class Corpus:
    """One corpus: where its guides and golden set are."""

    name: str
    description: str
    root: Path
    guides_dir: Path
    golden_path: Path


def guide_files(folder: Path) -> list[Path]:
    """The guides of a folder, as ingestion finds them (every supported format, not hidden)."""
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES and not p.name.startswith(".")
    )


def read_corpus(root: Path) -> Corpus:
    """The corpus described by ``root/corpus.toml``; an InputError says what is wrong."""
    manifest = root / MANIFEST
    try:
        data = tomllib.loads(manifest.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError(f"{manifest} not found; every corpus folder needs one.") from exc
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"{manifest}: cannot read it ({exc}).") from exc
    for key in ("name", "description", "guides"):
        if not isinstance(data.get(key, ""), str):
            raise InputError(f"{manifest}: '{key}' must be a string.")
    name = str(data.get("name") or root.name)
    guides_dir = (root / str(data.get("guides") or "guides")).resolve()
    if not guides_dir.is_dir():
        raise InputError(f"{manifest}: guides folder {guides_dir} does not exist.")
    golden = root / GOLDEN_FILE
    if not golden.is_file():
        raise InputError(f"Corpus '{name}' has no {GOLDEN_FILE} in {root}.")
    return Corpus(
        name=name,
        description=str(data.get("description", "")),
        root=root,
        guides_dir=guides_dir,
        golden_path=golden,
    )


def discover(corpora_dir: Path = CORPORA_DIR) -> list[Corpus]:
    """Every corpus under ``corpora_dir`` (folders with a corpus.toml), sorted by name."""
    if not corpora_dir.is_dir():
        raise InputError(f"No corpora folder at {corpora_dir}.")
    found = [read_corpus(p) for p in sorted(corpora_dir.iterdir()) if (p / MANIFEST).is_file()]
    names = [c.name for c in found]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise InputError(f"{corpora_dir}: more than one corpus named {', '.join(duplicates)}.")
    return sorted(found, key=lambda c: c.name)


def select(name: str, corpora_dir: Path = CORPORA_DIR) -> list[Corpus]:
    """The corpus called ``name``, or every corpus for "all"."""
    corpora = discover(corpora_dir)
    if name == "all":
        if not corpora:
            raise InputError(f"No corpus in {corpora_dir}; add one (see the README).")
        return corpora
    for corpus in corpora:
        if corpus.name == name:
            return [corpus]
    known = ", ".join(c.name for c in corpora) or "none"
    raise InputError(f"Unknown corpus '{name}'; the corpora are: {known} (or 'all').")


def guide_texts(folder: Path) -> dict[str, str]:
    """Each guide's text by file name, as its format reader gives it."""
    texts = {}
    for path in guide_files(folder):
        try:
            texts[path.name] = read_guide_text(path)
        except GuideError as exc:
            raise InputError(f"Cannot read guide {path}: {exc.problem}") from exc
    return texts


def check_corpus_items(golden: GoldenSet) -> None:
    """A corpus's items name a known kind and a split; answerable ones carry key facts."""
    for item in golden.items:
        where = f"{golden.path.name} line {item.line} (item '{item.id}')"
        if item.kind not in KINDS:
            raise InputError(f"{where}: kind {item.kind!r} is not one of {', '.join(KINDS)}.")
        if item.split is None:
            raise InputError(f'{where}: missing field \'split\' ("dev" or "test").')
        if item.answerable and not item.key_facts:
            raise InputError(f"{where}: an answerable item needs key_facts.")


def load_corpus_golden(corpus: Corpus) -> GoldenSet:
    """The corpus's golden set, validated against its guides."""
    golden = load_golden(corpus.golden_path)
    check_corpus_items(golden)
    texts = guide_texts(corpus.guides_dir)
    check_sources(golden, set(texts))
    check_key_facts(golden, texts)
    return golden
