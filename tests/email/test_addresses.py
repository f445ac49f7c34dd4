"""The marks on giliran's mail that bring a customer's reply back to its ticket."""

from hypothesis import given
from hypothesis import strategies as st

from giliran.channels.email.addresses import (
    bare_subject,
    number_in_subject,
    our_message_id,
    reply_address,
    subject_for,
    ticket_of_message_id,
    ticket_of_token,
    token_for,
    token_in,
)

KEY = b"k" * 32
ids = st.integers(min_value=1, max_value=10**15)


@given(ids)
def test_a_token_names_its_ticket_through_the_reply_address(ticket_id: int) -> None:
    address = reply_address("Support@Desk.example", token_for(ticket_id, KEY))
    token = token_in(["someone@else.example", address.upper()], "support@desk.example")
    assert token is not None and ticket_of_token(token, KEY) == ticket_id


@given(ids, st.integers(min_value=0, max_value=9))
def test_a_guessed_or_mistyped_token_names_no_ticket(ticket_id: int, flip: int) -> None:
    token = token_for(ticket_id, KEY)
    wrong = token[:-1] + ("0" if token[-1] != "0" else "1")
    assert ticket_of_token(wrong, KEY) is None
    assert ticket_of_token(token, b"another desk's key") is None
    assert ticket_of_token(f"x{flip}", KEY) is None


def test_only_the_mailbox_s_own_plus_address_carries_a_token() -> None:
    assert token_in(["support+abc@other.example"], "support@desk.example") is None
    assert token_in(["sales+abc@desk.example"], "support@desk.example") is None
    assert token_in(["support@desk.example"], "support@desk.example") is None


@given(ids, st.text(min_size=1, max_size=80))
def test_our_message_ids_name_their_ticket(ticket_id: int, seq: str) -> None:
    mid = our_message_id(ticket_id, seq, "desk.example")
    assert ticket_of_message_id(mid) == ticket_id
    assert ticket_of_message_id(f"<{mid}>") == ticket_id
    assert " " not in mid and "<" not in mid


def test_other_message_ids_name_no_ticket() -> None:
    assert ticket_of_message_id("CAF=abc123@mail.gmail.com") is None
    assert ticket_of_message_id("giliran.x.1@desk.example") is None


def test_the_subject_keeps_one_re_and_one_tag_through_a_long_thread() -> None:
    first = subject_for("INC20261207000042", "Printer is broken")
    assert first == "Re: Printer is broken [INC20261207000042]"
    again = subject_for("INC20261207000042", f"AW: RE: {first}")
    assert again == first
    assert number_in_subject(f"Fwd: {first}") == 42
    assert number_in_subject("Invoice 20261207000042") is None
    assert bare_subject("Balas: Re[2]: Harga paket") == "Harga paket"
