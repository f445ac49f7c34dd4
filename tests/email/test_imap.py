"""The IMAP reader against a real Dovecot: new mail arrives by IDLE and by polling, a reader
killed mid-fetch and started again loses and duplicates nothing, a rebuilt folder (a new
UIDVALIDITY) is read again without storing anything twice, a stored message can be moved out.

Each test reads a folder of its own, so the session's one Dovecot serves them all."""

from __future__ import annotations

import itertools
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from giliran.channels.email.imap import Backoff, ImapAccount, ImapReader, InMemoryProgress, Progress
from tests.email.dovecot import Dovecot
from tests.email.mailstore import FileMailStore, MailStore, message_id, sample, wait_until

_folders = itertools.count(1)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def folder(dovecot: Dovecot) -> str:
    name = f"Test{os.getpid()}x{next(_folders)}"
    with dovecot.client() as client:
        client.create_folder(name)
    return name


def account(dovecot: Dovecot, folder: str, **kw: object) -> ImapAccount:
    return ImapAccount(dovecot.host, dovecot.port, "desk", dovecot.password, security="none",
                       folder=folder, **kw)  # type: ignore[arg-type]


@pytest.fixture
def running() -> Iterator[list[ImapReader]]:
    readers: list[ImapReader] = []
    yield readers
    for reader in readers:
        reader.halt()


def last_uid(progress: Progress, mailbox_id: int) -> int | None:
    saved = progress.load(mailbox_id)
    return saved[1] if saved else None


def start(running: list[ImapReader], reader: ImapReader) -> ImapReader:
    running.append(reader)
    reader.start()
    assert reader.connected.wait(10), "the reader did not connect"
    return reader


def test_idle_hears_of_new_mail_at_once(dovecot: Dovecot, folder: str,
                                        running: list[ImapReader]) -> None:
    store, progress = MailStore(), InMemoryProgress()
    dovecot.deliver(sample(1, folder), folder=folder)  # waiting before the reader starts
    # A poll every 60 s: only IDLE can bring the second message within the 5 s waited for.
    reader = start(running, ImapReader(7, account(dovecot, folder, poll_seconds=60),
                                       progress, store))
    assert reader.mode == "idle"
    store.wait_for(1)
    began = time.monotonic()
    uid = dovecot.deliver(sample(2, folder), folder=folder)
    store.wait_for(2, timeout=5)
    heard = time.monotonic() - began
    assert heard < 5, heard
    assert store.calls == [f"{folder}.1@example.com", f"{folder}.2@example.com"]
    wait_until(lambda: last_uid(progress, 7) == uid, what="progress saved after the sink")
    # Mail stays on the server, unread for the desk's own mail client.
    with dovecot.client() as client:
        client.select_folder(folder, readonly=True)
        assert len(client.search()) == 2
        assert client.search(["SEEN"]) == []
    assert reader.failures == 0
    # Stopping cuts the IDLE at once rather than waiting for the server.
    began = time.monotonic()
    reader.halt()
    assert not reader.running and time.monotonic() - began < 2


def test_polling_delivers_where_idle_is_turned_off(dovecot: Dovecot, folder: str,
                                                   running: list[ImapReader]) -> None:
    store = MailStore()
    # A desk's old mail, there before the mailbox was added, which it asked not to import.
    dovecot.deliver(sample(0, folder), folder=folder)
    start(running, ImapReader(8, account(dovecot, folder, idle=False, poll_seconds=0.2,
                                         read_existing=False), InMemoryProgress(), store))
    for n in (1, 2, 3):
        dovecot.deliver(sample(n, folder), folder=folder)
    store.wait_for(3)
    assert store.calls == [f"{folder}.{n}@example.com" for n in (1, 2, 3)]


