"""What the email channel keeps besides its mailboxes: every mail as it came (the originals,
downloadable, and the source of attachments when an agent opens one) and where each
mailbox's IMAP reading has got to. Both on a unit of work's connection, so a write commits
with the rest of its use case; on SQLite and PostgreSQL alike."""

from __future__ import annotations

from sqlalchemy import Connection, insert, select, update

from giliran.adapters.sql.uow import connection_of
from giliran.channels.email.intake import Original
from giliran.channels.email.store import originals, progress
from giliran.service.context import Context


class SqlOriginals:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def keep(self, original: Original) -> None:
        """Once per key; a later reading only fills in the ticket it lacked. (Writers are
        serialised by the floor lock, so the look-then-insert cannot race.)"""
        found = self._conn.execute(select(originals.c.ticket_id).where(
            originals.c.key == original.key)).first()
        if found is None:
            self._conn.execute(insert(originals).values(
                key=original.key, mailbox_id=original.mailbox_id, ticket_id=original.ticket_id,
                raw=original.raw, received_at=original.received_at, broken=original.broken,
                kind=original.kind))
        elif found.ticket_id is None and original.ticket_id is not None:
            self._conn.execute(update(originals).where(originals.c.key == original.key)
                               .values(ticket_id=original.ticket_id))

    def raw(self, key: str) -> bytes | None:
        return self._conn.execute(select(originals.c.raw).where(
            originals.c.key == key)).scalar_one_or_none()


class KeptOriginals:
    """intake.Originals in its own short transaction (intake runs on the writer path)."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    def keep(self, original: Original) -> None:
        with self._ctx.uow(write=True) as uow:
            SqlOriginals(connection_of(uow)).keep(original)
            uow.commit()

    def raw(self, key: str) -> bytes | None:
        with self._ctx.uow(write=False) as uow:
            return SqlOriginals(connection_of(uow)).raw(key)


def load_progress(conn: Connection, mailbox_id: int, folder: str) -> tuple[int, int] | None:
    row = conn.execute(select(progress.c.uidvalidity, progress.c.last_uid).where(
        progress.c.mailbox_id == mailbox_id, progress.c.folder == folder)).first()
    return None if row is None else (int(row.uidvalidity), int(row.last_uid))


def save_progress(conn: Connection, mailbox_id: int, folder: str, uidvalidity: int,
                  uid: int) -> None:
    where = (progress.c.mailbox_id == mailbox_id, progress.c.folder == folder)
    moved = conn.execute(update(progress).where(*where).values(
        uidvalidity=uidvalidity, last_uid=uid)).rowcount
    if not moved:
        conn.execute(insert(progress).values(mailbox_id=mailbox_id, folder=folder,
                                             uidvalidity=uidvalidity, last_uid=uid))
