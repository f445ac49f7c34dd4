"""The OpenAPI document says what the API does: the bearer security scheme, and per
operation every error status with the codes it may carry (as an enum, so a client, and
schemathesis, can hold the server to it).

Each operation gets the answers every operation of its kind may give, plus the refusals its
route declares (`refusals(...)` in errors.py):
- any operation: 422 invalid_request (a NUL in the query is refused everywhere), 503
  overloaded (the request cap), with Retry-After;
- with a body: 413 payload_too_large, 408 request_timeout;
- behind a token: the bearer scheme or the session cookie, 401 unauthorized, 429
  too_many_requests (failed authentications), with Retry-After; limited to some roles: 403
  forbidden, and password_change_required (a session signed in with a password someone else
  chose); a change (any method but GET): 403 csrf_failed (the cookie without X-CSRF-Token).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from giliran.entrypoints.api.deps import ACCESS_KEY, CSRF_HEADER, SAFE_METHODS, SESSION_COOKIE
from giliran.entrypoints.api.errors import ERRORS_KEY

BODY_KEY = "x-giliran-reads-body"  # routes that read their body themselves (webhooks)
# Models named by a body a route documents by hand (it reads the body itself), for components.
SCHEMAS_KEY = "x-giliran-schemas"
DESCRIPTIONS = {
    "401": "No token or session, or one that no longer works",
    "403": "Not allowed for this caller",
    "404": "No such thing", "408": "The request arrived too slowly",
    "409": "The floor's state does not allow it", "413": "The body is too large",
    "415": "A type the channel does not carry",
    "422": "The request is not valid", "429": "Too many requests from this address; retry "
    "after Retry-After seconds", "503": "Not available right now",
}
RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before trying again",
                               "schema": {"type": "integer"}}}


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document(get_openapi(
                title=app.title, version=app.version, description=app.description,
                routes=app.routes))
        return app.openapi_schema
    app.openapi = openapi  # type: ignore[method-assign]


def document(schema: dict[str, Any]) -> dict[str, Any]:
    components = schema.setdefault("components", {})
    schemes = components.setdefault("securitySchemes", {})
    schemes["bearer"] = {
        "type": "http", "scheme": "bearer",
        "description": "A personal API token (POST /api/v1/tokens), an agent's token, an "
                       "intake token, or the break-glass admin token"}
    schemes["session"] = {
        "type": "apiKey", "in": "cookie", "name": SESSION_COOKIE,
        "description": "The session cookie POST /api/v1/auth/login sets. A change (any "
                       f"method but GET) also sends the login's csrf_token as {CSRF_HEADER}; "
                       "with a bearer token as well, the token is used"}
    schemas = components.setdefault("schemas", {})
    for operations in schema["paths"].values():
        for method, operation in operations.items():
            schemas.update(operation.pop(SCHEMAS_KEY, {}))
            _document_errors(operation, schemas, method.upper() in SAFE_METHODS)
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    return schema


def _document_errors(operation: dict[str, Any], schemas: dict[str, Any], safe: bool) -> None:
    codes: dict[str, list[str]] = {"422": ["invalid_request"], "503": ["overloaded"]}
    if "requestBody" in operation or operation.pop(BODY_KEY, False):
        codes.update({"413": ["payload_too_large"], "408": ["request_timeout"]})
    roles = operation.pop(ACCESS_KEY, None)
    if roles is not None:
        operation["security"] = [{"bearer": []}, {"session": []}]
        codes.update({"401": ["unauthorized"], "429": ["too_many_requests"]})
        if roles:
            codes["403"] = ["forbidden", "password_change_required"]
        if not safe:
            codes["403"] = [*codes.get("403", []), "csrf_failed"]
    for status, declared in operation.pop(ERRORS_KEY, {}).items():
        codes[status] = [*codes.get(status, []), *declared]
    responses = operation.setdefault("responses", {})
    for status, found in sorted(codes.items()):
        name = "Error_" + "_".join(sorted(set(found)))
        schemas.setdefault(name, _error_schema(sorted(set(found))))
        answer: dict[str, Any] = {
            "description": f"{DESCRIPTIONS.get(status, 'Refused')}: "
                           f"{', '.join(sorted(set(found)))}",
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}},
        }
        if status in ("429", "503"):
            answer["headers"] = RETRY_AFTER
        responses[status] = answer


def _error_schema(codes: list[str]) -> dict[str, Any]:
    return {
        "type": "object", "required": ["error"], "title": "Error: " + ", ".join(codes),
        "properties": {"error": {
            "type": "object", "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "enum": codes},
                "message": {"type": "string"},
                "details": {"type": "array", "items": {
                    "type": "object", "properties": {
                        "loc": {"type": "array", "items": {"type": ["string", "integer"]}},
                        "msg": {"type": "string"}, "type": {"type": "string"}}}},
            }}},
    }
