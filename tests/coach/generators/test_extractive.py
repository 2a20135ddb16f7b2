"""The offline generator over the real guides and the real embedding model."""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Callable, Sequence

import numpy as np
import pytest
from langchain_core.embeddings import Embeddings

from coach.embeddings import OnnxMiniLMEmbeddings
from coach.generators.base import Draft
from coach.generators.citations import MARKER, validate_citations
from coach.generators.extractive import (
    COMPARE_LEAD,
    DIFFER_LEAD,
    ExtractiveGenerator,
    asked_figure,
    asks_comparison,
    guide_name,
    wants_list,
)
from coach.generators.sentences import clean_inline, split_units
from coach.refusals import refusal_draft
from coach.schema import Chunk, Retrieved, Turn

Ask = Callable[..., tuple[list[str], Draft]]
ContextFor = Callable[..., list[Retrieved]]

QUESTIONS = [
    "What skills do I need to learn to become an AI engineer?",
    "How long does the transition take?",
    "What salary can I expect as an AI solutions architect?",
    "What is the roadmap to become an AI solutions architect?",
    "What will I miss as an AI documentation engineer?",
    "Why is evaluation specific to AI?",
    "Which of my backend skills transfer to AI engineering?",
    "What should I do this week to become an AI documentation engineer?",
    "What do employers look for in AI engineers?",
    "How do I get my first AI engineering job?",
]
ENDS_WITH_MARKER = re.compile(r"\[\d+\][.!?:;\"'”’]*$")


def find(chunks: Sequence[Chunk], needle: str) -> Chunk:
    return next(c for c in chunks if needle in c.text)


def statements(text: str) -> list[str]:
    """The answer's lines without bullets and citation markers."""
    lines = [re.sub(r"^- ", "", line) for line in text.splitlines() if line.strip()]
    return [re.sub(r" +([.,;:!?])", r"\1", MARKER.sub("", line)).strip() for line in lines]


@pytest.mark.parametrize("question", QUESTIONS)
def test_every_statement_is_cited_and_every_citation_used(ask: Ask, question: str) -> None:
    _, draft = ask(question)
    assert not draft.refused and draft.mode == "extractive" and draft.grounded
    assert validate_citations(draft.text, draft.citations) == []
    assert MARKER.search(draft.text)
    for line in draft.text.splitlines():
        assert line in (DIFFER_LEAD, COMPARE_LEAD) or ENDS_WITH_MARKER.search(line), line


@pytest.mark.parametrize(
    ("question", "figure", "listing", "comparing"),
    [
        ("How long does the transition take?", "duration", False, False),
        ("How much do AI engineers earn?", "money", False, False),
        ("And how long to reach that range? (salary market)", "duration", False, False),
        ("Will the move get me a raise?", "money", False, False),
        ("What skills do I need to learn?", None, True, False),
        ("How do I get my first AI job?", None, True, False),
        ("Why is evaluation specific to AI?", None, False, False),
        ("How do the two guides' roadmaps differ?", None, True, True),
        ("What do the AI engineering guides say about RAG?", None, False, True),
    ],
)
def test_question_shapes(question: str, figure: str | None, listing: bool, comparing: bool) -> None:
    assert asked_figure(question) == figure
    assert wants_list(question) is listing
    assert asks_comparison(question) is comparing


@pytest.mark.parametrize("question", QUESTIONS)
def test_statements_quote_the_context(ask: Ask, context_for: ContextFor, question: str) -> None:
    _, draft = ask(question)
    chunks = [r.chunk for r in context_for(question)]
    by_id = {c.chunk_id: c for c in chunks}
    quotable = [u.text for c in chunks for u in split_units(c.text, c.section)]
    for line in statements(draft.text):
        if line not in (DIFFER_LEAD, COMPARE_LEAD):
            assert any(part in line for part in quotable), line
    for cited in draft.citations:
        source = by_id[cited.chunk_id]
        assert (cited.source, cited.title, cited.section) == (
            source.source,
            source.title,
            source.section,
        )
        flat = " ".join(clean_inline(line) for line in source.text.splitlines())
        for passage in cited.snippet.split(" … "):
            assert passage in flat or passage.split(" — ")[0] in flat
        assert len(cited.snippet) <= 320


