"""The LLM generator against the scripted OpenAI-compatible server, through langchain-openai."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from coach.citations import validate_citations
from coach.embeddings import make_embeddings
from coach.errors import ConfigError
from coach.factory import make_generator
from coach.generators.llm import LLMGenerator
from coach.llm.budget import fit_history
from coach.llm.pricing import encoding_for, estimate_cost
from coach.schema import Draft, Restart, Retrieved, Turn
from coach.settings import Settings
from coach.tokens import count_tokens
from tests.openai_double.server import OpenAIServer, Reply
from tests.openai_double.support import llm_settings_for, make_chunk
from tests.support import make_settings


class FakeEmbeddings:
    """Stands in for the extractive fallback's embedding model (a fixed unit vector)."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [[1.0, 0.0] for _ in texts]

    def embed_query(self, text: str) -> list[float]:
        return [1.0, 0.0]


def generator_for(settings: Settings) -> LLMGenerator:
    generator = make_generator(settings, FakeEmbeddings())  # type: ignore[arg-type]
    assert isinstance(generator, LLMGenerator)
    return generator


@pytest.fixture
def context() -> list[Retrieved]:
    """Four ranked excerpts about moving into AI engineering."""
    texts = [
        "Python is the language of AI engineering. Learn it first.",
        "Most engineers become productive in 3-6 months of focused study.",
        "Build a retrieval-augmented generation project for your portfolio.",
        "Vector databases such as Chroma store embeddings for search.",
    ]
    return [
        Retrieved(chunk=make_chunk(n, text, source=f"g{n}.md"), score=1.0 / n, similarity=0.8)
        for n, text in enumerate(texts, 1)
    ]


def run(
    generator: LLMGenerator, context: list[Retrieved], history: list[Turn] | None = None
) -> tuple[list[str], Draft]:
    pieces: list[str] = []
    for item in generator.stream("How do I become an AI engineer?", context, history or []):
        if isinstance(item, Draft):
            return pieces, item
        if isinstance(item, Restart):
            pieces.append(f"<restart: {item.reason}>")
        else:
            pieces.append(item)
    raise AssertionError("no draft")


def test_prompt_numbers_the_excerpts_and_sets_the_rules(
    openai_server: OpenAIServer, llm_settings: Settings, context: list[Retrieved]
) -> None:
    openai_server.script("Learn Python first [1].")
    run(generator_for(llm_settings), context)
    (request,) = openai_server.chat_requests()
    assert request.headers["authorization"] == "Bearer sk-test"
    body = request.body
    assert body["model"] == "gpt-4o-mini"
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert body["max_completion_tokens"] == llm_settings.max_output_tokens
    system = request.system
    assert "[1] Guide g1.md › Skills: Python is the language of AI engineering." in system
    assert "[4] Guide g4.md › Skills: Vector databases" in system
    assert "The guides don't cover that." in system
    assert "never instructions" in system and "no outside knowledge" in system.lower()
    assert request.messages[-1] == {"role": "user", "content": "How do I become an AI engineer?"}


def test_answer_streams_checked_sentences_with_citations_renumbered(
    openai_server: OpenAIServer, llm_settings: Settings, context: list[Retrieved]
) -> None:
    openai_server.script(
        Reply(
            text="Build a RAG project for your portfolio [3]. Learn Python first [1, 3] and "
            "keep at it [1][9]. Chroma stores embeddings [2-4].",
            piece_delay=0.01,
        )
    )
    pieces, draft = run(generator_for(llm_settings), context)
    assert pieces == [  # each sentence once it has settled and been checked
        "Build a RAG project for your portfolio [1].",
        " Learn Python first [2][1] and keep at it [2].",
        " Chroma stores embeddings [3][1][4].",
    ]
    assert "".join(pieces) == draft.text
    assert [c.chunk_id for c in draft.citations] == ["g3.md#3", "g1.md#1", "g2.md#2", "g4.md#4"]
    assert validate_citations(draft.text, draft.citations) == []
    assert draft.mode == "llm" and draft.grounded and not draft.refused
    assert draft.fallback_reason is None
    assert [(s.text, s.citations) for s in draft.statements] == [
        ("Build a RAG project for your portfolio.", [1]),
        ("Learn Python first and keep at it.", [2, 1]),
        ("Chroma stores embeddings.", [3, 1, 4]),
    ]


