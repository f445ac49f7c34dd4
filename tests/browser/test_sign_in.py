"""Signing in to both dashboards with an email and a password (issue 22), in a real browser:
in English and Indonesian, on a laptop and a phone; a wrong password and too many attempts
said plainly; a one-time password that must be replaced first; signing out; and the form
again when the session ends under the page. No token is kept in the browser's storage. One
server for the module: each test makes its own people."""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import (
    PASSWORD,
    PHONE,
    SIGNED_OUT,
    Floor,
    email_of,
    no_horizontal_overflow,
    serving,
    sign_in,
)
from tests.support.e2e_server import API
from tests.support.server import ServerProcess

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]
WIDE = {"width": 1440, "height": 900}
TEXT = {
    "en-US": {"agent": "Agent login", "admin": "Supervisor login", "wrong":
              "Wrong email or password.", "out": "Sign out", "choose": "Choose your password",
              "new": "New password", "again": "New password again", "go": "Save and go on",
              "short": "A password needs at least 10 characters.",
              "differ": "The two new passwords differ.", "email": "Email",
              "password": "Password", "submit": "Sign in"},
    "id-ID": {"agent": "Masuk sebagai agen", "admin": "Masuk sebagai supervisor", "wrong":
              "Email atau kata sandi salah.", "out": "Keluar", "choose": "Pilih kata sandi Anda",
              "new": "Kata sandi baru", "again": "Ulangi kata sandi baru",
              "go": "Simpan dan lanjutkan", "short": "Kata sandi minimal 10 karakter.",
              "differ": "Kedua kata sandi baru tidak sama.", "email": "Email",
              "password": "Kata sandi", "submit": "Masuk"},
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with serving(tmp_path_factory.mktemp("sign-in")) as started:
        yield started


def fill_form(page: Page, text: dict[str, str], email: str, password: str) -> None:
    """By the labels a person reads, in the page's language."""
    form = page.locator("#login-form")
    form.get_by_label(text["email"], exact=True).fill(email)
    form.get_by_label(text["password"], exact=True).fill(password)
    form.get_by_role("button", name=text["submit"]).click()


@pytest.mark.parametrize("viewport", [WIDE, PHONE], ids=["1440", "390"])
@pytest.mark.parametrize("locale", ["en-US", "id-ID"])
@pytest.mark.parametrize("page_name", ["agent", "admin"])
def test_both_dashboards_sign_in_with_email_and_password(
    floor: Floor, open_tab: Any, screenshots: Path, page_name: str, locale: str,
    viewport: dict[str, int],
) -> None:
    text = TEXT[locale]
    if page_name == "agent":
        person = floor.agent(f"Sari {locale} {viewport['width']}", online=False)
        path, signed_in = "/", "#agent-name"
    else:
        person = floor.person(f"Yuni {locale} {viewport['width']}", "supervisor")
        path, signed_in = "/admin", "#floor-queues tbody tr"
    tab = open_tab(path, locale=locale, viewport=viewport)
    page = tab.page
    expect(page.get_by_role("heading", name=text[page_name])).to_be_visible()
    expect(page.locator("#logout")).to_be_hidden()
    if page_name == "agent":
        phone = "-phone" if viewport is PHONE else ""
        page.screenshot(path=screenshots / f"sign-in-{locale[:2]}{phone}.png")
    assert no_horizontal_overflow(page)

    fill_form(page, text, person["email"], "not-the-password")
    expect(page.locator("#login-error")).to_have_text(text["wrong"])
    expect(page.locator("#content")).to_be_hidden()

    fill_form(page, text, person["email"].upper(), PASSWORD)  # emails ignore case
    expect(page.locator(signed_in).first).to_be_visible()
    expect(page.locator("#live")).to_have_attribute("data-state", "live")
    expect(page.locator("#login")).to_be_hidden()
    if page_name == "agent":
        expect(page.get_by_role("heading", name=person["name"])).to_be_visible()
    assert no_horizontal_overflow(page)
    # The session is a cookie the page's scripts cannot read; nothing is kept in storage.
    assert page.evaluate("Object.keys(localStorage).filter((k) => /token/i.test(k))") == []
    assert "giliran_session" not in page.evaluate("document.cookie")

    page.reload()  # still signed in
    expect(page.locator(signed_in).first).to_be_visible()
    page.get_by_role("button", name=text["out"], exact=True).click()
    expect(page.get_by_role("heading", name=text[page_name])).to_be_visible()
    expect(page.locator("#content")).to_be_hidden()
    page.reload()  # signed out on the server too, not only on the page
    expect(page.get_by_role("heading", name=text[page_name])).to_be_visible()
    tab.assert_clean(SIGNED_OUT)


@pytest.mark.parametrize("path", ["/admin", "/admin/what-if"])
def test_each_page_says_when_it_is_not_for_this_account(
    floor: Floor, open_tab: Any, path: str,
) -> None:
    agent = floor.agent(f"Agus Only {path}", online=False)
    tab = open_tab(path)
    sign_in(tab.page, agent["email"])
    expect(tab.page.locator("#login-error")).to_have_text(
        "This account cannot open the console: it is for supervisors, admins and owners. "
        "Sign in with another account, or sign out.")
    expect(tab.page.locator("#content")).to_be_hidden()
    expect(tab.page.locator("#logout")).to_be_visible()
    # Another account on the same form, without signing out first.
    sign_in(tab.page, floor.admin["email"])
    expect(tab.page.locator("#content")).to_be_visible()
    tab.assert_clean(SIGNED_OUT, "status of 403 (Forbidden)")


@pytest.mark.parametrize("locale", ["en-US", "id-ID"])
def test_a_one_time_password_must_be_replaced_first(
    floor: Floor, open_tab: Any, locale: str,
) -> None:
    text = TEXT[locale]
    made = floor.call("POST", "/users", email=email_of("Tono Baru"), name="Tono Baru",
                      role="agent")
    one_time = made["one_time_password"]
    tab = open_tab("/", locale=locale)
    page = tab.page
    fill_form(page, text, made["email"], one_time)
    expect(page.get_by_role("heading", name=text["choose"])).to_be_visible()
    expect(page.locator("#content")).to_be_hidden()
    # The one-time password was just typed: not asked for again.
    expect(page.locator("#choose-current")).to_be_hidden()
    chooser = page.locator("#choose-form")
    chooser.get_by_label(text["new"], exact=True).fill("short")
    chooser.get_by_label(text["again"], exact=True).fill("short")
    chooser.get_by_role("button", name=text["go"]).click()
    expect(page.locator("#choose-error")).to_have_text(text["short"])
    chooser.get_by_label(text["new"], exact=True).fill("Tono-chooses-this-1")
    chooser.get_by_label(text["again"], exact=True).fill("Tono-chooses-that-1")
    chooser.get_by_role("button", name=text["go"]).click()
    expect(page.locator("#choose-error")).to_have_text(text["differ"])
    chooser.get_by_label(text["again"], exact=True).fill("Tono-chooses-this-1")
    chooser.get_by_role("button", name=text["go"]).click()
    expect(page.get_by_role("heading", name="Tono Baru")).to_be_visible()
    expect(page.locator("#live")).to_have_attribute("data-state", "live")

    # The one-time password is spent; the chosen one signs in.
    page.get_by_role("button", name=text["out"], exact=True).click()
    fill_form(page, text, made["email"], one_time)
    expect(page.locator("#login-error")).to_have_text(text["wrong"])
    fill_form(page, text, made["email"], "Tono-chooses-this-1")
    expect(page.get_by_role("heading", name="Tono Baru")).to_be_visible()
    tab.assert_clean(SIGNED_OUT)


def test_a_page_whose_session_ends_shows_the_form_again(floor: Floor, open_tab: Any) -> None:
    sari = floor.agent("Sari Ended")
    tab = open_tab("/", user=sari)
    page = tab.page
    expect(page.locator("#live")).to_have_attribute("data-state", "live")
    # Deactivated: her sessions end, and the page learns it from its next answer or its socket.
    floor.call("DELETE", f"/users/{sari['user_id']}")
    expect(page.locator("#login-error")).to_have_text("Your session ended. Sign in again.")
    expect(page.locator("#content")).to_be_hidden()
    tab.assert_clean(SIGNED_OUT)


def test_too_many_attempts_are_refused_with_the_time_to_wait(
    open_tab: Any, server: ServerProcess,
) -> None:
    """Ten failures on an account refuse it for the rest of the window (throttle.py); they are
    sent at once, so the server's growing delays overlap instead of adding up."""
    email = email_of("Nobody Here")  # whether the account exists is never told

    def fail(_: int) -> int:
        return httpx.post(f"{server.base_url}{API}/auth/login",
                          json={"email": email, "password": "wrong-wrong-1"}, timeout=30
                          ).status_code

    with ThreadPoolExecutor(10) as pool:
        assert set(pool.map(fail, range(10))) <= {401, 429}
    tab = open_tab("/admin")
    fill_form(tab.page, TEXT["en-US"], email, "wrong-wrong-1")
    expect(tab.page.locator("#login-error")).to_have_text(
        re.compile(r"^Too many attempts\. Try again in \d+ minutes?\.$"))
    tab.assert_clean(SIGNED_OUT, "status of 429 (Too Many Requests)")
