"""Fixtures of the channel tests: a Telegram desk and a WhatsApp desk on the test database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from giliran.adapters.clock import FakeClock
from tests.support.desks import Bot, Desk, telegram_desk, whatsapp_desk


@pytest.fixture
def tg(database_url: str, clock: FakeClock) -> Iterator[Bot]:
    with telegram_desk(database_url, clock) as bot:
        yield bot


@pytest.fixture
def wa(database_url: str, clock: FakeClock) -> Iterator[Desk]:
    with whatsapp_desk(database_url, clock) as desk:
        yield desk
