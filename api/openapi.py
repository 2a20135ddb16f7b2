"""The OpenAPI schema, made to say what the service does (what schemathesis checks).

FastAPI's generated schema misses what depends on the settings (the message length limit)
and what happens before a route runs (a body that cannot be parsed).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from coach.settings import Settings


def sse_schema(events: list[str] | None = None) -> dict[str, Any]:
    """One Server-Sent Event (what SSE-aware tools, schemathesis among them, validate)."""
    event: dict[str, Any] = {"type": "string"}
    if events:
        event["enum"] = events
    return {
        "type": "object",
        "description": "One Server-Sent Event; `data` holds JSON.",
        "properties": {
            "event": event,
            "data": {"type": "string"},
            "id": {"type": "string"},
            "retry": {"type": "integer"},
        },
        "required": ["data"],
    }


CHAT_EVENTS = ["session", "delta", "reset", "citations", "done", "error"]


def tidy_openapi(app: FastAPI, settings: Settings) -> None:
    """Replace ``app.openapi`` with the generated schema plus the settings' limits."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = generate()
        message = schema["components"]["schemas"]["ChatRequest"]["properties"]["message"]
        message["maxLength"] = settings.max_message_chars
        if starters := getattr(app.state, "starters", None):  # the library's own questions
            message["examples"] = starters[:3]
        stream = schema["paths"]["/api/chat/stream"]["post"]["responses"]["200"]
        stream["content"] = {"text/event-stream": {"schema": sse_schema(CHAT_EVENTS)}}
        completion = schema["paths"]["/v1/chat/completions"]["post"]["responses"]["200"]
        completion["description"] = "A chat.completion, or chat.completion.chunk events."
        completion["content"] = {
            "application/json": {"schema": {"type": "object"}},
            "text/event-stream": {"schema": sse_schema()},
        }
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
