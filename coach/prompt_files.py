"""User-visible texts and LLM prompts kept as files in ``coach/prompts``."""

from __future__ import annotations

from functools import cache
from importlib.resources import files


@cache
def load_prompt(name: str) -> str:
    """A text from ``coach/prompts``, stripped."""
    return (files("coach") / "prompts" / name).read_text(encoding="utf-8").strip()
