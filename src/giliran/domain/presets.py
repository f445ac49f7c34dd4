"""Presets: a queue's policy set at once for the kind of desk it serves.

`lead_rotation` is the WhatsApp lead desk: a strict turn, one open lead per agent until they
respond, five minutes to respond before the lead moves to the next in turn, and pick-ups only by
the agent whose turn it is. `ticket_desk` puts those same fields back to giliran's defaults.
Other fields of a queue (timers, rollout, offline policy...) are left as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from enum import StrEnum
from typing import Any

from giliran.domain.model import ClaimPolicy, Queue, SlotFreedOn, StrategyName


class Preset(StrEnum):
    LEAD_ROTATION = "lead_rotation"
    TICKET_DESK = "ticket_desk"


FIELDS = ("strategy", "max_per_agent", "slot_freed_on", "accept_timeout_seconds", "claim")
_DEFAULTS = Queue("defaults")

PRESETS: Mapping[Preset, Mapping[str, Any]] = {
    Preset.LEAD_ROTATION: {
        "strategy": StrategyName.ROTATION, "max_per_agent": 1,
        "slot_freed_on": SlotFreedOn.ACCEPT, "accept_timeout_seconds": 300,
        "claim": ClaimPolicy.TURN,
    },
    Preset.TICKET_DESK: {name: getattr(_DEFAULTS, name) for name in FIELDS},
}


def apply(queue: Queue, preset: Preset) -> Queue:
    return replace(queue, **PRESETS[preset])
