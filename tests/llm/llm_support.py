"""Helpers of the LLM tests (fixtures live in conftest.py): settings, coaches, a fake model."""

from __future__ import annotations

import re
from pathlib import Path

from coach.chain import Coach
from coach.factory import assemble
from coach.history import HistoryStore
from coach.schema import Chunk
from coach.settings import Settings
from coach.store import GuideStore
from tests.llm.openai_server import OpenAIServer, Recorded, Reply, schema_reply
from tests.support import make_settings

_EXCERPT = re.compile(r"^\[(\d+)\] [^\n]*?: (.*?)(?=\n\n\[\d+\] |\n</guides>)", re.M | re.S)
_WORDS = re.compile(r"[a-z]{3,}")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s")


def excerpts_of(request: Recorded) -> dict[int, str]:
    """The numbered excerpts of an answer prompt."""
    return {int(n): text for n, text in _EXCERPT.findall(request.system)}


def grounded_reply(request: Recorded) -> Reply:
    """What a well-behaved model would say: the best-matching excerpt's first sentence, cited.

    Condense requests get the latest message back unchanged; judge prompts (ragas) that
    ask for JSON get a valid instance of their schema.
    """
    judged = schema_reply(request.last_user)
    if judged is not None:
        return judged
    if "standalone question" in request.system:
        latest = re.search(r"Latest message: (.*)\n", request.last_user)
        return Reply(text=latest.group(1) if latest else request.last_user)
    excerpts = excerpts_of(request)
    asked = set(_WORDS.findall(request.last_user.lower()))
    if not excerpts:
        return Reply(text="The guides don't cover that.")
    number = max(excerpts, key=lambda n: len(asked & set(_WORDS.findall(excerpts[n].lower()))))
    sentence = _SENTENCE_END.split(" ".join(excerpts[number].split()), maxsplit=1)[0]
    return Reply(text=f"The guides say: {sentence.rstrip('.')} [{number}].")


def llm_settings_for(server: OpenAIServer, data_dir: Path, **overrides: object) -> Settings:
    """Settings of the LLM generator on ``server``, with quick retries."""
    values: dict[str, object] = {
        "generator": "llm",
        "openai_base_url": server.base_url,
        "openai_api_key": "sk-test",
        "chat_model": "gpt-4o-mini",
        "llm_timeout": 5.0,
        "llm_retries": 2,
        "llm_backoff": 0.01,
        "llm_backoff_max": 0.05,
    }
    return make_settings(data_dir, **{**values, **overrides})


def llm_coach_for(settings: Settings, store: GuideStore, db_path: Path) -> Coach:
    """A coach over ``store`` answering and condensing with the LLM of ``settings``."""
    return assemble(settings, store, HistoryStore(f"sqlite:///{db_path}")).coach


def make_chunk(number: int, text: str, source: str = "guide.md", section: str = "Skills") -> Chunk:
    """A hand-made chunk (for tests that need no store)."""
    return Chunk(
        chunk_id=f"{source}#{number}",
        text=text,
        source=source,
        title=f"Guide {source}",
        section=section,
        position=number,
        tokens=len(text.split()),
        content_hash=str(number),
    )
