"""The commit signal of one process (service.ports.CommitSignal): units of work publish after
they commit, PostgreSQL's LISTEN (adapters.sql.wakeup) publishes what other processes
committed, and the event hub, the senders and the metrics subscribe. Publishing is a loop over
a few callables in the committing thread: nothing waits and nothing polls, so within a process
a commit reaches its subscribers at once, on SQLite too."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from giliran.service.ports import Committed, Subscriber

log = logging.getLogger("giliran.signal")


class LocalSignal:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        # Replaced, never changed in place, so a publisher reads it without the lock.
        self._subscribers: tuple[Subscriber, ...] = ()

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        with self._lock:
            self._subscribers = (*self._subscribers, subscriber)

        def unsubscribe() -> None:
            with self._lock:
                self._subscribers = tuple(s for s in self._subscribers if s is not subscriber)
        return unsubscribe

    def publish(self, commit: Committed) -> None:
        for subscriber in self._subscribers:
            try:
                subscriber(commit)
            except Exception:
                log.exception("commit subscriber %r failed", subscriber)

