"""The agent's page across a server restart: it says it lost the connection, comes back by
itself, and shows what happened meanwhile (it resumes the event stream and re-reads)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Floor
from tests.support.server import ServerProcess

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]


def test_the_page_comes_back_after_the_server_restarts(
    server: ServerProcess, floor: Floor, open_tab: Any
) -> None:
    sari = floor.agent("Sari", max_tickets=3)
    floor.ticket("Before the restart")
    tab = open_tab("/", user=sari)
    page = tab.page
    expect(page.locator("#queue-list > li", has_text="Before the restart")).to_be_visible()
    expect(page.locator("#live")).to_have_text("Live")
    page.evaluate("window.__marker = 'no reload'")

    server.stop()
    expect(page.locator("#live")).to_have_text("Connection lost, reconnecting…")
    server.start()  # the same port and database
    floor.ticket("After the restart")
    expect(page.locator("#live")).to_have_text("Live", timeout=20_000)
    expect(page.locator("#queue-list > li", has_text="After the restart")).to_be_visible()
    expect(page.locator("#queue-title")).to_have_text("My ticket queue (2/3)")
    assert page.evaluate("window.__marker") == "no reload"
    # While the server was down the browser logged refused connections; nothing else.
    tab.assert_clean("WebSocket connection to", "ERR_CONNECTION_REFUSED")
