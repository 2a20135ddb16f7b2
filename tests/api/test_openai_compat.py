"""/v1/chat/completions and /v1/models, driven by the official openai client over loopback."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from api.app import create_app
from coach.chain import Coach
from coach.citations import validate_citations
from coach.factory import Parts
from coach.schema import Citation
from coach.store import GuideStore
from tests.api.live_server import FailingGenerator, live_server, parse_sse
from tests.openai_double.server import OpenAIServer, Reply
from tests.openai_double.support import citing, llm_coach_for, llm_settings_for
from tests.support import build_parts

QUESTION = "What should I learn first to become an AI engineer?"
# What the guides retrieved for QUESTION say, as a model would cite it (each excerpt found
# by its text, wherever retrieval ranked it).
SUPPORTED = (
    "You already have the engineering skills and just need to learn how they apply to AI "
    "[{how they apply to AI}]. An AI engineer is first and foremost an engineer "
    "[{first and foremost an engineer}]."
)
SUPPORTED_RENUMBERED = (
    "You already have the engineering skills and just need to learn how they apply to AI [1]. "
    "An AI engineer is first and foremost an engineer [2]."
)
Serve = Callable[..., AbstractContextManager[tuple[openai.OpenAI, Parts]]]


@pytest.fixture
def serve(seeded_store: GuideStore, openai_server: OpenAIServer, tmp_path: Path) -> Serve:
    """Serve the coach's app (LLM generator on the scripted server, or extractive)."""

    @contextmanager
    def start(llm: bool = True, key: str | None = None, **overrides: Any) -> Iterator[Any]:
        settings = llm_settings_for(
            openai_server,
            tmp_path / ".coach",
            rate_limit_per_minute=0,
            generator="llm" if llm else "extractive",
            **overrides,
        )
        db = tmp_path / f"history-{len(list(tmp_path.iterdir()))}.db"
        if llm:
            coach = llm_coach_for(settings, seeded_store, db)
            parts = Parts(settings=settings, store=seeded_store, history=coach.history, coach=coach)
        else:
            parts = build_parts(settings, seeded_store, db)
        try:
            with live_server(create_app(settings, parts=parts)) as url:
                client = openai.OpenAI(
                    base_url=f"{url}/v1", api_key=key or "unused", max_retries=0, timeout=60
                )
                yield client, parts
        finally:
            parts.history.engine.dispose()

    return start


def split_content(content: str) -> tuple[str, str]:
    answer, _, sources = content.partition("\n\nSources:\n")
    return answer, sources


def assert_sources_match(content: str, citations: list[dict[str, Any]]) -> None:
    answer, sources = split_content(content)
    parsed = [Citation.model_validate(c) for c in citations]
    assert validate_citations(answer, parsed) == []
    lines = sources.splitlines()
    assert len(lines) == len(parsed) > 0
    for line, citation in zip(lines, parsed, strict=True):
        where = " › ".join(p for p in (citation.title, citation.section) if p)
        assert line == f"[{citation.id}] {where} ({citation.source})"


def test_models_lists_the_coach(serve: Serve) -> None:
    with serve(llm=False) as (client, _):
        assert [m.id for m in client.models.list()] == ["career-coach"]


def test_a_completion_carries_the_answer_its_sources_and_citations(serve: Serve) -> None:
    with serve(llm=False) as (client, parts):
        response = client.chat.completions.create(
            model="career-coach",
            messages=[
                {"role": "system", "content": "You are a pirate."},  # ignored
                {"role": "user", "content": QUESTION},
            ],
        )
    assert response.object == "chat.completion" and response.model == "career-coach"
    choice = response.choices[0]
    assert choice.finish_reason == "stop" and choice.message.role == "assistant"
    content = choice.message.content or ""
    extra = response.model_extra or {}
    assert_sources_match(content, extra["citations"])
    assert extra["coach"]["mode"] == "extractive" and extra["coach"]["refused"] is False
    assert response.usage is not None and response.usage.completion_tokens > 0
    stored = parts.history.get_session(extra["coach"]["session_id"]).messages
    assert [m.role for m in stored] == ["user", "assistant"]
    assert stored[1].content == split_content(content)[0]


def test_earlier_messages_become_the_sessions_history(
    serve: Serve, openai_server: OpenAIServer
) -> None:
    earlier_answer = "Start with Python [1].\n\nSources:\n[1] Roadmap › Skills (roadmap.md)"
    openai_server.script("How long does it take to become an AI engineer?")
    with serve() as (client, parts):
        response = client.chat.completions.create(
            model="career-coach",
            messages=[
                {"role": "user", "content": [{"type": "text", "text": QUESTION}]},
                {"role": "assistant", "content": earlier_answer},
                {"role": "user", "content": "And how long does that take?"},
            ],
        )
    extra = response.model_extra or {}
    condense = openai_server.chat_requests()[0]
    assert "Assistant: Start with Python." in condense.last_user  # no stale sources
    assert extra["coach"]["mode"] == "llm"
    stored = parts.history.get_session(extra["coach"]["session_id"]).messages
    assert [m.content for m in stored[:3]] == [
        QUESTION,
        "Start with Python [1].",
        "And how long does that take?",
    ]
    assert_sources_match(response.choices[0].message.content or "", extra["citations"])


