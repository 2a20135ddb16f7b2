"""The offline generator over the real guides, the real model and the committed scorer."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path

import numpy as np
import pytest

from coach.citations import ANSWER_MARKER, validate_citations
from coach.errors import ConfigError
from coach.generators.extractive import (
    ExtractiveGenerator,
    guide_name,
    select_units,
)
from coach.generators.features import FEATURES, Candidate, featurize
from coach.generators.scorer import StatementScorer, default_scorer
from coach.schema import Chunk, Draft, Retrieved, Turn
from coach.units.split import clean_inline

Ask = Callable[..., tuple[list[str], Draft]]
ContextFor = Callable[..., list[Retrieved]]

QUESTIONS = [
    "What skills do I need to learn to become an AI engineer?",
    "How long does the transition take?",
    "What salary can I expect as an AI solutions architect?",
    "What is the roadmap to become an AI solutions architect?",
    "Why is evaluation specific to AI?",
    "Which of my backend skills transfer to AI engineering?",
    "What do employers look for in AI engineers?",
    "How do I get my first AI engineering job?",
]
ENDS_WITH_MARKER = re.compile(r"\[\d+\][.!?:;\"'”’]*$")
GENERATORS = Path(str(files("coach") / "generators"))


def flat(text: str) -> str:
    return " ".join(clean_inline(text).split())


@pytest.mark.parametrize("question", QUESTIONS)
def test_every_statement_is_verbatim_cited_and_every_citation_used(
    ask: Ask, question: str, all_chunks: list[Chunk]
) -> None:
    texts = {c.chunk_id: flat(c.text) for c in all_chunks}
    pieces, draft = ask(question)
    assert "".join(pieces) == draft.text
    assert not draft.refused and draft.mode == "extractive" and draft.grounded
    assert validate_citations(draft.text, draft.citations) == []
    assert 1 <= len(draft.statements) <= default_scorer().max_statements
    by_id = {c.id: c for c in draft.citations}
    for statement in draft.statements:
        assert statement.supported and len(statement.citations) == 1
        cited = by_id[statement.citations[0]]
        # the words of the guide (a phase's heading may lead them)
        said, chunk_text = flat(statement.text), texts[cited.chunk_id]
        if said in chunk_text or said.split(": ", 1)[-1] in chunk_text:
            continue
        # a table row reads "cell — Header: cell; Header: cell": every cell is the guide's
        cells = [part.split(": ", 1)[-1] for half in said.split(" — ") for part in half.split("; ")]
        assert all(cell in chunk_text for cell in cells), said
    for line in draft.text.splitlines():
        if line.strip() and not line.startswith("**"):
            assert ENDS_WITH_MARKER.search(line), line


def test_the_statements_are_the_answer_in_order(ask: Ask) -> None:
    _, draft = ask("What skills do I need to learn to become an AI engineer?")
    text = draft.text
    at = 0
    for statement in draft.statements:
        found = text.find(statement.text.rstrip(".!?:;"), at)
        assert found >= at, statement.text
        at = found
    assert [int(n) for n in ANSWER_MARKER.findall(text)] == [
        s.citations[0] for s in draft.statements
    ]


def test_a_list_quoted_from_is_quoted_whole_when_it_fits(
    generator: ExtractiveGenerator, context_for: ContextFor
) -> None:
    question = "Which tools and skills should I learn for AI engineering?"
    candidates = generator.candidates(question, context_for(question))
    chosen = select_units(candidates, generator.scorer, 8)
    blocks: dict[tuple[str, int], int] = {}
    for c in chosen:
        if c.unit.kind != "sentence":
            blocks[(c.chunk.chunk_id, c.unit.block)] = (
                blocks.get((c.chunk.chunk_id, c.unit.block), 0) + 1
            )
    for key, n in blocks.items():
        if n >= 2 and len(chosen) < 8:
            members = [c for c in candidates if (c.chunk.chunk_id, c.unit.block) == key]
            assert n == len(members), "a list two of whose items were quoted is quoted whole"


def test_answers_from_several_guides_are_grouped_under_each_guide(ask: Ask) -> None:
    _, draft = ask("How long does the transition take?")
    sources = {c.source for c in draft.citations}
    headers = [line for line in draft.text.splitlines() if line.startswith("**")]
    if len(sources) > 1:
        assert len(headers) == len(sources)
        for citation in draft.citations:
            assert f"**{guide_name(citation)}**" in headers
    else:
        assert headers == []


def test_no_context_or_a_weak_best_unit_refuses(generator: ExtractiveGenerator) -> None:
    pieces, draft = generator.compose("How do I become a dentist?", [], [])
    assert draft.refused and draft.citations == [] and draft.statements == []
    assert draft.reason == "not_covered" and draft.text == "" and pieces == []  # the chain words it
    strict = StatementScorer(
        coef=generator.scorer.coef,
        intercept=generator.scorer.intercept,
        mean=generator.scorer.mean,
        scale=generator.scorer.scale,
        floor=1.01,  # nothing can reach it
    )
    picky = ExtractiveGenerator(generator.embeddings, generator.units, strict)
    chunk = next(iter(generator.units._records))  # any stored chunk
    assert chunk
    _, draft = picky.compose("What skills do I need?", [], [])
    assert draft.refused


def test_features_are_finite_and_in_the_models_order(
    generator: ExtractiveGenerator, context_for: ContextFor
) -> None:
    question = "What salary can I expect?"
    candidates = generator.candidates(question, context_for(question))
    rows = np.stack([c.features for c in candidates if c.features is not None])
    assert rows.shape == (len(candidates), len(FEATURES)) and np.isfinite(rows).all()
    model = json.loads((GENERATORS / "scorer_model.json").read_text())
    assert model["features"] == list(FEATURES)
    assert all(0.0 <= c.score <= 1.0 for c in candidates)


def test_what_the_conversation_already_said_is_marked_repeated(
    generator: ExtractiveGenerator, context_for: ContextFor
) -> None:
    question = "How long does the transition take?"
    context = context_for(question)
    first = generator.candidates(question, context)
    said = first[0].unit.text
    again = generator.candidates(question, context, [Turn(role="assistant", content=said)])
    repeated = FEATURES.index("repeated")
    marked = [c for c in again if c.features is not None and c.features[repeated]]
    assert [c.unit.text for c in marked] == [said]


def test_featurize_handles_no_candidates() -> None:
    assert featurize(np.zeros(384, dtype=np.float32), "q", []).shape == (0, len(FEATURES))


def test_a_model_fitted_on_other_features_is_a_clear_error() -> None:
    model = json.loads((GENERATORS / "scorer_model.json").read_text())
    model["features"] = [*model["features"][:-1], "something_else"]
    with pytest.raises(ConfigError, match=r"eval\.fit\.scorer"):
        StatementScorer.from_dict(model)


def test_the_committed_model_was_fitted_on_data() -> None:
    model = json.loads((GENERATORS / "scorer_model.json").read_text())
    assert model["fitted_on"], "scorer_model.json must come from fit_scorer, not hand-set"
    assert len(model["fitted_on"]) >= 3  # the seeds and at least two external corpora
    assert 0 < model["keep"] <= 1 and 0 <= model["floor"] < 1


def test_the_generator_holds_no_corpus_wording() -> None:
    """Its rules are about language and structure; nothing quotes one set of guides."""
    sources = [p.read_text() for p in GENERATORS.glob("*.py")]
    code = "\n".join(sources).lower()
    for phrase in ("great news", "solutions architect", "documentation engineer", "backend"):
        assert phrase not in code


def _flat_scorer() -> StatementScorer:
    """A scorer that leaves the candidates' own scores alone (keep 0.1, no floor)."""
    n = len(FEATURES)
    return StatementScorer(np.zeros(n), 0.0, np.zeros(n), np.ones(n), keep=0.1, floor=0.0)


