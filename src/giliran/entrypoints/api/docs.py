"""The interactive API documentation at /api/v1/docs: Swagger UI served from the installed
package (fastapi-offline ships its files), a page with no inline script and a
Content-Security-Policy that lets it load nothing from anywhere else. FastAPI's own page
loads Swagger UI from a CDN, with no integrity check."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

HERE = Path(str(resources.files(__package__))) / "swagger"
ASSETS = Path(fastapi_offline.__file__).parent / "static"
ASSETS_URL = "/swagger-ui"
# Swagger UI sets style attributes from its scripts, hence 'unsafe-inline' for styles only.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
           "Referrer-Policy": "no-referrer"}

router = APIRouter(include_in_schema=False)


@router.get("/api/v1/docs", response_class=HTMLResponse)
def docs_page() -> HTMLResponse:
    return HTMLResponse((HERE / "docs.html").read_text(), headers=HEADERS)


@router.get("/api/v1/docs/init.js")
def docs_script() -> Response:
    return Response((HERE / "init.js").read_text(), media_type="text/javascript",
                    headers=HEADERS)


def install(app: FastAPI) -> None:
    app.include_router(router)
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS), name="swagger-ui")
