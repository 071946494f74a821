"""Working days (Mon–Fri; public holidays are not modelled). Pure functions."""

import datetime


def working_days_between(start: datetime.date, end: datetime.date) -> int:
    """Mon-Fri days after `start` up to and including `end` (public holidays are not
    modelled): an application taken on Friday is 1 working day old on Monday."""
    if end <= start:
        return 0
    days = (end - start).days
    full_weeks, rest = divmod(days, 7)
    count = full_weeks * 5
    for offset in range(1, rest + 1):
        if (start + datetime.timedelta(days=full_weeks * 7 + offset)).weekday() < 5:
            count += 1
    return count


def add_working_days(start: datetime.date, days: int) -> datetime.date:
    day = start
    while days > 0:
        day += datetime.timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


