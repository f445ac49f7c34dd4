"""WhatsApp, the Cloud API: its webhook, its wire format, sending and media (`fake.py` is the
tests' stand-in for Meta's Graph API; production code never imports it)."""

from giliran.channels.whatsapp.channel import WhatsApp

CHANNEL = WhatsApp()
