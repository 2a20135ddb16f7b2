"""One JSON error shape for every failure: ``{"error": {"code", "message", "details"?}}``.

Coach errors keep their status and message (they say what to do next); anything
unexpected becomes a 500 whose body never carries a traceback.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from coach.errors import (
    CoachError,
    ConfigError,
    EmbeddingMismatchError,
    GenerationError,
    InputError,
    NotFoundError,
    StoreUnavailableError,
)
from coach.turns import TurnInProgressError

logger = logging.getLogger("api")

UNREACHABLE_MESSAGE = (
    "The guide store cannot be reached (the connection to the Chroma server failed), so the "
    "coach cannot answer now. Try again in a moment; /readyz says when it is back."
)
INTERNAL_MESSAGE = (
    "The coach hit an unexpected problem and could not finish this request; please try again."
)

STATUS_CODES: dict[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}

COACH_CODES: dict[type[CoachError], str] = {
    InputError: "invalid_input",
    NotFoundError: "not_found",
    EmbeddingMismatchError: "embedding_mismatch",
    StoreUnavailableError: "store_unavailable",
    GenerationError: "generation_failed",
    ConfigError: "config_error",
    TurnInProgressError: "turn_in_progress",
}


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    """The error shape every endpoint (and the ``error`` SSE event) uses."""
    error: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    return {"error": error}


def error_response(
    status: int,
    code: str,
    message: str,
    details: Any = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(error_body(code, message, details), status_code=status, headers=headers)


def coach_error_code(exc: CoachError) -> str:
    """The code of the nearest known class (``NothingToIngest`` is an ``invalid_input``)."""
    for cls in type(exc).__mro__:
        if cls in COACH_CODES:
            return COACH_CODES[cls]
    return "coach_error"


def describe(exc: BaseException) -> tuple[int, dict[str, Any]]:
    """Status and body for any exception; unexpected ones say nothing about internals."""
    if isinstance(exc, CoachError):
        return exc.status_code, error_body(coach_error_code(exc), str(exc))
    if isinstance(exc, HTTPException):
        return exc.status_code, _http_body(exc)
    if isinstance(exc, httpx.TransportError):  # the Chroma client's (LLM errors are handled)
        return 503, error_body("store_unavailable", UNREACHABLE_MESSAGE)
    return 500, error_body("internal_error", INTERNAL_MESSAGE)


def _http_body(exc: HTTPException) -> dict[str, Any]:
    status = exc.status_code
    code = STATUS_CODES.get(status, "http_error")
    if isinstance(exc.detail, str) and exc.detail:
        return error_body(code, exc.detail)
    try:
        default = HTTPStatus(status).phrase
    except ValueError:
        default = "Request failed."
    return error_body(code, default, exc.detail or None)


# Steps of a pydantic error location that name its schema, not the request's fields:
# "function-after[unicode_text(), str]", "tagged-union[…]", a union member's type ("str").
_SCHEMA_STEP = re.compile(r"^[a-z][a-z-]*\[.*\]$|^(?:str|int|float|bool|bytes|none|list|dict)$")


def _field(loc: Sequence[Any]) -> str:
    """``("body", "messages", 0, "content")`` → ``messages[0].content``; the body itself →
    ``request body``. Steps that name pydantic's schema rather than a field are left out."""
    steps = list(loc)
    if steps and steps[0] in ("body", "path", "query", "header", "cookie"):
        steps = steps[1:]
    field = ""
    for step in steps:
        if isinstance(step, int):
            field += f"[{step}]"
        elif not _SCHEMA_STEP.match(str(step)):
            field += f".{step}" if field else str(step)
    return field or "request body"


def validation_message(errors: Sequence[Mapping[str, Any]]) -> tuple[str, list[dict[str, str]]]:
    """A sentence a person can act on, and one entry per problem (inputs are not echoed)."""
    details: list[dict[str, str]] = []
    for error in errors:
        kind = str(error.get("type", ""))
        loc = tuple(error.get("loc", ()))
        if kind == "json_invalid":
            reason = (error.get("ctx") or {}).get("error", "malformed JSON")
            position = loc[1] if len(loc) > 1 else "?"
            details.append(
                {
                    "field": "request body",
                    "message": f"The body is not valid JSON ({reason} at character {position}).",
                    "type": kind,
                }
            )
            continue
        field = _field(loc)
        message = str(error.get("msg", "is invalid"))
        if field == "request body" and kind in ("missing", "model_attributes_type", "dict_type"):
            message = (
                'The body must be a JSON object sent as application/json, like {"message": "…"}.'
            )
        details.append({"field": field, "message": message, "type": kind})
    summary = "; ".join(
        d["message"] if d["field"] == "request body" else f"{d['field']}: {d['message']}"
        for d in details
    )
    return summary or "The request is invalid.", details


async def _coach_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, CoachError)
    if exc.status_code >= 500:
        logger.error("%s %s failed: %s", request.method, request.url.path, exc)
    return error_response(exc.status_code, coach_error_code(exc), str(exc))


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    message, details = validation_message(exc.errors())
    return error_response(422, "invalid_request", message, details)


PARSE_FAILURE = "There was an error parsing the body"


METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route takes at this path (Starlette names only the first route's)."""
    routes = request.app.router.routes
    return [
        method
        for method in METHODS
        if any(r.matches({**request.scope, "method": method})[0] == Match.FULL for r in routes)
    ]


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    body = _http_body(exc)
    headers = dict(exc.headers or {})
    if exc.status_code == 404 and exc.detail == "Not Found":
        body = error_body("not_found", f"Nothing at {request.url.path}; see /docs for the API.")
    elif exc.status_code == 405:
        allowed = allowed_methods(request) or headers.get("Allow", "").split(", ")
        headers["Allow"] = ", ".join(allowed)
        body = error_body(
            "method_not_allowed",
            f"{request.method} is not allowed on {request.url.path}; use {' or '.join(allowed)}.",
        )
    elif exc.status_code == 400 and exc.detail == PARSE_FAILURE:
        body = error_body(
            "bad_request",
            "The body could not be read: send JSON encoded as UTF-8 with "
            "Content-Type: application/json.",
        )
    return JSONResponse(body, status_code=exc.status_code, headers=headers or None)


async def _unreachable(request: Request, exc: Exception) -> JSONResponse:
    logger.error("%s %s failed: %s", request.method, request.url.path, exc)
    return error_response(503, "store_unavailable", UNREACHABLE_MESSAGE)


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    # Last resort (a failure in middleware): Starlette re-raises, the server logs it.
    return error_response(500, "internal_error", INTERNAL_MESSAGE)


class UnexpectedErrors:
    """A route's unexpected exception becomes the 500 error shape, logged with its traceback.

    The exception stops here, so the server keeps the connection open (Starlette's own
    handler re-raises it, and uvicorn then drops the connection).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched_send)
        except Exception:
            if started:
                raise
            logger.exception("%s %s failed", scope["method"], scope["path"])
            response = error_response(500, "internal_error", INTERNAL_MESSAGE)
            await response(scope, receive, send)


def install_error_handlers(app: FastAPI) -> None:
    """Route every failure through the one error shape (add this before other middleware)."""
    app.add_middleware(UnexpectedErrors)
    app.add_exception_handler(CoachError, _coach_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(httpx.TransportError, _unreachable)
    app.add_exception_handler(Exception, _unexpected_error)
