"""The library summary: which guides the coach holds and what they cover.

Built at ingest (``ingest.summary``) and stored as JSON in the Chroma collection's metadata,
beside the embedding model, so it travels with the collection (embedded or on a server).
Everything the coach says about itself (refusals, welcome text, starter questions) comes
from it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from coach.store import GuideStore

LIBRARY_KEY = "library"
LIBRARY_VERSION = 1  # a summary of another version is rebuilt from the stored chunks


@dataclass(frozen=True)
class GuideEntry:
    """One guide as the summary knows it."""

    source: str
    title: str
    sections: list[str]  # top-level headings, in reading order
    chunks: int
    ingested_at: str  # ISO 8601, UTC: when this version of the guide was first summarised
    digest: str  # of the guide's chunk hashes: an unchanged guide keeps its entry
    terms: dict[str, int] = field(default_factory=dict)  # its most frequent content terms


@dataclass(frozen=True)
class Library:
    """The guides, the topics they cover, and questions they are known to answer."""

    guides: list[GuideEntry] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)  # phrases from the titles, best first
    starters: list[str] = field(default_factory=list)  # each answered with citations
    vocabulary: list[str] = field(default_factory=list)  # terms of titles and headings
    version: int = LIBRARY_VERSION

    @property
    def empty(self) -> bool:
        return not self.guides

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Library | None:
        """The summary in ``text``, or None when it is unreadable or of another version."""
        try:
            data: dict[str, Any] = json.loads(text)
            if data.get("version") != LIBRARY_VERSION:
                return None
            guides = [GuideEntry(**g) for g in data.get("guides", [])]
            return cls(
                guides=guides,
                topics=list(data.get("topics", [])),
                starters=list(data.get("starters", [])),
                vocabulary=list(data.get("vocabulary", [])),
            )
        except (ValueError, TypeError, AttributeError):
            return None


def read_library(store: GuideStore) -> Library | None:
    """The summary stored with the collection, if there is a current one."""
    text = store.metadata_value(LIBRARY_KEY)
    return Library.from_json(text) if isinstance(text, str) else None


def write_library(store: GuideStore, library: Library) -> None:
    """Store the summary with the collection (the other metadata keys are kept)."""
    store.set_metadata_value(LIBRARY_KEY, library.to_json())
