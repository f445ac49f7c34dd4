"""The API documentation page in Chromium: Swagger UI from the package renders every
operation under its Content-Security-Policy, asks nothing of any other host, and offers the
bearer scheme for authorizing."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.support.server import ServerProcess

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]


def test_swagger_ui_renders_from_the_package_under_its_csp(
    open_tab: Any, server: ServerProcess
) -> None:
    requested: list[str] = []
    tab = open_tab("/api/v1/docs")
    tab.page.on("request", lambda r: requested.append(r.url))
    tab.page.reload()
    expect(tab.page.locator(".opblock-summary-path").first).to_be_visible()
    expect(tab.page.locator(".opblock")).to_have_count(
        len([op for path in tab.page.request.get(server.base_url + "/api/v1/openapi.json")
             .json()["paths"].values() for op in path]))
    expect(tab.page.locator("button.authorize")).to_be_visible()
    assert all(url.startswith(server.base_url) for url in requested), requested
    tab.assert_clean()
