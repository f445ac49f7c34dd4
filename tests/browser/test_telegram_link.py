"""Linking Telegram from the agent's dashboard, end to end: the page shows a one-time code, the
agent sends it to the bot (a fake Bot API server on loopback), and assignments then arrive in
Telegram with their buttons.

The module's tests share one server and one fake Bot API: each links a chat of its own, and
its agents go offline when it ends, so the next test's ticket comes to the next test's agent."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from giliran.channels.telegram.fake import FakeTelegram
from tests.browser.conftest import Floor, serving
from tests.browser.inbox_floor import agents_of_a_test
from tests.support.e2e_server import API, wait_until
from tests.support.server import ServerProcess

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]
SECRET = "browser-telegram-secret-0123"
SARIS_CHAT = 5150
DEWIS_CHAT = 5151


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram() as started:
        yield started


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory,
           fake: FakeTelegram) -> Iterator[ServerProcess]:
    """This module's server has a Telegram bot (the other browser tests' has none)."""
    env = {"GILIRAN_TELEGRAM_BOT_TOKEN": fake.token, "GILIRAN_TELEGRAM_API_URL": fake.url,
           "GILIRAN_TELEGRAM_WEBHOOK_SECRET": SECRET}
    where = tmp_path_factory.mktemp("telegram-link")
    with serving(where, env) as started:
        yield started
    assert fake.token not in (where / "server.log").read_text()


@pytest.fixture
def agents(floor: Floor) -> Iterator[Any]:
    with agents_of_a_test(floor) as make:
        yield make


def test_an_agent_links_telegram_from_the_dashboard(
    floor: Floor, agents: Any, open_tab: Any, fake: FakeTelegram, server: ServerProcess
) -> None:
    sari = agents("Sari")
    tab = open_tab("/", user=sari)
    page = tab.page
    section = page.locator("#telegram")
    expect(section).to_be_visible()
    expect(section).to_contain_text("link your chat once")
    page.get_by_role("button", name="Link Telegram").click()
    expect(page.locator("#telegram-code")).to_contain_text(re.compile(r"Send /start [0-9A-F]{10}"))
    command = re.search(r"/start [0-9A-F]{10}", page.locator("#telegram-code").inner_text())
    assert command is not None

    # The agent sends the code to the bot; Telegram POSTs the update to giliran's webhook.
    answer = httpx.post(f"{server.base_url}{API}/webhooks/telegram",
                        json=fake.message(SARIS_CHAT, command.group(0)),
                        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
    assert answer.status_code == 200
    wait_until(lambda: fake.sent_to(SARIS_CHAT), timeout=20, what="the bot's answer")
    assert fake.sent_to(SARIS_CHAT)[0].startswith("🔗 This chat is now linked to agent Sari.")

    page.reload()
    expect(page.locator("#telegram-linked")).to_be_visible()
    expect(page.locator("#telegram-unlinked")).to_be_hidden()
    ticket = floor.ticket("Refund please")
    expect(page.locator("#queue-list > li", has_text="Refund please")).to_be_visible()
    wait_until(lambda: len(fake.sent_to(SARIS_CHAT)) == 2, timeout=20, what="the assignment notice")
    assert fake.sent_to(SARIS_CHAT)[1].startswith(
        f"🎫 New ticket added to your queue!\nTicket: {ticket['number']}")
    tab.assert_clean()



def test_an_agent_whose_page_is_in_indonesian_is_answered_in_indonesian(
    agents: Any, open_tab: Any, fake: FakeTelegram, server: ServerProcess
) -> None:
    """Dewi never chose a language for her notices; her page is in Indonesian, so the bot
    confirms the link in Indonesian, though her Telegram speaks English."""
    dewi = agents("Dewi")
    page = open_tab("/", user=dewi, locale="id-ID").page
    page.get_by_role("button", name="Hubungkan Telegram").click()
    expect(page.locator("#telegram-code")).to_contain_text(re.compile(r"/start [0-9A-F]{10}"))
    command = re.search(r"/start [0-9A-F]{10}", page.locator("#telegram-code").inner_text())
    assert command is not None
    answer = httpx.post(f"{server.base_url}{API}/webhooks/telegram",
                        json=fake.message(DEWIS_CHAT, command.group(0), language_code="en"),
                        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
    assert answer.status_code == 200
    wait_until(lambda: fake.sent_to(DEWIS_CHAT), timeout=20, what="the bot's answer")
    assert fake.sent_to(DEWIS_CHAT)[0].startswith("🔗 Chat ini sekarang terhubung ke agen Dewi.")
    expect(page.locator("#notice-language")).to_have_value("id")
