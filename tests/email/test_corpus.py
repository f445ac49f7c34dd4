"""The mail corpus (tests/email/corpus): messages written for this project in the shapes real
clients and servers send, each run through the normaliser and the threading rules against a
small fixed desk, and compared with what a person reading it would want (expected.json).

expected.json keys per message: `kind`, `from`, `from_name`, `subject`, `message_id` (or
`message_id_prefix`), `date`, `to`, `cc`, `reply_to`, `in_reply_to`, `references`, `text_has`,
`text_lacks`, `reply_is` (the reply with quoted history folded away), `reply_has`,
`reply_lacks`, `html_has`, `html_lacks`, `attachments`, `part_has` (an attachment's bytes, by
its place in `attachments`), `bounce`, `broken` / `broken_has`, and `thread`: the rule that
finds the ticket and the ticket (None: a new one), `reopen` when that ticket is closed.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from giliran.channels.email.mail import Mail, normalise, part_bytes
from giliran.channels.email.threads import Candidate, decide

CORPUS = Path(__file__).parent / "corpus"
EXPECTED: dict[str, dict[str, Any]] = json.loads((CORPUS / "expected.json").read_text("utf-8"))

# The desk every message is threaded against: one mailbox (and a second address of the same
# desk), its thread key, the tickets the corpus's replies refer to, and the customers' own
# Message-IDs the desk stored when their first mails came in.
MAILBOX = "support@desk.example"
OWN = {"support@desk.example", "billing@desk.example"}
KEY = b"corpus-thread-key"
TICKETS = {
    101: Candidate(101, "email:dewi.lestari@gmail.com", True, "Printer on floor 3 not working"),
    102: Candidate(102, "email:budi.santoso@outlook.com", True, "Invoice INV-2291 charged twice"),
    103: Candidate(103, "email:rina.wijaya@icloud.com", False, "Cannot log in to the portal"),
    104: Candidate(104, "email:agus.pratama@posteo.de", True, "VPN drops every hour"),
    105: Candidate(105, "email:tanaka.hiroshi@example.jp", True, "請求書について"),
    106: Candidate(106, "email:sari.dewi@yahoo.co.id", True, "Order #5521 not delivered"),
    107: Candidate(107, "email:rina.wijaya@icloud.com", True, "Login page looks broken"),
    108: Candidate(108, "email:hendra@kantor.example", True, "Projector in room 4 has no signal"),
}
STORED = {
    "CAKx9dewi0001=Xy8qL2mPz7vQ@mail.gmail.com": 101,
    "6F1E2D3C-AAAA-4BBB-8CCC-0123456789AB@icloud.com": 103,
    "4b2c0e1a-1111-2222-3333-444455556666@posteo.de": 104,
}


def read(name: str) -> tuple[bytes, Mail]:
    raw = (CORPUS / name).read_bytes()
    return raw, normalise(raw, own_addresses=OWN)


def test_the_corpus_is_complete() -> None:
    files = {p.name for p in CORPUS.glob("*.eml")}
    assert len(files) >= 40
    assert files == set(EXPECTED), "every message has its expectation and no other"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_message(name: str) -> None:
    want = EXPECTED[name]
    raw, mail = read(name)
    _headers(mail, want)
    _words(mail, want)
    _attachments(raw, mail, want)
    assert mail.kind.value == want["kind"], mail.kind_why
    if "bounce" in want:
        _bounce(mail, want["bounce"])
    if "broken_has" in want:
        assert mail.broken is not None and want["broken_has"] in mail.broken
    else:
        assert mail.broken is None
    if "thread" in want:
        _thread(mail, want["thread"])


def _headers(mail: Mail, want: dict[str, Any]) -> None:
    for field in ("from_name", "subject", "message_id"):
        if field in want:
            assert getattr(mail, field) == want[field], field
    if "from" in want:
        assert mail.from_address == want["from"]
    for field in ("to", "cc", "reply_to", "in_reply_to", "references"):
        if field in want:
            assert list(getattr(mail, field)) == want[field], field
    if "message_id_prefix" in want:
        assert mail.message_id.startswith(want["message_id_prefix"])
    if "date" in want:
        assert mail.date == datetime.fromisoformat(want["date"])
    assert mail.date is None or mail.date.tzinfo is not None, "comparable with the clock's now"


def _words(mail: Mail, want: dict[str, Any]) -> None:
    if "reply_is" in want:
        assert mail.reply_text == want["reply_is"]
    for said in want.get("reply_has", []):
        assert said in mail.reply_text
    for quoted in want.get("reply_lacks", []):
        assert quoted not in mail.reply_text
        assert quoted in mail.text, "folded away from the reply, kept in the whole text"
    for said in want.get("text_has", []):
        assert said in mail.text
    for hidden in want.get("text_lacks", []):
        assert hidden not in mail.text
    for said in want.get("html_has", []):
        assert mail.html is not None and said in mail.html
    for unsafe in want.get("html_lacks", []):
        assert mail.html is not None and unsafe not in mail.html


def _attachments(raw: bytes, mail: Mail, want: dict[str, Any]) -> None:
    if "attachments" not in want:
        return
    assert len(mail.attachments) == len(want["attachments"]), mail.attachments
    for part, expected in zip(mail.attachments, want["attachments"], strict=True):
        for field, value in expected.items():
            assert getattr(part, field) == value, (field, part)
        data, mime_type, file_name = part_bytes(raw, part.index)
        assert (len(data), mime_type, file_name) == (part.size, part.mime_type, part.file_name)
    for place, words in want.get("part_has", {}).items():
        data, _, _ = part_bytes(raw, mail.attachments[int(place)].index)
        assert words.encode() in data


def _bounce(mail: Mail, want: dict[str, Any] | None) -> None:
    if want is None:
        assert mail.bounce is None
        return
    assert mail.bounce is not None
    for field in ("original_message_id", "recipient", "action", "status"):
        assert getattr(mail.bounce, field) == want[field], field
    assert want["diagnostic_has"] in (mail.bounce.diagnostic or "")


def _thread(mail: Mail, want: dict[str, Any]) -> None:
    decision = decide(mail, MAILBOX, KEY, STORED.get, TICKETS.get,
                      f"email:{mail.from_address}")
    assert (decision.rule.value, decision.ticket_id) == (want["rule"], want["ticket"]), \
        decision.why
    assert decision.reopen == want.get("reopen", False)


def test_a_message_without_message_id_is_named_alike_whichever_way_it_came() -> None:
    """IMAP and the listener add different trace headers; the digest must not see them."""
    raw = (CORPUS / "no_message_id.eml").read_bytes()
    _, _, rest = raw.partition(b"\nFrom:")
    relayed = b"Received: from other.example by mx2.desk.example; Wed, 23 Dec 2026\n" \
        b"Delivered-To: support@desk.example\nReturn-Path: <scanner@kantor.example>\n"
    without_trace = b"From:" + rest
    crlf = without_trace.replace(b"\n", b"\r\n")
    names = {normalise(r).message_id for r in (raw, relayed + without_trace, crlf)}
    assert len(names) == 1
    assert normalise(raw.replace(b"MFP-3F", b"MFP-4F")).message_id not in names


def test_part_bytes_refuses_an_index_that_is_no_attachment() -> None:
    raw, mail = read("gmail_inline_image.eml")
    with pytest.raises(KeyError):
        part_bytes(raw, 0)
    assert part_bytes(raw, mail.attachments[0].index)[1] == "image/png"
