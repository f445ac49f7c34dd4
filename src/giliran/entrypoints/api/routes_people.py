"""People: signing in and out, who am I, users (admins), and personal API tokens."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from giliran.domain import errors as e
from giliran.entrypoints.api.deps import (
    SESSION_COOKIE,
    ApiRoute,
    Ctx,
    PeopleAdmin,
    RowId,
    Run,
    Who,
)
from giliran.entrypoints.api.errors import refusals
from giliran.entrypoints.api.root import root_of
from giliran.entrypoints.api.schemas_people import (
    LoginIn,
    LoginOut,
    MeOut,
    MePatch,
    OneTimePassword,
    PasswordChange,
    SessionOut,
    TokenCreate,
    TokenCreated,
    TokenOut,
    UserCreate,
    UserCreated,
    UserListed,
    UserOut,
    UserPatch,
)
from giliran.entrypoints.api.throttle import client_address
from giliran.service.people import access, accounts, own, signin, tokens

router = APIRouter(route_class=ApiRoute, tags=["people"])


@router.post("/auth/login", response_model=LoginOut,
             openapi_extra=refusals(e.Unauthorized, e.TooManyRequests))
async def login(body: LoginIn, request: Request, response: Response) -> LoginOut:
    """Sets the session cookie (HttpOnly, SameSite=Lax, Secure over HTTPS) and answers the
    `csrf_token` that every change made with the cookie sends back as X-CSRF-Token. A wrong
    email and a wrong password get the same answer; repeated failures are slowed, then
    refused for a while (429 with Retry-After), per account and per address."""
    root = root_of(request.app)
    throttle, ctx = root.throttle, root.ctx
    throttle.sign_in_allowed(request, body.email)
    try:
        user, rehashed = await run_in_threadpool(signin.check_sign_in, ctx, body.email,
                                                 body.password)
    except e.Unauthorized:
        await asyncio.sleep(await throttle.sign_in_failed(request, body.email))
        raise
    await throttle.sign_in_not_refused(request, body.email)
    signed = await root.runner.write(
        signin.open_session, ctx, user, rehashed, address=client_address(request),
        user_agent=request.headers.get("user-agent", ""))
    response.set_cookie(
        SESSION_COOKIE, signed.secret, httponly=True, samesite="lax",
        secure=request.url.scheme == "https", path="/",
        max_age=int(ctx.sessions.absolute.total_seconds()))
    who = access.principal_of_session(signed.user, signed.session)
    return LoginOut(**MeOut.of(who, signed.user, access.csrf_token(signed.secret)).model_dump(),
                    expires_at=signed.session.expires_at)


@router.post("/auth/logout", status_code=204)
async def logout(ctx: Ctx, who: Who, request: Request, run: Run) -> Response:
    """Ends this session (a bearer token stays valid: revoke it with DELETE /tokens/{id})."""
    await run.write(signin.sign_out, ctx, who)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax",
                           secure=request.url.scheme == "https")
    return response


@router.get("/me", response_model=MeOut)
def get_me(ctx: Ctx, who: Who, request: Request) -> MeOut:
    """Who is calling, through what; with a session, its CSRF token again (for a page that
    was reloaded)."""
    secret = request.cookies.get(SESSION_COOKIE) if who.session_id is not None else None
    return MeOut.of(who, own.me(ctx, who), access.csrf_token(secret) if secret else None)


@router.patch("/me", response_model=UserOut, openapi_extra=refusals(e.Forbidden))
async def update_me(body: MePatch, ctx: Ctx, who: Who, run: Run) -> UserOut:
    return UserOut.of(await run.write(own.update_me, ctx, who, name=body.name,
                                      language=body.language))


@router.post("/me/password", status_code=204,
             openapi_extra=refusals(e.Unauthorized, e.InvalidInput, e.Forbidden))
async def change_password(body: PasswordChange, ctx: Ctx, who: Who, run: Run) -> Response:
    """With the current password. Your other sessions end; this one stays."""
    hashed = await run_in_threadpool(own.check_new_password, ctx, who,
                                     body.current_password, body.new_password)
    await run.write(own.change_own_password, ctx, who, hashed)
    return Response(status_code=204)


@router.get("/me/sessions", response_model=list[SessionOut])
def my_sessions(ctx: Ctx, who: Who) -> list[SessionOut]:
    return [SessionOut.of(s, who.session_id) for s in signin.my_sessions(ctx, who)]


@router.delete("/me/sessions/{session_id}", status_code=204,
               openapi_extra=refusals(e.NotFound, e.Forbidden))
async def end_session(session_id: RowId, ctx: Ctx, who: Who, run: Run) -> Response:
    await run.write(signin.end_session, ctx, who, session_id)
    return Response(status_code=204)


@router.get("/users", response_model=list[UserListed])
def list_users(ctx: Ctx, who: PeopleAdmin) -> list[UserListed]:
    return [UserListed(**UserOut.of(v.user).model_dump(), sessions=v.sessions, tokens=v.tokens)
            for v in accounts.list_users(ctx, who)]


@router.post("/users", status_code=201, response_model=UserCreated,
             openapi_extra=refusals(e.EmailTaken, e.InvalidInput))
async def create_user(body: UserCreate, ctx: Ctx, who: PeopleAdmin, run: Run) -> UserCreated:
    """A user with the agent role gets their agent record (in the default queue). Without a
    password, a one-time password is answered once (unless `token_only`)."""
    new = accounts.NewUser(**{**body.model_dump(), "queues": frozenset(body.queues)})
    hashed = await run_in_threadpool(accounts.prepare, ctx, who, new)
    made = await run.write(accounts.create_user, ctx, who, new, hashed)
    return UserCreated(**UserOut.of(made.user).model_dump(),
                       one_time_password=made.one_time_password)


@router.get("/users/{user_id}", response_model=UserOut, openapi_extra=refusals(e.NotFound))
def get_user(user_id: RowId, ctx: Ctx, who: PeopleAdmin) -> UserOut:
    return UserOut.of(accounts.get_user(ctx, who, user_id))


@router.patch("/users/{user_id}", response_model=UserOut,
              openapi_extra=refusals(e.NotFound, e.EmailTaken, e.LastOwner, e.InvalidInput))
async def update_user(user_id: RowId, body: UserPatch, ctx: Ctx, who: PeopleAdmin,
                      run: Run) -> UserOut:
    fields = body.model_dump(exclude_none=True)
    if body.queues is not None:
        fields["queues"] = frozenset(body.queues)
    return UserOut.of(await run.write(accounts.update_user, ctx, who, user_id,
                                      accounts.UserChanges(**fields)))


@router.delete("/users/{user_id}", response_model=UserOut,
               openapi_extra=refusals(e.NotFound, e.LastOwner))
async def deactivate_user(user_id: RowId, ctx: Ctx, who: PeopleAdmin, run: Run) -> UserOut:
    """Deactivates (the user and their history stay): their sessions end and their tokens
    are revoked at once; an agent's tickets go back to their queues."""
    return UserOut.of(await run.write(accounts.deactivate_user, ctx, who, user_id))


