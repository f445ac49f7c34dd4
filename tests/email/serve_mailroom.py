"""`giliran` with the tests' mailroom channel registered (email's mailboxes before the channel
itself is): `python -m tests.email.serve_mailroom serve ...` (one worker)."""

from giliran.channels import registry
from giliran.entrypoints.cli import main
from tests.email.mailbox_desk import Mailroom, email_registered

if not email_registered():
    registry.register(Mailroom())
main()
