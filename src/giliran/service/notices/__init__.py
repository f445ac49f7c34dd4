"""Notices: what the desk tells people on their chat (Telegram, WhatsApp), through an outbox,
queued in the transaction of the change that calls for them.

- `notify`: queueing notices to agents and replies to customers; the senders' backlog
- `agent_notices`: what an event tells the agents it concerns
"""
