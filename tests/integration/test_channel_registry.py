"""A channel is its package plus one registration line: a test's own channel ("pigeon"),
registered here and nowhere else, gets the generic webhook route, opens tickets, and the
server's own courier sends on it (the customer's acknowledgement, an agent's reply). A channel
giliran does not have is a 404 with a stable code. WhatsApp and Telegram answer on the generic
route as on the paths Meta and Telegram are configured with."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from giliran.adapters.channel import Media
from giliran.adapters.clock import FakeClock
from giliran.bootstrap import bootstrap
from giliran.channels import registry
from giliran.channels.port import Background, Body, Delivery, Reception, Refusal
from giliran.channels.whatsapp.fake import delivery, signed
from giliran.config import Settings
from giliran.domain.errors import BadSecret, ChannelUnavailable, MalformedRequest
from giliran.domain.notices import Notice
from giliran.entrypoints.api.app import create_app
from giliran.service.conversations import channels
from giliran.service.notices.notify import Sent
from tests.support.desks import VERIFY_TOKEN, WHATSAPP_HOOK, Bot, Desk
from tests.support.server import ADMIN_TOKEN
from tests.support.whatsapp_samples import text

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
HOOK = "/api/v1/channels/pigeon/webhook"
KEY = {"X-Pigeon-Key": "coo-0123"}


class Loft:
    """The pigeon's side: what giliran sent, as the customer would read it."""

    def __init__(self) -> None:
        self.sent: list[Notice] = []
        self._changed = threading.Condition()

    async def start(self) -> None: ...
    async def aclose(self) -> None: ...

    async def send(self, notice: Notice) -> Sent:
        with self._changed:
            self.sent.append(notice)
            self._changed.notify_all()
        return Sent(channel_id=f"p{len(self.sent)}")

    async def fetch_media(self, media_id: str, cap: int) -> Media:
        raise ChannelUnavailable("pigeons carry no files")

    def wait_for(self, count: int, timeout: float = 10.0) -> list[str]:
        with self._changed:
            assert self._changed.wait_for(lambda: len(self.sent) >= count, timeout), self.sent
            return [n.text for n in self.sent]


class Pigeon:
    """A whole channel, written against the port only."""

    name = "pigeon"
    tells_resolved = True
    has_handshake = False

    def __init__(self) -> None:
        self.loft = Loft()

    def sends(self, settings: Settings) -> bool:
        return True

    def client(self, settings: Settings) -> Loft:
        return self.loft

    def max_attempts(self, settings: Settings) -> int:
        return 3

    def handshake(self, settings: Settings, query: Mapping[str, str]) -> str | Refusal:
        raise AssertionError("pigeon has no handshake")

    async def authenticate(self, settings: Settings, headers: Mapping[str, str],
                           body: Body) -> Refusal | None:
        given = headers.get("x-pigeon-key", "")
        return None if given == KEY["X-Pigeon-Key"] else Refusal(BadSecret("wrong key"),
                                                                  guessed=bool(given))

    def parse(self, settings: Settings, body: bytes) -> Delivery:
        try:
            note = orjson.loads(body)
            return Delivery([channels.Incoming(
                channel=self.name, queue="default", contact=str(note["from"]),
                sender=str(note["from"]), message_id=str(note["id"]), text=str(note["text"]),
                at=datetime.fromtimestamp(int(note["at"]), UTC), acknowledge=True)])
        except (ValueError, KeyError, TypeError):
            raise MalformedRequest("not a pigeon's note") from None

    async def deliver(self, delivery: Delivery, reception: Reception) -> dict[str, Any]:
        outcomes = [await reception.run_write(channels.receive, reception.ctx, m)
                    for m in delivery.items]
        return {"outcomes": [outcome.value for outcome, _ in outcomes]}

    def background(self, settings: Settings, reception: Reception) -> Background | None:
        return None


@pytest.fixture
def pigeon(database_url: str, clock: FakeClock) -> Iterator[tuple[Pigeon, TestClient]]:
    settings = Settings(database_url=database_url, admin_token=ADMIN_TOKEN, scheduler=False,
                        outbox=True, tick_seconds=0.05)
    with registry.registered(Pigeon()) as channel:
        container = bootstrap(settings, clock=clock)
        try:
            with TestClient(create_app(container), raise_server_exceptions=False) as client:
                assert isinstance(channel, Pigeon)
                yield channel, client
        finally:
            container.close()