@pytest.mark.parametrize("question", QUESTIONS[:4])
def test_streamed_pieces_make_up_the_text(
    generator: ExtractiveGenerator, context_for: ContextFor, question: str
) -> None:
    items = list(generator.stream(question, context_for(question), []))
    *pieces, draft = items
    assert isinstance(draft, Draft)
    assert all(isinstance(p, str) and p for p in pieces)
    assert "".join(pieces) == draft.text  # type: ignore[arg-type]
    assert len(pieces) == len(draft.text.splitlines()) or len(pieces) > 1
    for piece in pieces:
        assert piece.strip() in (DIFFER_LEAD, COMPARE_LEAD) or ENDS_WITH_MARKER.search(piece)
    assert generator.generate(question, context_for(question), []) == draft


def test_citations_are_numbered_in_order_of_first_use(ask: Ask) -> None:
    _, draft = ask("How do I get my first AI engineering job?")
    first_use = list(dict.fromkeys(int(n) for n in MARKER.findall(draft.text)))
    assert first_use == list(range(1, len(draft.citations) + 1))
    assert len({c.chunk_id for c in draft.citations}) == len(draft.citations)


def test_a_list_question_gets_a_lead_line_and_bullets(
    ask: Ask, guides: dict[str, list[Chunk]]
) -> None:
    _, draft = ask(
        "What skills do I need to learn to become an AI engineer?",
        guides["backend-engineer-to-ai-engineer-roadmap.md"],
    )
    lead, *rest = draft.text.splitlines()
    assert not lead.startswith("- ")
    assert len(rest) >= 3 and all(line.startswith("- ") for line in rest)
    assert "Evaluation - this is the most important new skill" in draft.text
    assert len(MARKER.findall(draft.text)) <= 5


def test_a_roadmap_keeps_its_phases_in_order(ask: Ask, guides: dict[str, list[Chunk]]) -> None:
    _, draft = ask(
        "What is the roadmap to become an AI solutions architect?",
        guides["ai-solutions-architect-transition-guide.txt"],
    )
    phases = ["Foundations of AI/ML (8 weeks)", "Cloud AI Services and Architecture (6 weeks)"]
    assert all(p in draft.text for p in phases)
    assert draft.text.index(phases[0]) < draft.text.index(phases[1])


def test_another_question_gets_a_short_paragraph(ask: Ask, guides: dict[str, list[Chunk]]) -> None:
    _, draft = ask(
        "Why is evaluation specific to AI?", guides["backend-engineer-to-ai-engineer-roadmap.md"]
    )
    assert "\n" not in draft.text
    assert draft.text.startswith("Evaluation is also specific to AI")
    assert 1 <= len(MARKER.findall(draft.text)) <= 3


def test_disagreeing_timelines_are_each_cited(
    generator: ExtractiveGenerator, guides: dict[str, list[Chunk]]
) -> None:
    short = find(guides["backend-engineer-to-ai-engineer-roadmap.md"], "2-3 months")
    longer = find(guides["backend-developer-to-ai-engineer.txt"], "3-6 months")
    context = [Retrieved(chunk=c, score=1.0 - n / 10) for n, c in enumerate([short, longer])]
    draft = generator.generate("How long does the transition take?", context, [])
    assert draft.text.startswith(DIFFER_LEAD)
    assert "2-3 months" in draft.text and "3-6 months" in draft.text
    assert {c.source for c in draft.citations} == {short.source, longer.source}
    for cited in draft.citations:  # each figure carries its own guide's number
        figure = "2-3 months" if cited.source == short.source else "3-6 months"
        line = next(ln for ln in draft.text.splitlines() if figure in ln)
        assert f"[{cited.id}]" in line
    assert validate_citations(draft.text, draft.citations) == []


def test_disagreeing_salaries_are_each_cited(
    generator: ExtractiveGenerator, guides: dict[str, list[Chunk]]
) -> None:
    architect = find(guides["ai-solutions-architect-transition-guide.txt"], "$150,000")
    writer = find(guides["ai-documentation-engineer-transition-guide.txt"], "$90,000")
    context = [Retrieved(chunk=architect, score=0.9), Retrieved(chunk=writer, score=0.8)]
    draft = generator.generate("What salary can I expect after the switch?", context, [])
    assert "$150,000 to $280,000" in draft.text and "$90,000 - $150,000" in draft.text
    assert len({c.source for c in draft.citations}) == 2


def test_a_comparison_quotes_each_guide_by_name(ask: Ask) -> None:
    _, draft = ask("Which guides recommend Andrew Ng's courses?")
    lead, *bullets = draft.text.splitlines()
    assert lead == COMPARE_LEAD
    sources = {c.source for c in draft.citations}
    assert len(sources) >= 2 and len(bullets) == len(sources)
    names = {guide_name(c) for c in draft.citations}
    for bullet in bullets:
        assert "Andrew Ng" in bullet
        assert any(bullet.startswith(f"- {name}") for name in names), bullet
    assert validate_citations(draft.text, draft.citations) == []


