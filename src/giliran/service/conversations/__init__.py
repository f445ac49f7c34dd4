"""Conversations: customers' messages in from a channel, the desk's replies out, and the bot's
side of an agent's chat.

- `channels`: a customer's message opens or joins a ticket; the channels' reports
- `conversation`: replies, the whole conversation, who the customer is, their media
- `chat`: what a message or a pressed button in an agent's linked chat does
- `chat_links`: linking an agent's own chat with a one-time code; unlinking
- `failures`: replies that failed and are not resolved (the inbox's marker, the supervisors'
  list), and sending a failed reply again
"""