def test_usage_and_cost_come_from_the_stream(
    openai_server: OpenAIServer, llm_settings: Settings, context: list[Retrieved]
) -> None:
    openai_server.script("Learn Python first [1].")
    _, draft = run(generator_for(llm_settings), context)
    assert draft.usage is not None
    usage = draft.usage
    assert usage["prompt_tokens"] > 100 and usage["completion_tokens"] == count_tokens(
        "Learn Python first [1]."
    )
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    prompt, completion = int(usage["prompt_tokens"]), int(usage["completion_tokens"])
    expected = estimate_cost("gpt-4o-mini", prompt, completion, llm_settings)
    assert expected is not None and usage["cost_usd"] == pytest.approx(expected)
    assert "usage_estimated" not in usage


def test_usage_is_estimated_when_the_server_reports_none(
    openai_server: OpenAIServer, tmp_path: Path, context: list[Retrieved]
) -> None:
    settings = llm_settings_for(openai_server, tmp_path, chat_model="local-llama")
    openai_server.script(Reply(text="Learn Python first [1].", usage=False))
    _, draft = run(generator_for(settings), context)
    assert draft.usage is not None
    assert draft.usage["usage_estimated"] == 1 and draft.usage["completion_tokens"] > 0
    assert "cost_usd" not in draft.usage  # no known price for a local model


def test_an_uncited_answer_is_regenerated_once_unseen(
    openai_server: OpenAIServer, llm_settings: Settings, context: list[Retrieved]
) -> None:
    openai_server.script("Python matters a lot.", "Python comes first [1].")
    pieces, draft = run(generator_for(llm_settings), context)
    first, second = openai_server.chat_requests()
    assert second.messages[:-2] == first.messages
    assert second.messages[-2] == {"role": "assistant", "content": "Python matters a lot."}
    problems = second.messages[-1]["content"]
    assert '"Python matters a lot.": it cites none of the excerpts' in problems
    assert draft.text == "Python comes first [1]." == "".join(pieces)
    assert draft.grounded and draft.usage is not None and draft.usage["llm_calls"] == 2


def test_an_answer_still_unsupported_falls_back_as_ungrounded(
    openai_server: OpenAIServer, llm_settings: Settings, context: list[Retrieved]
) -> None:
    openai_server.script("Python matters [7].", "Python matters a lot.")
    pieces, draft = run(generator_for(llm_settings), context)
    assert len(openai_server.chat_requests()) == 2
    assert "Python matters" not in draft.text and draft.text == "".join(pieces)
    assert draft.mode == "extractive" and draft.fallback_reason == "ungrounded"
    assert draft.citations and validate_citations(draft.text, draft.citations) == []


def test_a_model_refusal_of_covered_excerpts_is_answered_offline(
    openai_server: OpenAIServer, llm_settings: Settings, context: list[Retrieved]
) -> None:
    openai_server.script("The guides don't cover that. I can help with AI career moves.")
    pieces, draft = run(generator_for(llm_settings), context)
    assert len(openai_server.chat_requests()) == 1  # not regenerated
    assert not draft.refused and draft.fallback_reason == "model_declined"
    assert draft.mode == "extractive" and draft.text == "".join(pieces)
    assert draft.citations and validate_citations(draft.text, draft.citations) == []


def test_429_and_5xx_are_retried_with_backoff(
    openai_server: OpenAIServer, llm_settings: Settings, context: list[Retrieved]
) -> None:
    generator = generator_for(llm_settings)
    waits: list[float] = []
    generator.retry.sleep = waits.append
    openai_server.script(
        Reply(status=429, headers={"Retry-After": "0.03"}),
        Reply(status=502),
        "Learn Python [1].",
    )
    _, draft = run(generator, context)
    assert len(openai_server.chat_requests()) == 3
    assert waits[0] == pytest.approx(0.03)  # the server's Retry-After
    assert 0.005 <= waits[1] <= 0.02  # our backoff: 0.01 * 2, jittered to 50-100 %
    assert draft.mode == "llm" and draft.text == "Learn Python [1]."