@router.post("/users/{user_id}/reset-password", response_model=OneTimePassword,
             openapi_extra=refusals(e.NotFound))
async def reset_password(user_id: RowId, ctx: Ctx, who: PeopleAdmin,
                         run: Run) -> OneTimePassword:
    hashed = await run_in_threadpool(accounts.one_time, ctx)
    return OneTimePassword(one_time_password=await run.write(
        accounts.reset_password, ctx, who, user_id, hashed))


@router.get("/tokens", response_model=list[TokenOut], openapi_extra=refusals(e.Forbidden))
def list_tokens(ctx: Ctx, who: Who, all: bool = False) -> list[TokenOut]:
    """Your tokens, newest first; `all=true` (admins): everyone's."""
    return [TokenOut.of(t) for t in tokens.list_tokens(ctx, who, everyone=all)]


@router.post("/tokens", status_code=201, response_model=TokenCreated,
             openapi_extra=refusals(e.InvalidInput, e.Forbidden, e.PasswordChangeRequired))
async def create_token(body: TokenCreate, ctx: Ctx, who: Who, run: Run) -> TokenCreated:
    """A personal API token with a role no higher than yours (`intake` for an integration
    that posts tickets), shown once."""
    made = await run.write(tokens.create_token, ctx, who, body.name, body.role,
                           body.expires_in_days)
    return TokenCreated(**TokenOut.of(made.token).model_dump(), token=made.secret)


@router.delete("/tokens/{token_id}", status_code=204, openapi_extra=refusals(e.NotFound))
async def revoke_token(token_id: RowId, ctx: Ctx, who: Who, run: Run) -> Response:
    await run.write(tokens.revoke_token, ctx, who, token_id)
    return Response(status_code=204)

