"""The port of the files the desk sends customers (attachments out).

An uploaded file is made durable under a key before the reply that carries it is written, so
the outbox finds it whenever it sends (a crash between the two leaves at most a file nobody
refers to, never a reply without its file), and the conversation serves it afterwards.
"""

from __future__ import annotations

from typing import Protocol


class Upload(Protocol):
    """A file being received, written as it arrives; nobody can read it before `keep`."""

    size: int  # bytes written so far
    head: bytes  # its first bytes (up to 64), to check what it claims to be

    def write(self, chunk: bytes) -> None: ...

    def keep(self) -> str:
        """On disk for good (flushed and synced), under the key this returns."""
        ...

    def discard(self) -> None:
        """Gone, whatever state it was in; doing it twice is harmless."""
        ...


class OutgoingFiles(Protocol):
    def begin(self) -> Upload: ...

    def get(self, key: str) -> bytes | None:
        """The kept file's bytes; None when no such file is kept."""
        ...

    def remove(self, key: str) -> None:
        """Forget a kept file (its reply was refused after all); harmless when gone."""
        ...

    def prune(self) -> int:
        """Delete what unfinished uploads left behind; how many files."""
        ...
