"""Official working days. Pure functions over a `WorkCalendar` value.

The schedule is the State Council's (holidays and 调休 make-up working days) as shipped by
the `chinesecalendar` package, plus the calendar override table (a local holiday, a year
the package does not cover yet) which wins over the package. A date outside every known
schedule counts Monday–Friday, and `WorkCalendar.falls_back(...)` tells the page so.

A calendar is built once (`families.selectors.work_calendar`, one query) and passed in;
nothing here touches the database.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field

import chinese_calendar

ONE_DAY = datetime.timedelta(days=1)


@functools.cache
def _package_covers(year: int) -> bool:
    try:
        chinese_calendar.is_workday(datetime.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


@functools.lru_cache(maxsize=8192)
def _official(day: datetime.date) -> bool | None:
    """The State Council schedule's answer, or None for a year the package lacks.
    Cached: the package validates and looks up each date in about 20 µs, and a page
    (the dashboard's queue ageing, the review queue) asks for the same dates again."""
    if not _package_covers(day.year):
        return None
    return chinese_calendar.is_workday(day)


@dataclass(frozen=True)
class WorkCalendar:
    """Overrides (date → is working day) already merged for one region (a regional row
    wins over a national one); `override_years` are years the national override table
    extends (a year entered there by hand counts as a known schedule)."""

    overrides: Mapping[datetime.date, bool] = field(default_factory=dict)
    override_years: frozenset[int] = frozenset()

    def is_working_day(self, day: datetime.date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        official = _official(day)
        return day.weekday() < 5 if official is None else official

    def knows_year(self, year: int) -> bool:
        """True if the package or the national override table covers the year."""
        return year in self.override_years or _package_covers(year)

    def falls_back(self, start: datetime.date, end: datetime.date) -> bool:
        """True if some date between `start` and `end` (either order) is counted
        Monday–Friday because no known schedule covers its year."""
        low, high = min(start, end), max(start, end)
        return not all(self.knows_year(year) for year in range(low.year, high.year + 1))


OFFICIAL = WorkCalendar()  # the package's schedule, no overrides


def working_days_between(start: datetime.date, end: datetime.date,
                         calendar: WorkCalendar = OFFICIAL) -> int:
    """Working days after `start` up to and including `end`: an application taken on the
    last working day before 国庆 is 1 working day old on the first working day after it."""
    count = 0
    day = start + ONE_DAY
    while day <= end:
        if calendar.is_working_day(day):
            count += 1
        day += ONE_DAY
    return count


def add_working_days(start: datetime.date, days: int,
                     calendar: WorkCalendar = OFFICIAL) -> datetime.date:
    """The date `days` working days after `start` (the receipt's promised date)."""
    day = start
    while days > 0:
        day += ONE_DAY
        if calendar.is_working_day(day):
            days -= 1
    return day


def latest_start_older_than(today: datetime.date, days: int,
                            calendar: WorkCalendar = OFFICIAL) -> datetime.date:
    """The latest date `d` with working_days_between(d, today) > days: everything
    submitted on or before it has waited longer than `days` working days."""
    counted = 0
    day = today
    while True:
        if calendar.is_working_day(day):
            counted += 1
        day -= ONE_DAY
        if counted > days:
            return day
