"""Public holidays imported from the `holidays` library into a schedule's closed days."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from giliran.adapters.holidays import country_holidays, supported_countries
from giliran.domain import hours
from giliran.domain.errors import InvalidInput
from giliran.domain.hours import Schedule

# Indonesia's fixed-date national holidays (the moving ones, Islamic, Chinese, Balinese and
# Christian, come from the library's calendars and are only estimated years ahead).
FIXED = {date(2027, 1, 1), date(2027, 5, 1), date(2027, 6, 1), date(2027, 8, 17),
         date(2027, 12, 25)}


def test_indonesias_holidays_for_a_year_in_indonesian_by_default() -> None:
    found = country_holidays("ID", 2027)
    days = [h.day for h in found]
    assert set(days) >= FIXED
    assert days == sorted(days) and len(days) == len(set(days))  # one closed day per date
    assert all(d.year == 2027 for d in days) and all(h.name for h in found)
    assert len(found) >= 15  # the moving ones are there too (Idul Fitri, Waisak, Nyepi, ...)
    names = {h.day: h.name for h in found}
    assert names[date(2027, 12, 25)] == "Hari Raya Natal"
    assert names[date(2027, 8, 17)] == "Hari Kemerdekaan Republik Indonesia"


def test_names_in_another_language_the_library_has_and_the_default_otherwise() -> None:
    english = {h.day: h.name for h in country_holidays("ID", 2027, language="en_US")}
    assert english[date(2027, 12, 25)] == "Christmas Day"
    unknown = {h.day: h.name for h in country_holidays("ID", 2027, language="xx")}
    assert unknown[date(2027, 12, 25)] == "Hari Raya Natal"


def test_two_holidays_on_one_date_are_one_closed_day_with_both_names() -> None:
    # 2021-05-13: Idul Fitri and Ascension Day fell on the same Thursday.
    found = [h for h in country_holidays("ID", 2021) if h.day == date(2021, 5, 13)]
    assert len(found) == 1
    assert "Idul Fitri" in found[0].name and "Kenaikan" in found[0].name


def test_any_country_the_library_knows_and_codes_in_lower_case() -> None:
    assert {h.day for h in country_holidays("de", 2027)} >= {date(2027, 10, 3)}
    assert date(2027, 7, 5) in {h.day for h in country_holidays("US", 2027)}  # 4th observed
    countries = supported_countries()
    assert {"ID", "DE", "US", "SG", "MY"} <= set(countries) and countries == sorted(countries)


@pytest.mark.parametrize("country", ["XX", "", "Indonesia", "I D"])
def test_an_unknown_country_is_refused(country: str) -> None:
    with pytest.raises(InvalidInput, match="country"):
        country_holidays(country, 2027)


@pytest.mark.parametrize("year", [0, 1949, 2101, 99999])
def test_a_year_no_desk_could_mean_is_refused(year: int) -> None:
    with pytest.raises(InvalidInput, match="year"):
        country_holidays("ID", year)


def test_a_schedule_with_the_imported_holidays_is_closed_on_them() -> None:
    weekdays = hours.parse_weekly({d: [["08:00", "17:00"]]
                                   for d in ("mon", "tue", "wed", "thu", "fri")})
    jakarta = Schedule("jakarta", "Asia/Jakarta", weekdays,
                       holidays=tuple(country_holidays("ID", 2027)), holiday_country="ID")
    # Tuesday 17 August 2027, 10:00 in Jakarta (03:00 UTC): Independence Day.
    independence = datetime(2027, 8, 17, 3, 0, tzinfo=UTC)
    assert not hours.is_open(jakarta, independence)
    assert hours.next_open(jakarta, independence) == datetime(2027, 8, 18, 1, 0, tzinfo=UTC)
    assert jakarta.holiday(date(2027, 8, 17)) == "Hari Kemerdekaan Republik Indonesia"
