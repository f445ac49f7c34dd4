"""The `giliran` command: serve, migrate, and the admin chores people do from a terminal."""

from __future__ import annotations

import os
import secrets
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import ValidationError
from rich.console import Console

from giliran.adapters.sql import migrate as migrations
from giliran.adapters.sql.database import DatabaseUrlError, connect
from giliran.config import Settings

if TYPE_CHECKING:
    from giliran.bootstrap import Container

app = typer.Typer(help="giliran: automatic, fair assignment of tickets and leads to agents.",
                  no_args_is_help=True, add_completion=False)
out = Console(soft_wrap=True, highlight=False)
err = Console(stderr=True, soft_wrap=True, highlight=False)


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        for problem in exc.errors():
            name = "GILIRAN_" + "_".join(str(p) for p in problem["loc"]).upper()
            err.print(f"[red]configuration error[/red] {name}: {problem['msg']}")
        raise typer.Exit(2) from None


def _migrate(settings: Settings) -> str | None:
    try:
        db = connect(settings.database_url)
    except DatabaseUrlError as exc:
        err.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(2) from None
    try:
        migrations.upgrade(db)
        return migrations.current_revision(db)
    finally:
        db.dispose()


def _container() -> Container:
    """The service wired for a one-off command, which acts as the admin by construction (it
    runs with access to the database), so no admin token is needed."""
    from giliran.bootstrap import bootstrap

    settings = _settings()
    if settings.admin_token is None:
        os.environ["GILIRAN_ADMIN_TOKEN"] = "gl_admin_" + secrets.token_urlsafe(24)
        settings = _settings()
    return bootstrap(settings)


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema (safe to run repeatedly and from several hosts)."""
    settings = _settings()
    revision = _migrate(settings)
    out.print(f"database at revision [bold]{revision}[/bold]")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind (GILIRAN_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (GILIRAN_PORT).")] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes (GILIRAN_WORKERS).")] = None,
    run_migrations: Annotated[bool, typer.Option("--migrate/--no-migrate",
                                                 help="Upgrade the schema first.")] = True,
    access_log: Annotated[bool, typer.Option("--access-log/--no-access-log")] = True,
) -> None:
    """Start the HTTP server (API under /api/v1, docs at /api/v1/docs)."""
    import uvicorn

    settings = _settings()
    if settings.admin_token is None:
        # Generated once here, before the workers start, so every worker shares it.
        os.environ["GILIRAN_ADMIN_TOKEN"] = "gl_admin_" + secrets.token_urlsafe(24)
        generated = True
    else:
        generated = False
    settings = _settings()
    if run_migrations:
        _migrate(settings)
    bind_host = host or settings.host
    bind_port = port or settings.port
    n_workers = workers or settings.workers
    shown_host = "localhost" if bind_host in ("127.0.0.1", "0.0.0.0") else bind_host
    out.print(f"giliran is starting on [bold]http://{shown_host}:{bind_port}[/bold] "
              f"({n_workers} worker{'s' if n_workers > 1 else ''}, "
              f"{settings.database_url.split(':', 1)[0]})")
    out.print(f"API docs: http://{shown_host}:{bind_port}/api/v1/docs")
    if generated:
        assert settings.admin_token is not None
        out.print(f"admin token (generated; set GILIRAN_ADMIN_TOKEN to keep one): "
                  f"[bold]{settings.admin_token.get_secret_value()}[/bold]")
    else:
        out.print("admin token: the value of GILIRAN_ADMIN_TOKEN")
    uvicorn.run(
        "giliran.entrypoints.api.app:create_app",
        factory=True,
        host=bind_host,
        port=bind_port,
        workers=n_workers,
        log_level=settings.log_level,
        access_log=access_log,
    )


@app.command("create-agent")
def create_agent(
    name: str,
    max_tickets: Annotated[int, typer.Option(min=0, max=1000)] = 5,
    rotation_order: int = 0,
) -> None:
    """Create an agent and print its token (shown once)."""
    from giliran.service import agents
    from giliran.service.context import ADMIN

    container = _container()
    try:
        agent, token = agents.create_agent(
            container.ctx, ADMIN,
            agents.NewAgent(name=name, max_tickets=max_tickets, rotation_order=rotation_order),
        )
    finally:
        container.close()
    out.print(f"agent [bold]{agent.name}[/bold] id={agent.id} token: [bold]{token}[/bold]")


@app.command()
def tick() -> None:
    """Run one timer pass (escalations, presence expiry, long-wait flags) and exit.

    For running the timers from cron with GILIRAN_SCHEDULER=false; safe alongside running
    servers, which make the same moves at most once between them."""
    from giliran.service.timers import rescue_orphans
    from giliran.service.timers import tick as run_tick

    container = _container()
    try:
        report = run_tick(container.ctx)
        orphans = rescue_orphans(container.ctx)
    finally:
        container.close()
    out.print(
        f"escalated {report.escalated}, flagged exhausted {report.exhausted}, "
        f"flagged waiting too long {report.waiting_too_long}, set away {report.went_away}, "
        f"expired offline {report.went_offline} (tickets requeued {report.requeued}), "
        f"aged {report.aged}, orphans requeued {orphans}"
    )


@app.command()
def version() -> None:
    """Print the version."""
    import giliran

    out.print(giliran.__version__)


def main() -> None:
    app()