def test_a_streamed_completion_flows_in_chunks_and_ends_with_done(
    serve: Serve, openai_server: OpenAIServer
) -> None:
    openai_server.script(citing(SUPPORTED, piece_delay=0.01))
    with serve() as (client, _):
        stream = client.chat.completions.create(
            model="career-coach",
            messages=[{"role": "user", "content": QUESTION}],
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = list(stream)
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    pieces = [
        c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content
    ]
    assert len(pieces) >= 2  # checked sentences stream as they settle
    content = "".join(pieces)
    answer, _ = split_content(content)
    assert answer == SUPPORTED_RENUMBERED
    (last,) = [c for c in chunks if c.choices and c.choices[0].finish_reason]
    assert last.choices[0].finish_reason == "stop"
    extra = last.model_extra or {}
    assert_sources_match(content, extra["citations"])
    assert extra["coach"]["mode"] == "llm" and extra["coach"]["usage"]["total_tokens"] > 0
    assert chunks[-1].usage is not None and chunks[-1].choices == []
    assert chunks[-1].usage.completion_tokens > 0


def test_a_raw_stream_ends_with_done(serve: Serve) -> None:
    with serve(llm=False) as (client, _):
        body = {"model": "x", "stream": True, "messages": [{"role": "user", "content": QUESTION}]}
        # a cold server answers its first question in ~5 s on a loaded machine: httpx waits 5 s
        stream = httpx.stream("POST", f"{client.base_url}chat/completions", json=body, timeout=60)
        with stream as response:
            raw = response.read().decode()
    assert response.headers["content-type"].startswith("text/event-stream")
    events = re.findall(r"^data: (.*)$", raw, re.M)
    assert events[-1] == "[DONE]" and len(events) > 3


def test_the_api_key_applies(serve: Serve) -> None:
    with serve(llm=False, api_key="coach-secret") as (client, _):
        with pytest.raises(openai.AuthenticationError):
            client.models.list()
        with pytest.raises(openai.AuthenticationError):
            client.chat.completions.create(
                model="career-coach", messages=[{"role": "user", "content": QUESTION}]
            )
        authorized = client.with_options(api_key="coach-secret")
        assert [m.id for m in authorized.models.list()] == ["career-coach"]
        response = authorized.chat.completions.create(
            model="career-coach", messages=[{"role": "user", "content": QUESTION}]
        )
        assert response.choices[0].message.content


def test_a_conversation_must_end_with_the_users_question(serve: Serve) -> None:
    with serve(llm=False) as (client, _):
        with pytest.raises(openai.UnprocessableEntityError, match="last message"):
            client.chat.completions.create(
                model="career-coach",
                messages=[
                    {"role": "user", "content": QUESTION},
                    {"role": "assistant", "content": "Python."},
                ],
            )
        with pytest.raises(openai.UnprocessableEntityError):
            client.chat.completions.create(model="career-coach", messages=[])
        with pytest.raises(openai.UnprocessableEntityError, match="empty"):
            client.chat.completions.create(
                model="career-coach", messages=[{"role": "user", "content": "  "}]
            )


def test_a_failure_mid_stream_reaches_the_client_as_an_error(serve: Serve, embeddings: Any) -> None:
    with serve(llm=False) as (client, parts):
        coach: Coach = parts.coach
        coach.generator = FailingGenerator(embeddings)
        stream = client.chat.completions.create(
            model="career-coach", messages=[{"role": "user", "content": QUESTION}], stream=True
        )
        with pytest.raises(openai.APIError, match="unexpected problem"):
            list(stream)


def test_an_llm_outage_still_answers(serve: Serve, openai_server: OpenAIServer) -> None:
    openai_server.script(*[Reply(status=429, headers={"Retry-After": "0"})] * 3)
    with serve() as (client, _):
        response = client.chat.completions.create(
            model="career-coach", messages=[{"role": "user", "content": QUESTION}]
        )
    extra = response.model_extra or {}
    assert extra["coach"]["mode"] == "extractive"
    assert "429" in extra["coach"]["fallback_reason"]
    assert_sources_match(response.choices[0].message.content or "", extra["citations"])


def test_the_apps_own_stream_carries_llm_deltas(serve: Serve, openai_server: OpenAIServer) -> None:
    openai_server.script(citing(SUPPORTED, piece_delay=0.01))
    with serve() as (client, _):
        url = str(client.base_url).removesuffix("/v1/")
        body = {"message": QUESTION}
        with httpx.stream("POST", f"{url}/api/chat/stream", json=body, timeout=60) as response:
            events = parse_sse(response.read().decode())
    deltas = [data["text"] for name, data in events if name == "delta"]
    (done,) = [data for name, data in events if name == "done"]
    assert len(deltas) == 2 and "".join(deltas) == done["answer"]
    assert done["answer"] == SUPPORTED_RENUMBERED and done["mode"] == "llm"


def test_an_llm_failing_mid_answer_resets_the_apps_stream(
    serve: Serve, openai_server: OpenAIServer
) -> None:
    openai_server.script(
        citing(SUPPORTED, break_after=18)  # once the first sentence has been shown
    )
    with serve() as (client, _):
        url = str(client.base_url).removesuffix("/v1/")
        body = {"message": QUESTION}
        with httpx.stream("POST", f"{url}/api/chat/stream", json=body, timeout=60) as response:
            events = parse_sse(response.read().decode())
    names = [name for name, _ in events]
    assert "reset" in names and names.index("reset") > names.index("delta")
    after = [data["text"] for name, data in events[names.index("reset") :] if name == "delta"]
    (done,) = [data for name, data in events if name == "done"]
    assert "".join(after) == done["answer"]  # what follows the reset is the whole answer
    assert done["mode"] == "extractive" and done["fallback_reason"]
