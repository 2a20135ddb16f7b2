"""Citation numbering (order of first use, one number per chunk) and its checks."""

from __future__ import annotations

from coach.citations import (
    SNIPPET_CHARS,
    CitationNumbers,
    build_citations,
    cited_numbers,
    make_snippet,
    renumber_citations,
    trim_text,
    validate_citations,
)
from coach.schema import Chunk, Citation, Retrieved


def chunk(n: int, text: str = "") -> Chunk:
    return Chunk(
        chunk_id=f"guide.md:{n}",
        text=text or f"Passage number {n}. It says something useful.",
        source="guide.md" if n % 2 else "other.txt",
        title="A Guide",
        section=f"Section {n}",
        position=n,
        tokens=10,
        content_hash=f"h{n}",
    )


def citation(n: int, chunk_id: str | None = None) -> Citation:
    return Citation(
        id=n,
        source="guide.md",
        title="A Guide",
        section="S",
        snippet="text",
        chunk_id=chunk_id or f"c{n}",
    )


def test_numbers_follow_first_use_and_chunks_share_them() -> None:
    numbers = CitationNumbers()
    second, first = chunk(2), chunk(1)
    assert numbers.cite(second, "Later passage.", position=5) == 1
    assert numbers.cite(first, "A passage.") == 2
    assert numbers.cite(second, "Earlier passage.", position=1) == 1
    entries = numbers.citations()
    assert [(c.id, c.chunk_id) for c in entries] == [(1, "guide.md:2"), (2, "guide.md:1")]
    assert entries[0].snippet == "Earlier passage. … Later passage."  # reading order
    assert (entries[0].source, entries[0].section, entries[0].title) == (
        "other.txt",
        "Section 2",
        "A Guide",
    )


def test_build_citations_numbers_chunks_in_the_order_given() -> None:
    entries = build_citations([(chunk(3), ["Third."]), (chunk(1), []), (chunk(3), ["More."])])
    assert [(c.id, c.chunk_id) for c in entries] == [(1, "guide.md:3"), (2, "guide.md:1")]
    assert entries[0].snippet == "Third. … More."
    assert entries[1].snippet == "Passage number 1. It says something useful."


def test_snippets_stay_short() -> None:
    long = "word " * 200
    assert len(trim_text(long)) <= SNIPPET_CHARS
    assert trim_text(long).endswith("…")
    assert trim_text("short text") == "short text"
    assert make_snippet(["First.", "x" * 400]) == "First."
    assert make_snippet(["Same.", "Same.", "Other."]) == "Same. … Other."
    assert make_snippet([]) == ""
    numbers = CitationNumbers()
    numbers.cite(chunk(1, "A chunk cited without a passage."))
    assert numbers.citations()[0].snippet == "A chunk cited without a passage."


def test_renumbering_context_markers() -> None:
    context = [Retrieved(chunk=chunk(n), score=1.0) for n in (1, 2, 3)]
    text = "A [3]. B [1]. C [3][3]. D [1, 2]. E [9]. F [2]."
    renumbered, entries = renumber_citations(text, context, snippets={3: "the third"})
    assert renumbered == "A [1]. B [2]. C [1]. D [2][3]. E. F [3]."
    assert [c.chunk_id for c in entries] == ["guide.md:3", "guide.md:1", "guide.md:2"]
    assert entries[0].snippet == "the third"
    assert validate_citations(renumbered, entries) == []


def test_renumbering_merges_one_chunk_given_twice() -> None:
    same = chunk(4)
    renumbered, entries = renumber_citations("X [2]. Y [1].", [same, same])
    assert renumbered == "X [1]. Y [1]."
    assert len(entries) == 1
    assert cited_numbers(renumbered) == [1, 1]


def test_validation_accepts_a_well_cited_answer() -> None:
    assert validate_citations("A [1]. B [2]. C [1].", [citation(1), citation(2)]) == []


def test_validation_names_each_fault() -> None:
    assert validate_citations("A [1]. B [3].", [citation(1)]) == ["[3] has no citation"]
    assert validate_citations("A [1].", [citation(1), citation(2)]) == ["citation 2 is never cited"]
    assert validate_citations("A [2]. B [1].", [citation(1), citation(2)]) == [
        "numbers first appear as [2, 1], not in order of first use"
    ]
    faults = validate_citations("A [1]. B [2].", [citation(1, "same"), citation(2, "same")])
    assert faults == ["two citations point to the same chunk"]
    faults = validate_citations("A [1]. B [3].", [citation(1), citation(3)])
    assert faults[0] == "citation ids are [1, 3], expected 1..2 in order"
    empty = citation(1).model_copy(update={"snippet": " "})
    assert validate_citations("A [1].", [empty]) == ["citation 1 has no snippet"]