def test_killed_mid_fetch_and_restarted_loses_and_duplicates_nothing(
        dovecot: Dovecot, folder: str, tmp_path: Path, running: list[ImapReader]) -> None:
    delivered = [message_id(sample(n, folder)) for n in range(1, 31)]
    uids = [dovecot.deliver(sample(n, folder), folder=folder) for n in range(1, 31)]
    store = FileMailStore(tmp_path / "store.sqlite")
    flag = tmp_path / "held"
    # Killed after the 12th message was stored and committed, before its UID was saved: the
    # batch of 20 it fetched holds 8 more that it never handed on.
    child = reader_process(dovecot, folder, store, flag, hold_at=uids[11])
    try:
        wait_until(flag.exists, timeout=15, what="the reader process reached message 12")
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert sorted(store.stored()) == sorted(delivered[:12])
    assert last_uid(store, 1) == uids[10]

    reader = start(running, ImapReader(1, account(dovecot, folder), store, store))
    wait_until(lambda: len(store.stored()) == 30, what="all 30 stored after the restart")
    reader.halt()
    assert sorted(store.stored()) == sorted(delivered)  # nothing lost, nothing twice
    # The only message handed on twice is the one killed between sink and save.
    calls = store.calls()
    assert [m for m in set(calls) if calls.count(m) > 1] == [delivered[11]]
    assert len(calls) == 31
    assert last_uid(store, 1) == uids[-1]


def test_killed_at_any_moment_twice_and_restarted_stores_each_message_once(
        dovecot: Dovecot, folder: str, tmp_path: Path, running: list[ImapReader]) -> None:
    delivered = [message_id(sample(n, folder)) for n in range(1, 41)]
    for n in range(1, 41):
        dovecot.deliver(sample(n, folder), folder=folder)
    store = FileMailStore(tmp_path / "store.sqlite")
    for stored_at_least in (8, 20):  # killed wherever it happens to be by then
        child = reader_process(dovecot, folder, store, tmp_path / "never", hold_at=0,
                               pace=0.02)
        try:
            wait_until(lambda n=stored_at_least: len(store.stored()) >= n, timeout=15,
                       what=f"{stored_at_least} stored by the reader process")
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait()
        assert stored_at_least > 8 or len(store.stored()) < 40  # killed inside the reading
    start(running, ImapReader(1, account(dovecot, folder), store, store))
    wait_until(lambda: len(store.stored()) == 40, what="all 40 stored after the restarts")
    assert sorted(store.stored()) == sorted(delivered)
    assert len(store.calls()) <= 40 + 2  # at most one re-read per kill


def reader_process(dovecot: Dovecot, folder: str, store: FileMailStore, flag: Path,
                   hold_at: int, pace: float = 0.0) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.email.reader_process", "--port", str(dovecot.port),
         "--user", "desk", "--password", dovecot.password, "--folder", folder,
         "--store", str(store.path), "--flag", str(flag), "--hold-at", str(hold_at),
         "--pace", str(pace)],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": os.pathsep.join(
            [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])})


def test_a_new_uidvalidity_reads_the_folder_again_storing_nothing_twice(
        dovecot: Dovecot, folder: str, running: list[ImapReader]) -> None:
    store, progress = MailStore(), InMemoryProgress()
    dovecot.deliver(sample(1, folder), folder=folder)
    reader = start(running, ImapReader(9, account(dovecot, folder), progress, store))
    store.wait_for(1)
    reader.halt()
    before = progress.load(9)
    assert before is not None
    # The folder is rebuilt (as a restore or a server move does): the old message comes back
    # under a new UIDVALIDITY, with a new one beside it.
    with dovecot.client() as client:
        client.delete_folder(folder)
        client.create_folder(folder)
    dovecot.deliver(sample(1, folder), folder=folder)
    dovecot.deliver(sample(2, folder), folder=folder)
    start(running, ImapReader(9, account(dovecot, folder), progress, store))
    store.wait_for(2)
    wait_until(lambda: last_uid(progress, 9) == 2, what="progress on the new folder")
    after = progress.load(9)
    assert after is not None and after[0] != before[0]
    assert sorted(store.stored) == [f"{folder}.1@example.com", f"{folder}.2@example.com"]
    assert store.calls.count(f"{folder}.1@example.com") == 2  # re-read, absorbed by dedupe


