"""`/docs` (Swagger UI) and `/redoc` (ReDoc) served entirely from this process, so they work offline.

FastAPI's own pages load both from a CDN; with no network they are blank. The assets come from
the `fastapi-offline` package (Swagger UI and ReDoc's standalone bundles, pinned with it); the two
pages and the scripts that start them are ours, so no inline script is needed and each page
carries a Content-Security-Policy that allows this origin only.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

ASSETS_URL = "/docs-assets"
ASSETS = Path(str(files("fastapi_offline") / "static"))

DOCS_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
"""Swagger UI: its bundle, its stylesheet and the OpenAPI document, all from this origin; "Try it
out" calls this origin too."""

REDOC_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
"""ReDoc writes its styles into `<style>` elements at run time (styled-components) and runs its
search in a worker made from a blob: both allowed, scripts still from this origin only."""

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
router = APIRouter(include_in_schema=False)


def install(app: FastAPI) -> None:
    """Mount the assets and add the two pages (create the app with `docs_url=None, redoc_url=None`)."""
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS), name="docs-assets")
    app.include_router(router)


@dataclass(frozen=True, slots=True)
class DocsUi:
    name: str
    root_id: str
    bundle: str  # in the package's assets
    init_script: str  # ours, in web/static/api-docs
    policy: str
    stylesheet: str | None = None


SWAGGER_UI = DocsUi(
    "Swagger UI", "swagger-ui", "swagger-ui-bundle.js", "swagger-init.js", DOCS_POLICY, stylesheet="swagger-ui.css"
)
REDOC = DocsUi("ReDoc", "redoc", "redoc.standalone.js", "redoc-init.js", REDOC_POLICY)


@router.get("/docs", response_class=HTMLResponse)
async def swagger_ui(request: Request) -> HTMLResponse:
    return _page(request, SWAGGER_UI)


@router.get("/redoc", response_class=HTMLResponse)
async def redoc(request: Request) -> HTMLResponse:
    return _page(request, REDOC)


def _page(request: Request, ui: DocsUi) -> HTMLResponse:
    root = request.scope.get("root_path", "")
    context = {"title": request.app.title, "openapi_url": root + request.app.openapi_url, "assets": root + ASSETS_URL}
    response = templates.TemplateResponse(request, "api_docs/page.html", {**context, "ui": ui})
    response.headers["Content-Security-Policy"] = ui.policy
    return response
