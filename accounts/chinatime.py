"""China time (Asia/Shanghai) for the base layer; calendar rules built on it live in
families.chinatime."""

import datetime
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")


def china_midnight(day: datetime.date) -> datetime.datetime:
    """00:00 China time of `day` (the start of a China calendar day)."""
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=CHINA)
