"""Public holidays from the maintained `holidays` library, as the dated closed days a schedule
keeps (`domain.hours.Holiday`). Imported once per country and year into a schedule, and editable
there afterwards: the schedule holds the dates, so a library upgrade never moves a desk's days
off under it.
"""

from __future__ import annotations

import holidays as library

from giliran.domain.errors import InvalidInput
from giliran.domain.hours import Holiday

FIRST_YEAR, LAST_YEAR = 1950, 2100  # what a desk could mean; the library answers nothing outside


def country_holidays(country: str, year: int, language: str | None = None) -> list[Holiday]:
    """A country's public holidays in one year, by date, named in `language` when the library
    has it (e.g. "id", "en_US"), else in the country's own language (Indonesian for "ID"), never
    in whatever language the server's locale happens to be. Two holidays on one date are one
    closed day, their names joined."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidInput(f"year {year} is outside {FIRST_YEAR}-{LAST_YEAR}")
    code = country.strip().upper() if isinstance(country, str) else ""
    try:
        calendar = library.country_holidays(code, years=year)
    except NotImplementedError as exc:
        raise InvalidInput(f"no public holidays known for country {country!r} "
                           "(an ISO 3166-1 alpha-2 code, e.g. ID)") from exc
    wanted = _supported(language, calendar.supported_languages)
    names = library.country_holidays(code, years=year,
                                     language=wanted or calendar.default_language)
    return [Holiday(day, name) for day, name in sorted(names.items())]


def _supported(language: str | None, offered: tuple[str, ...]) -> str | None:
    """`language` as the library offers it: "id" as is, "en" as "en_US"; None if not offered."""
    if not language:
        return None
    if language in offered:
        return language
    return next((x for x in offered if x.split("_")[0] == language.split("_")[0]), None)


def supported_countries() -> list[str]:
    """The country codes the library knows, sorted."""
    return sorted(library.list_supported_countries(include_aliases=False))
