"""People in the console (issue 22), in a real browser: an admin invites a supervisor (the
one-time password shown once, with a copy button), who signs in with it and chooses their own;
the admin changes their role, resets their password and deactivates them, and their page is
signed out. A person's own panel: their password and their other sessions. (Pictures of People:
test_people_pictures.py.)"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import (
    API,
    PASSWORD,
    SIGNED_OUT,
    Floor,
    serving,
    sign_in,
)
from tests.support.server import ServerProcess

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]
WIDE = {"width": 1440, "height": 900}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with serving(tmp_path_factory.mktemp("people")) as started:
        yield started


def person_row(page: Page, name: str) -> Any:
    return page.locator("#users tbody tr", has_text=name)


def test_an_admin_invites_changes_resets_and_deactivates(
    floor: Floor, open_tab: Any,
) -> None:
    floor.call("POST", "/queues", name="vip")
    admin = open_tab("/admin/people", user=floor.admin, viewport=WIDE)
    page = admin.page
    people = page.locator("#users-section")
    # The floor's queues are read late (a slow floor): the people list comes first, and the
    # invite dialog opened before them offers the queues once they arrive.
    held: list[Any] | None = []
    page.route(f"**{API}/queues",
               lambda route: held.append(route) if held is not None else route.continue_())
    page.reload()
    expect(person_row(page, "Ayu Admin")).to_contain_text("Admin")

    people.get_by_role("button", name="Invite someone").click()
    invite = page.locator("#invite-dialog")
    invite.get_by_label("Email").fill("rina@example.test")
    invite.get_by_label("Name").fill("Rina Kusuma")
    invite.get_by_label("Role").select_option("supervisor")
    expect(invite.get_by_label("vip")).to_have_count(0)
    waiting, held = held, None
    for route in waiting:
        route.continue_()
    invite.get_by_label("vip").check()  # the queues she supervises
    invite.get_by_role("button", name="Invite", exact=True).click()
    secret = page.locator("#user-secret-dialog")
    expect(secret).to_contain_text("Rina Kusuma is invited")
    shown = secret.get_by_label("One-time password")
    expect(shown).to_have_value(re.compile(r"^\S{10,}$"))
    one_time = shown.input_value()
    secret.get_by_role("button", name="Copy").click()
    expect(secret.locator("#user-secret-copied")).to_have_text("Copied.")
    secret.get_by_role("button", name="Done").click()
    expect(shown).to_have_value("")  # shown once: gone with the dialog
    rina = person_row(page, "Rina Kusuma")
    expect(rina).to_contain_text("rina@example.test")
    expect(rina.get_by_label("Role of Rina Kusuma")).to_have_value("supervisor")
    expect(rina).to_contain_text("Must choose a password")
    expect(rina).to_contain_text("Never")

    # The same email again is refused, readably.
    people.get_by_role("button", name="Invite someone").click()
    invite.get_by_label("Email").fill("RINA@example.test")
    invite.get_by_label("Name").fill("Rina Again")
    invite.get_by_role("button", name="Invite", exact=True).click()
    expect(invite.locator("#invite-error")).to_have_text("Someone already has this email.")
    invite.get_by_role("button", name="Cancel").click()

    # Rina signs in with it, chooses her own, and sees the console.
    hers = open_tab("/admin/people")
    sign_in(hers.page, "rina@example.test", one_time)
    hers.page.locator("#choose-new").fill("Melati-own-secret-7")
    hers.page.locator("#choose-again").fill("Melati-own-secret-7")
    hers.page.get_by_role("button", name="Save and go on").click()
    expect(hers.page.locator("#workload")).to_be_visible()
    expect(hers.page.locator("#users-section")).to_be_hidden()  # supervisors: no People
    expect(rina).to_contain_text("Active")  # live: her choice is a user.changed event
    expect(rina.locator("td").nth(3)).to_have_text("1")  # signed in on one browser

    rina.get_by_label("Role of Rina Kusuma").select_option("admin")
    expect(page.locator("#toasts")).to_contain_text("Rina Kusuma is now Admin.")
    assert floor.call("GET", f"/users/{one_user(floor, 'Rina Kusuma')}")["role"] == "admin"

    rina.get_by_role("button", name="Reset the password of Rina Kusuma").click()
    confirm = page.locator("#user-confirm-dialog")
    expect(confirm).to_contain_text("Rina Kusuma is signed out everywhere at once")
    confirm.get_by_role("button", name="Reset password").click()
    secret = page.locator("#user-secret-dialog")
    expect(secret).to_contain_text("New one-time password for Rina Kusuma")
    expect(secret.get_by_label("One-time password")).to_have_value(re.compile(r"^\S{10,}$"))
    secret.get_by_role("button", name="Done").click()
    expect(rina).to_contain_text("Must choose a password")
    hers.page.reload()
    expect(hers.page.locator("#login")).to_be_visible()  # her session ended with the reset

    rina.get_by_role("button", name="Deactivate Rina Kusuma").click()
    expect(confirm).to_contain_text(
        "Rina Kusuma can no longer sign in: their sessions end and their API tokens are "
        "revoked at once.")
    confirm.get_by_role("button", name="Deactivate").click()
    expect(page.locator("#toasts")).to_contain_text("Rina Kusuma was deactivated.")
    expect(rina).to_contain_text("Deactivated")
    expect(rina.get_by_role("button")).to_have_count(0)
    sign_in(hers.page, "rina@example.test", "Melati-own-secret-7")
    expect(hers.page.locator("#login-error")).to_have_text("Wrong email or password.")
    admin.assert_clean("status of 409 (Conflict)")  # the email taken
    hers.assert_clean(SIGNED_OUT)


def one_user(floor: Floor, name: str) -> int:
    found: int = next(u["id"] for u in floor.call("GET", "/users") if u["name"] == name)
    return found


def test_a_person_changes_their_password_and_signs_out_their_other_browsers(
    floor: Floor, open_tab: Any, screenshots: Path,
) -> None:
    sari = floor.agent("Sari Own", online=False)
    other = open_tab("/", user=sari)
    tab = open_tab("/", user=sari)
    page = tab.page
    page.get_by_role("button", name="My account").click()
    panel = page.locator("#account-dialog")
    expect(panel.locator("#account-who")).to_contain_text(f"Sari Own · {sari['email']} · Agent")
    sessions = panel.locator("#account-sessions li")
    expect(sessions).to_have_count(2)
    expect(sessions.filter(has_text="This browser")).to_have_count(1)
    panel.screenshot(path=screenshots / "account.png")
    panel.get_by_role("button", name=re.compile("^Sign out HeadlessChrome")).click()
    expect(sessions).to_have_count(1)
    other.page.reload()
    expect(other.page.locator("#login")).to_be_visible()

    panel.get_by_label("Current password").fill("not-my-password")
    panel.get_by_label("New password", exact=True).fill("Sari-new-password-3")
    panel.get_by_label("New password again").fill("Sari-new-password-3")
    panel.get_by_role("button", name="Change password").click()
    expect(panel.locator("#account-password-error")).to_have_text(
        "The current password is wrong.")
    expect(page.locator("#content")).to_be_visible()  # a wrong password does not sign out
    panel.get_by_label("Current password").fill(PASSWORD)
    panel.get_by_label("New password", exact=True).fill("password123")
    panel.get_by_label("New password again").fill("password123")
    panel.get_by_role("button", name="Change password").click()
    expect(panel.locator("#account-password-error")).to_have_text(
        "This password is too common. Choose another.")
    panel.get_by_label("New password", exact=True).fill("Sari-new-password-3")
    panel.get_by_label("New password again").fill("Sari-new-password-3")
    panel.get_by_role("button", name="Change password").click()
    expect(page.locator("#toasts")).to_contain_text("Your password was changed.")
    expect(panel.locator("#account-password-error")).to_have_text("")
    panel.get_by_role("button", name="Close").click()

    # Signing out reloads the page: a form filled before the reload would be emptied by it.
    with page.expect_navigation():
        page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.locator("#login")).to_be_visible()
    sign_in(page, sari["email"], "Sari-new-password-3")
    expect(page.get_by_role("heading", name="Sari Own")).to_be_visible()
    tab.assert_clean(SIGNED_OUT, "status of 401 (Unauthorized)", "status of 422")
    other.assert_clean(SIGNED_OUT)
