"""Renumbering an LLM answer's citation markers, whole and streamed piece by piece."""

from __future__ import annotations

import pytest

from coach.generators.citations import validate_citations
from coach.llm.citations import CitationStream, renumber
from coach.schema import Chunk
from tests.llm.llm_support import make_chunk

CHUNKS: list[Chunk] = [make_chunk(n, f"Excerpt {n}.", source=f"g{n}.md") for n in range(1, 5)]


@pytest.mark.parametrize(
    ("raw", "expected", "order"),
    [
        ("Python [3]. Then RAG [1].", "Python [1]. Then RAG [2].", [3, 1]),
        ("Both [2, 4].", "Both [1][2].", [2, 4]),
        ("Both [2][4] and [4; 2].", "Both [1][2] and [2][1].", [2, 4]),
        ("Span [2-4].", "Span [1][2][3].", [2, 3, 4]),
        ("Repeat [2][2] [2] twice [2].", "Repeat [1] twice [1].", [2]),
        ("Unknown [9] and [0].", "Unknown and.", []),
        ("Mixed [9, 3].", "Mixed [1].", [3]),
        ("Years [2019-2024] stay.", "Years [2019-2024] stay.", []),
        ("Links [docs](x) stay [1].", "Links [docs](x) stay [1].", [1]),
        ("  Leading space [1].  ", "Leading space [1].", [1]),
    ],
)
def test_markers_are_renumbered_in_order_of_first_use(
    raw: str, expected: str, order: list[int]
) -> None:
    text, citations = renumber(raw, CHUNKS)
    assert text == expected
    assert [c.chunk_id for c in citations] == [CHUNKS[n - 1].chunk_id for n in order]
    assert validate_citations(text, citations) == []


def test_two_excerpts_of_one_chunk_share_a_number() -> None:
    text, citations = renumber("A [1]. B [2].", [CHUNKS[0], CHUNKS[0]])
    assert text == "A [1]. B [1]." and len(citations) == 1


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8])
def test_streaming_gives_the_same_text_at_any_split(size: int) -> None:
    raw = "Learn Python [3]. Then RAG [1, 3] and evals [1][9]. Ranges [2-4]. Done [5]."
    whole, _ = renumber(raw, CHUNKS)
    stream = CitationStream(CHUNKS)
    pieces = [stream.feed(raw[i : i + size]) for i in range(0, len(raw), size)]
    pieces.append(stream.finish())
    assert "".join(pieces) == whole == stream.text


def test_an_unfinished_marker_is_held_back_until_it_closes() -> None:
    stream = CitationStream(CHUNKS)
    assert stream.feed("Python first [") == "Python first"
    assert stream.feed("3") == ""
    assert stream.feed("]. Next") == " [1]. Next"
    assert stream.cited
    assert stream.finish() == ""


def test_an_unclosed_bracket_at_the_end_is_kept_as_written() -> None:
    stream = CitationStream(CHUNKS)
    text = stream.feed("Python [1] and [2") + stream.finish()
    assert text == "Python [1] and [2"
