"""A supervisor's own Telegram chat, on SQLite and PostgreSQL against the fake Bot API server:
linked with a one-time code from the console (`/start CODE` to the bot), confirmed in the
console's language; the SLA warnings of the supervisor's queues come there, in that language,
and stop once it unlinks. The break-glass token and agents cannot take such a code."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from giliran.service.assignment.timers import tick
from tests.integration.test_api_seed import ADMIN, bearer, make_agent, post_ticket
from tests.integration.test_ws_people import make_user, sign_in
from tests.support.desks import API, Bot

SAM_CHAT, RINA_CHAT, STRANGER = 7101, 7102, 7103


def session(bot: Bot, email: str) -> dict[str, str]:
    cookie, csrf = sign_in(bot.client, email)
    return {**cookie, "X-CSRF-Token": csrf}


def code_for(bot: Bot, me: dict[str, str], language: str) -> str:
    r = bot.client.post(f"{API}/supervisor/telegram-code", headers=me, json={"language": language})
    assert r.status_code == 200, r.text
    return str(r.json()["send_to_bot"])


def state(bot: Bot, me: dict[str, str]) -> dict[str, Any]:
    r = bot.client.get(f"{API}/supervisor/telegram", headers=me)
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_a_supervisor_links_its_chat_hears_its_queues_warnings_and_unlinks(tg: Bot) -> None:
    make_user(tg.client, "sam@example.com")  # every queue
    rina = make_user(tg.client, "rina@example.com")
    assert tg.client.post(f"{API}/queues", headers=ADMIN, json={"name": "sales"}).status_code \
        == 201
    assert tg.client.patch(f"{API}/users/{rina['id']}", headers=ADMIN,
                           json={"queues": ["sales"]}).status_code == 200
    sam, rina_me = session(tg, "sam@example.com"), session(tg, "rina@example.com")
    assert state(tg, sam) == {"enabled": True, "linked": False}

    command = code_for(tg, sam, "id")
    assert command.startswith("/start ")
    tg.say(SAM_CHAT, command, language_code="en")
    tg.say(STRANGER, command)  # the same code again: used up
    tg.say(RINA_CHAT, code_for(tg, rina_me, "en"))
    tg.deliver()
    assert tg.fake.sent_to(SAM_CHAT) == [
        "🔗 Chat ini sekarang terhubung ke Sam: peringatan dan pelanggaran SLA di antrean Anda "
        "akan dikirim ke sini."]
    assert tg.fake.sent_to(STRANGER)[0].startswith("That code is not valid or has expired.")
    assert state(tg, sam) == {"enabled": True, "linked": True}

    r = tg.client.post(f"{API}/sla-policies", headers=ADMIN, json={
        "name": "Quick", "targets": {"first_response_seconds": 100}, "warn_percent": 50})
    assert r.status_code == 201, r.text
    # The queue keeps Jakarta's hours (open all week): the due time is said on that clock.
    every_day = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat",
                                                    "sun")}
    assert tg.client.post(f"{API}/schedules", headers=ADMIN, json={
        "name": "jakarta", "timezone": "Asia/Jakarta", "hours": every_day}).status_code == 201
    assert tg.client.patch(f"{API}/queues/default", headers=ADMIN,
                           json={"schedule": "jakarta"}).status_code == 200
    ticket = post_ticket(tg.client, "Tidak bisa masuk")  # the default queue: not Rina's
    due = datetime.fromisoformat(ticket["sla"]["targets"][0]["due_at"])
    tg.clock.advance(60)
    assert tick(tg.container.ctx).sla_warnings == 1
    tg.deliver()
    warned = tg.fake.sent_to(SAM_CHAT)[1:]
    assert len(warned) == 1
    assert warned[0].startswith(f"⏳ Peringatan SLA: {ticket['number']} (Tidak bisa masuk) di "
                                "default harus mendapat respons pertama paling lambat ")
    assert warned[0].endswith("Belum dipegang siapa pun.")
    local = due.astimezone(ZoneInfo("Asia/Jakarta"))
    assert f"paling lambat {local:%Y-%m-%d %H:%M} (Asia/Jakarta)." in warned[0]
    assert tg.fake.sent_to(RINA_CHAT)[1:] == []  # linked, but not her queue

    r = tg.client.delete(f"{API}/supervisor/telegram", headers=sam)
    assert r.status_code == 204
    assert state(tg, sam)["linked"] is False
    tg.clock.advance(60)
    assert tick(tg.container.ctx).sla_breaches == 1
    tg.deliver()
    assert tg.fake.sent_to(SAM_CHAT)[1:] == warned  # the breach no longer comes to Sam


def test_a_code_expires_after_fifteen_minutes(tg: Bot) -> None:
    make_user(tg.client, "sam@example.com")
    sam = session(tg, "sam@example.com")
    command = code_for(tg, sam, "en")
    tg.clock.advance(15 * 60 + 1)
    tg.say(SAM_CHAT, command)
    tg.deliver()
    assert tg.fake.sent_to(SAM_CHAT)[0].startswith("That code is not valid or has expired.")
    assert state(tg, sam)["linked"] is False


def test_break_glass_and_agents_cannot_link_a_supervisors_chat(tg: Bot) -> None:
    r = tg.client.post(f"{API}/supervisor/telegram-code", headers=ADMIN, json={})
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "invalid_input"
    assert tg.client.get(f"{API}/supervisor/telegram", headers=ADMIN).status_code == 422
    agent = make_agent(tg.client, "Ana")
    r = tg.client.post(f"{API}/supervisor/telegram-code", headers=bearer(agent["token"]),
                       json={})
    assert r.status_code == 403
    r = tg.client.post(f"{API}/supervisor/telegram-code", headers=session_of_nobody(tg),
                       json={})
    assert r.status_code == 401


def session_of_nobody(bot: Bot) -> dict[str, str]:
    return {"Cookie": "giliran_session=not-a-session", "X-CSRF-Token": "0" * 64}
