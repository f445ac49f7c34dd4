"""Properties of the normaliser and the threading rules: whatever arrives, nothing raises and
nothing is lost; whatever the marks say, a mail never joins another customer's ticket."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from giliran.channels.email import headers
from giliran.channels.email.addresses import reply_address, token_for
from giliran.channels.email.body import fold_quotes, unflow
from giliran.channels.email.mail import Mail, normalise, part_bytes
from giliran.channels.email.threads import Candidate, Rule, decide, subject_changed

CORPUS = sorted((Path(__file__).parent / "corpus").glob("*.eml"))
RAWS = [p.read_bytes() for p in CORPUS]
QUICK = settings(max_examples=150, deadline=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _sound(raw: bytes, mail: Mail) -> None:
    assert mail.message_id
    assert mail.kind is not None
    for part in mail.attachments:  # every attachment listed can be fetched back
        data, _, _ = part_bytes(raw, part.index)
        assert len(data) == part.size


@QUICK
@given(st.binary(max_size=3000))
def test_any_bytes_give_a_mail(raw: bytes) -> None:
    _sound(raw, normalise(raw))


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    raw = draw(st.sampled_from(RAWS))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(raw)))
        how = draw(st.sampled_from(["cut", "drop", "insert", "flip"]))
        if how == "cut":
            raw = raw[:at]
        elif how == "drop":
            raw = raw[:at] + raw[at + draw(st.integers(1, 200)):]
        elif how == "insert":
            noise = draw(st.one_of(st.binary(max_size=40), st.sampled_from(
                [b"\r\n\r\n", b"--", b"=?utf-8?b?", b"boundary=\"", b"\r\n--", b"=\r\n",
                 b"Content-Type: multipart/mixed\r\n", b"charset=\"x-bogus\"", b"\x00\xff"])))
            raw = raw[:at] + noise + raw[at:]
        elif raw:
            i = min(at, len(raw) - 1)
            raw = raw[:i] + bytes([raw[i] ^ draw(st.integers(1, 255))]) + raw[i + 1:]
    return raw


@QUICK
@given(mutated())
def test_mutated_corpus_messages_give_a_mail(raw: bytes) -> None:
    _sound(raw, normalise(raw, own_addresses={"support@desk.example"}))


@given(st.text(min_size=1, max_size=400))
@settings(deadline=None)
def test_folding_never_hides_every_word(text: str) -> None:
    if text.strip():
        assert fold_quotes(text).strip()


@given(st.lists(st.text("abcdefghij ", max_size=30), max_size=8))
def test_text_without_soft_breaks_is_not_reflowed(lines: list[str]) -> None:
    lines = [line.rstrip().lstrip(" >") for line in lines]
    assert unflow("\n".join(lines)) == "\n".join(lines)


_ID = st.from_regex(r"[A-Za-z0-9.=+_$-]{1,20}@[A-Za-z0-9.-]{1,20}", fullmatch=True)


@given(st.lists(_ID, max_size=6, unique=True), st.sampled_from([" ", "\r\n ", ",", "\t"]))
def test_message_ids_read_back_whatever_the_separator(ids: list[str], sep: str) -> None:
    value = sep.join(f"<{mid}>" for mid in ids)
    keys = headers.message_ids(value)
    assert keys == tuple(dict.fromkeys(_key(m) for m in ids))


def _key(mid: str) -> str:
    local, _, domain = mid.rpartition("@")
    return f"{local}@{domain.lower()}"


# A small desk of five tickets of three customers; a mail carrying any mix of their marks.
CUSTOMERS = ["email:a@x.example", "email:b@y.example", "email:c@z.example"]
KEY = b"k"


@st.composite
def desks_and_mails(draw: st.DrawFn) -> tuple[dict[int, Candidate], Mail, str]:
    tickets = {i: Candidate(i, draw(st.sampled_from(CUSTOMERS)), draw(st.booleans()),
                            draw(st.sampled_from([None, "Printer", "VPN"])))
               for i in range(1, 6)}
    ids = st.integers(1, 8)  # 6..8 name tickets that do not exist
    to = ["support@desk.example"]
    if draw(st.booleans()):
        to.append(reply_address("support@desk.example", token_for(draw(ids), KEY)))
    mail = Mail(message_id="m@x", from_address=None, from_name=None, to=tuple(to),
                subject=draw(st.sampled_from(["Re: Printer", "VPN", "New topic", ""]))
                + draw(st.sampled_from(["", " [INC20261207000003]"])),
                in_reply_to=tuple(f"giliran.{n}.1@desk.example" for n in
                                  draw(st.lists(ids, max_size=2))),
                references=tuple(f"giliran.{n}.2@desk.example" for n in
                                 draw(st.lists(ids, max_size=3))))
    return tickets, mail, draw(st.sampled_from(CUSTOMERS))


@given(desks_and_mails())
def test_a_mail_never_joins_another_customers_ticket(case: tuple[dict[int, Candidate], Mail,
                                                                 str]) -> None:
    tickets, mail, customer = case
    decision = decide(mail, "support@desk.example", KEY, lambda mid: None, tickets.get,
                      customer)
    if decision.ticket_id is None:
        assert decision.rule is Rule.NEW
    else:
        found = tickets[decision.ticket_id]
        assert found.contact == customer
        assert decision.reopen is not found.open


@given(st.text(max_size=40), st.sampled_from(["Re: ", "AW: ", "Fwd: ", "Balas: ", "RE: RE: "]),
       st.sampled_from(["", " [INC20261207000042]"]))
def test_reply_prefixes_and_our_tag_do_not_change_a_subject(subject: str, prefix: str,
                                                             tag: str) -> None:
    assert not subject_changed(subject, prefix + subject + tag)
    assert subject_changed(subject, "x") == subject_changed("x", subject)
