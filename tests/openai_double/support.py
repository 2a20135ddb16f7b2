"""Helpers of the LLM tests (fixtures live in fixtures.py): settings, coaches, a fake model."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from coach.chain import Coach
from coach.factory import assemble
from coach.history import HistoryStore
from coach.schema import Chunk
from coach.settings import Settings
from coach.store import GuideStore
from tests.openai_double.server import OpenAIServer, Recorded, Reply, schema_reply
from tests.support import make_settings

_EXCERPT = re.compile(r"^\[(\d+)\] [^\n]*?: (.*?)(?=\n\n\[\d+\] |\n</guides>)", re.M | re.S)
_WORDS = re.compile(r"[a-z]{3,}")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s")


def excerpts_of(request: Recorded) -> dict[int, str]:
    """The numbered excerpts of an answer prompt."""
    return {int(n): text for n, text in _EXCERPT.findall(request.system)}


def citing(text: str, **reply: Any) -> Callable[[Recorded], Reply]:
    """A reply that cites excerpts by what they say, not by where retrieval ranked them:
    each ``[{phrase}]`` of ``text`` becomes the number of the excerpt holding the phrase."""

    def build(request: Recorded) -> Reply:
        excerpts = {n: " ".join(t.split()) for n, t in excerpts_of(request).items()}

        def number(match: re.Match[str]) -> str:
            found = [n for n, t in excerpts.items() if match.group(1) in t]
            assert found, f"no excerpt of the prompt says {match.group(1)!r}"
            return str(found[0])

        return Reply(text=re.sub(r"\{([^{}]+)\}", number, text), **reply)

    return build


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


HABITS = (
    "faithful",
    "invented_figure",
    "refusal_prefix",
    "piled_markers",
    "bare_refusal",
    "list_numbers",
)
INVENTED = "$987,654"  # a figure no guide holds


def _body(excerpt: str) -> str:
    """An excerpt's text without its "Title › Section:" lead."""
    rest = excerpt.split(" › ", 1)[1] if " › " in excerpt else excerpt
    return rest.split(": ", 1)[1] if ": " in rest else rest


def _sentences(excerpts: dict[int, str], asked: set[str]) -> list[tuple[int, str]]:
    """The two excerpts that share most words with the question, each with the sentence of
    it that shares most (a prose line, not a heading)."""
    best = sorted(excerpts, key=lambda n: -len(asked & set(_WORDS.findall(excerpts[n].lower()))))
    found = []
    for number in best[:2]:
        lines = [
            " ".join(ln.lstrip("-*# ").split())
            for ln in _body(excerpts[number]).splitlines()
            if len(ln.split()) > 5 and not ln.lstrip().startswith("#")
        ]
        sentences = [s for ln in lines for s in _SENTENCE_END.split(ln)] or [
            _body(excerpts[number])
        ]
        pick = max(sentences, key=lambda t: len(asked & set(_WORDS.findall(t.lower()))))
        found.append((number, pick.rstrip(".:")))
    return found


def habitual_reply(request: Recorded) -> Reply:
    """What a weak local model writes: one of its habits per question (chosen by a hash of it).

    Faithful citations; an invented figure; a refusal phrase before a real answer; markers
    piled at the end; a bare refusal; list numbers that look like citations. The chain must
    pass on only what the excerpts support.
    """
    if schema_reply(request.last_user) is not None or "standalone question" in request.system:
        return grounded_reply(request)
    excerpts = excerpts_of(request)
    if not excerpts:
        return Reply(text="The guides don't cover that.")
    asked = set(_WORDS.findall(request.last_user.lower()))
    habit = HABITS[int(hashlib.sha1(request.last_user.encode()).hexdigest(), 16) % len(HABITS)]
    (n1, s1), *rest = _sentences(excerpts, asked)
    n2, s2 = rest[0] if rest else (n1, s1)
    text = {
        "faithful": f"{s1} [{n1}]. {s2} [{n2}].",
        "invented_figure": f"{s1} [{n1}]. Most people in this role earn {INVENTED} a year [{n1}].",
        "refusal_prefix": f"The guides don't cover that. However, {s1[:1].lower()}{s1[1:]} [{n1}].",
        "piled_markers": f"{s1}. {s2}.\n\n[{n1}][{n2}]",
        "bare_refusal": "The guides don't cover that.",
        "list_numbers": f"[1] {s1}\n[2] {s2}",
    }[habit]
    return Reply(text=text)


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
