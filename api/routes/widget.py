"""The chat page (``/``), its assets (``/static/*``) and the embed script (``/widget.js``).

Caching: the page is revalidated on every load (ETag), so a deploy shows at once; assets and
the embed script are fresh for five minutes, then revalidated; an asset asked for with a
version (``?v=…``) is cached for a year.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs

from fastapi import APIRouter, FastAPI, HTTPException, Request
from starlette.datastructures import Headers
from starlette.responses import FileResponse, Response
from starlette.staticfiles import NotModifiedResponse, StaticFiles
from starlette.types import Scope

from coach.settings import Settings

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
PAGE_CACHE = "no-cache"
ASSET_CACHE = "public, max-age=300"
VERSIONED_CACHE = "public, max-age=31536000, immutable"
NOSNIFF = {"X-Content-Type-Options": "nosniff"}

router = APIRouter(include_in_schema=False)


def page_headers(settings: Settings) -> dict[str, str]:
    """Security headers of the page: only our own scripts, styles and API; embeddable only
    by the origins allowed in COACH_CORS_ORIGINS and COACH_PUBLIC_ORIGINS."""
    origins = [*settings.cors_origins, *settings.public_origins]
    ancestors = "*" if "*" in origins else " ".join(["'self'", *origins])
    policy = "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            f"frame-ancestors {ancestors}",
        ]
    )
    return {
        "Content-Security-Policy": policy,
        "Referrer-Policy": "no-referrer",
        **NOSNIFF,
    }


def file_response(
    scope: Scope, path: Path, cache_control: str, headers: dict[str, str] | None = None
) -> Response:
    """``path`` with caching headers; 304 when the client's copy is current."""
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        raise HTTPException(404, f"{path.name} is not installed in api/static.") from None
    response = FileResponse(
        path, stat_result=stat, headers={"Cache-Control": cache_control, **(headers or {})}
    )
    tags = Headers(scope=scope).get("if-none-match")
    if tags and response.headers["etag"] in {t.strip().removeprefix("W/") for t in tags.split(",")}:
        return NotModifiedResponse(response.headers)
    return response


class AssetFiles(StaticFiles):
    """Static files with the asset caching policy."""

    def file_response(
        self,
        full_path: os.PathLike[str] | str,
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        versioned = "v" in parse_qs(scope.get("query_string", b"").decode("latin-1"))
        cache = VERSIONED_CACHE if versioned else ASSET_CACHE
        return file_response(scope, Path(full_path), cache, NOSNIFF)


@router.api_route("/", methods=["GET", "HEAD"])
def index(request: Request) -> Response:
    """The chat page."""
    headers = page_headers(request.app.state.settings)
    return file_response(request.scope, STATIC_DIR / "index.html", PAGE_CACHE, headers)


@router.api_route("/widget.js", methods=["GET", "HEAD"])
def widget_script(request: Request) -> Response:
    """The embed script host pages load."""
    return file_response(request.scope, STATIC_DIR / "widget.js", ASSET_CACHE, NOSNIFF)


def mount_static(app: FastAPI) -> None:
    app.mount("/static", AssetFiles(directory=STATIC_DIR), name="static")
