"""The courier: in every server process, sends what the notices outbox holds on each channel
(agents' Telegram notices, replies to customers on Telegram and WhatsApp). A notice that fails
is retried with backoff, so a channel's outage delays messages and never loses them; leases
keep two processes from sending the same one. A notice carrying a file (an agent's attachment)
reads it from the outgoing files, where it was kept before the notice was written."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from giliran.channels.port import ChannelClient
from giliran.domain.notices import Notice
from giliran.entrypoints.scheduler import OutboxLoop, Runs
from giliran.service.context import Context
from giliran.service.notices import notify
from giliran.service.notices.notify import Sent
from giliran.service.ports.files import OutgoingFiles

log = logging.getLogger("giliran.courier")
MAX_ATTEMPTS = 10  # for a channel this server has no setting for


class Courier(OutboxLoop):
    NAME = "giliran-courier"

    def __init__(self, ctx: Context, senders: Mapping[str, ChannelClient], run_write: Runs,
                 run_read: Runs, interval: float, max_attempts: Mapping[str, int], *,
                 files: OutgoingFiles | None = None) -> None:
        super().__init__(interval)
        self._ctx = ctx
        self._senders = dict(senders)
        self._run_write = run_write
        self._run_read = run_read
        self._max_attempts = dict(max_attempts)  # per channel
        self._files = files

    async def run_once(self) -> int:
        found = await self._run_read(notify.backlog, self._ctx)
        self.listening = found.listening
        if not found.due:
            return 0
        await self._run_write(notify.fan_out, self._ctx)
        due = await self._run_write(notify.claim, self._ctx, self.BATCH)
        chats: dict[tuple[str, str], list[Notice]] = {}
        for notice in due:
            chats.setdefault((notice.channel, notice.chat_id), []).append(notice)
        await asyncio.gather(*(self._send_in_order(notices) for notices in chats.values()))
        return len(due)

    async def _send_in_order(self, notices: list[Notice]) -> None:
        """One chat's notices one after another, so a person reads them in the order they
        happened; different chats in parallel."""
        for notice in notices:
            sender = self._senders.get(notice.channel)
            sent = (await self._attempt(sender, notice) if sender is not None else
                    Sent(f"this server does not send on {notice.channel}"))
            if sent.error is not None:
                log.warning("%s notice %d not sent: %s", notice.channel, notice.id, sent.error)
            await self._run_write(notify.record, self._ctx, notice.id, sent,
                                  self._max_attempts.get(notice.channel, MAX_ATTEMPTS))

    async def _attempt(self, sender: ChannelClient, notice: Notice) -> Sent:
        if notice.media is None:
            return await sender.send(notice)
        data = (await asyncio.to_thread(self._files.get, notice.media.key)
                if self._files is not None else None)
        if data is None:  # nothing can bring it back: trying again would only wait
            return Sent("the file to send is no longer kept", permanent=True)
        return await sender.send_media(notice, data)
