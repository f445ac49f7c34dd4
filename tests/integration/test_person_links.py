"""Customers as one person across channels, on SQLite and PostgreSQL: a supervisor links a
WhatsApp number and an email address, whoever reads either ticket sees both, each ticket is
still answered on its own channel, and the audit log names who linked. Email customers come
in through the channels' generic intake (service/conversations/channels.receive), as the
email channel will bring them."""

from __future__ import annotations

from typing import Any

from giliran.service.conversations.channels import Incoming, receive
from tests.integration.test_api_seed import ADMIN, bearer, make_agent, online
from tests.support.desks import API, Desk
from tests.support.whatsapp_samples import BUDI

WA = f"whatsapp:{BUDI}"
MAIL = "email:budi@example.com"


def _email_from_budi(wa: Desk, text: str) -> None:
    receive(wa.container.ctx, Incoming(
        channel="email", queue="sales", contact="budi@example.com", sender="Budi",
        message_id="mail-1@example.com", text=text, at=wa.clock.now()))


def _tickets(wa: Desk) -> list[dict[str, Any]]:
    return list(wa.client.get(f"{API}/tickets", headers=ADMIN).json()["items"])


def _two_tickets(wa: Desk) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Budi's WhatsApp lead (completed) and his email ticket, both held by Sari in turn."""
    sari = make_agent(wa.client, "Sari", queues=["sales"])
    online(wa.client, sari)
    wa.says("Halo, mau tanya harga", "wamid.P1")
    (lead,) = _tickets(wa)
    wa.client.post(f"{API}/tickets/{lead['id']}/accept", headers=bearer(sari["token"]))
    wa.client.post(f"{API}/tickets/{lead['id']}/complete", headers=ADMIN)
    wa.clock.advance(3600)
    _email_from_budi(wa, "Invoice for my order")
    mail = next(t for t in _tickets(wa) if t["id"] != lead["id"])
    assert mail["assigned_agent_id"] == sari["id"]
    return sari, lead, mail


def test_linked_addresses_are_one_person_and_replies_keep_their_channel(wa: Desk) -> None:
    sari, lead, mail = _two_tickets(wa)
    own = wa.client.get(f"{API}/tickets/{mail['id']}/customer", headers=bearer(sari["token"]))
    assert own.json()["earlier_tickets"] == []  # not linked yet: two strangers
    r = wa.client.post(f"{API}/customers/{WA}/links", json={"address": "email:Budi@Example.com"},
                       headers=ADMIN)
    assert r.status_code == 200, r.text
    person = r.json()
    assert [a["key"] for a in person["addresses"]] == [WA, MAIL]
    assert [(t["number"], t["channel"]) for t in person["tickets"]] == [
        (mail["number"], "email"), (lead["number"], "whatsapp")]

    who = wa.client.get(f"{API}/tickets/{mail['id']}/customer",
                        headers=bearer(sari["token"])).json()
    assert (who["key"], who["channel"]) == (MAIL, "email")  # replies still go by email
    assert [(t["number"], t["channel"]) for t in who["earlier_tickets"]] == [
        (lead["number"], "whatsapp")]
    assert [a["address"] for a in who["linked"]] == [f"+{BUDI}", "budi@example.com"]
    page = wa.client.get(f"{API}/customers/{MAIL}", params={"limit": 1, "offset": 1},
                         headers=bearer(sari["token"])).json()
    assert ([t["number"] for t in page["tickets"]], page["total"]) == ([lead["number"]], 2)
    answer = wa.reply(mail["id"], sari["token"], text="Terlampir")
    assert answer.status_code == 201, answer.text
    assert answer.json()["channel"] == "email"  # by email, not on WhatsApp

    audit = wa.client.get(f"{API}/audit", params={"kind": "customer"}, headers=ADMIN).json()
    (line,) = audit["items"]
    assert (line["action"], line["subject"], line["after"]["addresses"]) == (
        "linked", WA, [WA, MAIL])
    gone = wa.client.delete(f"{API}/customers/{WA}/links/{MAIL}", headers=ADMIN)
    assert gone.status_code == 204
    alone = wa.client.get(f"{API}/customers/{WA}", headers=ADMIN).json()
    assert ([a["key"] for a in alone["addresses"]], alone["total"]) == ([WA], 1)


def test_bad_links_are_refused_with_stable_codes(wa: Desk) -> None:
    sari, _, _ = _two_tickets(wa)
    other = make_agent(wa.client, "Joko", queues=["sales"])
    refusals = [
        ("post", f"/customers/{WA}/links", {"address": "email:nobody@example.com"}, ADMIN,
         404, "unknown_address"),
        ("post", f"/customers/{WA}/links", {"address": "budi"}, ADMIN, 422, "invalid_input"),
        ("post", f"/customers/{WA}/links", {"address": MAIL}, bearer(sari["token"]),
         403, "forbidden"),
        ("post", "/customers/email:ghost@example.com/links", {"address": MAIL}, ADMIN,
         404, "not_found"),
        ("delete", f"/customers/{WA}/links/{MAIL}", None, ADMIN, 409, "not_linked"),
        ("get", f"/customers/{MAIL}", None, bearer(other["token"]), 403, "not_your_ticket"),
    ]
    for method, path, body, headers, status, code in refusals:
        r = wa.client.request(method.upper(), f"{API}{path}", json=body, headers=headers)
        assert (r.status_code, r.json()["error"]["code"]) == (status, code), (path, r.text)
    same = wa.client.post(f"{API}/customers/{WA}/links", json={"address": WA}, headers=ADMIN)
    assert [a["key"] for a in same.json()["addresses"]] == [WA]  # itself: nothing changes
    assert wa.client.get(f"{API}/audit", params={"kind": "customer"},
                         headers=ADMIN).json()["total"] == 0
