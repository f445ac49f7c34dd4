"""Gradual rollout: a queue's auto_assign_percent decides, per ticket and deterministically,
which new tickets are dispatched automatically and which wait for a manual pick-up."""

from __future__ import annotations

import hashlib

from giliran.domain.model import PickupPolicy, Queue


def bucket(queue: str, key: str) -> int:
    """0..99, stable across runs, processes and versions (not Python's salted hash())."""
    digest = hashlib.sha256(f"{queue}\x00{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 100


def is_automatic(queue: Queue, key: str) -> bool:
    """`key` identifies the ticket: its external_id when it has one, else its id. So the same
    lead lands on the same side whenever and however often it is posted. A queue without
    pick-ups leaves nothing for one: every ticket is automatic there."""
    if queue.auto_assign_percent >= 100 or queue.pickup is PickupPolicy.OFF:
        return True
    if queue.auto_assign_percent <= 0:
        return False
    return bucket(queue.name, key) < queue.auto_assign_percent
