"""Email's section of the console (the Queues view): the desk's mailboxes, to add, change and
deactivate, in English and Indonesian; served from here by the dashboard."""

from __future__ import annotations

from pathlib import Path

from giliran.channels.port import ConsoleSection

HERE = Path(__file__).parent
SECTION = ConsoleSection(name="email", folder=HERE, template="mailboxes.html",
                         script="mailboxes.js",
                         words={"en": HERE / "en.json", "id": HERE / "id.json"})
