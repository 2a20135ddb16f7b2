"""Request and response bodies of the HTTP API."""

from __future__ import annotations

from datetime import datetime
from http import HTTPStatus
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from coach.schema import Answer, Citation
from coach.text import surrogate_problem

MAX_COMMENT_CHARS = 2000


def unicode_text(value: str) -> str:
    """Refuse (422) text that no database could store, before anything is stored."""
    problem = surrogate_problem(value)
    if problem:
        raise ValueError(problem)
    return value


Text = Annotated[str, AfterValidator(unicode_text)]
"""A string that must be valid Unicode (no lone surrogates)."""
SessionId = Annotated[Text, StringConstraints(min_length=1, max_length=64)]


class ChatRequest(BaseModel):
    """A question, in a conversation (``session_id``) or starting a new one (null)."""

    message: Text = Field(
        description="The question: 1 to COACH_MAX_MESSAGE_CHARS characters, not all blank.",
        json_schema_extra={"minLength": 1, "pattern": r"\S"},
    )
    session_id: SessionId | None = Field(
        None, description="Continue this conversation; omit or null to start one."
    )


class ChatResponse(Answer):
    """The answer contract, with its text also rendered as sanitized HTML."""

    message_id: str | None = Field(None, description="Id of the stored reply, for feedback.")
    answer_html: str = Field(description="The answer as safe HTML; [n] link to #cite-n.")

    @classmethod
    def of(cls, answer: Answer, answer_html: str) -> ChatResponse:
        return cls.model_validate({**answer.model_dump(), "answer_html": answer_html})


class MessageOut(BaseModel):
    """One stored turn of a conversation."""

    id: str
    role: Literal["user", "assistant"]
    content: str
    citations: list[Citation]
    refused: bool
    mode: str | None
    answer_html: str | None = Field(description="Rendered reply; null for the user's turns.")
    created_at: datetime = Field(description="ISO 8601, UTC.")
    feedback: Literal["up", "down"] | None


class SessionOut(BaseModel):
    """A conversation with every turn, oldest first."""

    session_id: str
    created_at: datetime
    title: str
    messages: list[MessageOut]


class FeedbackRequest(BaseModel):
    """A rating of one of the coach's replies."""

    session_id: SessionId
    message_id: Annotated[Text, StringConstraints(min_length=1, max_length=64)]
    rating: Literal["up", "down"]
    comment: (
        Annotated[Text, StringConstraints(strip_whitespace=True, max_length=MAX_COMMENT_CHARS)]
        | None
    ) = None


class Ok(BaseModel):
    ok: Literal[True] = True


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    """Whether the coach can answer: the guide store is reachable and filled, history answers."""

    status: Literal["ready", "not_ready"]
    chunks: int | None = Field(description="Chunks in the guide store (null if unreachable).")
    checks: dict[str, str] = Field(
        description="Each check: 'ok' or what is wrong.",
        examples=[{"store": "ok", "history": "ok"}],
    )


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: Any = None


class ErrorBody(BaseModel):
    """The shape of every error response."""

    error: ErrorDetail


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the errors a route can answer with."""
    return {s: {"model": ErrorBody, "description": HTTPStatus(s).phrase} for s in statuses}
