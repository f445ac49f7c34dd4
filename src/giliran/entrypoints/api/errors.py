"""The one place where errors become HTTP responses: {"error": {"code", "message"}}."""

from __future__ import annotations

import logging
import re
import weakref
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from giliran.domain import errors as e

log = logging.getLogger("giliran.api")

STATUS: list[tuple[type[e.GiliranError], int]] = [
    (e.Unauthorized, 401),
    (e.Forbidden, 403),
    (e.NotFound, 404),
    (e.Conflict, 409),
    (e.InvalidInput, 422),
    (e.TooLarge, 413),
    (e.ChannelUnavailable, 502),
    (e.TooManyRequests, 429),
    (e.NotConfigured, 503),
    (e.UnsupportedMediaType, 415),
]


ERRORS_KEY = "x-giliran-errors"


def refusals(*kinds: type[e.GiliranError]) -> dict[str, Any]:
    """A route's `openapi_extra`: the refusals it may answer beyond those every route of its
    kind has (openapi.py adds 401, 403, 408, 413, 422, 429 and 503 as they apply)."""
    found: dict[str, list[str]] = {}
    for kind in kinds:
        found.setdefault(str(status_for_kind(kind)), []).append(kind.code)
    return {ERRORS_KEY: found}


def status_for_kind(kind: type[e.GiliranError]) -> int:
    return next((status for base, status in STATUS if issubclass(kind, base)), 400)


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    return {"error": body}


def status_for(exc: e.GiliranError) -> int:
    return next((status for kind, status in STATUS if isinstance(exc, kind)), 400)


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, e.GiliranError)
    status = status_for(exc)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if isinstance(exc, e.TooManyRequests):
        headers = {"Retry-After": str(exc.retry_after)}
    return JSONResponse(error_body(exc.code, exc.message), status_code=status, headers=headers)


async def _invalid_request(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    # Never echo the rejected input back: it may hold a token or a customer's data.
    details = [
        {"loc": _location(err), "msg": _message(err), "type": err.get("type", "")}
        for err in exc.errors()
    ]
    return JSONResponse(
        error_body("invalid_request", "the request is not valid", details), status_code=422
    )


def _message(err: Any) -> str:
    """Pydantic's words, except where they quote the input: a discriminated union's (POST
    /tickets/bulk's `action`) names the tag that was sent."""
    if err.get("type") == "union_tag_invalid":
        ctx = err.get("ctx") or {}
        return f"{ctx.get('discriminator', 'the tag')} must be one of {ctx.get('expected_tags')}"
    return str(err.get("msg", ""))


def _location(err: Any) -> list[Any]:
    """Where the error is; an unknown field's name is what was sent, so it is not repeated."""
    loc = list(err.get("loc", ()))
    if err.get("type") == "extra_forbidden" and loc:
        loc[-1] = "(unknown field)"
    return loc


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and isinstance(exc.__cause__, ValueError):
        # FastAPI's answer to a body that is not text (not UTF-8): like malformed JSON, 422.
        return JSONResponse(error_body("invalid_request", "the request is not valid", [
            {"loc": ["body"], "msg": "the body is not UTF-8 JSON", "type": "json_invalid"}]),
            status_code=422)
    codes = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}
    code = getattr(exc, "code", None) or codes.get(exc.status_code, "http_error")
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(allowed_methods(request)) or headers.get("Allow", "")
    return JSONResponse(error_body(code, str(exc.detail)), status_code=exc.status_code,
                        headers=headers or None)


# Each app's paths as patterns with their methods, made once from its OpenAPI document (kept
# beside the app rather than on its state: the server's parts are in one typed root there).
_ALLOW_TEMPLATES: weakref.WeakKeyDictionary[Any, list[tuple[re.Pattern[str], set[str]]]] = (
    weakref.WeakKeyDictionary())


def allowed_methods(request: Request) -> list[str]:
    """Every method the API documents at this path. (Starlette names only the first route
    that matched the path, and GET and POST /tickets are two routes.)"""
    templates = _ALLOW_TEMPLATES.get(request.app)
    if templates is None:
        templates = []
        for path, operations in request.app.openapi()["paths"].items():
            source = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(path))
            methods = {m.upper() for m in operations}
            templates.append((re.compile(source + "$"), methods | (
                {"HEAD"} if "GET" in methods else set())))
        _ALLOW_TEMPLATES[request.app] = templates
    exact: set[str] = set()
    templated: set[str] = set()
    for template, allowed in templates:
        if template.match(request.url.path):
            (templated if "[^/]+" in template.pattern else exact).update(allowed)
    # A path the API names literally is that resource, whatever a template would match
    # (/webhooks/telegram is no /webhooks/{webhook_id}).
    return sorted(exact or templated)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return JSONResponse(
        error_body("internal_error", "unexpected server error; it has been logged"),
        status_code=500,
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(e.GiliranError, _domain_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
