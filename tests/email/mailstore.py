"""What the IMAP and SMTP tests hand mail to: a stand-in for the channel's sink, which stores a
message and commits, idempotent by Message-ID. It keeps every call too, so a test can tell a
re-read (harmless, absorbed here) from a message stored twice (the bug)."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from email.parser import BytesHeaderParser
from email.policy import default
from pathlib import Path


def message_id(raw: bytes) -> str:
    return str(BytesHeaderParser(policy=default).parsebytes(raw)["Message-ID"]).strip("<> ")


def sample(n: int, tag: str = "t", subject: str | None = None) -> bytes:
    return (f"From: Customer {n} <customer{n}@example.com>\r\n"
            f"To: support@desk.example\r\n"
            f"Subject: {subject or f'Question {n}'}\r\n"
            f"Message-ID: <{tag}.{n}@example.com>\r\n"
            f"Date: Mon, 07 Dec 2026 10:00:00 +0000\r\n"
            f"\r\nHello, this is message {n}.\r\n").encode()


def wait_until(condition: Callable[[], bool], timeout: float = 10.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(0.02)  # polling a condition with a deadline


class MailStore:
    """In memory: `stored` by Message-ID, `calls` in order."""

    def __init__(self) -> None:
        self.stored: dict[str, bytes] = {}
        self.calls: list[str] = []
        self.failing = False
        self._lock = threading.Lock()

    def __call__(self, raw: bytes) -> None:
        if self.failing:
            raise RuntimeError("the database is away")
        mid = message_id(raw)
        with self._lock:
            self.calls.append(mid)
            self.stored.setdefault(mid, raw)

    def wait_for(self, count: int, timeout: float = 10.0) -> None:
        wait_until(lambda: len(self.stored) >= count, timeout, f"{count} messages stored "
                   f"(have {len(self.stored)})")


class FileMailStore:
    """The same in a SQLite file, with the reading's progress in the same file, so a reader in
    another process can be killed and a new one started on what it left."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with self._db() as db:
            db.execute("CREATE TABLE IF NOT EXISTS mail (message_id TEXT PRIMARY KEY, raw BLOB)")
            db.execute("CREATE TABLE IF NOT EXISTS calls (n INTEGER PRIMARY KEY, message_id TEXT)")
            db.execute("CREATE TABLE IF NOT EXISTS progress (mailbox_id INTEGER PRIMARY KEY, "
                       "uidvalidity INTEGER, uid INTEGER)")

    def _db(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10, isolation_level=None)

    def __call__(self, raw: bytes) -> None:
        mid = message_id(raw)
        db = self._db()
        try:
            db.execute("BEGIN IMMEDIATE")
            db.execute("INSERT INTO calls (message_id) VALUES (?)", (mid,))
            db.execute("INSERT OR IGNORE INTO mail VALUES (?, ?)", (mid, raw))
            db.execute("COMMIT")
        finally:
            db.close()

    def load(self, mailbox_id: int) -> tuple[int, int] | None:
        with self._db() as db:
            row = db.execute("SELECT uidvalidity, uid FROM progress WHERE mailbox_id = ?",
                             (mailbox_id,)).fetchone()
        return (int(row[0]), int(row[1])) if row else None

    def save(self, mailbox_id: int, uidvalidity: int, uid: int) -> None:
        db = self._db()
        try:
            db.execute("INSERT OR REPLACE INTO progress VALUES (?, ?, ?)",
                       (mailbox_id, uidvalidity, uid))
        finally:
            db.close()

    def stored(self) -> list[str]:
        with self._db() as db:
            return [r[0] for r in db.execute("SELECT message_id FROM mail")]

    def calls(self) -> list[str]:
        with self._db() as db:
            return [r[0] for r in db.execute("SELECT message_id FROM calls ORDER BY n")]
