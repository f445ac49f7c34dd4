"""`giliran users`: people's accounts from a terminal on the server, for the first owner and
for recovery when nobody who can manage people can sign in.

The commands act as the command line (`CLI_PRINCIPAL`: an owner, audited as "cli"): whoever
runs them already holds the database. One-time passwords are printed once, on stdout, and
never logged; a chosen password comes on stdin, never as an argument (which `ps` would show).

Exit codes, for scripts: 0 done, 2 bad input (a role, an email, a weak password, an unknown
queue), 3 no user with that email, 4 refused by the state of things (the email is taken, the
last owner), 1 anything else giliran refused.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from giliran.domain.errors import Conflict, GiliranError, InvalidInput, NotFound

if TYPE_CHECKING:
    from giliran.bootstrap import Container
    from giliran.service.context import Context

users_app = typer.Typer(help="People who sign in: create, reset a password, deactivate, list.",
                        no_args_is_help=True)
out = Console(soft_wrap=True, highlight=False)
err = Console(stderr=True, soft_wrap=True, highlight=False)

T = TypeVar("T")
EXIT_CODES: tuple[tuple[type[GiliranError], int], ...] = (
    (InvalidInput, 2), (NotFound, 3), (Conflict, 4))


@contextmanager
def _service() -> Iterator[Context]:
    """The service for one command, closed after it; giliran's refusals become a message on
    stderr and the exit code for their kind."""
    from giliran.entrypoints.cli import _container

    container: Container = _container()
    try:
        yield container.ctx
    except GiliranError as exc:
        err.print(f"[red]{escape(exc.message)}[/red]")
        code = next((c for kind, c in EXIT_CODES if isinstance(exc, kind)), 1)
        raise typer.Exit(code) from None
    finally:
        container.close()


def _by_email(ctx: Context, email: str, then: Callable[[int], T]) -> T:
    from giliran.service.context import CLI_PRINCIPAL
    from giliran.service.people import accounts

    return then(accounts.by_email_or_404(ctx, CLI_PRINCIPAL, email).id)


def _role(value: str) -> str:
    from giliran.domain.people import USER_ROLES

    if value.lower() not in USER_ROLES:
        err.print(f"[red]unknown role {value!r}: use one of "
                  f"{', '.join(r.value for r in USER_ROLES)}[/red]")
        raise typer.Exit(2)
    return value.lower()


def _password_from_stdin() -> str:
    """One line; its line ending is not part of the password."""
    given = sys.stdin.readline().rstrip("\r\n")
    if not given:
        err.print("[red]--password-stdin: no password on stdin[/red]")
        raise typer.Exit(2)
    return given


@users_app.command("create")
def create(
    email: Annotated[str, typer.Argument(help="Their email, which they sign in with")],
    name: Annotated[str, typer.Option(help="Their name, as the history and audit show it")],
    role: Annotated[str, typer.Option(
        help="owner, admin, supervisor or agent", callback=_role)],
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="Read their password from stdin instead of printing a "
        "one-time one")] = False,
    queue: Annotated[list[str] | None, typer.Option(
        help="A supervisor's queue (repeat for several); none: every queue")] = None,
) -> None:
    """Create a user. Without --password-stdin they get a one-time password, printed once,
    which they replace with their own at their first sign-in."""
    from giliran.domain.people import Role
    from giliran.service.context import CLI_PRINCIPAL
    from giliran.service.people import accounts

    password = _password_from_stdin() if password_stdin else None
    new = accounts.NewUser(email, name, Role(role), password=password,
                           queues=frozenset(queue or ()))
    with _service() as ctx:
        made = accounts.create_user(ctx, CLI_PRINCIPAL, new)
    user = made.user
    out.print(f"user [bold]{escape(user.email or '')}[/bold] id={user.id} role={user.role.value}"
              + (f" agent id={user.agent_id}" if user.agent_id is not None else ""))
    if made.one_time_password is not None:
        out.print(f"one-time password: [bold]{made.one_time_password}[/bold] "
                  "(shown once; they choose their own at first sign-in)")


@users_app.command("reset-password")
def reset_password(email: Annotated[str, typer.Argument(help="Whose password")]) -> None:
    """Give a user a one-time password (printed once): their sessions end, and at their next
    sign-in they choose their own. The way back in for an owner who lost theirs."""
    from giliran.service.context import CLI_PRINCIPAL
    from giliran.service.people import accounts

    with _service() as ctx:
        given = _by_email(ctx, email,
                          lambda uid: accounts.reset_password(ctx, CLI_PRINCIPAL, uid))
    out.print(f"one-time password for [bold]{escape(email.strip().lower())}[/bold]: "
              f"[bold]{given}[/bold] (shown once; they choose their own at sign-in)")


@users_app.command("deactivate")
def deactivate(email: Annotated[str, typer.Argument(help="Who")]) -> None:
    """They can no longer sign in: their sessions end and their tokens are revoked at once,
    and an agent's tickets go back to their queues."""
    from giliran.service.context import CLI_PRINCIPAL
    from giliran.service.people import accounts

    with _service() as ctx:
        user = _by_email(ctx, email,
                         lambda uid: accounts.deactivate_user(ctx, CLI_PRINCIPAL, uid))
    out.print(f"user [bold]{escape(user.email or '')}[/bold] id={user.id} deactivated: "
              "sessions ended, tokens revoked")


@users_app.command("list")
def list_users() -> None:
    """Every user, with their role, whether they may sign in, their last sign-in and how many
    sessions and tokens they hold now."""
    from giliran.service.context import CLI_PRINCIPAL
    from giliran.service.people import accounts

    with _service() as ctx:
        views = accounts.list_users(ctx, CLI_PRINCIPAL)
    table = Table("id", "email", "name", "role", "active", "last sign-in", "sessions",
                  "tokens", box=None, header_style="bold")
    for view in sorted(views, key=lambda v: v.user.id):
        user = view.user
        table.add_row(str(user.id), escape(user.email or "-"), escape(user.name),
                      user.role.value + (f" ({', '.join(sorted(user.queues))})"
                                         if user.queues else ""),
                      "yes" if user.active else "no", _when(user.last_sign_in_at),
                      str(view.sessions), str(view.tokens))
    out.print(table)


def _when(at: datetime | None) -> str:
    return "never" if at is None else f"{at:%Y-%m-%d %H:%M} UTC"
