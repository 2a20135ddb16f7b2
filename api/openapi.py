"""The OpenAPI schema, made to say what the service does (what schemathesis checks).

FastAPI's generated schema misses what depends on the settings (the message length limit)
and what happens before a route runs (a body that cannot be parsed).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from coach.settings import Settings

SSE_SCHEMA: dict[str, Any] = {
    "type": "string",
    "description": "Server-Sent Events: lines `event: <name>` and `data: <JSON>`, "
    "blocks separated by a blank line.",
    "pattern": "^(event|data|id|retry|:)",
}


def tidy_openapi(app: FastAPI, settings: Settings) -> None:
    """Replace ``app.openapi`` with the generated schema plus the settings' limits."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = generate()
        message = schema["components"]["schemas"]["ChatRequest"]["properties"]["message"]
        message["maxLength"] = settings.max_message_chars
        stream = schema["paths"]["/api/chat/stream"]["post"]["responses"]["200"]
        stream["content"] = {"text/event-stream": {"schema": SSE_SCHEMA}}
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
