"""A queue's rotation order changed on the console, in a real browser (issue 24, item 4): a
member dragged by its handle, or moved by keyboard, lands where it was dropped, the API says the
same order (one save per drop), and the next automatic assignment follows it; the member next
in turn carries a marker with words where the API says; another supervisor's change that
arrives while a member is lifted waits for the drop; and on a phone a finger drags, and the
buttons still do it.
One server for the module: each test has its own queue and agents."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import PHONE, Floor, no_horizontal_overflow, serving
from tests.support.server import ServerProcess

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]
DESKTOP = {"width": 1440, "height": 900}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with serving(tmp_path_factory.mktemp("rotation")) as started:
        yield started


def desk(floor: Floor, queue: str, names: str) -> dict[str, dict[str, Any]]:
    """A strict-rotation queue whose members (online, in this order) take many tickets."""
    floor.call("POST", "/queues", name=queue, strategy="rotation")
    return {n: floor.agent(n, rotation_order=10 * i, queues=[queue], max_tickets=20)
            for i, n in enumerate(names.split(), start=1)}


def shown(page: Page, queue: str) -> Any:
    return page.locator(f'[data-rotation="{queue}"] li[data-agent-id]')


def in_api(floor: Floor, queue: str) -> list[str]:
    agents = [a for a in floor.call("GET", "/agents") if a["active"] and queue in a["queues"]]
    return [a["name"] for a in sorted(agents, key=lambda a: (a["rotation_order"], a["id"]))]


def next_in_api(floor: Floor, queue: str) -> int:
    found = [q for q in floor.call("GET", "/workload")["queues"] if q["name"] == queue]
    return int(found[0]["next_agent_id"])


def marker_on(page: Page, queue: str, agent: dict[str, Any]) -> None:
    marked = page.locator(f'[data-rotation="{queue}"] li.next')
    expect(marked).to_have_count(1)
    expect(marked).to_have_attribute("data-agent-id", str(agent["id"]))
    expect(marked.locator(".next-marker")).to_have_text("▶ Next in turn")


def handed_to(floor: Floor, queue: str, people: dict[str, dict[str, Any]]) -> str:
    """Who the queue's next ticket, posted through the API, is assigned to."""
    ticket = floor.call("POST", "/tickets", title="turn", queue=queue)
    names = {a["id"]: n for n, a in people.items()}
    return names[ticket["assigned_agent_id"]]


def test_a_member_dragged_to_the_top_is_next_and_gets_the_next_ticket(
    floor: Floor, open_tab: Any
) -> None:
    people = desk(floor, "drag", "Ani Budi Citra Dewi")
    tab = open_tab("/admin/queues", user=floor.admin, viewport=DESKTOP)
    page = tab.page
    expect(shown(page, "drag").locator(".who")).to_have_text(["Ani", "Budi", "Citra", "Dewi"])
    marker_on(page, "drag", people["Ani"])  # nobody's turn taken yet: the first member

    handle = page.get_by_role("button", name="Move Dewi", exact=True)
    page.locator('[data-rotation="drag"]').scroll_into_view_if_needed()
    top = shown(page, "drag").first.bounding_box()
    grip = handle.bounding_box()
    assert top and grip
    writes: list[tuple[str, str]] = []
    page.on("request", lambda r: r.method != "GET" and writes.append(
        (r.method, r.url.split("/api/v1")[-1])))
    page.mouse.move(grip["x"] + grip["width"] / 2, grip["y"] + grip["height"] / 2)
    page.mouse.down()
    page.mouse.move(top["x"] + 20, top["y"] + 3, steps=8)
    page.mouse.up()

    expect(shown(page, "drag").locator(".who")).to_have_text(["Dewi", "Ani", "Budi", "Citra"])
    expect(page.locator("#rotation-said")).to_have_text("Saved: Dewi is now 1 of 4 in drag.")
    assert in_api(floor, "drag") == ["Dewi", "Ani", "Budi", "Citra"]
    assert writes == [("PUT", "/queues/drag/rotation")], "one save for the drop"
    assert next_in_api(floor, "drag") == people["Dewi"]["id"]
    marker_on(page, "drag", people["Dewi"])
    assert handed_to(floor, "drag", people) == "Dewi"
    marker_on(page, "drag", people["Ani"])  # the turn moved on, live
    tab.assert_clean()


