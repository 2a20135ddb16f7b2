"""Probes: alive (``/healthz``) and able to answer (``/readyz``)."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import PartsDep
from api.errors import error_body
from api.models import Health, Readiness, error_responses
from coach.errors import EmbeddingMismatchError

logger = logging.getLogger("api")
router = APIRouter(tags=["health"])

PROBLEMS = {
    "unreachable": "the guide store cannot be reached",
    "empty": "the guide store is empty: run `coach ingest`",
    "mismatch": "the guide store was built with another embedding model: "
    "run `coach ingest --reset`",
    "down": "the conversation database does not answer",
    "not_writable": "the conversation database cannot be written (full disk or read-only "
    "files?): answers would not be saved",
}


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    """The process is up."""
    return Health()


@router.get("/readyz", response_model=Readiness, responses=error_responses(503))
def readyz(parts: PartsDep) -> Readiness | JSONResponse:
    """The guide store is reachable and holds guides; the history database answers and takes
    writes (a probe row is rewritten)."""
    chunks: int | None = None
    checks = {"store": "ok", "history": "ok"}
    try:
        chunks = parts.store.count()
        if chunks == 0:
            checks["store"] = "empty"
    except EmbeddingMismatchError:
        checks["store"] = "mismatch"
    except Exception as exc:  # any client error means "not reachable" to a probe
        logger.warning("readiness: guide store unreachable: %s", exc)
        checks["store"] = "unreachable"
    if not parts.history.ping():
        checks["history"] = "down"
    elif not parts.history.writable():
        checks["history"] = "not_writable"
    ready = all(state == "ok" for state in checks.values())
    readiness = Readiness(status="ready" if ready else "not_ready", chunks=chunks, checks=checks)
    if ready:
        return readiness
    problems = "; ".join(PROBLEMS[state] for state in checks.values() if state != "ok")
    body = readiness.model_dump() | error_body("not_ready", f"Not ready: {problems}.")
    return JSONResponse(body, status_code=503)
