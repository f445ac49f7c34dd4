"""The follow-up template after WhatsApp's 24-hour window, on SQLite and PostgreSQL: the
conversation says whether one can be sent, so the page offers it only then."""

from __future__ import annotations

from typing import Any

from giliran.adapters.clock import FakeClock
from tests.integration.test_api_seed import ADMIN
from tests.support.desks import API, Desk, whatsapp_desk


def closed_window(wa: Desk) -> tuple[dict[str, Any], dict[str, Any]]:
    """A lead whose customer last wrote more than 24 hours ago, and who that customer is."""
    wa.says("Halo, mau tanya harga paket premium", "wamid.T1")
    (lead,) = wa.client.get(f"{API}/tickets", headers=ADMIN).json()["items"]
    wa.clock.advance(24 * 3600 + 1)
    customer = wa.client.get(f"{API}/tickets/{lead['id']}/customer", headers=ADMIN).json()
    return lead, customer


def test_a_configured_template_is_offered_and_goes(wa: Desk) -> None:
    lead, customer = closed_window(wa)
    assert (customer["window_open"], customer["template_available"]) == (False, True)
    assert wa.reply(lead["id"], template=True).status_code == 201


def test_without_a_configured_template_none_is_offered(database_url: str,
                                                       clock: FakeClock) -> None:
    with whatsapp_desk(database_url, clock, template=None) as wa:
        lead, customer = closed_window(wa)
        assert (customer["window_open"], customer["template_available"]) == (False, False)
        refused = wa.reply(lead["id"], template=True)
        assert refused.status_code == 503
        assert refused.json()["error"]["code"] == "not_configured"
