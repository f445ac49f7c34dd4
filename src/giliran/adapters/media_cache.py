"""Customers' files (photos, documents, voice messages) kept on disk after the first fetch, so
opening a conversation again does not download each file from the channel again.

A file is keyed by its channel and the media id its message holds: only a caller already
allowed to open that message (the route checks, as before) ever asks for it, so the cache
hands nothing to anyone the channel would not. One file per media, holding a one-line JSON
header (MIME type, file name, length) and the bytes. It is written to a temporary file in the
same directory and renamed over its name (`os.replace`, atomic), so several worker processes
may fetch and store the same file at once, and a reader never sees half of one; a file whose
length does not match its header (a crash before the data reached the disk) is a miss.

Two times per file, both set from the injected clock: its modification time is when it was
fetched (the retention, GILIRAN_MEDIA_CACHE_DAYS, counts from it: after that the file is
deleted, however often it is opened), its access time when it was last opened (the size
bound, GILIRAN_MEDIA_CACHE_MAX_BYTES, evicts the least recently opened first). Pruning runs
after every store and with the scheduler's housekeeping, in whichever process; two processes
pruning at once only find some files already gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import tempfile
from datetime import timedelta
from pathlib import Path

from giliran.adapters.channel import ChannelClient, Media
from giliran.domain.errors import TooLarge
from giliran.service.ports import Clock

log = logging.getLogger(__name__)
SUFFIX = ".media"
TEMPORARY = ".tmp-"
ABANDONED = timedelta(hours=1)  # a temporary file this old belongs to a writer that died


class MediaCache:
    def __init__(self, root: Path, max_bytes: int, keep: timedelta, clock: Clock) -> None:
        """`max_bytes` 0: nothing is kept (every opening fetches from the channel)."""
        self.root = root
        self.max_bytes = max_bytes
        self.keep = keep
        self._clock = clock

    async def fetch(self, client: ChannelClient, channel: str, media_id: str, cap: int) -> Media:
        """The file from the cache, or from the channel (then kept); at most `cap` bytes."""
        found = await asyncio.to_thread(self.get, channel, media_id)
        if found is not None:
            if len(found.data) > cap:  # kept under a larger cap than today's
                raise TooLarge(f"the file is over {cap} bytes")
            return found
        media = await client.fetch_media(media_id, cap)
        await asyncio.to_thread(self.put, channel, media_id, media)
        return media

    def get(self, channel: str, media_id: str) -> Media | None:
        path = self._path(channel, media_id)
        try:
            with path.open("rb") as f:
                fetched_at = os.fstat(f.fileno()).st_mtime
                head, data = f.readline(), f.read()
        except FileNotFoundError:
            return None
        now = self._now()
        media = _parse(head, data)
        if media is None or fetched_at < now - self.keep.total_seconds():
            _remove(path)
            return None
        with contextlib.suppress(FileNotFoundError):  # pruned meanwhile: served all the same
            os.utime(path, (now, fetched_at))  # opened now: the last to be evicted
        return media

    def put(self, channel: str, media_id: str, media: Media) -> None:
        head = json.dumps({"mime_type": media.mime_type, "file_name": media.file_name,
                           "size": len(media.data)}).encode() + b"\n"
        if len(head) + len(media.data) > self.max_bytes:
            return  # off, or a file bigger than the whole cache
        try:
            self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
            self._write(self._path(channel, media_id), head + media.data)
        except OSError as exc:  # a full or read-only disk costs a download, never a refusal
            log.warning("customer media not cached: %s", type(exc).__name__)
            return
        self.prune()

    def _write(self, target: Path, content: bytes) -> None:
        """Whole or not at all: a temporary file (readable by this user only) renamed over."""
        now = self._now()
        fd, name = tempfile.mkstemp(dir=self.root, prefix=TEMPORARY)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(content)
            os.utime(name, (now, now))
            os.replace(name, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(name)
            raise

    def prune(self) -> int:
        """Delete files past the retention and abandoned temporary files, then the least
        recently opened until the rest fit the bound; how many were deleted."""
        now = self._now()
        kept: list[tuple[float, int, Path]] = []
        removed = 0
        for path, stat in self._entries():
            if path.name.startswith(TEMPORARY):
                stale = stat.st_mtime < now - ABANDONED.total_seconds()
            else:
                stale = stat.st_mtime < now - self.keep.total_seconds()
                if not stale:
                    kept.append((stat.st_atime, stat.st_size, path))
            if stale:
                removed += _remove(path)
        total = sum(size for _, size, _ in kept)
        for _, size, path in sorted(kept, key=lambda k: k[0]):
            if total <= self.max_bytes:
                break
            removed += _remove(path)
            total -= size
        return removed

    def _entries(self) -> list[tuple[Path, os.stat_result]]:
        found = []
        try:
            with os.scandir(self.root) as entries:
                for entry in entries:
                    with contextlib.suppress(FileNotFoundError):
                        if entry.is_file() and (entry.name.endswith(SUFFIX)
                                                or entry.name.startswith(TEMPORARY)):
                            found.append((Path(entry.path), entry.stat()))
        except FileNotFoundError:
            pass
        return found

    def _path(self, channel: str, media_id: str) -> Path:
        """Named by a hash: a media id is the channel's text, never a path of ours."""
        digest = hashlib.sha256(f"{channel}:{media_id}".encode()).hexdigest()
        return self.root / f"{digest}{SUFFIX}"

    def _now(self) -> float:
        return self._clock.now().timestamp()


def _parse(head: bytes, data: bytes) -> Media | None:
    try:
        found = json.loads(head)
        if int(found["size"]) != len(data):
            return None
        return Media(data, str(found["mime_type"]), found.get("file_name"))
    except (ValueError, KeyError, TypeError):
        return None


def _remove(path: Path) -> int:
    try:
        path.unlink()
    except FileNotFoundError:
        return 0
    return 1
