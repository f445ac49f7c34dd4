"""Who opens a WebSocket, and whether they still may: the first frame's token, or the
handshake's session cookie with the session's CSRF token.

A page of another site can open a socket to us and the browser sends our cookie with it
(SameSite=Lax does not cover WebSockets, and the Origin header is only advice), but it cannot
know the CSRF token, which only our own responses carry: so a cookie alone opens nothing.

The key is kept for the socket's life: on an event that says its user's access changed
(user.changed), the socket checks it again and closes when it no longer works (a deactivated
user, an ended session, a revoked token), on every replica, since every replica's hub reads
every event.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import HTTPConnection

from giliran.domain.errors import CsrfRefused, Unauthorized
from giliran.entrypoints.api.deps import SESSION_COOKIE
from giliran.service.context import Context, Principal
from giliran.service.people import access

FIRST_FRAME = '{"type": "auth", "token"} or {"type": "auth", "csrf_token"}, "since"?'


@dataclass(frozen=True)
class Key:
    token: str | None = None
    session: str | None = None  # the cookie's secret
    csrf: str | None = None


def key_of(first: Any, connection: HTTPConnection) -> Key | None:
    """The key the first frame names, or None when it names none."""
    if not isinstance(first, dict) or first.get("type") != "auth":
        return None
    token, csrf = first.get("token"), first.get("csrf_token")
    if isinstance(token, str):
        return Key(token=token)
    if isinstance(csrf, str):
        return Key(session=connection.cookies.get(SESSION_COOKIE, ""), csrf=csrf)
    return None


def principal(ctx: Context, key: Key) -> Principal:
    """Who the key is now; Unauthorized once it stopped working. Reads only."""
    return checked(ctx, key)[0]


def checked(ctx: Context, key: Key) -> tuple[Principal, access.Seen | None]:
    """Who the key is now, and its use to note when one is due (an open page is in use)."""
    if key.token is not None:
        return access.check_token(ctx, key.token)
    if not key.session:
        raise Unauthorized("sign in first: no session cookie came with the connection")
    if not access.csrf_matches(key.session, key.csrf):
        raise CsrfRefused("the csrf_token is not this session's (the one sign-in answered)")
    return access.session_principal(ctx, key.session)
