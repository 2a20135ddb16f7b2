"""What routes receive: the parts built once in the lifespan, the settings, the API-key check."""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from anyio import CapacityLimiter
from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import SecretStr

from coach.chain import Coach
from coach.errors import StoreUnavailableError
from coach.factory import Parts
from coach.history import HistoryStore
from coach.settings import Settings
from coach.store import GuideStore


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_parts(request: Request) -> Parts:
    parts: Parts | None = getattr(request.app.state, "parts", None)
    if parts is None:
        raise StoreUnavailableError("The coach is still starting; try again in a moment.")
    return parts


async def get_coach(parts: Annotated[Parts, Depends(get_parts)]) -> Coach:
    return parts.coach


async def get_history(parts: Annotated[Parts, Depends(get_parts)]) -> HistoryStore:
    return parts.history


async def get_store(parts: Annotated[Parts, Depends(get_parts)]) -> GuideStore:
    return parts.store


async def get_answer_slots(request: Request) -> CapacityLimiter:
    slots: CapacityLimiter = request.app.state.answer_slots
    return slots


SettingsDep = Annotated[Settings, Depends(get_settings)]
PartsDep = Annotated[Parts, Depends(get_parts)]
CoachDep = Annotated[Coach, Depends(get_coach)]
HistoryDep = Annotated[HistoryStore, Depends(get_history)]
StoreDep = Annotated[GuideStore, Depends(get_store)]
AnswerSlots = Annotated[CapacityLimiter, Depends(get_answer_slots)]
"""How many answers are computed at once; the others wait their turn."""


def key_matches(expected: SecretStr, presented: str | None) -> bool:
    """Constant-time comparison of a presented API key with the configured one."""
    if not presented:
        return False
    return hmac.compare_digest(
        presented.encode("utf-8"), expected.get_secret_value().encode("utf-8")
    )


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, if that is what it holds."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


_bearer = HTTPBearer(
    auto_error=False,
    description="The API key (COACH_API_KEY). Needed only when the server sets one.",
)


def _refuse() -> HTTPException:
    return HTTPException(
        status_code=401,
        detail="Missing or wrong API key: send the header 'Authorization: Bearer <key>'.",
        headers={"WWW-Authenticate": "Bearer"},
    )


async def require_api_key(
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """When an API key is configured, refuse requests that don't present it (servers)."""
    if settings.api_key is None:
        return
    if not key_matches(settings.api_key, credentials.credentials if credentials else None):
        raise _refuse()


async def require_api_key_or_public_page(
    request: Request,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """The key check, except for the widget on a public page (COACH_PUBLIC_ORIGINS).

    Admitted without the key: a page on a listed origin calling the API, and the coach's own
    chat page, which the widget frames on those pages (only they may frame it). Their
    visitors are held to the per-client rate limit instead; the key is for servers, never
    for a page anyone can read.
    """
    if settings.api_key is None:
        return
    if key_matches(settings.api_key, credentials.credentials if credentials else None):
        return
    if not (settings.public_origins and from_public_page(request, settings.public_origins)):
        raise _refuse()


def from_public_page(request: Request, public_origins: list[str]) -> bool:
    """A browser request from a listed page, or from the coach's own page (same origin)."""
    origin = request.headers.get("origin")
    own = f"{request.url.scheme}://{request.url.netloc}"
    if origin:
        return origin in public_origins or origin == own
    return request.headers.get("sec-fetch-site") == "same-origin"  # a GET sends no Origin


async def open_access() -> None:
    """No API key configured: every request may go ahead (and the schema asks for none)."""


def authorization(settings: Settings, public_pages: bool = False) -> Any:
    """The dependency guarding a router: the key check only when a key is configured."""
    if settings.api_key is None:
        return Depends(open_access)
    return Depends(require_api_key_or_public_page if public_pages else require_api_key)
