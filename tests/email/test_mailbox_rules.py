"""A mailbox's rules, for any input: a mailbox is accepted or refused with invalid_mailbox
(never another error), and what may be shown or logged of it never holds a secret."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from giliran.channels.email import mailbox as rules
from giliran.channels.email.mailbox import InvalidMailbox

NOW = datetime(2026, 12, 7, tzinfo=UTC)
SECRET = "pw-Hidden-7731"
texts = st.text(max_size=40)
fields = st.fixed_dictionaries({
    "address": st.one_of(texts, st.emails().map(str)), "queue": st.just("default")}, optional={
    "name": st.one_of(st.none(), texts), "imap_host": st.one_of(st.none(), texts),
    "imap_port": st.one_of(st.none(), st.integers(-5, 70_000)),
    "imap_user": st.one_of(st.none(), texts), "poll_seconds": st.integers(0, 100_000),
    "smtp_url": st.one_of(st.none(), texts.map(lambda s: f"smtps://u:{SECRET}@{s}")),
    "block_list": st.lists(texts, max_size=3)})


@settings(max_examples=150, deadline=None)
@given(fields)
def test_a_mailbox_is_accepted_or_refused_and_never_shows_a_secret(sent: dict[str, Any]) -> None:
    made = rules.new({**sent, "imap_password": SECRET}, "k" * 64, NOW)
    try:
        rules.check(made)
    except InvalidMailbox as refused:
        assert SECRET not in str(refused)
    shown = f"{made.shown()} {made!r}"
    assert SECRET not in shown and "k" * 64 not in shown
    assert made.address == made.address.strip().lower()


def test_the_smtp_server_is_shown_without_its_credentials() -> None:
    assert rules.smtp_server(f"smtps://desk:{SECRET}@mail.example:465") == (
        "smtps://mail.example:465")
    assert rules.smtp_server(f"smtp://mail.example?starttls=required&password={SECRET}") == (
        "smtp://mail.example?starttls=required")
