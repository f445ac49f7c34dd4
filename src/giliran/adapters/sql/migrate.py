"""Schema migrations through Alembic, safe to start from several replicas at once.

The core's migrations are one line of revisions; a channel that keeps tables of its own brings
a version directory of its own, an Alembic branch that `depends_on` the core revision it builds
on (the composition root passes them: `registry.migration_dirs()`). So a database has one
head per branch, and "up to date" means at every head. Without `locations`, only the core's.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from importlib.resources import files
from pathlib import Path

from alembic import command, util
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from giliran.adapters.sql.database import WRITER_LOCK_KEY, Database

Locations = Sequence[Path]


def _config(locations: Locations = ()) -> Config:
    cfg = Config()
    core = files("giliran") / "migrations"
    cfg.set_main_option("script_location", str(core))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("version_locations", os.pathsep.join(
        [str(core / "versions"), *(str(place) for place in locations)]))
    return cfg


def upgrade(db: Database, revision: str = "heads", locations: Locations = ()) -> None:
    cfg = _config(locations)
    with db.engine.begin() as conn:
        if not db.is_sqlite:
            # Two replicas starting together must not both run the same migration.
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": WRITER_LOCK_KEY + 1})
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "heads" if revision == "head" else revision)


def downgrade(db: Database, revision: str, locations: Locations = ()) -> None:
    """Back to `revision` (a release rolled back); not run by giliran itself."""
    cfg = _config(locations)
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def current_revision(db: Database) -> str | None:
    """Where the database is: its heads, sorted and joined by "+" (one per branch applied)."""
    with db.engine.connect() as conn:
        heads = MigrationContext.configure(conn).get_current_heads()
    return "+".join(sorted(heads)) or None


def head_revision(locations: Locations = ()) -> str | None:
    """Where `upgrade` brings a database, in `current_revision`'s form: Alembic records no
    head that a branch's revision depends on (it is implied), so neither does this."""
    script = ScriptDirectory.from_config(_config(locations))
    implied = {script.get_revision(needed).revision
               for each in script.walk_revisions()
               for needed in util.to_tuple(each.dependencies, default=())}
    return "+".join(sorted(set(script.get_heads()) - implied)) or None
