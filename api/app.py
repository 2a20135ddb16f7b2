"""The FastAPI application: ``create_app(settings)`` for ``coach serve`` and the tests.

The coach's parts (store, history, chain) are built once in the lifespan and shared by
every request; the chain is safe to share (see ``Coach`` and the generator's lock).
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI
from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response

from api.clients import parse_networks
from api.deps import authorization
from api.errors import error_response, install_error_handlers
from api.limits import BodySizeLimit, HeaderSizeLimit, RateLimit, RateLimiter
from api.openapi import tidy_openapi
from api.routes import (
    chat,
    feedback,
    health,
    insights,
    library,
    openai_compat,
    sessions,
    slack,
    widget,
)
from api.routes.docs import mount_docs
from api.slack.app import slack_handler
from coach.errors import CoachError, ConfigError
from coach.factory import Parts, build
from coach.settings import Settings
from coach.voice import Voice
from ingest.pipeline import ingest_into
from ingest.summary import load_library

logger = logging.getLogger("api")


def build_ready(settings: Settings) -> Parts:
    """Build the parts; ingest the seed guides when the store is empty."""
    parts = build(settings, library=load_library)
    if parts.store.count() == 0:
        logger.info("The guide store is empty: ingesting %s", settings.seeds_dir)
        try:
            report = ingest_into(parts, [settings.seeds_dir])
            logger.info("Ingested %d chunks from %d guides", report.chunks_total, report.files)
        except CoachError as exc:  # the server still starts; /readyz says what is wrong
            logger.error("Could not ingest %s: %s", settings.seeds_dir, exc)
    return parts


def answer_concurrency(settings: Settings) -> int:
    """Answers computed at once. Extractive answers are CPU work, so about one per core:
    more only contend for the GIL and SQLite's write lock (same throughput, worse tail).
    LLM answers mostly wait on the network."""
    if settings.generator == "extractive":
        return max(2, os.cpu_count() or 2)
    return 32


def warm_up(parts: Parts) -> None:
    """Load the model, the stored chunks, units and keyword index now, not on the first question."""
    try:
        parts.coach.warm_up()
    except Exception as exc:  # a cold start is slower, not broken
        logger.warning("Warm-up skipped: %s", exc)


def describe(app: FastAPI, parts: Parts) -> None:
    """Name and describe the API from the guides it holds (OpenAPI is rebuilt on next read)."""
    try:
        app.description = parts.coach.voice.description
        app.state.starters = list(parts.coach.voice.starters)
    except Exception as exc:  # an unreachable store: /readyz says so
        logger.warning("The API description names no topic: %s", exc)
    app.openapi_schema = None


class JSONErrorCORS(CORSMiddleware):
    """CORS allow-list whose refused preflights use the API's error shape."""

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code < 400:
            return response
        headers = {
            k: v for k, v in response.headers.items() if k not in ("content-length", "content-type")
        }
        reason = bytes(response.body).decode()
        return error_response(response.status_code, "cors_refused", f"{reason}.", headers=headers)


def create_app(settings: Settings | None = None, parts: Parts | None = None) -> FastAPI:
    """The coach's HTTP service. ``parts``, when given, is used as is (no build, no ingest)."""
    if settings is None:
        settings = parts.settings if parts else Settings()
    config = settings

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if parts is None:
            ready = await anyio.to_thread.run_sync(build_ready, config)
        else:
            ready = parts
        await anyio.to_thread.run_sync(warm_up, ready)
        await anyio.to_thread.run_sync(describe, app, ready)
        app.state.answer_slots = anyio.CapacityLimiter(answer_concurrency(config))
        app.state.slack = slack_handler(config, ready, app.state.answer_slots)
        app.state.parts = ready
        try:
            yield
        finally:
            app.state.parts = app.state.slack = None
            if parts is None:
                ready.history.engine.dispose()

    app = FastAPI(
        title=settings.coach_name,
        version="0.1.0",
        description=Voice.plain(settings.coach_name).description,
        lifespan=lifespan,
        docs_url=None,  # served by api.routes.docs without a CDN
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.parts = app.state.slack = None
    install_error_handlers(app)

    widget_api = authorization(settings, public_pages=True)
    for api in (chat.router, sessions.router, feedback.router, library.router):
        app.include_router(api, dependencies=[widget_api])
    app.include_router(openai_compat.router, dependencies=[authorization(settings)])
    app.include_router(insights.router, dependencies=[authorization(settings)])  # never public
    app.include_router(health.router)
    app.include_router(slack.router)  # verified by Slack's signature, not the API key
    app.include_router(widget.router)
    mount_docs(app)
    widget.mount_static(app)
    tidy_openapi(app, settings)

    # Added innermost first: CORS sees every response, even a refused or limited request.
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    try:
        trusted = parse_networks(settings.trusted_proxies)
    except ValueError as exc:
        raise ConfigError(
            f"{exc}; list addresses like 10.0.0.2 or networks like 10.0.0.0/8."
        ) from None
    if settings.rate_limit_per_minute > 0:
        app.add_middleware(
            RateLimit,
            limiter=RateLimiter(settings.rate_limit_per_minute, settings.rate_limit_storage),
            api_key=settings.api_key,
            trusted_proxies=trusted,
            prefixes=("/api/", "/v1/", "/slack/"),
        )
    app.add_middleware(HeaderSizeLimit, max_bytes=settings.max_header_bytes)
    app.add_middleware(
        JSONErrorCORS,
        allow_origins=list(dict.fromkeys([*settings.cors_origins, *settings.public_origins])),
        allow_methods=["GET", "POST", "DELETE"],
        allow_headers=["Authorization", "Content-Type"],
        max_age=600,
    )
    return app
