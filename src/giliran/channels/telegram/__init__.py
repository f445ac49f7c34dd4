"""Telegram, a bot: its webhook and long polling, its wire format, sending, media, and the
agent-facing bot (`fake.py` is the tests' stand-in for the Bot API; production code never
imports it)."""

from giliran.channels.telegram.channel import Telegram

CHANNEL = Telegram()
