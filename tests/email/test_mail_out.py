"""Agents' replies go out as mail a customer's client threads with what they wrote, over a
real SMTP server (aiosmtpd) speaking plain SMTP, STARTTLS and TLS; the server's refusals come
back as the courier's temporary or permanent failures, and the mailbox's password shows in
no log and no error."""

from __future__ import annotations

import asyncio
import logging
import socket
from dataclasses import replace
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.headerregistry import Address
from email.message import EmailMessage
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from giliran.channels.email.addresses import (
    bare_subject,
    number_in_subject,
    ticket_of_message_id,
    ticket_of_token,
    token_in,
)
from giliran.channels.email.compose import (
    MOST_REFERENCES,
    OutgoingFile,
    Reply,
    message_id_of,
    reply_message,
)
from giliran.channels.email.smtp import SmtpSender, SmtpUrl
from giliran.service.notices.notify import Sent
from tests.email.smtp_capture import HOST, Certificate, free_port, self_signed, smtp_server

T0 = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
KEY = b"thread-key-of-the-support-mailbox"
PASSWORD = "pa:ss/w0rd@42"  # characters a URL must escape, so every written form is checked
QUOTED = quote(PASSWORD, safe="")
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 300
# The customer's first mail, their reply to our first answer, and our answer between.
THREAD = ("CAF=first@mail.gmail.com", "giliran.42.7@desk.example", "CAF=second@mail.gmail.com")


def a_reply(**changes: object) -> Reply:
    reply = Reply(
        mailbox="support@desk.example", mailbox_name="Support", agent_name="Dewi",
        customer="budi@example.com", customer_name="Budi Santoso", ticket_id=42,
        ticket_number="INC20261207000042", subject="Tagihan ganda bulan November",
        text="Halo Budi,\n\nTagihan kedua sudah kami batalkan.\n<b>Salam</b>, Dewi",
        seq="9", key=KEY, at=T0, in_reply_to=THREAD[-1], references=THREAD[:-1],
        files=(OutgoingFile("invoice.pdf", "application/pdf", PDF),
               OutgoingFile("screen.png", "image/png", PNG)))
    return replace(reply, **changes)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    return self_signed(tmp_path_factory.mktemp("smtp-cert"))


def send(url: str, message: EmailMessage, **kwargs: object) -> Sent:
    return asyncio.run(SmtpSender(url, **kwargs).send(message))  # type: ignore[arg-type]


def test_a_reply_arrives_threaded_with_the_agents_name_both_parts_and_its_files() -> None:
    reply = a_reply()
    with smtp_server() as server:
        sent = send(f"smtp://{HOST}:{server.port}", reply_message(reply))
    assert sent == Sent(channel_id=message_id_of(reply))
    (kept,) = server.kept
    assert (kept.mail_from, kept.rcpt_tos) == ("support@desk.example", ("budi@example.com",))
    mail = kept.message
    (sender,) = mail["From"].addresses
    assert (sender.display_name, sender.addr_spec) == ("Dewi via Support", "support@desk.example")
    (reply_to,) = mail["Reply-To"].addresses
    token = token_in([reply_to.addr_spec], "support@desk.example")
    assert reply_to.addr_spec.startswith("support+") and token is not None
    assert ticket_of_token(token, KEY) == 42 and ticket_of_token(token, b"other") is None
    assert ticket_of_message_id(mail["Message-ID"].strip("<>")) == 42
    assert mail["Message-ID"] == f"<{sent.channel_id}>"
    assert mail["In-Reply-To"] == "<CAF=second@mail.gmail.com>"
    assert mail["References"].split() == [f"<{mid}>" for mid in THREAD]
    assert mail["Subject"].startswith("Re: Tagihan ganda bulan November")
    assert "[INC20261207000042]" in mail["Subject"]
    assert number_in_subject(mail["Subject"]) == 42
    assert mail["X-Giliran-Ticket"] == "42"
    text, html = (mail.get_body((kind,)).get_content() for kind in ("plain", "html"))
    assert text.rstrip("\n") == reply.text
    assert "Tagihan kedua sudah kami batalkan." in html and "&lt;b&gt;Salam&lt;/b&gt;" in html
    assert [(p.get_filename(), p.get_content_type(), p.get_content())
            for p in mail.iter_attachments()] == [
        ("invoice.pdf", "application/pdf", PDF), ("screen.png", "image/png", PNG)]
    assert mail.get_content_type() == "multipart/mixed"


