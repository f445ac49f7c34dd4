"""The console's ticket rows as a supervisor uses them: one line per ticket, its moves in its
"Actions" menu, and the ticket's page beside the list."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect


def ticket_row(page: Page, number: str) -> Any:
    """A ticket's line (and the line below it that shows a refusal)."""
    return page.locator("#tickets tbody", has_text=number)


def row_action(page: Page, number: str, item: str) -> None:
    """Choose `item` (its accessible name, "Reassign INC…") in the ticket's menu."""
    ticket_row(page, number).get_by_role("button", name=f"Actions for {number}").click()
    menu = page.get_by_role("menu", name=f"Actions for {number}")
    expect(menu).to_be_visible()
    menu.get_by_role("menuitem", name=item, exact=True).click()


def row_priority(page: Page, number: str, label: str) -> None:
    """Give the ticket another priority from its menu ("Urgent", "High"...)."""
    ticket_row(page, number).get_by_role("button", name=f"Actions for {number}").click()
    page.get_by_role("menu", name=f"Actions for {number}").get_by_role(
        "menuitemradio", name=label, exact=True).click()


def panel(page: Page) -> Any:
    """The ticket's page beside the list."""
    return page.locator("#conversation")