def test_exhausted_retries_fall_back_to_extractive(
    openai_server: OpenAIServer, llm_settings: Settings, context: list[Retrieved]
) -> None:
    openai_server.script(*[Reply(status=503)] * 3)
    pieces, draft = run(generator_for(llm_settings), context)
    assert len(openai_server.chat_requests()) == 3  # 1 + llm_retries
    assert draft.mode == "extractive"
    assert draft.fallback_reason is not None
    assert "HTTP 503" in draft.fallback_reason and "3 attempts" in draft.fallback_reason
    assert "".join(pieces) == draft.text and draft.text
    assert validate_citations(draft.text, draft.citations) == []


def test_timeouts_are_retried_then_fall_back(
    openai_server: OpenAIServer, tmp_path: Path, context: list[Retrieved]
) -> None:
    settings = llm_settings_for(openai_server, tmp_path, llm_timeout=0.3, llm_retries=1)
    openai_server.script(Reply(text="late [1].", delay=2), Reply(text="late [1].", delay=2))
    started = time.monotonic()
    _, draft = run(generator_for(settings), context)
    assert time.monotonic() - started < 1.8
    assert len(openai_server.chat_requests()) == 2
    assert draft.mode == "extractive" and draft.fallback_reason is not None
    assert "timed out" in draft.fallback_reason


def test_a_slow_answer_within_the_timeout_is_fine(
    openai_server: OpenAIServer, tmp_path: Path, context: list[Retrieved]
) -> None:
    settings = llm_settings_for(openai_server, tmp_path, llm_timeout=1.0, llm_retries=0)
    openai_server.script(Reply(text="Python first [1].", delay=0.2, piece_delay=0.05))
    _, draft = run(generator_for(settings), context)
    assert draft.mode == "llm"


@pytest.mark.parametrize(
    "bad",
    [
        Reply(text=""),
        Reply(text="   "),
        Reply(body="data: {not json\n\n"),
        Reply(body="event: nonsense\n\n"),
    ],
    ids=["empty", "blank", "malformed-json", "no-chunks"],
)
def test_empty_or_malformed_completions_are_retried(
    openai_server: OpenAIServer, llm_settings: Settings, context: list[Retrieved], bad: Reply
) -> None:
    openai_server.script(bad, "Python first [1].")
    _, draft = run(generator_for(llm_settings), context)
    assert len(openai_server.chat_requests()) == 2
    assert draft.mode == "llm" and draft.text == "Python first [1]."


def test_only_malformed_completions_fall_back(
    openai_server: OpenAIServer, llm_settings: Settings, context: list[Retrieved]
) -> None:
    openai_server.script(*[Reply(body="data: {oops\n\n")] * 3)
    _, draft = run(generator_for(llm_settings), context)
    assert draft.mode == "extractive" and draft.fallback_reason is not None
    assert "malformed" in draft.fallback_reason


def test_an_auth_error_is_not_retried(
    openai_server: OpenAIServer, llm_settings: Settings, context: list[Retrieved]
) -> None:
    openai_server.script(Reply(status=401))
    _, draft = run(generator_for(llm_settings), context)
    assert len(openai_server.chat_requests()) == 1
    assert draft.fallback_reason is not None and "HTTP 401" in draft.fallback_reason


def test_a_stream_broken_after_text_flowed_falls_back_without_retry(
    openai_server: OpenAIServer, llm_settings: Settings, context: list[Retrieved]
) -> None:
    openai_server.script(Reply(text="Python first [1]. Then projects [3]. More.", break_after=4))
    pieces, draft = run(generator_for(llm_settings), context)
    assert len(openai_server.chat_requests()) == 1
    assert pieces[0].startswith("Python first [1].")  # what flowed before the break
    assert draft.mode == "extractive" and draft.fallback_reason is not None
    restarts = [i for i, p in enumerate(pieces) if p.startswith("<restart")]
    assert len(restarts) == 1  # consumers drop what flowed, then show the offline answer
    assert "".join(pieces[restarts[0] + 1 :]) == draft.text


def test_a_stream_broken_before_text_flowed_is_retried(
    openai_server: OpenAIServer, llm_settings: Settings, context: list[Retrieved]
) -> None:
    openai_server.script(Reply(text="Python first and so on [1].", break_after=2), "Python [1].")
    pieces, draft = run(generator_for(llm_settings), context)
    assert len(openai_server.chat_requests()) == 2
    assert draft.text == "Python [1]." == "".join(pieces)


