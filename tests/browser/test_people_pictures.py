"""Pictures of People in the console, in both languages on a laptop and a phone: each
language on a server of its own, so the list holds only the people it shows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, Floor, no_horizontal_overflow

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]
WIDE = {"width": 1440, "height": 900}


@pytest.mark.parametrize("locale", ["en-US", "id-ID"])
def test_pictures_of_people(
    floor: Floor, open_tab: Any, screenshots: Path, locale: str,
) -> None:
    floor.person("Dewi Lestari", "supervisor")
    floor.person("Bayu Santoso", "admin")
    floor.agent("Joko Widodo", online=False)
    floor.call("DELETE", f"/users/{floor.person('Eko Prasetyo', 'agent')['id']}")
    for viewport, suffix in ((WIDE, ""), (PHONE, "-phone")):
        tab = open_tab("/admin/people", user=floor.admin, locale=locale, viewport=viewport)
        section = tab.page.locator("#users-section")
        expect(section.locator("tbody tr", has_text="Eko Prasetyo")).to_be_visible()
        assert no_horizontal_overflow(tab.page)
        section.screenshot(path=screenshots / f"people-{locale[:2]}{suffix}.png")
        tab.assert_clean()
