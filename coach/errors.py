"""The coach's own exceptions. Each message says what to do next.

They are turned into CLI error lines in ``cli.main`` and HTTP errors in ``api.errors``.
"""

from __future__ import annotations


class CoachError(Exception):
    """Base class: a failure the user can act on."""

    status_code = 500


class ConfigError(CoachError):
    """Settings that cannot work together (missing key, unknown provider)."""


class InputError(CoachError):
    """Bad input from the user: empty question, unreadable guide, malformed file."""

    status_code = 422


ECHO_CHARS = 64  # the most of a client's id an error message repeats


def echoed(value: str) -> str:
    """A client's value as error messages repeat it: the first ``ECHO_CHARS`` and a count."""
    if len(value) <= ECHO_CHARS:
        return value
    return f"{value[:ECHO_CHARS]}… ({len(value)} characters)"


class NotFoundError(CoachError):
    """An unknown session or message id."""

    status_code = 404


class EmbeddingMismatchError(CoachError):
    """The collection was built with another embedding model than the one configured."""

    status_code = 409

    def __init__(self, stored: str, configured: str) -> None:
        super().__init__(
            f"The store was built with embedding model '{stored}' but '{configured}' is "
            "configured. Re-ingest with: coach ingest --reset"
        )
        self.stored = stored
        self.configured = configured


class StoreUnavailableError(CoachError):
    """The vector store or the history database cannot be reached."""

    status_code = 503


class GenerationError(CoachError):
    """The LLM failed after its retries (callers fall back to extractive answers)."""

    status_code = 502
