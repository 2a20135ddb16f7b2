"""The chat model (OpenAI or any OpenAI-compatible server) and how its calls are retried."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

import openai
from langchain_openai import ChatOpenAI
from pydantic import SecretStr

from coach.errors import ConfigError, GenerationError
from coach.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")
PLACEHOLDER_KEY = "not-needed"  # local servers (Ollama, vLLM, llama.cpp) ignore the key


class EmptyCompletion(ValueError):
    """The model answered with no text (retried like a server fault)."""


def make_chat_model(
    settings: Settings,
    model: str | None = None,
    max_tokens: int | None = None,
    temperature: float | None = None,
) -> ChatOpenAI:
    """A streaming chat model; retries are ours (``RetryPolicy``), not the SDK's.

    The SDK's ``max_retries`` retries an HTTP status or a timeout only, with its own fixed
    backoff, and never a stream that breaks off or comes back empty or malformed;
    ``.with_retry()`` retries ``invoke`` but not ``stream``, and knows no Retry-After.
    """
    key = settings.openai_api_key
    if key is not None and not key.get_secret_value().strip():
        key = None  # OPENAI_API_KEY= (empty) in a .env
    if key is None and not settings.openai_base_url:
        raise ConfigError(
            "COACH_GENERATOR=llm needs OPENAI_API_KEY, or OPENAI_BASE_URL for an "
            "OpenAI-compatible server (e.g. http://localhost:11434/v1 for Ollama). "
            "Set one, or use COACH_GENERATOR=extractive to answer offline."
        )
    return ChatOpenAI(
        model=model or settings.chat_model,
        api_key=key or SecretStr(PLACEHOLDER_KEY),
        base_url=settings.openai_base_url,
        timeout=settings.llm_timeout,
        max_retries=0,
        temperature=settings.temperature if temperature is None else temperature,
        max_completion_tokens=max_tokens or settings.max_output_tokens,
        stream_usage=True,  # stream_options.include_usage: token counts in the last chunk
        use_responses_api=False,  # chat completions: what compatible servers speak
    )


def describe_fault(exc: BaseException) -> str:
    """A short, user-presentable description of an LLM failure."""
    if isinstance(exc, openai.APITimeoutError | TimeoutError) or "Timeout" in type(exc).__name__:
        return "the request timed out"
    if isinstance(exc, openai.RateLimitError):
        return "rate limited (HTTP 429)"
    if isinstance(exc, openai.APIStatusError):
        return f"HTTP {exc.status_code} from the server"
    if isinstance(exc, openai.APIConnectionError | ConnectionError):
        return "the server could not be reached"
    if isinstance(exc, EmptyCompletion):
        return "an empty completion"
    return "a malformed completion"


def is_retryable(exc: BaseException) -> bool:
    """Timeouts, connection errors, 408/409/429, 5xx and empty or malformed completions."""
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in (408, 409, 429) or exc.status_code >= 500
    return not isinstance(exc, openai.OpenAIError) or isinstance(exc, openai.APIConnectionError)


# What a failing LLM call may raise: the SDK's errors, but also its HTTP library's errors
# when a stream breaks off, and whatever decoding a malformed body raises (JSON, pydantic,
# missing keys). The caller's answer must survive all of them, so all are faults.
LLM_FAULTS: tuple[type[Exception], ...] = (Exception,)


class RetryPolicy:
    """Exponential backoff with jitter, honouring Retry-After, capped at ``backoff_max``."""

    def __init__(
        self,
        retries: int,
        backoff: float,
        backoff_max: float,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.attempts = retries + 1
        self.backoff = backoff
        self.backoff_max = backoff_max
        self.sleep = sleep

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        return cls(settings.llm_retries, settings.llm_backoff, settings.llm_backoff_max)

    def delay(self, attempt: int, exc: BaseException) -> float:
        """Seconds to wait after failed attempt ``attempt`` (1-based)."""
        hinted = _retry_after(exc)
        if hinted is not None:
            return min(hinted, self.backoff_max)
        full = self.backoff * 2 ** (attempt - 1)
        return min(full * (0.5 + random.random() / 2), self.backoff_max)

    def wait(self, attempt: int, exc: BaseException) -> None:
        """Log the fault and sleep before the next attempt."""
        pause = self.delay(attempt, exc)
        log.warning(
            "LLM attempt %d/%d failed (%s); retrying in %.2fs",
            attempt,
            self.attempts,
            describe_fault(exc),
            pause,
        )
        self.sleep(pause)

    def give_up(self, attempt: int, exc: BaseException) -> GenerationError:
        """The error raised once retries are exhausted or the fault is not retryable."""
        tries = "1 attempt" if attempt == 1 else f"{attempt} attempts"
        log.warning("LLM gave up after %s", tries, exc_info=exc)
        error = GenerationError(f"The language model failed: {describe_fault(exc)} ({tries}).")
        error.__cause__ = exc
        return error

    def run(self, call: Callable[[], T]) -> T:
        """``call()`` with retries; a GenerationError once they are spent."""
        for attempt in range(1, self.attempts + 1):
            try:
                return call()
            except LLM_FAULTS as exc:
                if attempt == self.attempts or not is_retryable(exc):
                    raise self.give_up(attempt, exc) from exc
                self.wait(attempt, exc)
        raise AssertionError("unreachable")  # pragma: no cover


def _retry_after(exc: BaseException) -> float | None:
    """The server's Retry-After (``retry-after-ms`` or seconds), if it sent one."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            return max(float(value) / scale, 0.0)
        except ValueError:
            continue  # an HTTP date: fall back to our own backoff
    return None
