"""Settings an admin changes while the service runs. They live in the database, so every
process and replica sees the same value; the environment only gives the starting default."""

from __future__ import annotations

from dataclasses import dataclass

from giliran.domain.errors import InvalidInput
from giliran.domain.people import Can
from giliran.service.audit_log import record_setting
from giliran.service.context import Context, Principal
from giliran.service.ports import UnitOfWork

PRESENCE_GRACE = "presence_grace_seconds"
MAX_GRACE_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True)
class RuntimeSettings:
    presence_grace_seconds: int


def presence_grace(ctx: Context, uow: UnitOfWork) -> int:
    stored = uow.settings.get(PRESENCE_GRACE)
    return int(stored) if stored is not None else ctx.presence_grace_seconds


def get_settings(ctx: Context, who: Principal) -> RuntimeSettings:
    who.require(Can.SUPERVISE)
    with ctx.uow(write=False) as uow:
        return RuntimeSettings(presence_grace(ctx, uow))


def update_settings(
    ctx: Context, who: Principal, *, presence_grace_seconds: int | None
) -> RuntimeSettings:
    who.require(Can.CONFIGURE)
    with ctx.uow(write=True) as uow:
        if presence_grace_seconds is not None:
            if not 0 <= presence_grace_seconds <= MAX_GRACE_SECONDS:
                raise InvalidInput(f"presence_grace_seconds must be 0..{MAX_GRACE_SECONDS}")
            was = presence_grace(ctx, uow)
            uow.settings.put(PRESENCE_GRACE, str(presence_grace_seconds))
            record_setting(uow, ctx.clock.now(), who.by, PRESENCE_GRACE, was,
                           presence_grace_seconds)
        current = RuntimeSettings(presence_grace(ctx, uow))
        uow.commit()
    return current
