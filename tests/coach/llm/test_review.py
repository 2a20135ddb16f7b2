"""Reviewing a streamed completion: markers renumbered, sentences released once checked.

The support check runs with the real embedding model but a floor of -1, so these tests are
about markers and release order; closeness is tested in test_support.py.
"""

from __future__ import annotations

import pytest

from coach.citations import marker_numbers, validate_citations
from coach.embeddings import OnnxMiniLMEmbeddings
from coach.llm.review import AnswerReview
from coach.llm.support import SupportChecker
from coach.schema import Chunk
from tests.openai_double.support import make_chunk

CHUNKS: list[Chunk] = [
    make_chunk(n, f"Excerpt {n} is about Python, RAG and evals.", source=f"g{n}.md")
    for n in range(1, 5)
]


@pytest.fixture
def review(embeddings: OnnxMiniLMEmbeddings) -> AnswerReview:
    return AnswerReview(SupportChecker(CHUNKS, embeddings, floor=-1.0))


def reviewed(review: AnswerReview, raw: str) -> str:
    return review.feed(raw) + review.finish()


@pytest.mark.parametrize(
    ("raw", "expected", "order"),
    [
        ("Python [3]. Then RAG [1].", "Python [1]. Then RAG [2].", [3, 1]),
        ("Both [2, 4].", "Both [1][2].", [2, 4]),
        ("Both [2][4] and [4; 2].", "Both [1][2] and [2][1].", [2, 4]),
        ("Span [2-4].", "Span [1][2][3].", [2, 3, 4]),
        ("Repeat [2][2] [2] twice [2].", "Repeat [1] twice [1].", [2]),
        ("Mixed [9, 3].", "Mixed [1].", [3]),
        ("Years [2019-2024] stay [1].", "Years [2019-2024] stay [1].", [1]),
        ("Links [docs](x) stay [1].", "Links [docs](x) stay [1].", [1]),
        ("  Leading space [1].  ", "Leading space [1].", [1]),
        ("Python first. [2] Then RAG [1].", "Python first. [1] Then RAG [2].", [2, 1]),
    ],
)
def test_markers_are_renumbered_in_order_of_first_use(
    review: AnswerReview, raw: str, expected: str, order: list[int]
) -> None:
    text = reviewed(review, raw)
    assert text == expected == review.text
    assert [c.chunk_id for c in review.citations()] == [CHUNKS[n - 1].chunk_id for n in order]
    assert validate_citations(text, review.citations()) == []


def test_marker_bodies_name_their_numbers() -> None:
    assert marker_numbers("1, 3-4") == [1, 3, 4]
    assert marker_numbers("2019-2024") == [] and marker_numbers("1-200") == []


def test_a_claim_citing_only_unknown_excerpts_is_dropped(review: AnswerReview) -> None:
    assert reviewed(review, "Unknown [9] and [0].") == ""
    assert not review.answered and review.problems


def test_two_excerpts_of_one_chunk_share_a_number(embeddings: OnnxMiniLMEmbeddings) -> None:
    review = AnswerReview(SupportChecker([CHUNKS[0], CHUNKS[0]], embeddings, floor=-1.0))
    assert reviewed(review, "A [1]. B [2].") == "A [1]. B [1]." and len(review.citations()) == 1


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8])
def test_streaming_gives_the_same_text_at_any_split(
    embeddings: OnnxMiniLMEmbeddings, size: int
) -> None:
    raw = "Learn Python [3]. Then RAG [1, 3] and evals [1][9]. Ranges [2-4]. Done [5].\n\n- A [2]"
    whole = reviewed(AnswerReview(SupportChecker(CHUNKS, embeddings, floor=-1.0)), raw)
    review = AnswerReview(SupportChecker(CHUNKS, embeddings, floor=-1.0))
    pieces = [review.feed(raw[i : i + size]) for i in range(0, len(raw), size)]
    pieces.append(review.finish())
    assert "".join(pieces) == whole == review.text
    assert whole == "Learn Python [1]. Then RAG [2][1] and evals [2]. Ranges [3][1][4].\n\n- A [3]"


def test_a_sentence_shows_once_the_next_begins(review: AnswerReview) -> None:
    assert review.feed("Python first [") == ""
    assert review.feed("1].") == ""  # the marker may still be followed by another
    assert review.feed(" Then") == "Python first [1]."
    assert review.feed(" RAG [2].") == ""
    assert review.finish() == " Then RAG [2]."


def test_an_uncited_sentence_waits_for_the_markers_piled_at_the_end(
    review: AnswerReview,
) -> None:
    assert review.feed("Python comes first. Then RAG [2]. Evals matter.") == ""
    assert review.feed("\n\n[1]") == ""
    assert review.finish() == "Python comes first [1]. Then RAG [2]. Evals matter [1]."
    assert [s.citations for s in review.statements] == [[1], [2], [1]]


def test_a_refusal_before_a_supported_claim_is_dropped_as_soon_as_the_claim_shows(
    review: AnswerReview,
) -> None:
    shown = review.feed("The guides don't cover that. However, Python comes first [1]. Next")
    assert shown == "Python comes first [1]."
    assert review.declined and review.answered


def test_list_numbers_are_not_citations(review: AnswerReview) -> None:
    assert reviewed(review, "[1] Python first\n[2] Then RAG") == ""
    assert not review.answered
    assert review.problems == [
        '"Python first": it cites none of the excerpts',
        '"Then RAG": it cites none of the excerpts',
    ]


def test_a_dropped_clause_leaves_a_whole_sentence(review: AnswerReview) -> None:
    text = reviewed(review, "Python comes first [1], though Go is faster [2].")
    assert text == "Python comes first [1]."  # "Go" is named in no excerpt
    assert [s.text for s in review.statements] == ["Python comes first"]


def test_a_lead_in_shows_only_with_a_claim_it_introduces(review: AnswerReview) -> None:
    raw = "Tools:\n- Use Go for speed [1]\nSteps:\n- Python comes first [2]\n- Then RAG [1]"
    assert reviewed(review, raw) == "Steps:\n- Python comes first [1]\n- Then RAG [2]"