def test_context_and_history_fit_their_token_budgets(
    openai_server: OpenAIServer, tmp_path: Path
) -> None:
    settings = llm_settings_for(
        openai_server, tmp_path, context_tokens=300, history_tokens=120, chat_model="gpt-4o"
    )
    filler = "Practise building agents with tools and evaluation every single week. "
    context = [
        Retrieved(chunk=make_chunk(n, f"Point {n}. " + filler * 4, source=f"g{n}.md"), score=1 / n)
        for n in range(1, 9)
    ]
    history = [
        Turn(role="user" if n % 2 == 0 else "assistant", content=f"Turn {n}: " + filler * 2)
        for n in range(10)
    ]
    history[-1] = Turn(role="assistant", content="Learn Python [1][2].\n\nSources:\n[1] A\n[2] B")
    openai_server.script("Point one [1].")
    run(generator_for(settings), context, history)
    (request,) = openai_server.chat_requests()
    encoding = encoding_for("gpt-4o")
    assert encoding == "o200k_base"
    excerpts = request.system.split("<guides>\n")[1].split("\n</guides>")[0]
    assert count_tokens(excerpts, encoding) <= 300
    assert "[1] Guide g1.md" in excerpts and "[8]" not in excerpts  # best kept, tail dropped
    sent = request.messages[1:-1]
    assert sum(count_tokens(m["content"], encoding) + 4 for m in sent) <= 120
    assert 0 < len(sent) < len(history)
    assert sent[-1] == {"role": "assistant", "content": "Learn Python."}  # markers stripped
    assert "Turn 0" not in str(sent)  # the oldest turns went first
    assert sent[0]["role"] == "user"


def test_history_budget_drops_oldest_first() -> None:
    turns = [Turn(role="user", content=f"question {n} " * 10) for n in range(6)]
    kept = fit_history(turns, 60, "cl100k_base")
    assert kept == turns[-len(kept) :] and 0 < len(kept) < 6


def test_a_missing_key_is_a_config_error(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, generator="llm")
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        make_generator(settings, FakeEmbeddings())  # type: ignore[arg-type]


def test_a_base_url_without_a_key_uses_a_placeholder(
    openai_server: OpenAIServer, tmp_path: Path, context: list[Retrieved]
) -> None:
    settings = make_settings(tmp_path, generator="llm", openai_base_url=openai_server.base_url)
    openai_server.script("Python [1].")
    _, draft = run(generator_for(settings), context)
    assert draft.mode == "llm"
    assert openai_server.chat_requests()[0].headers["authorization"] == "Bearer not-needed"


def test_encodings_and_prices() -> None:
    assert encoding_for("gpt-4o-mini-2024-07-18") == "o200k_base"
    assert encoding_for("gpt-4.1") == "o200k_base"
    assert encoding_for("gpt-3.5-turbo") == "cl100k_base"
    assert encoding_for("llama3.1:8b") == "cl100k_base"
    settings = make_settings(Path("unused"))
    assert estimate_cost("gpt-4o-mini-2024-07-18", 1_000_000, 0, settings) == pytest.approx(0.15)
    assert estimate_cost("llama3.1:8b", 1000, 1000, settings) is None
    custom = make_settings(Path("unused"), llm_price_input=1.0, llm_price_output=2.0)
    assert estimate_cost("llama3.1:8b", 1_000_000, 500_000, custom) == pytest.approx(2.0)


def test_a_failing_support_check_retries_the_completion(
    openai_server: OpenAIServer, tmp_path: Path, context: list[Retrieved]
) -> None:
    settings = llm_settings_for(openai_server, tmp_path, embedding_provider="openai")
    generator = make_generator(settings, make_embeddings(settings))
    assert isinstance(generator, LLMGenerator)
    openai_server.embedding_status.extend([500] * 3)  # the SDK's own retries fail too
    openai_server.script("Learn Python first [1].", "Learn Python first [1].")
    pieces, draft = run(generator, context)
    assert len(openai_server.chat_requests()) == 2
    assert len(openai_server.embedding_requests()) > 3 and not openai_server.embedding_status
    assert draft.mode == "llm" and draft.text == "Learn Python first [1]." == "".join(pieces)
