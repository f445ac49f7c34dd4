"""Request dependencies. They run on the event loop; only agent tokens need the database.

Who may call a route is declared in its signature (`Admin`, `AgentOnly`, `Staff`, `Who`) and
checked by `ApiRoute` before FastAPI reads the body or validates anything: a caller learns
401 (no or bad token), then 403 (wrong role), and only then 422 about its input. The use
cases check roles again (and finer rules, such as "the holder of this ticket").
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any, get_type_hints

from fastapi import Depends, Path, Query, Request, Response
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

from giliran.bootstrap import http_request
from giliran.domain.errors import CsrfRefused, Unauthorized
from giliran.domain.people import Can
from giliran.entrypoints.api.root import root_of
from giliran.entrypoints.api.runner import Runner
from giliran.entrypoints.api.schemas import MAX_INT
from giliran.service.context import Context, Principal, authenticate_static
from giliran.service.people import access


async def get_ctx(request: Request) -> Context:
    return root_of(request.app).ctx


class Access:
    """A route's callers: anyone signed in, or only those who may do one of `needs`."""

    def __init__(self, *needs: Can) -> None:
        self.needs = needs

    async def __call__(self, request: Request) -> Principal:
        found: Principal | None = getattr(request.state, "principal", None)
        return found if found is not None else await self.resolve(request)

    async def resolve(self, request: Request) -> Principal:
        who = await principal_of(request, root_of(request.app).ctx)
        if self.needs:
            who.require(*self.needs)
        return who


class ApiRoute(APIRoute):
    """Authenticates and authorizes before the body is read (see the module docstring), and
    tells the OpenAPI document who may call the route (`x-giliran-access`, turned into the
    bearer security requirement and the 401/403 answers by openapi.py)."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        access = access_in(endpoint)
        if access is not None:
            extra = dict(kwargs.get("openapi_extra") or {})
            extra[ACCESS_KEY] = [need.value for need in access.needs]
            kwargs["openapi_extra"] = extra
        super().__init__(path, endpoint, **kwargs)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = self._guarded(super().get_route_handler())
        # Every request counts, refused ones too: what the pages cost the server shows in
        # /metrics (giliran_http_requests_total), and the browser tests and bench/pages.py read it.
        counted: dict[str, Callable[[], None]] = {}  # labelled on first use: none unused

        async def count(request: Request) -> Response:
            if (add := counted.get(request.method)) is None:
                add = counted[request.method] = http_request(request.method, self.path)
            add()
            return await handler(request)
        return count

    def _guarded(self, handler: Callable[[Request], Coroutine[Any, Any, Response]]
                 ) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        access = access_in(self.endpoint)
        if access is None:
            return handler

        async def guarded(request: Request) -> Response:
            request.state.principal = await access.resolve(request)
            return await handler(request)
        return guarded


ACCESS_KEY = "x-giliran-access"


def access_in(endpoint: Callable[..., Any]) -> Access | None:
    """The Access an endpoint's signature declares, if any (directly, or through a Call)."""
    for hint in get_type_hints(endpoint, include_extras=True).values():
        for meta in getattr(hint, "__metadata__", ()):
            call = getattr(meta, "dependency", None)
            if isinstance(call, Access):
                return call
            if call is get_call:
                return STAFF
    return None


SESSION_COOKIE = "giliran_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def principal_of(request: Request, ctx: Context) -> Principal:
    """A bearer token if one is sent (no CSRF check: a browser never adds one by itself),
    else the session cookie, whose writes need the session's X-CSRF-Token."""
    throttle = root_of(request.app).throttle
    throttle.check(request)
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if not header and (secret := request.cookies.get(SESSION_COOKIE)):
        return await _session(request, ctx, secret)
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("sign in, or send 'Authorization: Bearer <token>'")
    token = token.strip()
    # Admin and intake tokens are compared in memory; only agent tokens need a lookup.
    static = authenticate_static(ctx, token)
    if static is not None:
        return static
    try:
        who, seen = await run_in_threadpool(access.check_token, ctx, token)
        if seen is not None:
            await root_of(request.app).runner.write(access.note_use, ctx, seen)
        return who
    except Unauthorized:
        await throttle.failed(request)
        raise


async def _session(request: Request, ctx: Context, secret: str) -> Principal:
    who, seen = await run_in_threadpool(access.session_principal, ctx, secret)
    if seen is not None:
        await root_of(request.app).runner.write(access.note_use, ctx, seen)
    if request.method not in SAFE_METHODS and not access.csrf_matches(
            secret, request.headers.get(CSRF_HEADER)):
        raise CsrfRefused("a change made with a session needs its X-CSRF-Token header (the "
                          "csrf_token the sign-in answered)")
    return who


async def get_runner(request: Request) -> Runner:
    return root_of(request.app).runner


@dataclass(frozen=True)
class Call:
    """Context, caller and runner resolved in one dependency, for the busiest route: FastAPI
    spends ~10 µs per dependency per request."""

    ctx: Context
    who: Principal
    run: Runner


STAFF = Access(Can.INTAKE)


async def get_call(request: Request) -> Call:
    root = root_of(request.app)
    return Call(root.ctx, await STAFF(request), root.runner)


Ctx = Annotated[Context, Depends(get_ctx)]
Run = Annotated[Runner, Depends(get_runner)]
Who = Annotated[Principal, Depends(Access())]  # any valid token; the use case decides more
Supervisor = Annotated[Principal, Depends(Access(Can.SUPERVISE))]
Configurer = Annotated[Principal, Depends(Access(Can.CONFIGURE))]
PeopleAdmin = Annotated[Principal, Depends(Access(Can.PEOPLE))]
AgentOnly = Annotated[Principal, Depends(Access(Can.WORK))]
AdminOrAgent = Annotated[Principal, Depends(Access(Can.SUPERVISE, Can.WORK))]
Bound = Annotated[Call, Depends(get_call)]  # admin or intake, for ticket intake

# The path and paging parameters every router shares.
RowId = Annotated[int, Path(ge=1, le=MAX_INT)]
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=MAX_INT)]