def test_a_long_thread_keeps_its_root_and_newest_references() -> None:
    mids = tuple(f"m{i}@example.com" for i in range(60))
    mail = reply_message(a_reply(references=mids[:-1], in_reply_to=mids[-1], files=()))
    refs = mail["References"].split()
    assert len(refs) == MOST_REFERENCES
    assert refs[0] == "<m0@example.com>" and refs[-1] == "<m59@example.com>"
    assert refs[1:] == [f"<{m}>" for m in mids[-(MOST_REFERENCES - 1):]]
    assert mail.get_content_type() == "multipart/alternative"  # no files: no mixed wrapper


def test_a_file_labelled_as_mail_structure_goes_as_a_plain_file() -> None:
    odd = OutgoingFile("a\r\nb.eml", "multipart/mixed; boundary=x", b"--x\n\n--x--\n")
    mail = reply_message(a_reply(files=(odd,)))
    (part,) = mail.iter_attachments()
    assert (part.get_content_type(), part.get_filename()) == ("application/octet-stream",
                                                              "a b.eml")


def test_names_and_subjects_cannot_add_headers_and_a_subject_gets_one_re_and_one_tag() -> None:
    mail = reply_message(a_reply(subject="Hi\r\nBcc: all@example.com", agent_name="Dewi\nX: y",
                                 customer_name="Siti Nurhaliza Ñ"))
    raw = bytes(mail)
    assert b"\nBcc:" not in raw and b"\nX: y" not in raw
    assert mail["Subject"].startswith("Re: Hi Bcc: all@example.com")
    assert mail["From"].addresses[0].display_name == "Dewi X: y via Support"
    again = reply_message(a_reply(subject="Re: RE: Balas: Tagihan [INC20261207000042]"))
    assert again["Subject"] == "Re: Tagihan [INC20261207000042]"
    assert mail["To"].addresses[0] == Address("Siti Nurhaliza Ñ", addr_spec="budi@example.com")


# What people type: any letters, digits, punctuation, symbols (emoji) and spaces, in lines.
_TYPED = st.text(st.characters(categories=("L", "N", "P", "S", "Zs")), max_size=40)


def _squeezed(name: str) -> str:
    return "".join(name.split())


@settings(max_examples=40, deadline=None)
@given(text=st.lists(_TYPED, max_size=6).map("\n".join), subject=_TYPED, agent=_TYPED,
       customer=_TYPED)
def test_whatever_people_type_reads_back_the_same(text: str, subject: str, agent: str,
                                                   customer: str) -> None:
    """Any script, emoji, quotes or commas in a name or subject survive the encoding a
    mail client decodes (RFC 2047 words, quoted display names), and the text its part."""
    mail = reply_message(a_reply(text=text, subject=subject, agent_name=agent or None,
                                 customer_name=customer or None, files=()))
    back = message_from_bytes(bytes(mail), policy=policy.default)
    assert bare_subject(subject) in back["Subject"]
    # Compared without spaces: the bytes are right, but Python's parser (not a mail client)
    # keeps the space between two adjacent encoded words, which RFC 2047 6.2 says to drop.
    shown = f"{agent} via Support" if agent else "Support"
    assert _squeezed(back["From"].addresses[0].display_name) == _squeezed(shown)
    assert _squeezed(back["To"].addresses[0].display_name) == _squeezed(customer)
    assert back.get_body(("plain",)).get_content().rstrip("\n") == text.rstrip("\n")