def test_a_registered_channel_opens_tickets_and_is_answered_on(
        pigeon: tuple[Pigeon, TestClient], clock: FakeClock) -> None:
    channel, client = pigeon
    note = {"from": "rooftop-7", "id": "n1", "text": "My order never came",
            "at": int(clock.now().timestamp())}
    r = client.post(HOOK, content=orjson.dumps(note), headers=KEY)
    assert r.status_code == 200, r.text
    assert r.json() == {"outcomes": ["opened"]}
    assert client.post(HOOK, content=orjson.dumps(note), headers=KEY).json() == {
        "outcomes": ["duplicate"]}
    (ticket,) = client.get("/api/v1/tickets", headers=ADMIN).json()["items"]
    assert (ticket["title"], ticket["category"]) == ("My order never came", "pigeon")
    (told,) = channel.loft.wait_for(1)  # the server's courier, on its own
    assert ticket["number"] in told
    reply = client.post(f"/api/v1/tickets/{ticket['id']}/messages", headers=ADMIN,
                        json={"text": "It left the depot today"})
    assert reply.status_code == 201, reply.text
    assert channel.loft.wait_for(2)[1] == "It left the depot today"
    assert [n.chat_id for n in channel.loft.sent] == ["rooftop-7", "rooftop-7"]


def test_a_registered_channel_checks_its_own_secret(pigeon: tuple[Pigeon, TestClient]) -> None:
    _, client = pigeon
    wrong = client.post(HOOK, content=b'{"from": "x", "id": "1", "text": "hi"}',
                        headers={"X-Pigeon-Key": "guess"})
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (401, "bad_secret")
    garbled = client.post(HOOK, content=b"coo", headers=KEY)
    assert (garbled.status_code, garbled.json()["error"]["code"]) == (422, "invalid_request")
    no_handshake = client.get(HOOK)
    assert (no_handshake.status_code, no_handshake.headers["allow"]) == (405, "POST")
    assert client.get("/api/v1/tickets", headers=ADMIN).json()["items"] == []


def test_an_unknown_channel_is_a_404_with_a_stable_code(container: Any) -> None:
    with TestClient(create_app(container), raise_server_exceptions=False) as client:
        for answer in (client.post("/api/v1/channels/carrier-pigeon/webhook", content=b"{}"),
                       client.get("/api/v1/channels/carrier-pigeon/webhook?hub.challenge=1")):
            assert answer.status_code == 404
            assert answer.json()["error"]["code"] == "unknown_channel"
        # The test's channel is gone with its registration.
        gone = client.post(HOOK, content=b"{}", headers=KEY)
        assert (gone.status_code, gone.json()["error"]["code"]) == (404, "unknown_channel")


def test_whatsapp_answers_on_the_generic_route_as_on_its_own(wa: Desk) -> None:
    """Meta's handshake and a signed delivery, at /channels/whatsapp/webhook."""
    hook = "/api/v1/channels/whatsapp/webhook"
    shake = wa.client.get(hook, params={"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN,
                                        "hub.challenge": "1158201444"})
    assert (shake.status_code, shake.text) == (200, "1158201444")
    wrong = wa.client.get(hook, params={"hub.mode": "subscribe", "hub.verify_token": "guess"})
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (403, "forbidden")
    raw, headers = signed(delivery(messages=[text("wamid.G1", "Halo", wa.now)]))
    r = wa.client.post(hook, content=raw, headers=headers)
    assert (r.status_code, r.json()["opened"]) == (200, 1)
    again = wa.client.post(WHATSAPP_HOOK, content=raw, headers=headers)
    assert again.json()["duplicate"] == 1  # the same message, through the old path


def test_telegram_has_no_handshake(tg: Bot) -> None:
    shake = tg.client.get("/api/v1/channels/telegram/webhook")
    assert (shake.status_code, shake.headers["allow"]) == (405, "POST")
