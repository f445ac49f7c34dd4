"""A channel brings its own tables, their migration (an Alembic branch beside the core's),
routes under /api/v1 and a section of the console, with nothing edited outside its package
and the registry's line: the test's "kiosk" channel, registered here only."""

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import pytest
import sqlalchemy as sa
from fastapi import APIRouter, Depends
from fastapi.testclient import TestClient

from giliran.adapters.clock import FakeClock
from giliran.adapters.sql import migrate
from giliran.adapters.sql.database import connect
from giliran.adapters.sql.uow import connection_of
from giliran.bootstrap import bootstrap
from giliran.channels import registry
from giliran.channels.port import ConsoleSection, RouteKit
from giliran.config import Settings
from giliran.domain.people import Can
from giliran.entrypoints.api.app import create_app
from giliran.service.context import Context, Principal
from tests.integration.test_channel_registry import Pigeon
from tests.support.server import ADMIN_TOKEN

HERE = Path(__file__).parent.parent / "support" / "kiosk"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
metadata = sa.MetaData()
visits = sa.Table("kiosk_visits", metadata, sa.Column("id", sa.Integer, primary_key=True),
                  sa.Column("note", sa.String(100), nullable=False))


def _visits(ctx: Context) -> list[str]:
    with ctx.uow(write=False) as uow:
        return list(connection_of(uow).execute(sa.select(visits.c.note)).scalars())


class Kiosk(Pigeon):
    name = "kiosk"
    migrations = HERE / "migrations"
    metadata = metadata

    def router(self, kit: RouteKit) -> APIRouter:
        api = APIRouter(route_class=kit.route_class, tags=["kiosk"])
        ctx_of = Annotated[Context, Depends(kit.ctx)]
        who_of = Annotated[Principal, Depends(kit.access(Can.CONFIGURE))]

        @api.get("/kiosk/visits")
        def listed(ctx: ctx_of, who: who_of) -> list[str]:
            return _visits(ctx)
        return api

    def console(self) -> ConsoleSection:
        return ConsoleSection("kiosk", HERE, "section.html", "kiosk.js",
                              {"en": HERE / "en.json", "id": HERE / "id.json"})


@pytest.fixture
def kiosk(database_url: str, clock: FakeClock) -> Iterator[tuple[Any, TestClient]]:
    settings = Settings(database_url=database_url, admin_token=ADMIN_TOKEN, scheduler=False,
                        outbox=False)
    with registry.registered(Kiosk()):
        db = connect(database_url)  # migrated to the core's head; the kiosk's branch now
        migrate.upgrade(db, locations=registry.migration_dirs())
        with db.engine.begin() as conn:
            conn.execute(visits.insert().values(note="lobby"))
        container = bootstrap(settings, clock=clock)
        try:
            with TestClient(create_app(container), raise_server_exceptions=False) as client:
                yield db, client
        finally:
            container.close()
            db.dispose()


def test_a_channel_brings_its_tables_routes_and_console_section(
        kiosk: tuple[Any, TestClient]) -> None:
    db, client = kiosk
    dirs = registry.migration_dirs()
    heads = migrate.current_revision(db)
    assert heads == migrate.head_revision(dirs) and "k001" in str(heads).split("+")
    migrate.upgrade(db, locations=dirs)  # again: nothing to do
    assert client.get("/api/v1/kiosk/visits", headers=ADMIN).json() == ["lobby"]
    assert client.get("/api/v1/kiosk/visits").status_code == 401
    assert "/api/v1/kiosk/visits" in client.get("/api/v1/openapi.json").json()["paths"]
    client.cookies.set("giliran_lang", "id")
    page = client.get("/admin/queues").text
    assert '<h2 id="kiosk-title">Kios</h2>' in page
    assert "/dashboard/channels/kiosk/kiosk.js" in page
    script = client.get("/dashboard/channels/kiosk/kiosk.js")
    assert script.status_code == 200 and "kiosk" in script.text
