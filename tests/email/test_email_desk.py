"""Email end to end, on a real `giliran serve` (SQLite and PostgreSQL), a real Dovecot the
tests start, and a local SMTP server that catches what giliran sends:

- a customer's mail read over IMAP (IDLE, and polling) opens a ticket, titled by its subject,
  assigned to the agent online;
- the agent's reply leaves as mail in the thread (From with the agent's name, Reply-To with
  the token, In-Reply-To, References, `Re: … [INC…]`), and the customer's answer to it lands
  in the same ticket even though their client rewrote In-Reply-To;
- a new subject from the same sender is a new ticket; an out-of-office opens none; a bounce
  of the reply shows the reply as failed with the server's words;
- an attachment opens from the kept original, and the original downloads;
- the SMTP listener takes mail from `smtplib`, and a provider's signed post is taken in too;
- a server killed while it reads 30 waiting mails, then started again, ends with 30 tickets:
  nothing lost, nothing twice.
"""

from __future__ import annotations

import hashlib
import hmac
import smtplib
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest

from tests.email.dovecot import Dovecot
from tests.email.smtp_capture import Capture, free_port, smtp_server
from tests.support.e2e_server import API, log_tail, logged_errors, running_server, wait_until
from tests.support.server import ADMIN_TOKEN

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
SECRET = "inbound-secret-for-tests-0123"
DESK = "support@desk.example"
WAIT = 30.0


