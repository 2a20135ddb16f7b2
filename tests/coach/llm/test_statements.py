"""Splitting an LLM answer into statements: sentences, list items, clauses, markers."""

from __future__ import annotations

from coach.llm.statements import parse_answer


def shape(raw: str) -> list[tuple[str, list[int], str]]:
    return [(s.text, s.cited, s.kind) for s in parse_answer(raw).statements]


def test_sentences_list_items_and_clauses() -> None:
    raw = (
        "Most guides say 3-6 months [2], though one says 2-3 months [1]. E.g. build it [3].\n"
        "Key steps:\n- Learn Python [1]\n1. Ship a project [2]"
    )
    assert shape(raw) == [
        ("Most guides say 3-6 months,", [2], "claim"),
        ("though one says 2-3 months.", [1], "claim"),
        ("E.g. build it.", [3], "claim"),
        ("Key steps:", [], "framing"),
        ("Learn Python", [1], "claim"),
        ("Ship a project", [2], "claim"),
    ]


def test_a_refusal_is_known_by_its_words_and_loses_the_name_when_it_claims() -> None:
    assert shape("The guides don't cover that. They say $90,000 [1].") == [
        ("The guides don't cover that.", [], "refusal"),
        ("They say $90,000.", [1], "claim"),
    ]
    assert shape("The guides don't cover that, but it pays $100,000.")[0][2] == "claim"


def test_list_numbers_written_as_markers_are_not_citations() -> None:
    parsed = parse_answer("[1] Entry-level: $130K\n[2] Senior: $200K [3]")
    assert [(s.lead, s.text, s.cited) for s in parsed.statements] == [
        ("1. ", "Entry-level: $130K", []),
        ("\n2. ", "Senior: $200K", [3]),
    ]


def test_markers_alone_at_the_end_are_a_pile() -> None:
    parsed = parse_answer("A is true. B is true.\n\n[1][2]\n\n[3]")
    assert parsed.pile == [1, 2, 3]
    assert all(not s.cited for s in parsed.statements)


def test_markers_heaped_on_the_last_claim_are_a_pile_too() -> None:
    assert parse_answer("A is true. B is true [1][2].").pile == [1, 2]
    assert parse_answer("A is true [3]. B is true [1][2].").pile == []


def test_markers_on_a_line_between_statements_belong_to_the_one_before() -> None:
    parsed = parse_answer("A is true.\n[2]\nB is true [1].")
    assert [s.cited for s in parsed.statements] == [[2], [1]] and parsed.pile == []


def test_only_sentences_followed_by_more_words_are_settled() -> None:
    assert parse_answer("A is true [1]. B is", final=False).settled == 1
    assert parse_answer("A is true [1]. [2", final=False).settled == 0
    assert parse_answer("A is true [1]. [2", final=True).settled == 2  # all, at the end


def test_a_marker_and_comma_close_a_clause_only_before_another_marker() -> None:
    assert [s.cited for s in parse_answer("Per the guides [1], it takes 3 months.").statements] == [
        [1]
    ]
    assert len(parse_answer("It is 3 months [1], or 6 months [2].").statements) == 2


def test_labelled_and_worded_markers_are_markers() -> None:
    parsed = parse_answer("A is true [Excerpt 2]. B is true.\n\nSources: [1], [3]")
    assert [s.cited for s in parsed.statements] == [[2], []] and parsed.pile == [1, 3]
    assert parsed.statements[0].body == "A is true [2]."


def test_a_refusal_is_the_prompts_own_sentence_not_any_phrase() -> None:
    assert parse_answer("the guides don\u2019t cover that").statements[0].kind == "refusal"
    # Other words are a claim citing nothing, which the support check drops.
    assert parse_answer("I don't know.").statements[0].kind == "claim"
