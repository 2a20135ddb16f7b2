"""The data that flows through the coach: chunks, retrieved passages, citations, drafts, answers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, Field


@dataclass(frozen=True)
class Chunk:
    """A piece of a guide, as stored in Chroma (metadata names match the store's)."""

    chunk_id: str
    text: str
    source: str  # file name in seeds/
    title: str  # the guide's title
    section: str  # heading path, "Your Learning Roadmap > Foundation"
    position: int  # order of the chunk within its guide
    tokens: int
    content_hash: str
    page: int | None = None  # the page the passage starts on (PDF guides)

    def embedding_text(self) -> str:
        """What is embedded: the passage under its guide title and section, so a passage that
        never names its subject ("Salaries range from…") is still found by it."""
        where = f"{self.title} — {self.section}" if self.section else self.title
        return f"{where}\n{self.text}"

    def metadata(self) -> dict[str, str | int]:
        """Chroma metadata (everything but id and text; a page only where there is one)."""
        meta: dict[str, str | int] = {
            "source": self.source,
            "title": self.title,
            "section": self.section,
            "position": self.position,
            "tokens": self.tokens,
            "content_hash": self.content_hash,
        }
        if self.page is not None:
            meta["page"] = self.page
        return meta

    @classmethod
    def from_record(cls, chunk_id: str, text: str, meta: Mapping[str, Any]) -> Chunk:
        return cls(
            chunk_id=chunk_id,
            text=text,
            source=str(meta["source"]),
            title=str(meta.get("title", "")),
            section=str(meta.get("section", "")),
            position=int(meta.get("position", 0)),
            tokens=int(meta.get("tokens", 0)),
            content_hash=str(meta.get("content_hash", "")),
            page=int(meta["page"]) if meta.get("page") is not None else None,
        )


@dataclass
class Retrieved:
    """A chunk found for a query, with the scores that found it."""

    chunk: Chunk
    score: float  # fused score (higher is better)
    similarity: float | None = None  # cosine similarity of the vector match, if any
    bm25: float | None = None
    ranks: dict[str, int] = field(default_factory=dict)  # retriever name -> 1-based rank


class Turn(BaseModel):
    """One message of a conversation, as the history keeps it."""

    role: Literal["user", "assistant"]
    content: str


class Citation(BaseModel):
    """A numbered source of an answer: ``[id]`` in the text points here."""

    id: int = Field(ge=1)
    source: str
    title: str
    section: str
    snippet: str
    chunk_id: str
    page: int | None = Field(default=None, ge=1, description="Page of a PDF guide, if any")

    def place(self) -> str:
        """Where a person can look: ``Guide › Section (p. 4)``."""
        where = f"{self.title} › {self.section}" if self.section else self.title
        return f"{where or self.source}{f' (p. {self.page})' if self.page else ''}"


class Statement(BaseModel):
    """One claim of an answer, with the citations that back it.

    ``supported`` is True when every cited chunk was checked to carry what the statement
    says (always, for the extractive generator, which quotes the chunks verbatim).
    """

    text: str
    citations: list[int] = Field(default_factory=list)
    supported: bool = True


class Answer(BaseModel):
    """The answer contract shared by the CLI, the HTTP API and the evaluation."""

    session_id: str
    answer: str
    citations: list[Citation] = Field(default_factory=list)
    refused: bool = False
    mode: Literal["extractive", "llm"] = "extractive"
    message_id: str | None = None
    grounded: bool = True
    fallback_reason: str | None = None
    usage: dict[str, float] | None = None
    statements: list[Statement] = Field(default_factory=list)


@dataclass(frozen=True)
class Restart:
    """Discard the answer text streamed so far: the pieces that follow replace it.

    Sent when an LLM fails after its first words reached the user and the offline
    generator answers instead; the final ``Draft.text`` is what follows the restart.
    """

    reason: str


RefusalReason = Literal["not_covered", "off_topic", "injection"]


@dataclass
class Draft:
    """A finished answer before it is stored: text with ``[n]`` markers and their citations.

    A refusal is a value: ``refused`` with its ``reason`` and no text; the chain words it in
    the coach's voice (a generator does not know the library it would name).
    """

    text: str
    citations: list[Citation]
    refused: bool = False
    mode: str = "extractive"
    grounded: bool = True
    fallback_reason: str | None = None
    usage: dict[str, float] | None = None
    statements: list[Statement] = field(default_factory=list)
    reason: RefusalReason | None = None

    @classmethod
    def refusal(cls, reason: RefusalReason = "not_covered", mode: str = "extractive") -> Draft:
        """A refusal: no text, no claim, nothing to cite."""
        return cls(text="", citations=[], refused=True, mode=mode, reason=reason)
