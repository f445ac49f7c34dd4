"""The files agents send customers, on disk (GILIRAN_UPLOAD_DIR, by default `.giliran/outgoing`
beside the SQLite file).

An upload streams into a temporary file in the same directory (mode 600), so a large file is
never held in memory; `keep` syncs it and renames it to its key (`os.replace`, atomic), then
syncs the directory, so the name survives a crash once the reply that refers to it commits.
Keys are random (128 bits, hex): a file's name says nothing about its ticket or customer, and
a key from a message is looked up only by a caller already allowed to open that message.

A kept file stays as long as its message (the conversation shows it). A temporary file older
than an hour belongs to an upload whose process died, and the housekeeping pass deletes it.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import tempfile
from datetime import timedelta
from pathlib import Path

from giliran.service.ports import Clock

TEMPORARY = ".tmp-"
ABANDONED = timedelta(hours=1)  # no upload takes this long (the body timeout is far shorter)
HEAD = 64
_KEY = re.compile(r"[0-9a-f]{32}")


class DiskUpload:
    def __init__(self, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._root = root
        fd, name = tempfile.mkstemp(dir=root, prefix=TEMPORARY)
        self._file = os.fdopen(fd, "wb")
        self._name = name
        self.size = 0
        self.head = b""

    def write(self, chunk: bytes) -> None:
        if len(self.head) < HEAD:
            self.head += chunk[:HEAD - len(self.head)]
        self._file.write(chunk)
        self.size += len(chunk)

    def keep(self) -> str:
        key = secrets.token_hex(16)
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        os.replace(self._name, self._root / key)
        _sync_directory(self._root)
        return key

    def discard(self) -> None:
        with contextlib.suppress(OSError):
            self._file.close()
        with contextlib.suppress(OSError):
            os.unlink(self._name)


class DiskOutgoingFiles:
    def __init__(self, root: Path, clock: Clock) -> None:
        self.root = root
        self._clock = clock

    def begin(self) -> DiskUpload:
        return DiskUpload(self.root)

    def get(self, key: str) -> bytes | None:
        if not _KEY.fullmatch(key):  # a key is ours, never a path
            return None
        try:
            return (self.root / key).read_bytes()
        except FileNotFoundError:
            return None

    def remove(self, key: str) -> None:
        if _KEY.fullmatch(key):
            with contextlib.suppress(FileNotFoundError):
                (self.root / key).unlink()

    def prune(self) -> int:
        """Delete the temporary files of uploads that never finished; how many."""
        before = (self._clock.now() - ABANDONED).timestamp()
        removed = 0
        for path in self.root.glob(f"{TEMPORARY}*") if self.root.exists() else ():
            with contextlib.suppress(FileNotFoundError):
                if path.stat().st_mtime < before:
                    path.unlink()
                    removed += 1
        return removed


def _sync_directory(path: Path) -> None:
    """The rename itself is durable only once the directory is synced (POSIX)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
