"""Opening hours administered: an admin creates, reads, changes and deletes named schedules
(domain/hours.py), imports a country's public holidays into one, and a queue keeps one by name.

Each change is a line of the audit log with who made it. A schedule a queue keeps cannot be
deleted (the queue would silently become always open: 409 schedule_in_use), and a queue cannot
be set to keep one that does not exist (422 unknown_schedule). What each answer shows of a
schedule's state now (`open_now`, `until`) is read with the context's clock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import cache
from typing import Any

from giliran.domain import audit
from giliran.domain.errors import (
    Conflict,
    InvalidInput,
    NotConfigured,
    NotFound,
    ScheduleInUse,
    UnknownSchedule,
)
from giliran.domain.events import schedule_event
from giliran.domain.hours import (
    Holiday,
    OpenState,
    Schedule,
    SpecialDay,
    known_timezones,
    parse_intervals,
    parse_weekly,
    state,
)
from giliran.domain.people import Can
from giliran.service.audit_log import append_entry
from giliran.service.context import Context, Principal
from giliran.service.ports import UnitOfWork
from giliran.service.sla import clocks as sla_clocks

Hours = Mapping[str, Sequence[Sequence[str]]]


@dataclass(frozen=True)
class DayIn:
    """A dated exception as given: its hours ([] = closed that day) and a note."""

    day: date
    hours: Sequence[Sequence[str]] = ()
    note: str = ""


@dataclass(frozen=True)
class ScheduleFields:
    """What a request sets; None leaves a field as it is (on creation: closed, none)."""

    timezone: str | None = None
    hours: Hours | None = None  # the whole week; a weekday left out is closed
    exceptions: Sequence[DayIn] | None = None
    holidays: Sequence[Holiday] | None = None


@dataclass(frozen=True)
class ScheduleNow:
    """A schedule as the API shows it: open now or not, until when, and who keeps it."""

    schedule: Schedule
    state: OpenState
    queues: tuple[str, ...]


def list_schedules(ctx: Context, who: Principal) -> list[ScheduleNow]:
    who.require(Can.SUPERVISE)
    with ctx.uow(write=False) as uow:
        return [_now(ctx, uow, s) for s in uow.schedules.all()]


def get_schedule(ctx: Context, who: Principal, name: str) -> ScheduleNow:
    who.require(Can.SUPERVISE)
    with ctx.uow(write=False) as uow:
        return _now(ctx, uow, _schedule_or_404(uow, name))


def create_schedule(ctx: Context, who: Principal, name: str, fields: ScheduleFields,
                    holidays_of: str | None = None,
                    language: str | None = None) -> ScheduleNow:
    """A new schedule; `holidays_of` imports that country's holidays for this year and next
    (in the schedule's timezone) besides any given, named in `language` where the calendar
    has it (the console sends its own), else in the country's language."""
    who.require(Can.CONFIGURE)
    if fields.timezone is None:
        raise InvalidInput("a schedule needs a timezone (an IANA name, e.g. Asia/Jakarta)")
    schedule = _changed(Schedule(name, _timezone(fields.timezone)), fields)
    if holidays_of is not None:
        year = schedule.local_date(ctx.clock.now()).year
        schedule = _with_holidays(ctx, schedule, holidays_of, (year, year + 1), language)
    with ctx.uow(write=True) as uow:
        if uow.schedules.get(name) is not None:
            raise Conflict(f"a schedule named {name!r} exists")
        uow.schedules.add(schedule)
        _audit(ctx, uow, who, schedule, None, "created")
        return _told(ctx, uow, who, schedule, "created")


def change_schedule(ctx: Context, who: Principal, name: str,
                    fields: ScheduleFields) -> ScheduleNow:
    """The fields given replace the schedule's (the week, the exceptions or the holidays each
    as a whole). Timers of the queues keeping it follow at once (their cutoffs are worked out
    from stored starts at each pass); a running business-hours SLA clock keeps the open time it
    used under the old hours and counts the rest from now under the new (docs/sla.md)."""
    who.require(Can.CONFIGURE)
    with ctx.uow(write=True) as uow:
        current = _schedule_or_404(uow, name)
        schedule = _changed(current, fields)
        uow.schedules.save(schedule)
        sla_clocks.schedule_edited(uow, current, ctx.clock.now())
        _audit(ctx, uow, who, schedule, current, "changed")
        return _told(ctx, uow, who, schedule, "changed")


def import_holidays(ctx: Context, who: Principal, name: str, country: str,
                    year: int, language: str | None = None) -> ScheduleNow:
    """The country's holidays of `year` added to the schedule's; a date it already has keeps
    its own (an admin's edit wins). Editable afterwards like any holiday."""
    who.require(Can.CONFIGURE)
    found = _library(ctx)(country, year, language)
    with ctx.uow(write=True) as uow:
        current = _schedule_or_404(uow, name)
        schedule = replace(current, holidays=_merged(current.holidays, found),
                           holiday_country=country.upper())
        uow.schedules.save(schedule)
        sla_clocks.schedule_edited(uow, current, ctx.clock.now())
        _audit(ctx, uow, who, schedule, current, f"holidays {country.upper()} {year}")
        return _told(ctx, uow, who, schedule, "holidays_imported")


def delete_schedule(ctx: Context, who: Principal, name: str) -> None:
    """Refused while a queue keeps it: set those queues' schedule first."""
    who.require(Can.CONFIGURE)
    with ctx.uow(write=True) as uow:
        current = _schedule_or_404(uow, name)
        users = _keepers(uow, name)
        if users:
            raise ScheduleInUse(f"schedule {name!r} is kept by queue(s) {', '.join(users)}: "
                                "give them another schedule (or none) first")
        uow.schedules.delete(name)
        uow.audit.append(audit.AuditEntry(ctx.clock.now(), who.by, audit.AuditKind.SCHEDULE,
                                          name, "deleted", audit.schedule_fields(current),
                                          None))
        uow.record(schedule_event("deleted", ctx.clock.now(), name=name, by=who.by))
        uow.commit()


def require_schedule(uow: UnitOfWork, name: str) -> None:
    """For a queue set to keep `name`."""
    if uow.schedules.get(name) is None:
        raise UnknownSchedule(f"no schedule named {name!r} (GET /api/v1/schedules lists them)")


def _schedule_or_404(uow: UnitOfWork, name: str) -> Schedule:
    found = uow.schedules.get(name)
    if found is None:
        raise NotFound(f"no schedule named {name!r}")
    return found


def _keepers(uow: UnitOfWork, name: str) -> tuple[str, ...]:
    return tuple(sorted(q.name for q in uow.queues.all() if q.schedule == name))


def _now(ctx: Context, uow: UnitOfWork, schedule: Schedule) -> ScheduleNow:
    return ScheduleNow(schedule, state(schedule, ctx.clock.now()),
                       _keepers(uow, schedule.name))


def _told(ctx: Context, uow: UnitOfWork, who: Principal, schedule: Schedule,
          action: str) -> ScheduleNow:
    """The change's event (the schedule as the answer shows it), then the commit."""
    now = _now(ctx, uow, schedule)
    uow.record(schedule_event(action, ctx.clock.now(), name=schedule.name,
                              shown=(schedule, now.state, now.queues), by=who.by))
    uow.commit()
    return now


def _changed(schedule: Schedule, fields: ScheduleFields) -> Schedule:
    updates: dict[str, Any] = {}
    if fields.timezone is not None:
        updates["timezone"] = _timezone(fields.timezone)
    if fields.hours is not None:
        updates["weekly"] = parse_weekly(fields.hours)
    if fields.exceptions is not None:
        updates["exceptions"] = _exceptions(fields.exceptions)
    if fields.holidays is not None:
        _unique((h.day for h in fields.holidays), "holidays")
        updates["holidays"] = tuple(sorted(fields.holidays, key=lambda h: h.day))
    return replace(schedule, **updates)


def _exceptions(days: Sequence[DayIn]) -> tuple[SpecialDay, ...]:
    _unique((d.day for d in days), "exceptions")
    return tuple(SpecialDay(d.day, parse_intervals(d.hours, d.day.isoformat()), d.note)
                 for d in sorted(days, key=lambda d: d.day))


def _unique(days: Any, where: str) -> None:
    seen: set[date] = set()
    for day in days:
        if day in seen:
            raise InvalidInput(f"{where}: {day.isoformat()} is given twice")
        seen.add(day)


def _timezone(name: str) -> str:
    # Checked against the list, not by loading: ZoneInfo("America") is a directory (OSError).
    if name not in _timezones():
        raise InvalidInput(f"unknown timezone {name!r} (an IANA name, e.g. Asia/Jakarta)")
    return name


@cache
def _timezones() -> frozenset[str]:
    return known_timezones()


def _library(ctx: Context) -> Any:
    if ctx.holidays is None:
        raise NotConfigured("no holiday calendar is available here")
    return ctx.holidays


def _with_holidays(ctx: Context, schedule: Schedule, country: str,
                   years: Sequence[int], language: str | None) -> Schedule:
    found = [h for year in years for h in _library(ctx)(country, year, language)]
    return replace(schedule, holidays=_merged(schedule.holidays, found),
                   holiday_country=country.upper())


def _merged(kept: Sequence[Holiday], found: Sequence[Holiday]) -> tuple[Holiday, ...]:
    days = {h.day: h for h in found}
    days.update({h.day: h for h in kept})
    return tuple(days[d] for d in sorted(days))


def _audit(ctx: Context, uow: UnitOfWork, who: Principal, schedule: Schedule,
           before: Schedule | None, action: str) -> None:
    append_entry(uow, audit.change(
        at=ctx.clock.now(), actor=who.by, kind=audit.AuditKind.SCHEDULE, subject=schedule.name,
        action=action, before=audit.schedule_fields(before) if before is not None else None,
        after=audit.schedule_fields(schedule)))
