"""Whether the excerpts a statement cites carry what it says.

A cited excerpt backs a statement when it gives every figure of the statement and is
close to it in embedding space; the statement is supported when at least one cited
excerpt backs it and the backing excerpts name everything it names. Citations to
excerpts that do not back it are dropped, so every citation left points at an excerpt
that carries the statement's figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from langchain_core.embeddings import Embeddings

from coach.llm.budget import format_excerpt
from coach.llm.claims import Source, figures_of, names_of
from coach.llm.statements import parse_answer
from coach.schema import Chunk, Retrieved

MIN_WORDS = 3  # shorter pieces of an excerpt (headings, labels) are not compared alone


@dataclass
class Verdict:
    """The excerpts (prompt numbers) that back a statement, and what is wrong if none do.

    ``passages`` gives, for a backing excerpt, its sentence nearest to the statement (the
    citation's snippet shows it).
    """

    backing: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    passages: dict[int, str] = field(default_factory=dict)  # the sentence nearest to it

    @property
    def supported(self) -> bool:
        return bool(self.backing) and not self.problems


class SupportChecker:
    """Checks statements against the numbered excerpts of one prompt.

    Excerpts are embedded once, on the first check; each statement is embedded when it
    is checked (``embed_documents``: both sides are passages, not queries).
    """

    def __init__(self, excerpts: Sequence[Chunk], embeddings: Embeddings, floor: float) -> None:
        self.excerpts = list(excerpts)
        self.embeddings = embeddings
        self.floor = floor
        # What the model saw of each excerpt, without the "[n]" that numbered it.
        self.sources = [
            Source(format_excerpt(n, Retrieved(chunk=c, score=0.0)).removeprefix(f"[{n}] "))
            for n, c in enumerate(self.excerpts, 1)
        ]
        self._vectors: np.ndarray | None = None
        self._passage_list: list[tuple[int, str | None, str]] = []

    def _passages(self) -> list[tuple[int, str | None, str]]:
        """(excerpt index, sentence or None for the whole, text to embed), in reading order.

        A short statement is far from a long excerpt as a whole even when it repeats one
        of its sentences, so closeness is measured to the nearest of them.
        """
        passages: list[tuple[int, str | None, str]] = []
        for index, (source, chunk) in enumerate(zip(self.sources, self.excerpts, strict=True)):
            passages.append((index, None, source.text))
            for written in parse_answer(chunk.text).statements:
                if len(written.text.split()) >= MIN_WORDS:
                    passages.append((index, written.text, written.text))
        return passages

    def nearest(self, text: str) -> tuple[np.ndarray, list[str | None]]:
        """Per excerpt: the similarity of ``text`` to its nearest passage, and that passage."""
        if self._vectors is None:
            self._passage_list = self._passages()
            self._vectors = _unit(
                self.embeddings.embed_documents([p[2] for p in self._passage_list])
            )
        vector = _unit(self.embeddings.embed_documents([text]))[0]
        scores = self._vectors @ vector
        best = np.full(len(self.excerpts), -1.0)
        sentences: list[str | None] = [None] * len(self.excerpts)
        for (index, sentence, _), score in zip(self._passage_list, scores, strict=True):
            if score > best[index]:
                best[index], sentences[index] = score, sentence
        return best, sentences

    def similarities(self, text: str) -> np.ndarray:
        """Cosine similarity of ``text`` to each excerpt (its nearest passage)."""
        return self.nearest(text)[0]

    def check(self, text: str, cited: Sequence[int]) -> Verdict:
        """The verdict on statement ``text`` citing excerpts ``cited`` (1-based)."""
        cited = [n for n in dict.fromkeys(cited) if 1 <= n <= len(self.excerpts)]
        if not cited:
            return Verdict(problems=["it cites none of the excerpts"])
        figures = figures_of(text)
        similarity, sentences = self.nearest(text)
        verdict = Verdict()
        reasons: list[str] = []
        for n in cited:
            missing = self.sources[n - 1].missing_figures(figures)
            if missing:
                written = ", ".join(dict.fromkeys(f.written for f in missing))
                reasons.append(f"excerpt [{n}] does not give {written}")
            elif similarity[n - 1] < self.floor:
                reasons.append(f"excerpt [{n}] does not say this")
            else:
                verdict.backing.append(n)
                if sentences[n - 1]:
                    verdict.passages[n] = str(sentences[n - 1])
        if not verdict.backing:
            verdict.problems = reasons
            return verdict
        unnamed = [
            name
            for name in names_of(text)
            if not any(self.sources[n - 1].mentions(name) for n in verdict.backing)
        ]
        if unnamed:
            cites = "".join(f"[{n}]" for n in verdict.backing)
            verdict.problems = [f"excerpt {cites} does not mention {', '.join(unnamed)}"]
        return verdict


def _unit(vectors: list[list[float]]) -> np.ndarray:
    matrix = np.asarray(vectors, dtype=np.float64)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.clip(norms, 1e-12, None)