def _chunk(text: str, source: str = "g.md", section: str = "S") -> Chunk:
    return Chunk(f"{source}:{section}", text, source, "Guide", section, 0, 10, text)


def test_select_units_stops_at_the_limit_and_skips_near_duplicates() -> None:
    scorer = _flat_scorer()
    from coach.units.split import split_units

    text = "Learn Python well. Learn Python well! Build two projects. Ship one to production."
    chunk = _chunk(text)
    units = split_units(text, "S")
    candidates = [
        Candidate(u, chunk, 0, np.zeros(3, dtype=np.float32), score=1.0 - 0.1 * n)
        for n, u in enumerate(units)
    ]
    chosen = select_units(candidates, scorer, 2)
    assert [c.unit.text for c in chosen] == ["Learn Python well.", "Build two projects."]


def test_a_compound_questions_units_keep_their_best_score_over_its_asks(
    generator: ExtractiveGenerator, context_for: ContextFor
) -> None:
    question = "How long does the transition take, and which skills should I learn first?"
    candidates = generator.candidates(question, context_for(question))
    scorer = generator.scorer
    assert all(len(c.part_features) == 2 for c in candidates)
    rows = np.stack([c.features for c in candidates if c.features is not None])
    whole = scorer.probabilities(rows)
    asks = [
        scorer.probabilities(np.stack([c.part_features[j] for c in candidates])) for j in (0, 1)
    ]
    scores = np.array([c.score for c in candidates])
    assert np.allclose(scores, np.maximum(whole, np.maximum(*asks)))
    assert (scores > whole + 1e-9).any()  # some unit answers one ask better than the whole


