"""A reader in a process of its own, for the restart tests: it reads a Dovecot folder into a
FileMailStore and, with --hold-at UID (0: never), stops dead after handing that message to the
sink and before saving its UID (the worst moment to die), saying so in a file, until killed.
With --pace S its store takes S seconds a message, half before the commit and half after (a
busy database's), so a kill at a random moment lands inside the reading, not after it."""

from __future__ import annotations

import argparse
import threading
import time
from pathlib import Path

from giliran.channels.email.imap import ImapAccount, ImapReader
from tests.email.mailstore import FileMailStore


class HoldingStore(FileMailStore):
    def __init__(self, path: Path, hold_at: int, flag: Path, pace: float) -> None:
        super().__init__(path)
        self.hold_at = hold_at
        self.flag = flag
        self.pace = pace

    def __call__(self, raw: bytes) -> None:
        time.sleep(self.pace / 2)
        super().__call__(raw)
        time.sleep(self.pace / 2)

    def save(self, mailbox_id: int, uidvalidity: int, uid: int) -> None:
        if self.hold_at and uid == self.hold_at:
            self.flag.write_text(str(uid))
            threading.Event().wait()  # never returns: the test kills this process here
        super().save(mailbox_id, uidvalidity, uid)


def main() -> None:
    args = argparse.ArgumentParser()
    for name in ("--port", "--hold-at"):
        args.add_argument(name, type=int, required=True)
    for name in ("--user", "--password", "--folder", "--store", "--flag"):
        args.add_argument(name, required=True)
    args.add_argument("--pace", type=float, default=0.0)
    a = args.parse_args()
    store = HoldingStore(Path(a.store), a.hold_at, Path(a.flag), a.pace)
    account = ImapAccount("127.0.0.1", a.port, a.user, a.password, security="none",
                          folder=a.folder, poll_seconds=5)
    reader = ImapReader(1, account, store, store)
    reader.start()
    threading.Event().wait()


if __name__ == "__main__":
    main()
