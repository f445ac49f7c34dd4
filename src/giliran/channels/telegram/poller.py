"""Telegram in a server process: handling an update (from the webhook or a poll), and, without
a webhook, the long-polling loop that reads the bot's updates (development mode)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from datetime import timedelta

from giliran.adapters.metrics import unknown_message
from giliran.channels.port import Runs
from giliran.channels.telegram.bot import TelegramBot
from giliran.domain.conversation import TELEGRAM, Kind
from giliran.domain.errors import GiliranError
from giliran.service.context import Context
from giliran.service.conversations import chat
from giliran.service.conversations.channels import Outcome
from giliran.service.conversations.chat import ButtonPress, ChatMessage

log = logging.getLogger("giliran.telegram")
POLL_LEASE = timedelta(seconds=90)  # longer than one long poll, renewed before each


async def handle(ctx: Context, bot: TelegramBot, run_write: Runs,
                 update: ChatMessage | ButtonPress, queue: str) -> bool:
    """One update, from the webhook or a poll. An update the rules refuse is logged and
    dropped (False), so it cannot block the updates behind it; any other failure (the database
    is down) propagates, and the update comes again."""
    try:
        if isinstance(update, ChatMessage):
            outcome = await run_write(chat.on_message, ctx, update, queue)
            if update.kind is Kind.UNKNOWN and outcome not in (None, Outcome.DUPLICATE):
                unknown_message(TELEGRAM, str(update.content.get("type")))
        else:
            answer = await run_write(chat.on_button, ctx, update)
            await bot.answer_button(update.callback_id, answer)
    except GiliranError as exc:
        log.warning("telegram update %d refused: %s (%s)", update.update_id, exc.code, exc)
        return False
    return True


class Poller:
    """Long polling, for a bot with no public webhook URL. Of all the processes and replicas,
    the one holding a lease in the database polls (Telegram refuses two pollers); the offset is
    stored, and every update is safe to handle twice, so a crash mid-batch loses nothing."""

    def __init__(self, ctx: Context, bot: TelegramBot, run_write: Runs, queue: str,
                 retry_seconds: float = 5.0) -> None:
        self._ctx = ctx
        self._bot = bot
        self._run_write = run_write
        self._queue = queue
        self._retry = retry_seconds
        self._owner = f"{socket.gethostname()}:{os.getpid()}"
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="giliran-telegram-poller")

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            self._task.cancel()  # a long poll may be waiting for up to its timeout
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                polled = await self.poll_once()
            except Exception as exc:
                log.warning("telegram polling failed (%s); retrying in %.0f s",
                            type(exc).__name__, self._retry)
                polled = False
            if not polled:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), self._retry)

    async def poll_once(self, timeout: int | None = None) -> bool:
        """False when another process holds the lease."""
        offset = await self._run_write(chat.hold_poller, self._ctx, self._owner, POLL_LEASE)
        if offset is None:
            return False
        for update_id, update in await self._bot.updates(offset, timeout):
            if update is not None:
                await handle(self._ctx, self._bot, self._run_write, update, self._queue)
            await self._run_write(chat.polled, self._ctx, update_id + 1)
        return True
