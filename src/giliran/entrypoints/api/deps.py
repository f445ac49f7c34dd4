"""Request dependencies. They run on the event loop; only agent tokens need the database."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from starlette.concurrency import run_in_threadpool

from giliran.domain.errors import Unauthorized
from giliran.entrypoints.api.runner import Runner
from giliran.entrypoints.api.schemas import MAX_INT
from giliran.service.context import Context, Principal, authenticate, authenticate_static


async def get_ctx(request: Request) -> Context:
    ctx: Context = request.app.state.container.ctx
    return ctx


async def get_principal(request: Request, ctx: Annotated[Context, Depends(get_ctx)]) -> Principal:
    return await principal_of(request, ctx)


async def principal_of(request: Request, ctx: Context) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send 'Authorization: Bearer <token>'")
    token = token.strip()
    # Admin and intake tokens are compared in memory; only agent tokens need a lookup.
    static = authenticate_static(ctx, token)
    if static is not None:
        return static
    return await run_in_threadpool(authenticate, ctx, token)


async def get_runner(request: Request) -> Runner:
    runner: Runner = request.app.state.runner
    return runner


@dataclass(frozen=True)
class Call:
    """Context, caller and runner resolved in one dependency, for the busiest route: FastAPI
    spends ~10 µs per dependency per request."""

    ctx: Context
    who: Principal
    run: Runner


async def get_call(request: Request) -> Call:
    ctx: Context = request.app.state.container.ctx
    return Call(ctx, await principal_of(request, ctx), request.app.state.runner)


Ctx = Annotated[Context, Depends(get_ctx)]
Run = Annotated[Runner, Depends(get_runner)]
Who = Annotated[Principal, Depends(get_principal)]
Bound = Annotated[Call, Depends(get_call)]

# The path and paging parameters every router shares.
RowId = Annotated[int, Path(ge=1, le=MAX_INT)]
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=MAX_INT)]
