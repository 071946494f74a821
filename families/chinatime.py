"""Calendar rules use China time (Asia/Shanghai), whatever the active time zone."""

import datetime

from django.utils import timezone

from accounts.chinatime import CHINA, china_midnight  # noqa: F401 (one China time zone)


def china_now() -> datetime.datetime:
    return timezone.now().astimezone(CHINA)


def china_date(moment: datetime.datetime | None = None) -> datetime.date:
    return (moment or timezone.now()).astimezone(CHINA).date()


def natural_month_bounds(moment: datetime.datetime) -> tuple[datetime.datetime, datetime.datetime]:
    """[start, end) of the natural month (自然月) containing `moment`, in China time."""
    local = moment.astimezone(CHINA)
    start = datetime.datetime(local.year, local.month, 1, tzinfo=CHINA)
    if local.month == 12:
        end = datetime.datetime(local.year + 1, 1, 1, tzinfo=CHINA)
    else:
        end = datetime.datetime(local.year, local.month + 1, 1, tzinfo=CHINA)
    return start, end


def age_on(birth: datetime.date, day: datetime.date) -> int:
    """Completed years: a person turns N on the N-th birthday (29 Feb → 1 Mar)."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def add_months(day: datetime.date, months: int) -> datetime.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate_day in (day.day, 30, 29, 28):
        try:
            return datetime.date(year, month, candidate_day)
        except ValueError:
            continue
    raise ValueError(day)
