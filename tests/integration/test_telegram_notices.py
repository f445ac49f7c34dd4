"""What an agent's Telegram notices say, on SQLite and PostgreSQL, against the fake Bot API
server: the load each assignment notice tells, and the language of the link's confirmation."""

from __future__ import annotations

from giliran.domain.model import Language
from tests.integration.test_api_seed import ADMIN, make_agent, online, post_ticket
from tests.support.desks import AGENT_CHAT, API, Bot


def assignments(tg: Bot) -> list[str]:
    return [t for t in tg.fake.sent_to(AGENT_CHAT) if t.startswith("🎫")]


def test_a_burst_of_assignments_tells_each_the_load_its_own_assignment_left(tg: Bot) -> None:
    """Three tickets waiting when the agent comes online are assigned in one go; the notices
    go out after it, and each says the count and place of its own assignment."""
    agent = make_agent(tg.client, "Sari")
    tg.link(agent["id"])
    made = [post_ticket(tg.client, f"lead {i}") for i in range(3)]
    online(tg.client, agent)
    tg.deliver()
    assert [(line.splitlines()[1], line.splitlines()[-2:]) for line in assignments(tg)] == [
        (f"Ticket: {t['number']}", [f"Queue position: #{i}", f"You have {i}/5 active tickets."])
        for i, t in enumerate(made, start=1)]


def test_notices_told_after_the_agent_moved_on_keep_the_load_of_their_assignment(
    tg: Bot,
) -> None:
    """Assigned one by one; by the time the courier runs, the first is completed and a fourth
    came: each notice still reads as its assignment left the agent."""
    agent = make_agent(tg.client, "Sari", max_tickets=3)
    tg.link(agent["id"])
    online(tg.client, agent)
    first, second, third = (post_ticket(tg.client, f"lead {i}") for i in range(3))
    me = {"Authorization": f"Bearer {agent['token']}"}
    for action in ("accept", "complete"):
        assert tg.client.post(f"{API}/tickets/{first['id']}/{action}",
                              headers=me).status_code == 200
    post_ticket(tg.client, "lead 3")
    tg.deliver()
    told = assignments(tg)
    assert told[0] == (
        f"🎫 Ticket {first['number']} was assigned to you (lead 0); it has already moved on."
        "\nYou have 3/3 active tickets.")  # about now: it is gone
    assert [t.splitlines()[-1] for t in told[1:]] == [
        "You have 2/3 active tickets.", "You have 3/3 active tickets.",
        "You have 3/3 active tickets."]
    assert tg.client.get(f"{API}/agents/{agent['id']}", headers=ADMIN).json()[
        "active_tickets"] == 3
    assert second["number"] in told[1] and third["number"] in told[2]


def test_the_link_is_confirmed_in_the_dashboards_language_when_the_agent_chose_none(
    tg: Bot,
) -> None:
    """Sari's page is in Indonesian and she never chose a language for her notices: the bot
    confirms the link in Indonesian (whatever her Telegram speaks), and keeps to it."""
    sari = make_agent(tg.client, "Sari")
    me = {"Authorization": f"Bearer {sari['token']}"}
    code = tg.client.post(f"{API}/agent/telegram-code", json={"language": "id"}, headers=me)
    assert code.status_code == 200, code.text
    tg.say(AGENT_CHAT, code.json()["send_to_bot"], language_code="en")
    online(tg.client, sari)
    post_ticket(tg.client, "Tidak bisa masuk")
    tg.deliver()
    linked, assigned = tg.fake.sent_to(AGENT_CHAT)
    assert linked == ("🔗 Chat ini sekarang terhubung ke agen Sari.\n"
                      "Perintah: /online /offline /myqueue /status\n"
                      "Membalas pelanggan: balas pesannya, atau /reply INC… teks Anda")
    assert assigned.startswith("🎫 Tiket baru masuk ke antrean Anda!")
    got = tg.client.get(f"{API}/agent/me", headers=me).json()
    assert (got["language"], got["language_chosen"]) == ("id", False)


def test_an_agents_own_choice_wins_over_its_dashboards_language(tg: Bot) -> None:
    budi = make_agent(tg.client, "Budi")
    me = {"Authorization": f"Bearer {budi['token']}"}
    assert tg.client.patch(f"{API}/agent/me", json={"language": "en"},
                           headers=me).json()["language_chosen"] is True
    code = tg.client.post(f"{API}/agent/telegram-code", json={"language": "id"},
                          headers=me).json()
    tg.say(AGENT_CHAT, code["send_to_bot"], language_code="id")
    tg.deliver()
    assert tg.fake.sent_to(AGENT_CHAT)[0].startswith("🔗 This chat is now linked to agent Budi.")
    assert tg.client.get(f"{API}/agent/me", headers=me).json()["language"] == "en"


def test_without_a_choice_or_a_dashboard_the_deployments_language_speaks(tg: Bot) -> None:
    """A code an admin passes on says nothing of the agent's page: GILIRAN_DEFAULT_LANGUAGE
    (Indonesian here) speaks."""
    tg.container.ctx.default_language = Language.ID
    dewi = make_agent(tg.client, "Dewi")
    tg.link(dewi["id"], language_code="en")
    tg.deliver()
    assert tg.fake.sent_to(AGENT_CHAT)[0].startswith("🔗 Chat ini sekarang terhubung ke agen Dewi.")


def test_a_link_code_refuses_a_language_it_does_not_speak(tg: Bot) -> None:
    sari = make_agent(tg.client, "Sari")
    refused = tg.client.post(f"{API}/agent/telegram-code", json={"language": "fr"},
                             headers={"Authorization": f"Bearer {sari['token']}"})
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "invalid_request"


def test_an_admin_chooses_an_agents_language_by_changing_it(tg: Bot) -> None:
    """The supervisor's settings dialog sends the language with every save: saving the same
    one (with a new capacity) chooses nothing; changing it does."""
    sari = make_agent(tg.client, "Sari")

    def patched(**change: object) -> bool:
        r = tg.client.patch(f"{API}/agents/{sari['id']}", json=change, headers=ADMIN)
        return bool(r.json()["language_chosen"])

    assert patched(max_tickets=3, language="en") is False
    assert patched(language="id") is True
    assert patched(language="id") is True