def test_the_keyboard_moves_a_member_and_a_live_change_waits_for_the_drop(
    floor: Floor, open_tab: Any
) -> None:
    people = desk(floor, "keys", "Eka Fajar Gita")
    floor.call("POST", "/queues", name="keys-other")
    other = floor.agent("Hana", queues=["keys-other"])
    tab = open_tab("/admin/queues", user=floor.admin, viewport=DESKTOP)
    page = tab.page
    said = page.locator("#rotation-said")
    expect(shown(page, "keys").locator(".who")).to_have_text(["Eka", "Fajar", "Gita"])
    assert handed_to(floor, "keys", people) == "Eka"
    marker_on(page, "keys", people["Fajar"])

    # Lifted, moved and put back with Escape: nothing changes.
    handle = page.get_by_role("button", name="Move Gita", exact=True)
    handle.focus()
    page.keyboard.press("Space")
    page.keyboard.press("ArrowUp")
    expect(shown(page, "keys").locator(".who")).to_have_text(["Eka", "Gita", "Fajar"])
    page.keyboard.press("Escape")
    expect(said).to_have_text("Move of Gita cancelled; the order is as it was.")
    expect(shown(page, "keys").locator(".who")).to_have_text(["Eka", "Fajar", "Gita"])
    expect(handle).to_be_focused()

    # Gita lifted and moved up one place: Eka, Gita, Fajar (not saved yet).
    page.keyboard.press("Space")
    expect(said).to_have_text("Gita lifted, place 3 of 3. Arrow keys move, Space drops, "
                              "Escape cancels.")
    page.keyboard.press("ArrowUp")
    expect(said).to_have_text("Gita: place 2 of 3.")
    # Meanwhile another change reaches the page (Hana goes offline): the list stays as moved.
    floor.call("POST", "/agent/go-offline", token=other["token"])
    expect(page.locator('[data-queue="keys-other"] [data-field="online"]')).to_have_text("0/1")
    expect(shown(page, "keys").locator(".who")).to_have_text(["Eka", "Gita", "Fajar"])
    expect(page.locator('[data-rotation="keys"] li.lifted')).to_have_attribute(
        "data-agent-id", str(people["Gita"]["id"]))
    assert in_api(floor, "keys") == ["Eka", "Fajar", "Gita"]

    page.keyboard.press("Space")
    expect(said).to_have_text("Saved: Gita is now 2 of 3 in keys.")
    assert in_api(floor, "keys") == ["Eka", "Gita", "Fajar"]
    expect(page.locator('[data-rotation="keys"] li.lifted')).to_have_count(0)
    expect(handle).to_be_focused()
    marker_on(page, "keys", people["Fajar"])  # the turn stays with its agent
    assert handed_to(floor, "keys", people) == "Fajar"
    assert handed_to(floor, "keys", people) == "Eka"
    assert handed_to(floor, "keys", people) == "Gita", "after Eka comes Gita now"

    # Alt+ArrowDown moves a place and saves at once; another supervisor's order redraws it.
    handle.focus()
    page.keyboard.press("Alt+ArrowDown")
    expect(said).to_have_text("Saved: Gita is now 3 of 3 in keys.")
    assert in_api(floor, "keys") == ["Eka", "Fajar", "Gita"]
    floor.call("PUT", "/queues/keys/rotation", agent_ids=[
        people[n]["id"] for n in ("Fajar", "Gita", "Eka")])
    expect(shown(page, "keys").locator(".who")).to_have_text(["Fajar", "Gita", "Eka"])
    tab.assert_clean()


def test_on_a_phone_a_finger_drags_and_the_buttons_move_a_member_and_make_one_next(
    floor: Floor, open_tab: Any, screenshots: Path
) -> None:
    people = desk(floor, "phone", "Indah Joko Kartika-Sari-Wulandari")
    tab = open_tab("/admin/queues", user=floor.admin, viewport=PHONE)
    page = tab.page
    names = shown(page, "phone").locator(".who")
    expect(names).to_have_text(["Indah", "Joko", "Kartika-Sari-Wulandari"])

    # A finger on Joko's handle, dragged above Indah (touch events, as a phone sends them).
    page.locator('[data-rotation="phone"]').scroll_into_view_if_needed()
    grip = page.get_by_role("button", name="Move Joko", exact=True).bounding_box()
    top = shown(page, "phone").first.bounding_box()
    assert grip and top
    finger = page.context.new_cdp_session(page)
    finger.send("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 1})
    x, y = grip["x"] + grip["width"] / 2, grip["y"] + grip["height"] / 2
    finger.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [
        {"x": x, "y": y}]})
    for step in range(1, 7):
        finger.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [
            {"x": x, "y": y + (top["y"] + 3 - y) * step / 6}]})
    finger.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    expect(names).to_have_text(["Joko", "Indah", "Kartika-Sari-Wulandari"])
    expect(page.locator("#rotation-said")).to_have_text("Saved: Joko is now 1 of 3 in phone.")
    assert in_api(floor, "phone") == ["Joko", "Indah", "Kartika-Sari-Wulandari"]

    page.get_by_role("button", name="Move Joko down").click()
    expect(names).to_have_text(["Indah", "Joko", "Kartika-Sari-Wulandari"])
    expect(page.locator("#rotation-said")).to_have_text("Saved: Joko is now 2 of 3 in phone.")
    assert in_api(floor, "phone") == ["Indah", "Joko", "Kartika-Sari-Wulandari"]
    page.get_by_role("button", name="Make Kartika-Sari-Wulandari next in turn").click()
    marker_on(page, "phone", people["Kartika-Sari-Wulandari"])
    assert next_in_api(floor, "phone") == people["Kartika-Sari-Wulandari"]["id"]
    assert no_horizontal_overflow(page)
    section = page.locator("section[aria-labelledby=rotation-title]")
    section.scroll_into_view_if_needed()
    section.screenshot(path=str(screenshots / "admin-rotation-390.png"))
    page.set_viewport_size(DESKTOP)
    section.screenshot(path=str(screenshots / "admin-rotation-1440.png"))
    tab.assert_clean()