def test_a_server_without_idle_or_move_is_polled_and_mail_moved_by_copy(
        dovecot: Dovecot, folder: str, running: list[ImapReader]) -> None:
    store = MailStore()
    # 127.0.0.2 is the same Dovecot announcing neither IDLE nor MOVE (dovecot.py).
    plain = ImapAccount("127.0.0.2", dovecot.port, "desk", dovecot.password, security="none",
                        folder=folder, move_to=f"{folder}.Done", poll_seconds=0.2)
    reader = start(running, ImapReader(14, plain, InMemoryProgress(), store))
    assert reader.mode == "poll"
    for n in (1, 2):
        dovecot.deliver(sample(n, folder), folder=folder)
    store.wait_for(2)
    with dovecot.client() as client:
        wait_until(lambda: client.select_folder(folder)[b"EXISTS"] == 0,
                   what="both moved out of the folder")
        assert client.select_folder(f"{folder}.Done")[b"EXISTS"] == 2
    assert store.calls == [f"{folder}.1@example.com", f"{folder}.2@example.com"]


def test_stored_mail_is_moved_out_and_a_failing_sink_is_retried(
        dovecot: Dovecot, folder: str, running: list[ImapReader]) -> None:
    store = MailStore()
    store.failing = True
    dovecot.deliver(sample(1, folder), folder=folder)
    reader = ImapReader(10, account(dovecot, folder, move_to=f"{folder}.Done"),
                        InMemoryProgress(), store, backoff=Backoff(first=0.05, longest=0.1))
    running.append(reader)
    reader.start()
    wait_until(lambda: reader.failures >= 2, what="the reader retrying a failing sink")
    assert store.stored == {}
    store.failing = False
    store.wait_for(1)
    with dovecot.client() as client:
        wait_until(lambda: client.select_folder(folder)[b"EXISTS"] == 0,
                   what="the stored message moved out of the folder")
        assert client.select_folder(f"{folder}.Done")[b"EXISTS"] == 1


@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_reads_over_tls_and_starttls(dovecot: Dovecot, folder: str, security: str,
                                     running: list[ImapReader]) -> None:
    store = MailStore()
    port = dovecot.tls_port if security == "tls" else dovecot.port
    tls = ImapAccount(dovecot.host, port, "desk", dovecot.password, folder=folder,
                      security=security, ssl_context=dovecot.tls_context())  # type: ignore[arg-type]
    dovecot.deliver(sample(1, folder), folder=folder)
    start(running, ImapReader(11, tls, InMemoryProgress(), store))
    store.wait_for(1)


def test_a_dropped_session_is_opened_again_and_reading_goes_on(
        dovecot: Dovecot, running: list[ImapReader]) -> None:
    store = MailStore()
    other = ImapAccount(dovecot.host, dovecot.port, "other", dovecot.password, security="none")
    reader = start(running, ImapReader(12, other, InMemoryProgress(), store,
                                       backoff=Backoff(first=0.05, longest=0.1)))
    dovecot.deliver(sample(1, "drop"), user="other")
    store.wait_for(1)
    dovecot.kick("other")
    wait_until(lambda: reader.sessions == 2 and reader.connected.is_set(),
               what="a second session after the first was cut")
    dovecot.deliver(sample(2, "drop"), user="other")
    store.wait_for(2)
    assert store.calls == ["drop.1@example.com", "drop.2@example.com"]


def test_a_refused_login_is_retried_and_the_password_never_logged(
        dovecot: Dovecot, running: list[ImapReader], caplog: pytest.LogCaptureFixture) -> None:
    wrong = ImapAccount(dovecot.host, dovecot.port, "desk", "s3cret-wrong", security="none")
    reader = ImapReader(13, wrong, InMemoryProgress(), MailStore(),
                        backoff=Backoff(first=0.05, longest=0.1))
    running.append(reader)
    with caplog.at_level(logging.WARNING, logger="giliran.channels.email.imap"):
        reader.start()
        wait_until(lambda: reader.failures >= 2, what="the login tried again")
        reader.halt()
    assert "LoginError" in caplog.text and "AUTHENTICATIONFAILED" in caplog.text
    assert "s3cret" not in caplog.text and "s3cret" not in repr(wrong)