def mail(sender: str, subject: str, text: str, *, to: str = DESK, name: str = "Ana",
         in_reply_to: str | None = None, references: str | None = None,
         headers: dict[str, str] | None = None,
         attachment: tuple[str, str, bytes] | None = None) -> tuple[bytes, str]:
    msg = EmailMessage()
    msg["From"] = f"{name} <{sender}>"
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime.now(UTC))
    mid = make_msgid(domain=sender.partition("@")[2])
    msg["Message-ID"] = mid
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = references
    for key, value in (headers or {}).items():
        msg[key] = value
    msg.set_content(text)
    if attachment:
        file_name, mime, data = attachment
        maintype, _, subtype = mime.partition("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=file_name)
    return msg.as_bytes(), mid.strip("<>")


class Desk:
    def __init__(self, http: httpx.Client) -> None:
        self.http = http

    def ok(self, method: str, path: str, token: str = ADMIN_TOKEN, **kw: Any) -> Any:
        r = self.http.request(method, path, headers={"Authorization": f"Bearer {token}"}, **kw)
        assert r.status_code < 300, f"{method} {path} -> {r.status_code} {r.text}"
        return r.json() if r.headers.get("content-type", "").startswith("application/json") \
            else r.content

    def tickets(self, queue: str) -> list[dict[str, Any]]:
        return list(self.ok("GET", "/tickets", params={"queue": queue, "limit": 500})["items"])

    def messages(self, ticket_id: int) -> list[dict[str, Any]]:
        return list(self.ok("GET", f"/tickets/{ticket_id}/messages",
                            params={"limit": 200})["items"])

    def ticket_titled(self, queue: str, title: str) -> dict[str, Any] | None:
        return next((t for t in self.tickets(queue) if t["title"] == title), None)


@pytest.fixture
def folder() -> str:
    return f"e2e-{uuid4().hex[:8]}"


@pytest.fixture
def outbox() -> Iterator[Capture]:
    with smtp_server() as capture:
        yield capture


def _env(outbox: Capture, listen: int | None = None) -> dict[str, str]:
    env = {"GILIRAN_TICK_SECONDS": "0.1", "GILIRAN_PRESENCE_GRACE_SECONDS": "0",
           "GILIRAN_SMTP_URL": f"smtp://127.0.0.1:{outbox.port}",
           "GILIRAN_EMAIL_INBOUND_SECRET": SECRET}
    if listen is not None:
        env["GILIRAN_SMTP_LISTEN"] = f"127.0.0.1:{listen}"
    return env


def _mailbox(desk: Desk, dovecot: Dovecot, folder: str, queue: str, *, idle: bool = True,
             address: str = DESK) -> dict[str, Any]:
    return dict(desk.ok("POST", "/mailboxes", json={
        "address": address, "queue": queue, "name": "Support",
        "imap_host": dovecot.host, "imap_port": dovecot.port, "imap_security": "none",
        "imap_user": "spare", "imap_password": dovecot.password, "imap_folder": folder,
        "imap_idle": idle, "poll_seconds": 5}))


def test_a_mail_thread_end_to_end(database_url: str, tmp_path: Path, dovecot: Dovecot,
                                  folder: str, outbox: Capture) -> None:
    log = tmp_path / "server.log"
    listen = free_port()
    with running_server(database_url, log, workers=2, env=_env(outbox, listen)) as server, \
            httpx.Client(base_url=server.base_url + API, timeout=30) as http:
        desk = Desk(http)
        desk.ok("POST", "/queues", json={"name": "support"})
        agent = desk.ok("POST", "/agents", json={"name": "Dewi", "queues": ["support"]})
        desk.ok("POST", "/agent/go-online", agent["token"])
        box = _mailbox(desk, dovecot, folder, "support")
        assert "imap_password" not in box and box["imap_password_set"] is True

        # A customer's mail, read over IMAP (IDLE), opens a ticket titled by its subject.
        first, first_id = mail("ana@example.com", "Printer is broken", "It prints nothing.\n")
        dovecot.deliver(first, user="spare", folder=folder)
        ticket = wait_until(lambda: desk.ticket_titled("support", "Printer is broken"),
                            timeout=WAIT, what="the mail's ticket")
        assert ticket["assigned_agent_id"] == agent["id"]
        tid = ticket["id"]

        # The agent's reply leaves as mail in the thread.
        desk.ok("POST", f"/tickets/{tid}/messages", agent["token"],
                json={"text": "Which model is it?"})
        def reply_to_customer() -> list[Any] | None:
            return [m for m in outbox.kept if m.message["Auto-Submitted"] is None] or None

        sent = wait_until(reply_to_customer, timeout=WAIT, what="the reply at the SMTP server")
        reply = sent[0].message
        assert sent[0].rcpt_tos == ("ana@example.com",)
        # Before it, giliran's own acknowledgement, marked automatic (RFC 3834) so that the
        # customer's out-of-office does not answer it.
        ack = next(m.message for m in outbox.kept if m.message["Auto-Submitted"])
        assert ack["Auto-Submitted"] == "auto-replied"
        assert ticket["number"] in ack.get_body(("plain",)).get_content()
        assert reply["From"].addresses[0].addr_spec == DESK
        assert "Dewi" in reply["From"].addresses[0].display_name
        token_address = reply["Reply-To"].addresses[0].addr_spec
        assert token_address.startswith("support+") and token_address.endswith("@desk.example")
        assert reply["In-Reply-To"] == f"<{first_id}>"
        assert f"<{first_id}>" in reply["References"]
        assert reply["Subject"] == f"Re: Printer is broken [{ticket['number']}]"
        assert reply.get_body(("plain",)).get_content().strip() == "Which model is it?"
        assert reply.get_body(("html",)) is not None
        ours = reply["Message-ID"].strip("<>")

        # A file the agent attaches leaves as the mail's attachment, with its caption.
        sent_file = http.post(f"/tickets/{tid}/messages",
                              headers={"Authorization": f"Bearer {agent['token']}"},
                              data={"text": "The repair form"},
                              files={"file": ("form.pdf", b"%PDF-1.4 repair form",
                                              "application/pdf")})
        assert sent_file.status_code == 201, sent_file.text
        with_file = wait_until(lambda: [m.message for m in outbox.kept
                                        if m.message.get_body(("plain",)) is not None
                                        and "repair form" in m.message.get_body(
                                            ("plain",)).get_content()] or None,
                               timeout=WAIT, what="the agent's file as mail")[0]
        files = [(p.get_filename(), p.get_content_type(), p.get_content())
                 for p in with_file.iter_attachments()]
        assert files == [("form.pdf", "application/pdf", b"%PDF-1.4 repair form")]
        assert with_file["In-Reply-To"] == f"<{first_id}>"

        # The customer answers from a client that rewrote In-Reply-To; the token finds the
        # ticket. The attachment comes with it.
        answer, _ = mail("ana@example.com", "RE: " + reply["Subject"], "A Laserjet 4.\n",
                         to=token_address, in_reply_to="<AM0PR01MB1234@outlook.example>",
                         attachment=("label.png", "image/png", b"\x89PNG fake label"))
        dovecot.deliver(answer, user="spare", folder=folder)
        thread = wait_until(lambda: [m for m in desk.messages(tid)
                                     if m["kind"] == "image"] or None,
                            timeout=WAIT, what="the answer and its attachment in the ticket")
        texts = [m["body"] for m in desk.messages(tid)]
        assert sum("Laserjet" in t for t in texts) == 1  # two workers read it: kept once
        answered = next(m for m in desk.messages(tid) if "Laserjet" in m["body"])
        assert answered["content"]["threaded_by"] == "token"  # the "why", kept
        assert answered["content"]["subject"].startswith("RE: Re: Printer is broken")
        assert sum("prints nothing" in t for t in texts) == 1
        picture = desk.ok("GET", f"/tickets/{tid}/messages/{thread[0]['id']}/media",
                          agent["token"])
        assert picture == b"\x89PNG fake label"
        original = desk.ok("GET", f"/tickets/{tid}/messages/{thread[0]['id']}/original",
                           agent["token"])
        assert b"Laserjet" in original and b"AM0PR01MB1234" in original

        # A new subject from the same sender is a new ticket; an out-of-office opens none.
        other, _ = mail("ana@example.com", "Invoice for November", "Please send it.\n")
        ooo, _ = mail("budi@example.com", "Out of office", "I am away until Monday.\n",
                      name="Budi", headers={"Auto-Submitted": "auto-replied"})
        dovecot.deliver(ooo, user="spare", folder=folder)
        dovecot.deliver(other, user="spare", folder=folder)
        wait_until(lambda: desk.ticket_titled("support", "Invoice for November"),
                   timeout=WAIT, what="the new subject's ticket")
        titles = [t["title"] for t in desk.tickets("support")]
        assert "Out of office" not in titles and titles.count("Printer is broken") == 1

        # A bounce of the reply shows it as failed, with the server's words.
        dovecot.deliver(_bounce(ours, "ana@example.com"), user="spare", folder=folder)
        failed = wait_until(lambda: [m for m in desk.messages(tid)
                                     if m.get("state") == "failed"] or None,
                            timeout=WAIT, what="the bounced reply shown as failed")
        assert "mailbox unavailable" in (failed[0].get("error") or "")

        # The SMTP listener, from smtplib.
        listened, _ = mail("cici@example.com", "Order 5521 late", "Where is it?\n", name="Cici")
        with smtplib.SMTP("127.0.0.1", listen, timeout=10) as smtp:
            assert smtp.sendmail("cici@example.com", [DESK], listened) == {}
        with smtplib.SMTP("127.0.0.1", listen, timeout=10) as smtp, \
                pytest.raises(smtplib.SMTPRecipientsRefused):
            smtp.sendmail("cici@example.com", ["nobody@elsewhere.example"], listened)
        wait_until(lambda: desk.ticket_titled("support", "Order 5521 late"), timeout=WAIT,
                   what="the listened mail's ticket")

        # An inbound-mail provider's signed post; a wrong signature changes nothing.
        posted, _ = mail("dian@example.com", "Refund please", "Order 7781.\n", name="Dian")
        signature = "sha256=" + hmac.new(SECRET.encode(), posted, hashlib.sha256).hexdigest()
        bad = http.post("/channels/email/webhook", content=posted,
                        headers={"X-Giliran-Signature": "sha256=" + "0" * 64})
        assert bad.status_code == 403 and bad.json()["error"]["code"] == "bad_signature"
        good = http.post("/channels/email/webhook", content=posted,
                         headers={"X-Giliran-Signature": signature})
        assert good.status_code == 200 and good.json() == {"taken": ["opened"]}
        assert desk.ticket_titled("support", "Refund please") is not None
        again = http.post("/channels/email/webhook", content=posted,
                          headers={"X-Giliran-Signature": signature})
        assert again.json() == {"taken": ["duplicate"]}

        assert not logged_errors(log), log_tail(log)


def test_a_polled_mailbox_and_a_restart_mid_fetch_lose_and_repeat_nothing(
        database_url: str, tmp_path: Path, dovecot: Dovecot, folder: str,
        outbox: Capture) -> None:
    """30 mails wait in a polled folder; the server is killed (SIGKILL) once it has taken some
    in, and started again: every mail is one ticket, none twice."""
    count = 30
    for n in range(count):
        raw, _ = mail(f"lead{n}@example.com", f"Lead {n:02d}", f"Hello {n}\n", name=f"Lead {n}")
        dovecot.deliver(raw, user="spare", folder=folder)
    log = tmp_path / "server.log"
    with running_server(database_url, log, workers=1, env=_env(outbox)) as server, \
            httpx.Client(base_url=server.base_url + API, timeout=30) as http:
        desk = Desk(http)
        desk.ok("POST", "/queues", json={"name": "leads"})
        _mailbox(desk, dovecot, folder, "leads", idle=False)
        taken = wait_until(lambda: (lambda n: n if n >= 3 else None)(len(desk.tickets("leads"))),
                           timeout=WAIT, what="the first mails taken in")
        server.crash()
        assert taken < count, "the server was to be killed while it was still reading"
        server.start()
        titles = wait_until(lambda: (lambda found: found if len(found) >= count else None)(
            [t["title"] for t in desk.tickets("leads")]), timeout=WAIT * 2,
            what="every waiting mail as a ticket after the restart")
        assert sorted(titles) == [f"Lead {n:02d}" for n in range(count)]
        with dovecot.client("spare") as imap:  # mail stays on the server
            imap.select_folder(folder, readonly=True)
            assert len(imap.search()) == count


def _bounce(original_id: str, recipient: str) -> bytes:
    """A Postfix-style delivery status notification (RFC 3464) for one of giliran's mails."""
    boundary = "B0UNCE"
    return (
        "From: MAILER-DAEMON@mx.example.com (Mail Delivery System)\r\n"
        f"To: {DESK}\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        f"Message-ID: <bounce.{uuid4().hex}@mx.example.com>\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"'
        "\r\n\r\n"
        f"--{boundary}\r\nContent-Type: text/plain\r\n\r\n"
        "I'm sorry to have to inform you that your message could not be delivered.\r\n"
        f"--{boundary}\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.com\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\n"
        "Action: failed\r\nStatus: 5.2.1\r\n"
        "Diagnostic-Code: smtp; 550 5.2.1 mailbox unavailable\r\n"
        f"--{boundary}\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: <{original_id}>\r\nFrom: {DESK}\r\nTo: {recipient}\r\n"
        f"--{boundary}--\r\n").encode()
