"""The dashboard pages. They are shells: the browser keeps the token and reads everything
through the public API and the event stream, so a page itself needs no authentication."""

from __future__ import annotations

from functools import partial
from importlib import resources
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import BaseLoader, ChoiceLoader, FileSystemLoader, PrefixLoader

import giliran
from giliran.channels import registry
from giliran.entrypoints.dashboard import i18n

HERE = Path(str(resources.files(__package__)))
STATIC_URL = "/dashboard/static"
# No inline script or style anywhere, nothing from elsewhere. Customers' photos and voice
# messages are fetched with the token and shown from blob: URLs made by the page itself.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "media-src 'self' blob:; connect-src 'self'; font-src 'self'; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
           "Referrer-Policy": "no-referrer", "Cache-Control": "no-cache"}

CHANNELS_URL = "/dashboard/channels"

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=HERE / "templates")
OWN_TEMPLATES: BaseLoader | None = templates.env.loader


def install(app: FastAPI) -> None:
    app.include_router(router)
    app.mount(STATIC_URL, StaticFiles(directory=HERE / "static"), name="dashboard-static")
    # A channel's console section: its fragment found as "channels/<name>/<template>", its
    # script served from its package at /dashboard/channels/<name>/.
    sections = registry.consoles()
    for section in sections:
        app.mount(f"{CHANNELS_URL}/{section.name}", StaticFiles(directory=section.folder),
                  name=f"channel-{section.name}")
    channels = PrefixLoader({"channels": PrefixLoader(
        {s.name: FileSystemLoader(s.folder) for s in sections})})
    assert OWN_TEMPLATES is not None
    templates.env.loader = ChoiceLoader([OWN_TEMPLATES, channels])


# The console's views, each at its own URL (/admin/<view>; /admin is the floor). One page
# serves them all: the browser shows the view the URL names and moves between them without
# reloading, so the live stream and what the page knows carry over.
VIEWS = ("floor", "tickets", "conversations", "people", "queues", "reports", "audit")


def _page(request: Request, template: str, view: str | None = None) -> HTMLResponse:
    lang = i18n.choose(request.cookies.get(i18n.COOKIE),
                       request.headers.get("accept-language"))
    context = {
        "lang": lang,
        "languages": i18n.LANGUAGES,
        "t": partial(i18n.translate, lang),
        "catalogue": i18n.catalogue(lang),
        "static": STATIC_URL,
        "version": giliran.__version__,
        "view": view,
        "sections": [{"name": s.name, "template": f"channels/{s.name}/{s.template}",
                      "script": f"{CHANNELS_URL}/{s.name}/{s.script}"}
                     for s in registry.consoles()],
    }
    return templates.TemplateResponse(request, template, context, headers=HEADERS)


@router.get("/", response_class=HTMLResponse)
def agent_page(request: Request) -> HTMLResponse:
    return _page(request, "agent.html")


@router.get("/admin", response_class=HTMLResponse)
def admin_page(request: Request) -> HTMLResponse:
    return _page(request, "admin.html", "floor")


@router.get("/admin/what-if", response_class=HTMLResponse)
def what_if_page(request: Request) -> HTMLResponse:
    return _page(request, "whatif.html", "what-if")


def _view_page(view: str) -> None:
    def page(request: Request) -> HTMLResponse:
        return _page(request, "admin.html", view)
    router.add_api_route(f"/admin/{view}", page, methods=["GET"], response_class=HTMLResponse,
                         name=f"admin_{view.replace('-', '_')}")


for _view in VIEWS:
    _view_page(_view)
