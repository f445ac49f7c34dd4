"""The email channel's own GILIRAN_* variables, read beside `giliran.config.Settings` (a
channel brings its settings; `giliran docs` lists them under the channel's name). Mailboxes
themselves (addresses, queues, IMAP and SMTP servers) live in the database
(`/api/v1/mailboxes`); these are the deployment's defaults and switches."""

from __future__ import annotations

import re

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_LISTEN = re.compile(r"^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$")


class EmailSettings(BaseSettings):
    """Every field is a GILIRAN_* variable; its docstring is its line in the reference."""

    model_config = SettingsConfigDict(env_prefix="GILIRAN_", extra="ignore",
                                      use_attribute_docstrings=True)

    email_enabled: bool = True
    """Read the mailboxes configured in the database and answer mail. Off: mail is neither
    fetched nor sent (replies to email tickets fail with a clear reason)."""
    smtp_url: SecretStr | None = None
    """The SMTP server replies leave through when a mailbox names none of its own:
    `smtp://host:587` (STARTTLS when the server offers it; `?starttls=required` to insist),
    `smtps://user:pass@host:465` (TLS from the start). Never shown or logged."""
    smtp_listen: str | None = None
    """`host:port` to receive mail over SMTP at (a desk's MX or relay points here); mail for
    addresses that are not a mailbox's is refused. Unset: no listener."""
    email_inbound_secret: SecretStr | None = None
    """The key an inbound-mail provider signs its posts to
    `/api/v1/channels/email/webhook` with (`X-Giliran-Signature: sha256=<HMAC of the body>`).
    Unset: that endpoint refuses everything."""
    email_max_attempts: int = Field(default=8, ge=1, le=100)
    """How often a reply is tried over SMTP before it shows as failed."""
    email_max_message_bytes: int = Field(default=25_000_000, ge=10_000, le=200_000_000)
    """The largest message the SMTP listener and the provider endpoint take (the endpoint is
    also bounded by GILIRAN_MAX_BODY_BYTES: raise both for providers that post large mail).
    Over IMAP every message is read: a mailbox provider has already taken it."""
    @field_validator("smtp_listen")
    @classmethod
    def _listen(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        found = _LISTEN.match(value.strip())
        if found is None or not 0 < int(found.group(2)) < 65536:
            raise ValueError("GILIRAN_SMTP_LISTEN is host:port, e.g. 0.0.0.0:2525")
        return value.strip()

    @property
    def listen_address(self) -> tuple[str, int] | None:
        if self.smtp_listen is None:
            return None
        host, _, port = self.smtp_listen.rpartition(":")
        return host.strip("[]"), int(port)
