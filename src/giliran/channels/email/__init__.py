"""Email as a channel: mailboxes that receive mail (IMAP, an SMTP listener, an inbound-mail
provider's HTTP post), thread it into tickets and answer it over SMTP."""

from giliran.channels.email.channel import Email

CHANNEL = Email()
