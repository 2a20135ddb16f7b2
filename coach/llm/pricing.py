"""What a chat model's tokens are counted with and what they cost."""

from __future__ import annotations

import tiktoken.model

from coach.settings import Settings

# USD per 1M tokens (prompt, completion), OpenAI list prices as of 2025. Longest prefix wins,
# so dated snapshots ("gpt-4o-mini-2024-07-18") match their family. Override with
# COACH_LLM_PRICE_INPUT / COACH_LLM_PRICE_OUTPUT for other models or servers.
PRICES_PER_MILLION: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1": (2.00, 8.00),
    "gpt-5-nano": (0.05, 0.40),
    "gpt-5-mini": (0.25, 2.00),
    "gpt-5": (1.25, 10.00),
    "o4-mini": (1.10, 4.40),
    "o3-mini": (1.10, 4.40),
    "gpt-4-turbo": (10.00, 30.00),
    "gpt-3.5-turbo": (0.50, 1.50),
}


def encoding_for(model: str) -> str:
    """The tiktoken vocabulary of ``model``: o200k_base for the gpt-4o family and later."""
    try:
        name = tiktoken.model.encoding_name_for_model(model)
    except KeyError:  # not an OpenAI model name (a local server's model)
        return "cl100k_base"
    return "o200k_base" if name.startswith("o200k") else "cl100k_base"


def price_for(model: str, settings: Settings) -> tuple[float, float] | None:
    """(prompt, completion) USD per 1M tokens, or None when unknown."""
    if settings.llm_price_input is not None and settings.llm_price_output is not None:
        return settings.llm_price_input, settings.llm_price_output
    matches = [prefix for prefix in PRICES_PER_MILLION if model.startswith(prefix)]
    return PRICES_PER_MILLION[max(matches, key=len)] if matches else None


def estimate_cost(
    model: str, prompt_tokens: int, completion_tokens: int, settings: Settings
) -> float | None:
    """Estimated USD cost of one exchange, or None when the model's price is unknown."""
    price = price_for(model, settings)
    if price is None:
        return None
    return (prompt_tokens * price[0] + completion_tokens * price[1]) / 1_000_000
