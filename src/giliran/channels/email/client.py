"""Email's client for the courier: an agent's reply (or giliran's own word to a customer) as a
mail in the ticket's thread, over the mailbox's SMTP server or the deployment's; and a
customer's attachment, read back out of the kept original when an agent opens it.

What a mail needs beyond the notice (the mailbox it answers from, the subject, the thread's
Message-IDs, the agent's name) is read from the database for each attempt, in a worker
thread. The reply's Message-ID is fixed by the message it carries, so an attempt retried
after a timeout that had in fact gone through is the same mail to the customer's client.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage

from giliran.adapters.channel import Media
from giliran.channels.email.compose import OutgoingFile, Reply, reply_message
from giliran.channels.email.intake import EMAIL
from giliran.channels.email.kept import KeptOriginals
from giliran.channels.email.mail import part_bytes
from giliran.channels.email.smtp import SmtpSender
from giliran.domain.conversation import Direction, split_contact
from giliran.domain.errors import ChannelUnavailable, TooLarge
from giliran.domain.notices import Notice
from giliran.service.context import Context
from giliran.service.notices.notify import Sent

log = logging.getLogger("giliran.email")


@dataclass(frozen=True)
class Outbound:
    """What a mailbox sends with."""

    address: str
    name: str | None
    smtp_url: str | None  # None: the deployment's GILIRAN_SMTP_URL
    thread_key: bytes


MailboxOf = Callable[[Context, str], Outbound | None]  # an active mailbox, by address


class EmailClient:
    def __init__(self, default_smtp: str | None, mailbox_of: MailboxOf) -> None:
        self._default = default_smtp
        self._mailbox_of = mailbox_of
        self._ctx: Context | None = None
        self._senders: dict[str, SmtpSender] = {}

    def bind(self, ctx: Context) -> None:
        """The server's context, once it is built (the courier starts after)."""
        self._ctx = ctx

    async def start(self) -> None: ...

    async def aclose(self) -> None: ...

    async def send(self, notice: Notice) -> Sent:
        return await self._send(notice, None)

    async def send_media(self, notice: Notice, data: bytes) -> Sent:
        return await self._send(notice, data)

    async def _send(self, notice: Notice, data: bytes | None) -> Sent:
        try:
            found = await asyncio.to_thread(self._compose, notice, data)
        except ChannelUnavailable as exc:
            return Sent(error=str(exc), permanent=True)
        if isinstance(found, str):
            return Sent(error=found, permanent=True)
        message, url = found
        sender = self._senders.get(url)
        if sender is None:
            sender = self._senders[url] = SmtpSender(url)
        return await sender.send(message)

    def _compose(self, notice: Notice, data: bytes | None) -> tuple[EmailMessage, str] | str:
        """The mail and the server it leaves through; a string says why it cannot be sent."""
        if self._ctx is None:
            raise ChannelUnavailable("the email channel is starting")
        with self._ctx.uow(write=False) as uow:
            ticket = uow.tickets.get(notice.ticket_id) if notice.ticket_id else None
            thread = uow.messages.for_ticket(ticket.id) if ticket is not None else []
            carried = uow.messages.get(notice.message_id) if notice.message_id else None
            agent = None
            if carried is not None and carried.author and carried.author.startswith("agent:"):
                agent = carried.sender
            customer = uow.customers.resolve(f"{EMAIL}:{notice.chat_id}")
        incoming = [m for m in thread if m.direction is Direction.IN and m.channel == EMAIL
                    and "#" not in m.external_id]
        mailbox_address = next((str(m.content["mailbox"]) for m in reversed(incoming)
                                if m.content.get("mailbox")), None) \
            or (customer.via if customer is not None else None)
        if mailbox_address is None:
            return "no mailbox to answer from: this customer never wrote to one"
        mailbox = self._mailbox_of(self._ctx, mailbox_address)
        if mailbox is None:
            return f"the mailbox {mailbox_address} is gone or deactivated"
        url = mailbox.smtp_url or self._default
        if url is None:
            return (f"no SMTP server for {mailbox.address}: set the mailbox's smtp_url or "
                    "GILIRAN_SMTP_URL")
        theirs = {m.id for m in incoming}
        ids = [m.external_id.partition(":")[2] if m.id in theirs else m.channel_message_id
               for m in thread if m.id in theirs
               or (m.direction is Direction.OUT and m.channel == EMAIL)]  # oldest first
        subject = next((str(m.content["subject"]) for m in incoming
                        if m.content.get("subject")), None) \
            or (ticket.title if ticket is not None else "")
        files: tuple[OutgoingFile, ...] = ()
        if data is not None and notice.media is not None:
            files = (OutgoingFile(notice.media.file_name, notice.media.mime_type, data),)
        seq = str(notice.message_id) if notice.message_id else f"n{notice.id}"
        reply = Reply(
            mailbox=mailbox.address, mailbox_name=mailbox.name, agent_name=agent,
            customer=split_contact(f"{EMAIL}:{notice.chat_id}")[1],
            customer_name=customer.name if customer is not None else None,
            ticket_id=ticket.id if ticket is not None else 0,
            ticket_number=ticket.number if ticket is not None else "",
            subject=subject, text=notice.text, seq=seq, key=mailbox.thread_key,
            at=self._ctx.clock.now(),
            in_reply_to=incoming[-1].external_id.partition(":")[2] if incoming else None,
            references=tuple(i for i in ids if i), files=files)
        message = reply_message(reply)
        if agent is None:  # giliran's own words (a ticket's number): RFC 3834
            message["Auto-Submitted"] = "auto-replied"
        return message, url

    async def fetch_media(self, media_id: str, cap: int) -> Media:
        """A customer's attachment: `<message-id>#<part>` out of the kept original."""
        message_id, _, index = media_id.rpartition("#")
        if self._ctx is None:
            raise ChannelUnavailable("the email channel is starting")
        raw = await asyncio.to_thread(KeptOriginals(self._ctx).raw, f"{EMAIL}:{message_id}")
        if raw is None or not index.isdigit():
            raise ChannelUnavailable("the original mail is not kept")
        data, mime_type, file_name = part_bytes(raw, int(index))
        if len(data) > cap:
            raise TooLarge(f"the file is over {cap} bytes")
        return Media(data, mime_type, file_name)
