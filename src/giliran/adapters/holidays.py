"""Public holidays from the maintained `holidays` library, by country and year: what an admin
imports into a schedule (and may edit afterwards). Indonesia is "ID"; any ISO 3166 code the
library knows works, anything else is refused as input."""

from __future__ import annotations

import holidays as library

from giliran.domain.errors import InvalidInput
from giliran.domain.hours import Holiday


def country_holidays(country: str, year: int) -> list[Holiday]:
    """The country's holidays in `year`, by date (several on one date: one name, joined)."""
    try:
        found = library.country_holidays(country.upper(), years=year)
    except NotImplementedError as exc:
        raise InvalidInput(f"no holidays known for country {country!r} (an ISO 3166 code, "
                           "e.g. ID)") from exc
    return [Holiday(day, name) for day, name in sorted(found.items())]
