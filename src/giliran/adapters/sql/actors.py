"""An actor as the history and the audit log store it: its key in `actor` (as always), and who
that was in four columns beside (migration 0025). Lines from before those columns read back
as an actor known by its key alone."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Integer, String

from giliran.domain.actor import Actor, Via

ACTOR_COLUMNS = ("actor", "actor_user_id", "actor_name", "actor_via", "actor_token")


def actor_columns() -> list[Column[Any]]:
    return [Column("actor", String(100), nullable=False),
            Column("actor_user_id", Integer, nullable=True),
            Column("actor_name", String(200), nullable=True),
            Column("actor_via", String(20), nullable=True),
            Column("actor_token", String(100), nullable=True)]


def actor_values(actor: Actor) -> dict[str, Any]:
    return {"actor": actor.key, "actor_user_id": actor.user_id,
            "actor_name": actor.name[:200], "actor_via": actor.via.value,
            "actor_token": actor.token}


def actor_of_row(row: Any) -> Actor:
    if row.actor_via is None:  # written before actors had names
        return Actor.of_key(row.actor)
    return Actor(row.actor, row.actor_name or row.actor, Via(row.actor_via),
                 row.actor_user_id, row.actor_token)
