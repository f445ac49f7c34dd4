"""Opening hours: named schedules (a timezone, the week's intervals, dated exceptions and
holidays) that queues keep by name (PATCH /queues/{name} {"schedule": name})."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, Field, StringConstraints
from pydantic import Strict as PydanticStrict

from giliran.domain import errors as e
from giliran.domain.hours import WEEKDAYS, Holiday, format_minute, weekly_text
from giliran.entrypoints.api.deps import ApiRoute, Configurer, Ctx, Run, Supervisor
from giliran.entrypoints.api.errors import refusals
from giliran.entrypoints.api.schemas import Strict
from giliran.service.queues import schedules
from giliran.service.queues.schedules import DayIn, ScheduleFields, ScheduleNow

router = APIRouter(route_class=ApiRoute, tags=["schedules"])

NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,99}$"
ScheduleName = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]
PathName = Annotated[str, Path(pattern=NAME_PATTERN)]
Time = Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")]
Interval = Annotated[list[Time], Field(min_length=2, max_length=2)]
Intervals = Annotated[list[Interval], Field(max_length=24)]
Timezone = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Country = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2,3}$")]
HolidayLanguage = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}(_[A-Z]{2})?$")]
Note = Annotated[str, StringConstraints(max_length=200)]
HolidayName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                               max_length=200)]
Year = Annotated[int, PydanticStrict(), Field(ge=2000, le=2100)]
# Dates within the years a schedule can mean (date's own range reaches 9999).
Day = Annotated[date, Field(ge=date(2000, 1, 1), le=date(2100, 12, 31))]
HOURS_DOC = ('{"mon": [["08:00", "12:00"], ["13:00", "17:00"]], ...} in the schedule\'s '
             'timezone; a weekday left out is closed; "24:00" ends a day')


class Week(Strict):
    mon: Intervals | None = None
    tue: Intervals | None = None
    wed: Intervals | None = None
    thu: Intervals | None = None
    fri: Intervals | None = None
    sat: Intervals | None = None
    sun: Intervals | None = None


class ExceptionDay(Strict):
    date: Day
    hours: Intervals = Field(default_factory=list, description="[] (or none): closed that day")
    note: Note = ""


class HolidayIn(Strict):
    date: Day
    name: HolidayName


class ScheduleBody(Strict):
    timezone: Timezone | None = Field(default=None, description="An IANA name: Asia/Jakarta")
    hours: Week | None = Field(default=None, description=HOURS_DOC)
    exceptions: list[ExceptionDay] | None = Field(
        default=None, max_length=1000, description="Dated special hours or closed days (win "
                                                   "over holidays and the week)")


class ScheduleCreate(ScheduleBody):
    name: ScheduleName = Field(description="Lowercase letters, digits, '-' and '_'")
    timezone: Timezone = Field(description="An IANA name: Asia/Jakarta")
    holidays: Country | None = Field(
        default=None, description="A country code (ID): its public holidays for this year and "
                                  "next are imported; edit them with PATCH")
    holiday_language: HolidayLanguage | None = Field(
        default=None, description="Name the imported holidays in this language where the "
                                  "calendar has it (en, id); default the country's own")


class SchedulePatch(ScheduleBody):
    holidays: list[HolidayIn] | None = Field(
        default=None, max_length=1000, description="The closed holidays, as a whole")


class HolidayImport(Strict):
    country: Country = Field(description="ISO 3166 code: ID for Indonesia")
    year: Year
    language: HolidayLanguage | None = Field(
        default=None, description="Name them in this language where the calendar has it (en, "
                                  "id); default the country's own")


class ExceptionOut(BaseModel):
    date: date
    hours: list[list[str]]
    note: str


class HolidayOut(BaseModel):
    date: date
    name: str


class ScheduleOut(BaseModel):
    name: str
    timezone: str
    hours: dict[str, list[list[str]]] = Field(description=HOURS_DOC)
    exceptions: list[ExceptionOut]
    holidays: list[HolidayOut]
    holiday_country: str | None = Field(description="The country whose holidays were imported")
    open_now: bool = Field(description="Open at the server's time of the answer")
    until: datetime | None = Field(description="When it next closes (open) or opens (closed); "
                                   "null: never")
    queues: list[str] = Field(description="The queues that keep it")

    @classmethod
    def of(cls, found: ScheduleNow) -> ScheduleOut:
        s = found.schedule
        return cls(
            name=s.name, timezone=s.timezone, hours=weekly_text(s),
            exceptions=[ExceptionOut(date=x.day, note=x.note, hours=[
                [format_minute(a), format_minute(b)] for a, b in x.hours])
                for x in s.exceptions],
            holidays=[HolidayOut(date=h.day, name=h.name) for h in s.holidays],
            holiday_country=s.holiday_country, open_now=found.state.open,
            until=found.state.until, queues=list(found.queues))


class Schedules(BaseModel):
    items: list[ScheduleOut]


def _fields(body: ScheduleBody, holidays: list[HolidayIn] | None = None) -> ScheduleFields:
    hours = None
    if body.hours is not None:
        given = body.hours.model_dump(exclude_none=True)
        hours = {day: given[day] for day in WEEKDAYS if day in given}
    exceptions = None if body.exceptions is None else [
        DayIn(x.date, x.hours, x.note) for x in body.exceptions]
    return ScheduleFields(
        timezone=body.timezone, hours=hours, exceptions=exceptions,
        holidays=None if holidays is None else [Holiday(h.date, h.name) for h in holidays])


CHANGE = refusals(e.NotFound, e.InvalidInput)


@router.get("/schedules", response_model=Schedules)
def list_schedules(ctx: Ctx, who: Supervisor) -> Schedules:
    """Every schedule, by name, with whether it is open now and until when."""
    return Schedules(items=[ScheduleOut.of(s) for s in schedules.list_schedules(ctx, who)])


@router.post("/schedules", status_code=201, response_model=ScheduleOut,
             openapi_extra=refusals(e.Conflict, e.InvalidInput))
async def create_schedule(body: ScheduleCreate, ctx: Ctx, who: Configurer,
                          run: Run) -> ScheduleOut:
    """A named schedule. `hours` per weekday (several intervals a day for split shifts),
    `exceptions` by date, and `holidays` a country whose public holidays (this year and next)
    close it. A queue keeps it with PATCH /queues/{name} {"schedule": name}."""
    return ScheduleOut.of(await run.write(schedules.create_schedule, ctx, who, body.name,
                                          _fields(body), body.holidays, body.holiday_language))


@router.get("/schedules/{name}", response_model=ScheduleOut,
            openapi_extra=refusals(e.NotFound))
def get_schedule(name: PathName, ctx: Ctx, who: Supervisor) -> ScheduleOut:
    return ScheduleOut.of(schedules.get_schedule(ctx, who, name))


@router.patch("/schedules/{name}", response_model=ScheduleOut, openapi_extra=CHANGE)
async def change_schedule(name: PathName, body: SchedulePatch, ctx: Ctx, who: Configurer,
                          run: Run) -> ScheduleOut:
    """The fields sent replace the schedule's: `hours` the whole week, `exceptions` and
    `holidays` each as a whole. Queues keeping it follow at once (open timers' due times are
    recomputed from when they started)."""
    return ScheduleOut.of(await run.write(schedules.change_schedule, ctx, who, name,
                                          _fields(body, body.holidays)))


@router.delete("/schedules/{name}", status_code=204,
               openapi_extra=refusals(e.NotFound, e.ScheduleInUse))
async def delete_schedule(name: PathName, ctx: Ctx, who: Configurer, run: Run) -> Response:
    """Refused (409 schedule_in_use) while a queue keeps it."""
    await run.write(schedules.delete_schedule, ctx, who, name)
    return Response(status_code=204)


@router.post("/schedules/{name}/holidays", response_model=ScheduleOut, openapi_extra=CHANGE)
async def import_holidays(name: PathName, body: HolidayImport, ctx: Ctx, who: Configurer,
                          run: Run) -> ScheduleOut:
    """A country's public holidays of a year added to the schedule (a date it has already
    keeps its own name). Edit them afterwards with PATCH `holidays`."""
    return ScheduleOut.of(await run.write(schedules.import_holidays, ctx, who, name,
                                          body.country, body.year, body.language))
