"""A failed reply is never silent, on SQLite and PostgreSQL: WhatsApp refuses a reply (131047,
from the fake Graph API), and it shows in the supervisors' list (GET /notices?status=failed),
the workload's count, the inbox's rule (unresolved_failures) and, once, in the holding agent's
Telegram chat (the fake Bot API); retried after the customer writes again, it goes out and
drops out of all of them."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from tempfile import TemporaryDirectory
from typing import Any

import pytest
from fastapi.testclient import TestClient

from giliran.adapters.clock import FakeClock
from giliran.bootstrap import Container, bootstrap
from giliran.channels import telegram, whatsapp
from giliran.channels.telegram.fake import FakeTelegram
from giliran.channels.whatsapp.fake import FakeGraph, delivery, signed
from giliran.entrypoints.api.app import create_app
from giliran.entrypoints.courier import Courier
from giliran.service.conversations.failures import unresolved_failures
from tests.integration.test_api_seed import ADMIN, bearer, make_agent, online
from tests.integration.test_event_stream import connect
from tests.support.desks import AGENT_CHAT, API, SECRET, WHATSAPP_HOOK, desk_settings
from tests.support.server import ADMIN_TOKEN
from tests.support.whatsapp_samples import BUDI, text

REFUSED = (400, 131047, "(#131047) Re-engagement message")


@dataclass
class BothDesk:
    """A WhatsApp desk whose agents are linked on Telegram."""

    client: TestClient
    graph: FakeGraph
    bot: FakeTelegram
    container: Container
    clock: FakeClock

    def says(self, body: str, message_id: str) -> None:
        raw, headers = signed(delivery(messages=[text(message_id, body,
                                                      int(self.clock.now().timestamp()))]))
        assert self.client.post(WHATSAPP_HOOK, content=raw, headers=headers).status_code == 200

    def deliver(self) -> int:
        """One courier pass on both channels, as the server's loop runs it."""
        async def once() -> int:
            settings = self.container.settings
            wa, tg = whatsapp.CHANNEL.client(settings), telegram.CHANNEL.client(settings)
            assert wa is not None and tg is not None
            await tg.start()
            try:
                courier = Courier(self.container.ctx, {"whatsapp": wa, "telegram": tg},
                                  _off_loop, _off_loop, 1.0,
                                  {"whatsapp": 4, "telegram": 3})
                return await courier.run_once()
            finally:
                await wa.aclose()
                await tg.aclose()
        return asyncio.run(once())

    def link(self, agent_id: int, language_code: str) -> None:
        code = self.client.post(f"{API}/agents/{agent_id}/telegram-code", headers=ADMIN).json()
        r = self.client.post("/api/v1/webhooks/telegram",
                             json=self.bot.message(AGENT_CHAT, code["send_to_bot"],
                                                   language_code=language_code),
                             headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
        assert r.status_code == 200, r.text

    def failed(self) -> dict[str, Any]:
        r = self.client.get(f"{API}/notices", params={"status": "failed"}, headers=ADMIN)
        assert r.status_code == 200, r.text
        return dict(r.json())

    def workload_failed(self) -> int:
        return int(self.client.get(f"{API}/workload", headers=ADMIN).json()["failed_replies"])

    def marked(self, *ticket_ids: int) -> set[int]:
        with self.container.ctx.uow(write=False) as uow:
            return unresolved_failures(uow, ticket_ids)


async def _off_loop(fn: Any, *args: Any) -> Any:
    return await asyncio.to_thread(fn, *args)


@contextmanager
def both_desk(database_url: str, clock: FakeClock) -> Iterator[BothDesk]:
    with FakeGraph() as graph, FakeTelegram() as bot, TemporaryDirectory() as media:
        settings = desk_settings(database_url, graph, media_cache_dir=media,
                                 telegram_bot_token=bot.token, telegram_webhook_secret=SECRET,
                                 telegram_api_url=bot.url, telegram_max_attempts=3)
        container = bootstrap(settings, clock=clock)
        try:
            with TestClient(create_app(container), raise_server_exceptions=False) as client:
                assert client.post(f"{API}/queues", json={"name": "sales"},
                                   headers=ADMIN).status_code == 201
                desk = BothDesk(client, graph, bot, container, clock)
                desk.deliver()  # the first pass starts the notices after what exists
                yield desk
        finally:
            container.close()


@pytest.fixture
def desk(database_url: str, clock: FakeClock) -> Iterator[BothDesk]:
    with both_desk(database_url, clock) as found:
        yield found


def warnings(desk: BothDesk) -> list[str]:
    return [t for t in desk.bot.sent_to(AGENT_CHAT) if t.startswith("⚠️")]


def test_a_refused_reply_is_seen_everywhere_until_a_retry_gets_through(desk: BothDesk) -> None:
    sari = make_agent(desk.client, "Sari", queues=["sales"], language="id")
    me = bearer(sari["token"])
    desk.link(sari["id"], "id")
    online(desk.client, sari)
    desk.says("Halo, mau tanya harga paket premium", "wamid.A1")
    (lead,) = desk.client.get(f"{API}/tickets", headers=ADMIN).json()["items"]
    assert lead["assigned_agent_id"] == sari["id"]
    assert (desk.failed()["total"], desk.workload_failed(), desk.marked(lead["id"])) == (
        0, 0, set())

    desk.graph.refuse[BUDI] = REFUSED
    reply = desk.client.post(f"{API}/tickets/{lead['id']}/messages", json={"text": "Halo!"},
                             headers=me).json()
    desk.deliver()  # WhatsApp refuses it
    desk.deliver()  # the holder is told
    failed = desk.failed()
    assert failed["total"] == 1
    (item,) = failed["items"]
    assert (item["ticket_id"], item["message_id"], item["channel"]) == (
        lead["id"], reply["id"], "whatsapp")
    assert item["last_error"].startswith("131047")
    assert desk.workload_failed() == 1
    assert desk.marked(lead["id"]) == {lead["id"]}
    assert warnings(desk) == [
        f"⚠️ Balasan Anda kepada Budi di {lead['number']} gagal terkirim: 131047 (#131047) "
        "Re-engagement message"]
    desk.deliver()
    assert len(warnings(desk)) == 1, "told twice of one failed reply"

    # Only a failed reply is retried; outside the customer's 24 hours, not even that.
    inbound = desk.client.get(f"{API}/tickets/{lead['id']}/messages", headers=me).json()
    first_in = inbound["items"][0]["id"]
    r = desk.client.post(f"{API}/tickets/{lead['id']}/messages/{first_in}/retry", headers=me)
    assert (r.status_code, r.json()["error"]["code"]) == (409, "invalid_transition")
    desk.clock.advance(25 * 3600)
    retry = f"{API}/tickets/{lead['id']}/messages/{reply['id']}/retry"
    r = desk.client.post(retry, headers=me)
    assert (r.status_code, r.json()["error"]["code"]) == (409, "outside_customer_window")
    assert desk.failed()["total"] == 1

    # The customer writes again: the retry is allowed, goes out, and the failure is resolved.
    desk.graph.refuse.clear()
    desk.says("Halo? Masih ada?", "wamid.A2")
    r = desk.client.post(retry, headers=me)
    assert r.status_code == 200, r.text
    assert (r.json()["id"], r.json()["state"], r.json()["error"]) == (reply["id"], "queued", None)
    desk.deliver()
    assert desk.graph.texts_to(BUDI) == ["Halo!"]
    states = {m["id"]: m["state"] for m in desk.client.get(
        f"{API}/tickets/{lead['id']}/messages", headers=me).json()["items"]}
    assert states[reply["id"]] == "sent"
    assert (desk.failed()["total"], desk.workload_failed(), desk.marked(lead["id"])) == (
        0, 0, set())
    r = desk.client.post(retry, headers=me)
    assert (r.status_code, r.json()["error"]["code"]) == (409, "invalid_transition")


def floor_counting(session: Any, failed: int) -> dict[str, Any]:
    """The first floor view whose workload counts `failed` failed replies (views follow the
    events they reflect; an earlier one may still show the count before)."""
    for _ in range(50):
        frame: dict[str, Any] = session.receive_json()
        if frame["type"] == "floor" and frame["workload"]["failed_replies"] == failed:
            return frame
    raise AssertionError(f"no floor view counted {failed} failed replies")


def _sari_answers_a_lead(desk: BothDesk, wamid: str) -> tuple[dict[str, str], dict[str, Any]]:
    """Sari, online in sales, holds the lead a customer's first message made."""
    sari = make_agent(desk.client, "Sari", queues=["sales"])
    online(desk.client, sari)
    desk.says("Halo", wamid)
    (lead,) = desk.client.get(f"{API}/tickets", headers=ADMIN).json()["items"]
    return bearer(sari["token"]), lead


def test_the_supervisors_floor_view_counts_failed_replies_as_they_come_and_go(
    desk: BothDesk,
) -> None:
    me, lead = _sari_answers_a_lead(desk, "wamid.C1")
    desk.graph.refuse[BUDI] = REFUSED
    with connect(desk.client, ADMIN_TOKEN) as (session, _):
        desk.client.post(f"{API}/tickets/{lead['id']}/messages", json={"text": "one"},
                         headers=me)
        desk.deliver()
        floor_counting(session, 1)
        desk.graph.refuse.clear()
        desk.client.post(f"{API}/tickets/{lead['id']}/messages", json={"text": "two"},
                         headers=me)
        desk.deliver()
        assert floor_counting(session, 0)["workload"] == desk.client.get(
            f"{API}/workload", headers=ADMIN).json()


def test_a_later_reply_that_gets_through_resolves_the_failure(desk: BothDesk) -> None:
    me, lead = _sari_answers_a_lead(desk, "wamid.B1")
    desk.graph.refuse[BUDI] = REFUSED
    desk.client.post(f"{API}/tickets/{lead['id']}/messages", json={"text": "one"}, headers=me)
    desk.deliver()
    assert desk.failed()["total"] == 1
    other = make_agent(desk.client, "Joko", queues=["sales"])
    r = desk.client.post(f"{API}/tickets/{lead['id']}/messages/1/retry",
                         headers=bearer(other["token"]))
    assert (r.status_code, r.json()["error"]["code"]) == (403, "not_your_ticket")
    desk.graph.refuse.clear()
    desk.client.post(f"{API}/tickets/{lead['id']}/messages", json={"text": "two"}, headers=me)
    assert desk.failed()["total"] == 1, "a reply still on its way resolves nothing yet"
    desk.deliver()
    assert (desk.failed()["total"], desk.workload_failed()) == (0, 0)
