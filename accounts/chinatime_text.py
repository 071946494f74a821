"""One way to print a moment for staff: China time, to the second, no microseconds."""

import datetime
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")


def china_time_text(moment: datetime.datetime | None) -> str:
    if moment is None:
        return "—"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S")