def test_starttls_when_the_server_offers_it_and_the_password_only_after(
        cert: Certificate, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with smtp_server(starttls=cert, users={"desk": PASSWORD}) as server:
        url = f"smtp://desk:{QUOTED}@{HOST}:{server.port}"
        assert PASSWORD not in repr(SmtpUrl.parse(url))
        sent = send(url, reply_message(a_reply()), tls_context=cert.client_context())
    assert sent.error is None and server.logins == ["desk"]
    assert server.kept[0].over_tls


def test_a_server_that_does_not_offer_a_required_starttls_gets_nothing() -> None:
    with smtp_server() as server:
        sent = send(f"smtp://{HOST}:{server.port}?starttls=required", reply_message(a_reply()))
    assert sent.error is not None and "STARTTLS" in sent.error and server.kept == []


def test_tls_from_the_first_byte(cert: Certificate) -> None:
    with smtp_server(tls=cert, users={"desk": PASSWORD}) as server:
        url = f"smtps://desk:{QUOTED}@{HOST}:{server.port}"
        sent = send(url, reply_message(a_reply()), tls_context=cert.client_context())
    assert sent.error is None and server.kept[0].over_tls and server.logins == ["desk"]


def test_a_permanent_refusal_carries_the_servers_words_and_a_busy_server_is_retried() -> None:
    with smtp_server() as server:
        server.refuse["budi@example.com"] = "550 5.1.1 <budi@example.com>: no such user"
        gone = send(f"smtp://{HOST}:{server.port}", reply_message(a_reply()))
        server.refuse["budi@example.com"] = "451 4.7.1 greylisted, try again later"
        busy = send(f"smtp://{HOST}:{server.port}", reply_message(a_reply()))
    assert gone == Sent("550 5.1.1 <budi@example.com>: no such user", permanent=True)
    assert busy == Sent("451 4.7.1 greylisted, try again later", permanent=False)
    assert server.kept == []


def test_the_password_stays_out_of_errors_and_logs(
        cert: Certificate, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with smtp_server(tls=cert, users={"desk": "another"}) as server:
        wrong = send(f"smtps://desk:{QUOTED}@{HOST}:{server.port}", reply_message(a_reply()),
                     tls_context=cert.client_context())
    with smtp_server(users={"desk": PASSWORD}, auth_over_plain=True) as plain:
        clear = send(f"smtp://desk:{QUOTED}@{HOST}:{plain.port}", reply_message(a_reply()))
    assert wrong.permanent and wrong.error is not None and wrong.error.startswith("535")
    assert clear.permanent and "not sent unencrypted" in (clear.error or "")
    assert plain.logins == [] and plain.kept == []  # the password never went over plain text
    ours = [r.getMessage() for r in caplog.records]  # giliran, aiosmtplib, the server
    for text in (wrong.error or "", clear.error or "", *ours):
        assert PASSWORD not in text and QUOTED not in text


def test_an_address_in_utf8_goes_to_a_server_that_takes_it_and_fails_at_one_that_cannot(
        ) -> None:
    reply = a_reply(customer="bùdi@contoh.example", files=())
    with smtp_server() as server:
        sent = send(f"smtp://{HOST}:{server.port}", reply_message(reply))
    with smtp_server(smtputf8=False) as old:
        refused = send(f"smtp://{HOST}:{old.port}", reply_message(reply))
    assert sent.error is None and server.kept[0].rcpt_tos == ("bùdi@contoh.example",)
    assert refused.permanent and "SMTPUTF8" in (refused.error or "") and old.kept == []


def test_a_server_that_does_not_answer_or_is_not_there_is_retried() -> None:
    with socket.socket() as silent:  # accepts connections, never greets
        silent.bind((HOST, 0))
        silent.listen()
        mute = send(f"smtp://{HOST}:{silent.getsockname()[1]}", reply_message(a_reply()),
                    timeout=0.5)
    nobody = send(f"smtp://{HOST}:{free_port()}", reply_message(a_reply()), timeout=2)
    assert mute.error is not None and not mute.permanent
    assert nobody.error is not None and not nobody.permanent


@pytest.mark.parametrize("url", ["http://host", "smtp://", "smtps://h:99999",
                                 "smtps://u:p@h?starttls=required", "smtp://h?starttls=maybe"])
def test_a_bad_url_is_refused_without_quoting_it(url: str) -> None:
    with pytest.raises(ValueError) as refused:
        SmtpUrl.parse(url.replace("u:p", "u:secret"))
    assert "secret" not in str(refused.value)


def test_default_ports() -> None:
    assert (SmtpUrl.parse("smtp://relay").port, SmtpUrl.parse("smtps://relay").port) == (587, 465)
    assert SmtpUrl.parse("smtp://relay:25?starttls=required").starttls is True
