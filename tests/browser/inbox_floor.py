"""What the inbox's browser tests share: customers writing on WhatsApp to a real server, the
page's own words in either language (read from the catalogues the page uses, so a test in
Indonesian asserts what an Indonesian agent reads), and the two looks a shift is tested in:
a laptop in English and a phone in Indonesian."""

from __future__ import annotations

import itertools
import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page

from giliran.channels.whatsapp.fake import (
    ACCESS_TOKEN,
    APP_SECRET,
    PHONE_ID,
    FakeGraph,
    delivery,
    signed,
)
from tests.browser.conftest import PHONE, Floor, serving
from tests.support.e2e_server import API, wait_until
from tests.support.server import ServerProcess
from tests.support.whatsapp_samples import text

I18N = Path(__file__).resolve().parents[2] / "src/giliran/entrypoints/dashboard/i18n"
WIDE = {"width": 1440, "height": 900}
COUNTED = re.compile(r"\{(\w+)\|([^|{}]*)\|([^|{}]*)\}")
_phones = itertools.count(1)
_ids = itertools.count(1)


class Words:
    """The page's catalogue of one language, filled in as common.js's t() fills it."""

    def __init__(self, language: str) -> None:
        self.catalogue: dict[str, str] = json.loads((I18N / f"{language}.json").read_text())

    def __call__(self, key: str, **values: Any) -> str:
        words = COUNTED.sub(lambda m: m[2] if int(values[m[1]]) == 1 else m[3],
                            self.catalogue[key])
        for name, value in values.items():
            words = words.replace(f"{{{name}}}", str(value))
        return words

    def title(self, awaiting: int = 0, failed: bool = False) -> str:
        """The tab's title: what awaits the agent's answer, and a mark for a failed reply."""
        base = f"{'⚠ ' if failed else ''}{self('agent.page_title')} · giliran"
        return f"({awaiting}) {base}" if awaiting else base


@dataclass(frozen=True)
class Look:
    """How the inbox is opened: the browser's language and its window."""

    name: str
    locale: str
    viewport: dict[str, int]

    @property
    def words(self) -> Words:
        return Words(self.locale[:2])

    @property
    def phone(self) -> bool:
        return self.viewport["width"] < 600

    def open(self, open_tab: Any, user: dict[str, Any] | None = None) -> Any:
        return open_tab("/", user=user, locale=self.locale, viewport=self.viewport)

    def back_to_list(self, page: Page) -> None:
        """On a phone the conversation is a screen of its own: Back shows the list again."""
        if self.phone:
            page.locator("#conversation").get_by_role(
                "button", name=self.words("inbox.back")).click()


LAPTOP_EN = Look("1440-en", "en-US", WIDE)
PHONE_INDONESIAN = Look("390-id", "id-ID", PHONE)
LOOKS = pytest.mark.parametrize("look", [LAPTOP_EN, PHONE_INDONESIAN], ids=lambda look: look.name)


@contextmanager
def whatsapp_floor(where: Path, graph: FakeGraph) -> Iterator[ServerProcess]:
    """A real server whose WhatsApp channel talks to the fake Graph API."""
    env = {"GILIRAN_WHATSAPP_APP_SECRET": APP_SECRET,
           "GILIRAN_WHATSAPP_ACCESS_TOKEN": ACCESS_TOKEN,
           "GILIRAN_WHATSAPP_PHONE_NUMBER_ID": PHONE_ID,
           "GILIRAN_WHATSAPP_API_URL": graph.api_url}
    with serving(where, env) as started:
        yield started


def module_floor(name: str) -> tuple[Any, Any, Any]:
    """A module's fixtures: the fake Graph API, a real server talking to it, and `agents`,
    which makes a test's agents. Each module gets its own server: one test's floor (30
    colleagues, 70 customers waiting) would change what the next module's agents receive."""

    @pytest.fixture(scope="module")
    def graph() -> Iterator[FakeGraph]:
        with FakeGraph() as started:
            yield started

    @pytest.fixture(scope="module")
    def server(tmp_path_factory: pytest.TempPathFactory,
               graph: FakeGraph) -> Iterator[ServerProcess]:
        with whatsapp_floor(tmp_path_factory.mktemp(name), graph) as started:
            yield started

    @pytest.fixture
    def agents(floor: Floor) -> Iterator[Any]:
        with agents_of_a_test(floor) as make:
            yield make

    return graph, server, agents


@contextmanager
def agents_of_a_test(floor: Floor) -> Iterator[Any]:
    """Makes a test's agents (online, in the default queue); they go offline when it ends, so
    the next test's customers come to the next test's agents."""
    made: list[dict[str, Any]] = []

    def make(name: str, **fields: Any) -> dict[str, Any]:
        agent = floor.agent(name, **fields)
        made.append(agent)
        return agent

    yield make
    for agent in made:
        floor.call("POST", "/agent/go-offline", token=agent["token"])


class Customer:
    """Someone writing on WhatsApp to the server."""

    def __init__(self, server: ServerProcess, name: str) -> None:
        self.server = server
        self.name = name
        self.phone = f"62813{next(_phones):08d}"

    def writes(self, *bodies: str, at: int | None = None) -> None:
        now = at or int(time.time())
        self.sends(*[text(f"wamid.T{next(_ids)}", body, now, self.phone) for body in bodies])

    def sends(self, *messages: dict[str, Any]) -> None:
        body = delivery(messages=list(messages),
                        contacts=[{"profile": {"name": self.name}, "wa_id": self.phone}])
        raw, headers = signed(body)
        r = httpx.post(f"{self.server.base_url}{API}/webhooks/whatsapp", content=raw,
                       headers=headers)
        assert r.status_code == 200, r.text


def message_id() -> str:
    return f"wamid.P{next(_ids)}"


def ticket_of(floor: Floor, agent: dict[str, Any], title: str) -> dict[str, Any]:
    """The agent's ticket whose title starts with the customer's first words."""
    def found() -> dict[str, Any] | None:
        queue = floor.call("GET", "/agent/my-queue", token=agent["token"])["queue"]
        return next((t for t in queue if t["title"].startswith(title[:40])), None)
    ticket: dict[str, Any] = wait_until(found, timeout=15, what=f"the ticket {title!r}")
    return ticket


def item(page: Page, words: str) -> Any:
    """The list's item of a conversation, by words it shows."""
    return page.locator("#queue-list > li", has_text=words)


def newest_in_view(page: Page) -> bool:
    """The thread's last message shows inside the thread's box (it opened at the newest)."""
    return bool(page.evaluate("""() => {
        const list = document.querySelector('#conversation .thread');
        const last = list.lastElementChild.getBoundingClientRect();
        const box = list.getBoundingClientRect();
        return last.bottom <= box.bottom + 1 && last.top >= box.top - 1
            && list.scrollHeight > list.clientHeight;
    }"""))
