"""The `giliran` command: serve, migrate, and the admin chores people do from a terminal."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import SecretStr, ValidationError
from rich.console import Console
from rich.markup import escape

from giliran.config import Settings
from giliran.domain.errors import GiliranError
from giliran.entrypoints.cli_simulate import simulate_command
from giliran.entrypoints.cli_users import users_app
from giliran.entrypoints.reference import docs_command

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
    from giliran.bootstrap import migrate

    try:
        return migrate(settings)
    except GiliranError as exc:  # a database URL that cannot be used
        err.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(2) from None


def _container() -> Container:
    """The service wired for a one-off command, which acts as the admin by construction (it
    runs with access to the database), so no admin token is needed: without one, it gets a
    throwaway token of its own. Like `serve`, it brings the schema up to date first, so a
    command on a new database works."""
    from giliran.bootstrap import bootstrap

    settings = _with_admin_token(_settings(), "gl_admin_" + secrets.token_urlsafe(24))
    _migrate(settings)
    return bootstrap(settings)


def _with_admin_token(settings: Settings, token: str) -> Settings:
    """The settings, with `token` as the admin token unless one is configured."""
    if settings.admin_token is not None:
        return settings
    return settings.model_copy(update={"admin_token": SecretStr(token)})


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
    token_file: Annotated[Path | None, typer.Option(
        help="Without GILIRAN_ADMIN_TOKEN: keep the generated admin token in this file "
             "(created with mode 600) and reuse it on the next start.")] = None,
) -> None:
    """Start the HTTP server (API under /api/v1, docs at /api/v1/docs)."""
    settings = _settings()
    generated: str | None = None
    reused = False
    if settings.admin_token is None:
        # Settled here, before the workers start: every worker is handed these settings.
        generated, reused = _admin_token(token_file)
        settings = _with_admin_token(settings, generated)
    if run_migrations:
        _migrate(settings)
    owner, password = _first_owner(settings)
    bind_host = host or settings.host
    bind_port = port or settings.port
    n_workers = workers or settings.workers
    shown_host = "localhost" if bind_host in ("127.0.0.1", "0.0.0.0") else bind_host
    out.print(f"giliran is starting on [bold]http://{shown_host}:{bind_port}[/bold] "
              f"({n_workers} worker{'s' if n_workers > 1 else ''}, "
              f"{settings.database_url.split(':', 1)[0]})")
    base = f"http://{shown_host}:{bind_port}"
    out.print(f"dashboards: {base}/ for agents, {base}/admin for supervisors")
    out.print(f"API docs: {base}/api/v1/docs")
    if generated is None:
        out.print("admin token: the value of GILIRAN_ADMIN_TOKEN")
    elif reused:
        # Printed once, when it was generated; a log is no place to repeat a secret.
        out.print(f"admin token: kept in {token_file}")
    else:
        kept = (f"kept in {token_file}" if token_file is not None
                else "generated; set GILIRAN_ADMIN_TOKEN to keep one")
        out.print(f"admin token ({kept}): [bold]{generated}[/bold]")
    if password is not None:
        out.print(f"sign in at {base}/admin as [bold]{owner}[/bold] with the one-time password "
                  f"[bold]{password}[/bold] (you choose your own at first sign-in)")
    elif owner is not None:
        # The password is only a hash by now: say how to get a new one, ready to paste.
        out.print(f"sign in at {base}/admin as [bold]{owner}[/bold] (lost the password? "
                  f"{_command()} users reset-password {owner})")
    _run_server(settings, bind_host, bind_port, n_workers, access_log)


def _first_owner(settings: Settings) -> tuple[str | None, str | None]:
    """On a database nobody can manage yet: its first owner (GILIRAN_OWNER_EMAIL), with a
    one-time password to print once. Settled here, before the workers start."""
    from giliran.bootstrap import bootstrap
    from giliran.service.context import CLI_PRINCIPAL
    from giliran.service.people import accounts

    container = bootstrap(settings)
    try:
        user, password = accounts.ensure_owner(container.ctx, CLI_PRINCIPAL,
                                               settings.owner_email)
    except GiliranError as exc:  # a GILIRAN_OWNER_EMAIL that is no email
        err.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(2) from None
    finally:
        container.close()
    return user.email, password


def _command() -> str:
    """How to run giliran again from here: `giliran` when that is what the PATH finds, else
    the script that started this process, relative when it is below here (`make run`
    starts .venv/bin/giliran, which is on nobody's PATH)."""
    started = Path(sys.argv[0])
    found = shutil.which("giliran")
    if started.name != "giliran" or (found and Path(found).resolve() == started.resolve()):
        return "giliran"
    with contextlib.suppress(ValueError):
        return str(started.absolute().relative_to(Path.cwd()))
    return str(started.absolute())


def _run_server(settings: Settings, host: str, port: int, workers: int,
                access_log: bool) -> None:
    """uvicorn with giliran's protocol and limits (what uvicorn.run does, with our config)."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from giliran.entrypoints.api.edge import EdgeLimits
    from giliran.entrypoints.http_protocol import ServerConfig

    edge = EdgeLimits.of(settings)
    _raise_fd_limit(edge.max_connections)
    config = ServerConfig(
        settings, edge=edge, host=host,
        port=port, workers=workers, log_level=settings.log_level, access_log=access_log,
        timeout_keep_alive=settings.keepalive_timeout_seconds,
        ws_max_size=settings.ws_max_message_bytes,
        # Behind a proxy (deploy/nginx): the client address is the one it forwards.
        proxy_headers=True, forwarded_allow_ips=settings.forwarded_allow_ips,
    )
    server = uvicorn.Server(config)
    metrics_dir = _metrics_dir(workers)
    try:
        if workers > 1:
            Multiprocess(config, sockets=[config.bind_socket()]).run()
        else:
            server.run()
    except KeyboardInterrupt:
        pass
    finally:
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)
    if workers == 1 and not server.started:
        raise typer.Exit(3)


def _raise_fd_limit(connections: int) -> None:
    """Lift the soft open-files limit to the hard one (often 1,024 against 500,000+), so the
    connection cap, not the descriptor limit, is what refuses a flood of connections."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else max(soft, 65_536)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            soft = wanted
    if soft != resource.RLIM_INFINITY and soft < connections + 256:
        err.print(f"[yellow]warning:[/yellow] the open-files limit ({soft}) is below "
                  f"GILIRAN_MAX_CONNECTIONS + 256; lower one or raise the other")


def _admin_token(path: Path | None) -> tuple[str, bool]:
    """A fresh admin token, or the one kept in `path` by an earlier start (then True)."""
    if path is not None and path.is_file():
        kept = path.read_text().strip()
        if kept.startswith("gl_admin_") and len(kept) >= 16:
            return kept, True
    token = "gl_admin_" + secrets.token_urlsafe(24)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(token + "\n")
    return token, False


def _metrics_dir(workers: int) -> str | None:
    """Several worker processes share their Prometheus counters through files in a fresh
    directory (prometheus_client's multiprocess mode); set before the workers start.

    The one environment variable giliran writes, on purpose: PROMETHEUS_MULTIPROC_DIR is
    prometheus_client's own switch, read from the environment by each worker when it first
    imports prometheus_client (before any of our code could hand it a setting), and the
    workers inherit the environment."""
    if workers < 2 or os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return None
    path = tempfile.mkdtemp(prefix="giliran-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = path
    return path


@app.command("create-agent")
def create_agent(
    name: str,
    max_tickets: Annotated[int, typer.Option(min=0, max=1000)] = 5,
    rotation_order: int = 0,
) -> None:
    """Create an agent and print its token (shown once)."""
    from giliran.service.agents import agents
    from giliran.service.context import ADMIN

    container = _container()
    try:
        made = agents.create_agent(
            container.ctx, ADMIN,
            agents.NewAgent(name=name, max_tickets=max_tickets, rotation_order=rotation_order),
        )
    finally:
        container.close()
    agent = made.agent
    for caution in made.cautions:  # the agent exists: a warning, not an error
        err.print(f"[yellow]warning:[/yellow] {escape(caution.message)} ({caution.code})")
    out.print(f"agent [bold]{agent.name}[/bold] id={agent.id} token: [bold]{made.token}[/bold]")


@app.command("queue-preset")
def queue_preset(
    name: Annotated[str, typer.Argument(help="The queue, e.g. sales")],
    preset: Annotated[str, typer.Argument(help="lead_rotation or ticket_desk")],
) -> None:
    """Set a queue's policy for the kind of desk it serves: lead_rotation (a strict turn, one
    lead per agent until they respond, 5 minutes to respond, claims in turn) or ticket_desk
    (those back to the defaults). The change is in the audit log, as made by the admin."""
    from giliran.domain.errors import GiliranError
    from giliran.domain.presets import Preset
    from giliran.service.context import ADMIN
    from giliran.service.queues import admin as queue_admin

    try:
        chosen = Preset(preset)
    except ValueError:
        err.print(f"[red]unknown preset {preset!r}: use "
                  f"{' or '.join(p.value for p in Preset)}[/red]")
        raise typer.Exit(2) from None
    container = _container()
    try:
        queue = queue_admin.update_queue(container.ctx, ADMIN, name, queue_admin.QueueChanges(),
                                         preset=chosen)
    except GiliranError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    finally:
        container.close()
    out.print(f"queue [bold]{queue.name}[/bold]: strategy {queue.strategy.value}, "
              f"max_per_agent {queue.max_per_agent}, slot_freed_on {queue.slot_freed_on.value}, "
              f"accept_timeout_seconds {queue.accept_timeout_seconds}, claim {queue.claim.value}")


@app.command()
def tick() -> None:
    """Run one timer pass (escalations, presence expiry, long-wait flags) and exit.

    For running the timers from cron with GILIRAN_SCHEDULER=false; safe alongside running
    servers, which make the same moves at most once between them."""
    from giliran.service.assignment.reach import sweep
    from giliran.service.assignment.timers import rescue_orphans
    from giliran.service.assignment.timers import tick as run_tick
    from giliran.service.reports.floor_day import compact

    container = _container()
    try:
        report = run_tick(container.ctx)
        orphans = rescue_orphans(container.ctx)
        reached = sweep(container.ctx)
        compact(container.ctx)  # the day's figures, folded for the workload's reads
    finally:
        container.close()
    out.print(
        f"escalated {report.escalated}, flagged exhausted {report.exhausted}, "
        f"flagged waiting too long {report.waiting_too_long}, paused in a queue {report.paused}, "
        f"expired offline {report.went_offline} (tickets requeued {report.requeued}), "
        f"aged {report.aged}, holds ended {report.holds_ended}, "
        f"taken back without a reply {report.unanswered}, orphans requeued {orphans}, "
        f"flagged or released as (un)reachable {reached}"
    )


@app.command("import")
def import_backlog(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True,
                                         help="CSV with a header row, or JSON lines (.jsonl)")],
    batch: Annotated[int, typer.Option(min=1, max=10_000,
                                       help="Rows (and assignments) per transaction")] = 1000,
    dispatch: Annotated[bool, typer.Option("--dispatch/--no-dispatch",
                                           help="Assign what capacity allows afterwards")] = True,
) -> None:
    """Import a backlog of tickets, then dispatch it in batches. Safe to run again: rows are
    matched on external_id (required), so a second run creates nothing new. Invalid rows are
    listed and skipped (exit code 1); only a file that cannot be read stops it (exit code 2)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from giliran.entrypoints.backlog import BadRow, count_rows, read_rows
    from giliran.service.context import ADMIN
    from giliran.service.tickets import importing
    from giliran.service.tickets.tickets import NewTicket

    try:
        total = count_rows(file)
    except (ValueError, OSError) as exc:
        err.print(f"[red]cannot read {file}:[/red] {exc}")
        raise typer.Exit(2) from None
    container = _container()
    created = existing = assigned = 0
    bad: list[BadRow] = []
    columns = ("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())

    def flush(pending: list[tuple[int, NewTicket]]) -> None:
        nonlocal created, existing
        result = importing.import_batch(container.ctx, ADMIN, [row for _, row in pending])
        created, existing = created + result.created, existing + result.existing
        bad.extend(BadRow(pending[index][0], why) for index, why in result.refused)

    try:
        with Progress(*columns, console=err) as progress:
            rows_task = progress.add_task("importing", total=total)
            pending: list[tuple[int, NewTicket]] = []
            for line, row in read_rows(file):
                if isinstance(row, BadRow):
                    bad.append(row)
                else:
                    pending.append((line, row))
                if len(pending) >= batch:
                    flush(pending)
                    pending = []
                progress.advance(rows_task)
            if pending:
                flush(pending)
            if dispatch:
                assign_task = progress.add_task("dispatching", total=None)
                while (made := importing.dispatch_batch(container.ctx, ADMIN, batch)) > 0:
                    assigned += made
                    progress.advance(assign_task, made)
                    if made < batch:
                        break
    finally:
        container.close()
    out.print(f"created {created}, already there {existing}, invalid {len(bad)}, "
              f"assigned {assigned}")
    for row in sorted(bad, key=lambda b: b.line):
        err.print(f"  line {row.line}: {row.problem}")
    if bad:
        raise typer.Exit(1)


@app.command("telegram-webhook")
def telegram_webhook(
    url: Annotated[str | None, typer.Argument(
        help="Public https URL of /api/v1/webhooks/telegram; leave out with --delete")] = None,
    delete: Annotated[bool, typer.Option(help="Back to long polling.")] = False,
) -> None:
    """Tell Telegram where to POST the bot's updates (setWebhook, with the webhook secret)."""
    import asyncio

    from telegram.error import TelegramError

    from giliran.channels import telegram

    settings = _settings()
    bot = telegram.CHANNEL.client(settings)
    secret = settings.telegram_webhook_secret
    if bot is None or (secret is None and not delete) or (url is None) != delete:
        err.print("[red]needs GILIRAN_TELEGRAM_BOT_TOKEN and either a URL with "
                  "GILIRAN_TELEGRAM_WEBHOOK_SECRET, or --delete[/red]")
        raise typer.Exit(2)

    async def call() -> None:
        await bot.start()
        try:
            if delete:
                await bot.delete_webhook()
            else:
                assert url is not None and secret is not None
                await bot.set_webhook(url, secret.get_secret_value())
        finally:
            await bot.aclose()
    try:
        asyncio.run(call())
    except TelegramError as exc:
        err.print(f"[red]Telegram refused: {type(exc).__name__}[/red]")
        raise typer.Exit(1) from None
    out.print("webhook removed: the server long-polls" if delete else f"webhook set to {url}")


@app.command("link-code")
def link_code(agent_id: int) -> None:
    """A one-time code (15 minutes) for an agent to link its Telegram chat: `/start CODE`."""
    from giliran.domain.errors import GiliranError
    from giliran.service.context import ADMIN
    from giliran.service.conversations import chat_links

    container = _container()
    try:
        code, expires_at = chat_links.link_code_for(container.ctx, ADMIN, agent_id)
    except GiliranError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    finally:
        container.close()
    out.print(f"send [bold]/start {code}[/bold] to the bot before {expires_at:%H:%M} UTC")


app.command("simulate")(simulate_command)
app.command("docs")(docs_command)
app.add_typer(users_app, name="users")


@app.command()
def version() -> None:
    """Print the version."""
    import giliran

    out.print(giliran.__version__)


def main() -> None:
    app()