@pytest.mark.parametrize(
    ("question", "unit", "matched"),
    [
        ("How long should a 1-1 be?", "1-1s should be weekly recurring 25-minute meetings.", True),
        ("How often are reviews done?", "Reviews happen twice a year.", True),
        ("When are promotions decided?", "Talent reviews launch in February and August.", True),
        ("When are promotions decided?", "Your manager may propose one at any time.", False),
        ("What skills matter most?", "It takes 6 months.", False),
    ],
)
def test_a_question_after_time_matches_units_that_name_a_time(
    question: str, unit: str, matched: bool
) -> None:
    from coach.units.split import split_units

    (u,) = split_units(unit)
    candidate = Candidate(u, _chunk(unit), 0, np.ones(3, dtype=np.float32) / np.sqrt(3))
    (row,) = featurize(np.ones(3, dtype=np.float32) / np.sqrt(3), question, [candidate])
    assert bool(row[FEATURES.index("time_match")]) is matched


def test_a_short_unit_another_quoted_unit_already_says_is_dropped() -> None:
    from coach.units.split import Unit

    scorer = _flat_scorer()
    chunk = _chunk("Formal performance reviews\nAt Acme we hold reviews twice a year.")
    heading = Unit("Formal performance reviews", "item", 0, 0)
    labelled = Unit(
        "At Acme we hold reviews twice a year.",
        "sentence",
        1,
        1,
        label="Formal performance reviews",
        show_label=True,
    )
    other = Unit("Reviews are written by managers.", "sentence", 2, 2)
    vector = np.zeros(3, dtype=np.float32)
    candidates = [
        Candidate(u, chunk, 0, vector, score=s)
        for u, s in ((heading, 0.9), (labelled, 0.8), (other, 0.7))
    ]
    chosen = [c.unit for c in select_units(candidates, scorer, 8)]
    assert chosen == [labelled, other]


def test_the_scorer_sees_a_unit_on_its_own_as_well_as_in_its_passage() -> None:
    from coach.units.split import split_units

    chunk = _chunk("Learn Python well. Build two projects.")
    first, second = split_units(chunk.text, "S")
    question = np.array([1.0, 0.0, 0.0], dtype=np.float32)
    passage = np.array([0.0, 1.0, 0.0], dtype=np.float32)
    candidates = [
        Candidate(first, chunk, 0, passage, own_vector=question),
        Candidate(second, chunk, 0, passage),  # no own vector: its passage vector stands in
    ]
    rows = featurize(question, "Which language should I learn?", candidates)
    own, gap = FEATURES.index("own_similarity"), FEATURES.index("own_gap")
    assert rows[:, own].tolist() == [1.0, 0.0] and rows[:, gap].tolist() == [0.0, 1.0]
    assert rows[0, FEATURES.index("similarity")] == rows[1, FEATURES.index("similarity")] == 0.0


def test_what_the_conversation_already_said_is_left_out_while_anything_else_clears_the_floor() -> (
    None
):
    from coach.units.split import split_units

    chunk = _chunk("Learn Python well. Build two projects. Ship one to production.")
    units = split_units(chunk.text, "S")
    candidates = [
        Candidate(u, chunk, 0, np.zeros(3, dtype=np.float32), score=s, repeated=r)
        for u, s, r in zip(units, (0.9, 0.5, 0.4), (True, False, False), strict=True)
    ]
    chosen = select_units(candidates, _flat_scorer(), 3)
    assert [c.unit.text for c in chosen] == ["Build two projects.", "Ship one to production."]
    for c in candidates[1:]:
        c.repeated = True  # everything was said: the answer says it again rather than nothing
    assert len(select_units(candidates, _flat_scorer(), 3)) == 3


class _Quoting(ExtractiveGenerator):
    """A generator whose selection is given: the units of ``kinds``, in reading order."""

    def __init__(self, embeddings: object, kinds: tuple[str, ...]) -> None:
        super().__init__(embeddings)  # type: ignore[arg-type]
        self.kinds = kinds

    def select(self, candidates: list[Candidate]) -> list[Candidate]:
        return [c for c in candidates if c.unit.kind in self.kinds]


def test_a_list_item_quoted_without_its_lead_in_shows_it_once(
    generator: ExtractiveGenerator,
) -> None:
    chunk = _chunk(
        "It's very easy for 1-1s to:\n"
        "- Not happen because you're both too busy\n"
        "- Turn into a status update"
    )
    context = [Retrieved(chunk=chunk, score=1.0, similarity=0.5)]
    items = _Quoting(generator.embeddings, ("item",))
    _, draft = items.compose("Why do 1-1s go wrong?", context, [])
    assert [s.text for s in draft.statements] == [
        "It's very easy for 1-1s to: Not happen because you're both too busy",
        "Turn into a status update",  # the lead-in it shares is not said twice
    ]
    assert draft.text.startswith("- It's very easy for 1-1s to: Not happen") and "[1]" in draft.text
    every = _Quoting(generator.embeddings, ("item", "sentence"))
    _, draft = every.compose("Why do 1-1s go wrong?", context, [])
    assert [s.text for s in draft.statements] == [  # quoted itself: no lead-in is added
        "It's very easy for 1-1s to:",
        "Not happen because you're both too busy",
        "Turn into a status update",
    ]
