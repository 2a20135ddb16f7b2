"""Interactive API docs served from the machine: Swagger UI from a package, not a CDN."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

router = APIRouter(include_in_schema=False)
ASSETS = "/docs-assets"


@router.get("/docs")
def swagger_ui() -> HTMLResponse:
    """Swagger UI for /openapi.json; works offline."""
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="Career Coach — API docs",
        swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS}/favicon-32x32.png",
    )


def mount_docs(app: FastAPI) -> None:
    """The docs page and its scripts and styles."""
    app.mount(ASSETS, StaticFiles(directory=str(swagger_ui_path)), name="docs-assets")
    app.include_router(router)
