"""The SMTP listener, sent to by Python's smtplib as a relay would: mail for the desk's
mailboxes (with or without a reply token) is stored before 250, other addresses are refused
with 550, and a store that fails answers 451 so the sender keeps the message and retries."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator

import pytest

from giliran.channels.email.listener import SmtpListener, mailbox_of, parse_listen
from tests.email.dovecot import free_port
from tests.email.mailstore import MailStore, sample

DESK = {"support@desk.example", "billing@desk.example"}


@pytest.fixture
def store() -> MailStore:
    return MailStore()


@pytest.fixture
def listener(store: MailStore) -> Iterator[SmtpListener]:
    listener = SmtpListener(f"127.0.0.1:{free_port()}", DESK.__contains__, store)
    listener.start()
    yield listener
    listener.halt()


def send(listener: SmtpListener, to: list[str], raw: bytes) -> dict[str, tuple[int, bytes]]:
    with smtplib.SMTP(listener.host, listener.port, timeout=10) as smtp:
        return smtp.sendmail("customer1@example.com", to, raw)


def test_mail_for_a_mailbox_and_its_token_address_is_stored(
        listener: SmtpListener, store: MailStore) -> None:
    raw = sample(1, "smtp")
    refused = send(listener, ["Support+Tk3x9@desk.example", "billing@desk.example"], raw)
    assert refused == {}
    assert store.calls == ["smtp.1@example.com"]  # stored before the 250, and once
    stored = store.stored["smtp.1@example.com"]
    head, _, message = stored.partition(b"From: ")
    assert head == (b"Delivered-To: Support+Tk3x9@desk.example\r\n"
                    b"Delivered-To: billing@desk.example\r\n")
    assert b"From: " + message == raw


def test_other_addresses_are_refused_with_550(listener: SmtpListener, store: MailStore) -> None:
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send(listener, ["someone@elsewhere.example"], sample(2, "smtp"))
    assert refused.value.recipients["someone@elsewhere.example"][0] == 550
    assert store.calls == []
    # One of ours beside a stranger: the stranger is refused, the mail is stored for ours.
    answer = send(listener, ["stranger@desk.example", "support@desk.example"], sample(3, "smtp"))
    assert answer["stranger@desk.example"][0] == 550
    assert store.calls == ["smtp.3@example.com"]


def test_a_failing_store_answers_451_and_the_retry_is_kept(
        listener: SmtpListener, store: MailStore) -> None:
    store.failing = True
    with pytest.raises(smtplib.SMTPDataError) as refused:
        send(listener, ["support@desk.example"], sample(4, "smtp"))
    assert refused.value.smtp_code == 451
    assert store.stored == {}
    store.failing = False  # the database is back; the sender's retry goes through
    send(listener, ["support@desk.example"], sample(4, "smtp"))
    assert list(store.stored) == ["smtp.4@example.com"]


def test_a_message_over_the_size_limit_is_refused_with_552(store: MailStore) -> None:
    small = SmtpListener(f"127.0.0.1:{free_port()}", DESK.__contains__, store, largest=1000)
    small.start()
    try:
        with pytest.raises((smtplib.SMTPSenderRefused, smtplib.SMTPDataError)) as refused:
            send(small, ["support@desk.example"], sample(5, "smtp") + b"x" * 2000 + b"\r\n")
    finally:
        small.halt()
    assert refused.value.smtp_code == 552
    assert store.calls == []


def test_addresses_and_listen_settings_are_read_as_written() -> None:
    assert mailbox_of("<Support+abc@Desk.Example>") == "support@desk.example"
    assert parse_listen("0.0.0.0:2525") == ("0.0.0.0", 2525)
    assert parse_listen("[::1]:25") == ("::1", 25)
    assert parse_listen(":2525") == ("0.0.0.0", 2525)
    for wrong in ("localhost", "host:0", "host:smtp", "host:70000"):
        with pytest.raises(ValueError):
            parse_listen(wrong)
