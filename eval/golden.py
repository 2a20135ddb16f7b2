"""The golden set: one question a line with its ideal answer and the guides it draws on.

``key_facts`` and ``split`` are optional here, so any JSONL file works with ``--golden``;
a corpus (eval/corpus.py) requires and checks them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from coach.errors import InputError
from eval.facts import KeyFact, missing_facts

ROLES = ("user", "assistant")
SPLITS = ("dev", "test")


@dataclass(frozen=True)
class HistoryTurn:
    """An earlier turn of the conversation an item's question follows."""

    role: Literal["user", "assistant"]
    content: str


@dataclass(frozen=True)
class GoldenItem:
    """One evaluation question (unknown fields of the line are ignored)."""

    id: str
    question: str
    reference: str
    sources: tuple[str, ...]
    answerable: bool
    history: tuple[HistoryTurn, ...] = ()
    kind: str = ""  # optional grouping for the report ("fact", "follow_up", …)
    line: int = 0
    key_facts: tuple[KeyFact, ...] = ()
    split: str | None = None  # "dev", "test", or None when the file has no split

    @property
    def is_multi_turn(self) -> bool:
        return bool(self.history)


@dataclass
class GoldenSet:
    """The items of a golden file, in file order."""

    path: Path
    items: list[GoldenItem] = field(default_factory=list)

    @property
    def sources(self) -> set[str]:
        return {s for item in self.items for s in item.sources}

    @property
    def has_key_facts(self) -> bool:
        return any(item.key_facts for item in self.items)

    def select(self, split: str) -> GoldenSet:
        """The items of one split ("dev" or "test"); "all", or a file without splits: all."""
        if split == "all" or all(item.split is None for item in self.items):
            return GoldenSet(path=self.path, items=list(self.items))
        return GoldenSet(path=self.path, items=[i for i in self.items if i.split == split])


def _require(record: dict[str, Any], name: str, kind: type, where: str) -> Any:
    if name not in record:
        raise InputError(f"{where}: missing field '{name}'.")
    value = record[name]
    # bool is an int subclass; a string field must not accept numbers and vice versa.
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise InputError(
            f"{where}: field '{name}' must be {kind.__name__}, not {type(value).__name__}."
        )
    return value


def parse_item(record: Any, where: str, line: int = 0) -> GoldenItem:
    """A golden item from one decoded JSON line, or an InputError saying what is wrong."""
    if not isinstance(record, dict):
        raise InputError(f"{where}: expected a JSON object, got {type(record).__name__}.")
    item_id = _require(record, "id", str, where).strip()
    if not item_id:
        raise InputError(f"{where}: field 'id' is empty.")
    where = f"{where} (item '{item_id}')"
    question = _require(record, "question", str, where).strip()
    if not question:
        raise InputError(f"{where}: field 'question' is empty.")
    reference = _require(record, "reference", str, where)
    sources = _require(record, "sources", list, where)
    if not all(isinstance(s, str) and s.strip() for s in sources):
        raise InputError(f"{where}: field 'sources' must be a list of guide file names.")
    answerable = _require(record, "answerable", bool, where)
    if answerable and not sources:
        raise InputError(f"{where}: an answerable item needs at least one source.")
    if not answerable and sources:
        raise InputError(f"{where}: an item with answerable false must have sources [].")
    history: list[HistoryTurn] = []
    raw_history = record.get("history") or []
    if not isinstance(raw_history, list):
        raise InputError(f"{where}: field 'history' must be a list of turns.")
    for n, turn in enumerate(raw_history, 1):
        if (
            not isinstance(turn, dict)
            or turn.get("role") not in ROLES
            or not isinstance(turn.get("content"), str)
        ):
            raise InputError(
                f"{where}: history turn {n} must be "
                '{"role": "user"|"assistant", "content": "..."}.'
            )
        history.append(HistoryTurn(role=turn["role"], content=turn["content"]))
    key_facts = _key_facts(record.get("key_facts") or [], where)
    if key_facts and not answerable:
        raise InputError(f"{where}: an item with answerable false must have key_facts [].")
    split = record.get("split")
    if split is not None and split not in SPLITS:
        raise InputError(f'{where}: field \'split\' must be "dev" or "test", not {split!r}.')
    kind = record.get("kind", "")
    return GoldenItem(
        id=item_id,
        question=question,
        reference=reference,
        sources=tuple(s.strip() for s in sources),
        answerable=answerable,
        history=tuple(history),
        kind=kind if isinstance(kind, str) else "",
        line=line,
        key_facts=key_facts,
        split=split,
    )


def _key_facts(raw: Any, where: str) -> tuple[KeyFact, ...]:
    """``[["3-6 months", "three to six months"], ["Terraform"]]`` as tuples of alternatives."""
    shape = 'a list of facts, each a list of alternatives: [["3-6 months"], ["Terraform"]]'
    if not isinstance(raw, list):
        raise InputError(f"{where}: field 'key_facts' must be {shape}.")
    facts = []
    for fact in raw:
        if not (
            isinstance(fact, list) and fact and all(isinstance(a, str) and a.strip() for a in fact)
        ):
            raise InputError(f"{where}: field 'key_facts' must be {shape}; got {fact!r}.")
        facts.append(tuple(a.strip() for a in fact))
    return tuple(facts)


def load_golden(path: Path) -> GoldenSet:
    """Every item of a JSONL golden file; a malformed line is an InputError naming it."""
    if not path.is_file():
        raise InputError(f"Golden file not found: {path}. Pass one with --golden PATH.")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"Cannot read golden file {path}: {exc}") from exc
    golden = GoldenSet(path=path)
    seen: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        where = f"{path.name} line {number}"
        try:
            record = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise InputError(f"{where}: invalid JSON ({exc.msg} at column {exc.colno}).") from exc
        item = parse_item(record, where, number)
        if item.id in seen:
            raise InputError(f"{where}: duplicate id '{item.id}' (first on line {seen[item.id]}).")
        seen[item.id] = number
        golden.items.append(item)
    if not golden.items:
        raise InputError(f"Golden file {path} has no items.")
    return golden


def check_sources(golden: GoldenSet, known: set[str]) -> None:
    """Every source an item names must be a guide the coach has; else an InputError."""
    for item in golden.items:
        missing = [s for s in item.sources if s not in known]
        if missing:
            raise InputError(
                f"{golden.path.name} line {item.line} (item '{item.id}'): unknown source "
                f"{', '.join(missing)}; the guides are: {', '.join(sorted(known))}."
            )


def check_key_facts(golden: GoldenSet, guide_texts: dict[str, str]) -> None:
    """Every key fact must occur (normalised) in one of its item's sources; else an InputError."""
    for item in golden.items:
        text = "\n".join(guide_texts.get(source, "") for source in item.sources)
        missing = missing_facts(item.key_facts, text)
        if missing:
            shown = " | ".join(" / ".join(repr(a) for a in fact) for fact in missing)
            raise InputError(
                f"{golden.path.name} line {item.line} (item '{item.id}'): key fact {shown} "
                f"appears in none of its sources ({', '.join(item.sources)}); copy it "
                "verbatim from a source guide."
            )
