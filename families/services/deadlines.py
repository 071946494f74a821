"""Review deadlines in official working days: the receipt's promised date, the queue's
age and overdue flag, and the cut-off of `expire_applications`. Reads only; the
calendar and the policy are passed in when a page shows many applications at once."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from families import selectors
from families.chinatime import CHINA, china_date
from families.models import CounterApplication, RegionPolicy
from families.workdays import (
    WorkCalendar,
    add_working_days,
    latest_start_older_than,
    working_days_between,
)


@dataclass(frozen=True)
class Deadline:
    review_days: int
    due: datetime.date
    age: int  # working days waited so far
    overdue: bool
    fallback: bool  # some day counted Monday–Friday: no known schedule for its year


def review_deadline(application: CounterApplication, *, calendar: WorkCalendar | None = None,
                    policy: RegionPolicy | None = None,
                    today: datetime.date | None = None) -> Deadline:
    """Due date = the submission day plus the region's review period (policy in force on
    the submission day, what the receipt promised), in official working days."""
    region_id = application.hall.region_id
    submitted = china_date(application.submitted_at)
    calendar = calendar or selectors.work_calendar(region_id)
    policy = policy or selectors.policy_in_force(region_id, submitted)
    today = today or china_date()
    due = add_working_days(submitted, policy.review_working_days, calendar)
    return Deadline(
        review_days=policy.review_working_days, due=due,
        age=working_days_between(submitted, today, calendar), overdue=due < today,
        fallback=calendar.falls_back(submitted, max(due, today)),
    )


def expiry_cutoff(region_id: int, now: datetime.datetime,
                  calendar: WorkCalendar | None = None) -> tuple[int, datetime.datetime]:
    """(working days, cut-off): pending applications of the region submitted before the
    cut-off have waited longer than the policy in force today allows."""
    today = china_date(now)
    days = selectors.policy_in_force(region_id, today).application_expiry_days
    calendar = calendar or selectors.work_calendar(region_id)
    last = latest_start_older_than(today, days, calendar)
    next_day = last + datetime.timedelta(days=1)
    return days, datetime.datetime(next_day.year, next_day.month, next_day.day, tzinfo=CHINA)
