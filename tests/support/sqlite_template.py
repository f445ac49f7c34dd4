"""A migrated SQLite database for a test in a millisecond: a copy of one migrated once per
test process, as the PostgreSQL tests clone theirs from a migrated template database.

Migrating a fresh file took 0.2-0.6 s on the 2-core CI machine, and some 600 tests (and every
example of the memory-vs-SQL twins) made one. The copy is byte for byte what the migration
makes: the template is closed before it is copied, so its write-ahead log is folded in."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from giliran.adapters.sql import migrate
from giliran.adapters.sql.database import connect
from giliran.channels import registry

_template: Path | None = None


def _migrated_template() -> Path:
    global _template
    if _template is None:
        where = Path(tempfile.mkdtemp(prefix="giliran-sqlite-template-"))
        atexit.register(shutil.rmtree, where, ignore_errors=True)
        built = where / "template.db"
        db = connect(f"sqlite:///{built}")
        migrate.upgrade(db, locations=registry.migration_dirs())  # the channels' tables too
        db.dispose()
        # A -wal or -shm file left beside it would hold pages a bare copy lacks.
        leftovers = sorted(p.name for p in where.iterdir() if p != built)
        assert not leftovers, f"the migrated template was not closed cleanly: {leftovers}"
        _template = built
    return _template


def migrated_sqlite(path: Path) -> str:
    """The URL of a migrated database at `path` (which must not exist yet)."""
    assert not path.exists(), f"{path} exists: a fresh database would not be fresh"
    shutil.copyfile(_migrated_template(), path)
    return f"sqlite:///{path}"