def test_an_unrelated_question_is_refused(ask: Ask) -> None:
    _, draft = ask("What's the best recipe for lasagna?")
    assert draft.refused and draft.citations == []
    assert draft.text == refusal_draft("not_covered").text


def test_no_context_is_refused(generator: ExtractiveGenerator) -> None:
    pieces, draft = generator.compose("How long does the transition take?", [], [])
    assert draft.refused and pieces == [draft.text]


def test_the_same_input_gives_the_same_answer(
    embeddings: OnnxMiniLMEmbeddings, ask: Ask, context_for: ContextFor
) -> None:
    fresh = ExtractiveGenerator(embeddings)  # cold cache, other batches: same floats
    for question in QUESTIONS[:5]:
        _, warm = ask(question)
        assert ask(question)[1] == warm
        assert fresh.generate(question, context_for(question), []) == warm


def test_statements_said_before_give_way_to_new_ones(
    ask: Ask, generator: ExtractiveGenerator, guides: dict[str, list[Chunk]]
) -> None:
    chunks = guides["backend-engineer-to-ai-engineer-roadmap.md"]
    question = "Why is evaluation specific to AI?"
    _, first = ask(question, chunks)
    context = [Retrieved(chunk=c, score=1.0) for c in chunks[:6]]
    history = [Turn(role="user", content=question), Turn(role="assistant", content=first.text)]
    again = generator.generate(question, context, history)
    assert statements(again.text)[0] != statements(first.text)[0]


class CountingEmbeddings(Embeddings):
    """The real model, counting the texts it is asked to embed."""

    def __init__(self, inner: OnnxMiniLMEmbeddings) -> None:
        self.inner = inner
        self.embedded = 0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.embedded += len(texts)
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)


def test_unit_embeddings_are_cached_and_plain_embeddings_work(
    embeddings: OnnxMiniLMEmbeddings, ask: Ask, context_for: ContextFor
) -> None:
    counting = CountingEmbeddings(embeddings)  # no embed_array: the LangChain interface
    generator = ExtractiveGenerator(counting)
    question = QUESTIONS[0]
    draft = generator.generate(question, context_for(question), [])
    assert counting.embedded > 0
    before = counting.embedded
    generator.generate(question, context_for(question), [])
    generator.generate("Which skills should I learn first?", context_for(question), [])
    assert counting.embedded == before  # same chunks: every unit was cached
    assert draft == ask(question)[1]


def test_warm_up_embeds_everything_an_answer_needs(
    embeddings: OnnxMiniLMEmbeddings, guides: dict[str, list[Chunk]], context_for: ContextFor
) -> None:
    counting = CountingEmbeddings(embeddings)
    generator = ExtractiveGenerator(counting)
    chunks = guides["backend-engineer-to-ai-engineer-roadmap.md"]
    assert generator.warm_up(chunks) == counting.embedded > 0
    assert generator.warm_up(chunks) == 0
    warmed = counting.embedded
    for question in QUESTIONS:
        generator.generate(question, context_for(question, chunks), [])
    assert counting.embedded == warmed  # every unit and heading was ready


def test_statement_budget_is_respected(
    embeddings: OnnxMiniLMEmbeddings, context_for: ContextFor
) -> None:
    generator = ExtractiveGenerator(embeddings, max_statements=2)
    for question in QUESTIONS[:4]:
        draft = generator.generate(question, context_for(question), [])
        assert 1 <= len(MARKER.findall(draft.text)) <= 2 or DIFFER_LEAD in draft.text


def test_latency_with_a_warm_cache(generator: ExtractiveGenerator, context_for: ContextFor) -> None:
    """The generator's own share of an answer (context of 6 chunks, warm caches)."""
    cases = [(q, context_for(q)) for q in QUESTIONS]
    for question, context in cases:
        generator.generate(question, context, [])
    timings = []
    for n in range(50):
        question, context = cases[n % len(cases)]
        start = time.perf_counter()
        generator.generate(question, context, [])
        timings.append((time.perf_counter() - start) * 1000)
    median = statistics.median(timings)
    print(
        f"\nextractive generator, warm cache: median {median:.1f} ms, p90 "
        f"{float(np.percentile(timings, 90)):.1f} ms over {len(timings)} answers"
    )
    assert median < 25
