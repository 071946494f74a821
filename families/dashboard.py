"""监管看板: the numbers of a region's halls for today and the last 30 days (China time).

Every query reads an indexed range (intakes by hall + submission time, decisions by hall
+ decision time, the pending partial index, audit events by action + time, the pre-check
counters by day) or a small table (halls, batch jobs), so the page costs the same with
10 million persons as with a thousand; the number of queries does not depend on the
number of halls or rows."""

from __future__ import annotations

import datetime
import math
import statistics
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Count
from django.db.models.functions import TruncDate

from accounts.models import ServiceHall
from audit.models import AuditEvent
from families import selectors
from families.chinatime import CHINA
from families.choices import ApplicationStatus
from families.models import BatchJob, CounterApplication, PrecheckRefusal, RegionPolicy
from families.workdays import WorkCalendar, add_working_days, working_days_between

DAYS = 30
AGE_BUCKETS = ((0, 0, "0"), (1, 1, "1"), (2, 2, "2"), (3, 3, "3"), (4, 5, "4–5"),
               (6, 10, "6–10"), (11, None, ">10"))
ENDED_ACTIONS = {"application_withdraw": "withdrawals", "application_expire": "expiries"}


def _midnight(day: datetime.date) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, tzinfo=CHINA)


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile (p90 of 10 values is the 9th smallest)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


@dataclass
class HallRow:
    hall: ServiceHall
    today: Counter = field(default_factory=Counter)
    month: Counter = field(default_factory=Counter)
    pending: int = 0
    overdue: int = 0
    hours: list[float] = field(default_factory=list)

    @property
    def median_hours(self) -> float | None:
        return round(statistics.median(self.hours), 1) if self.hours else None

    @property
    def p90_hours(self) -> float | None:
        value = percentile(self.hours, 90)
        return None if value is None else round(value, 1)


@dataclass
class Dashboard:
    today: datetime.date
    start: datetime.date
    halls: list[HallRow]
    daily: dict[str, list[int]]  # metric → count per day, start..today
    days: list[datetime.date]
    reject_reasons: list[tuple[str, int]]
    pending_ages: list[tuple[str, int]]
    refusals: list[tuple[str, int]]
    batch_jobs: list[BatchJob]
    all_hours: list[float]
    fallback: bool

    @property
    def median_hours(self) -> float | None:
        return round(statistics.median(self.all_hours), 1) if self.all_hours else None

    @property
    def p90_hours(self) -> float | None:
        value = percentile(self.all_hours, 90)
        return None if value is None else round(value, 1)


def build_dashboard(*, region_id: int, today: datetime.date,
                    calendar: WorkCalendar | None = None) -> Dashboard:
    calendar = calendar or selectors.work_calendar(region_id)
    start = today - datetime.timedelta(days=DAYS - 1)
    since, until = _midnight(start), _midnight(today + datetime.timedelta(days=1))
    halls = {h.pk: HallRow(h) for h in ServiceHall.objects.filter(region_id=region_id)
             .order_by("code")}
    by_code = {row.hall.code: row for row in halls.values()}
    days = [start + datetime.timedelta(days=i) for i in range(DAYS)]
    daily = {m: [0] * DAYS for m in ("intakes", "approvals", "rejections",
                                     "withdrawals", "expiries")}

    def count(row: HallRow | None, metric: str, day: datetime.date, n: int = 1) -> None:
        if row is None or not start <= day <= today:
            return
        row.month[metric] += n
        if day == today:
            row.today[metric] += n
        daily[metric][(day - start).days] += n

    intakes = (CounterApplication.objects.filter(hall__in=list(halls), submitted_at__gte=since,
                                                 submitted_at__lt=until)
               .annotate(day=TruncDate("submitted_at", tzinfo=CHINA))
               .values("hall", "day").annotate(n=Count("pk")))
    for item in intakes:
        count(halls.get(item["hall"]), "intakes", item["day"], item["n"])

    reasons: Counter = Counter()
    all_hours: list[float] = []
    decided = CounterApplication.objects.filter(
        hall__in=list(halls), reviewed_at__gte=since, reviewed_at__lt=until,
        status__in=[ApplicationStatus.APPROVED, ApplicationStatus.REJECTED],
    ).values_list("hall", "status", "submitted_at", "reviewed_at", "review_reason")
    for hall_id, status, submitted_at, reviewed_at, reason in decided:
        row = halls[hall_id]
        metric = "approvals" if status == ApplicationStatus.APPROVED else "rejections"
        count(row, metric, reviewed_at.astimezone(CHINA).date())
        if metric == "rejections":
            reasons[reason or "—"] += 1
        hours = (reviewed_at - submitted_at).total_seconds() / 3600
        row.hours.append(hours)
        all_hours.append(hours)

    ended = AuditEvent.objects.filter(
        action__in=list(ENDED_ACTIONS), occurred_at__gte=since, occurred_at__lt=until,
        model="families.counterapplication",
    ).values_list("action", "occurred_at", "application_number")
    for action, occurred_at, number in ended:
        row = by_code.get((number or "").split("-")[0])
        count(row, ENDED_ACTIONS[action], occurred_at.astimezone(CHINA).date())

    ages: Counter = Counter()
    fallback = calendar.falls_back(start, today)
    pending = (CounterApplication.objects.filter(hall__in=list(halls),
                                                 status=ApplicationStatus.PENDING)
               .annotate(day=TruncDate("submitted_at", tzinfo=CHINA))
               .values("hall", "day").annotate(n=Count("pk")))
    versions = list(RegionPolicy.objects.filter(region_id=region_id)
                    .order_by("-effective_from"))
    policies: dict[datetime.date, int] = {}
    for item in pending:
        row, day, n = halls[item["hall"]], item["day"], item["n"]
        age = working_days_between(day, today, calendar)
        if day not in policies:
            policies[day] = next((p for p in versions if p.effective_from <= day),
                                 RegionPolicy()).review_working_days
        row.pending += n
        if add_working_days(day, policies[day], calendar) < today:
            row.overdue += n
        label = next(lbl for low, high, lbl in AGE_BUCKETS
                     if age >= low and (high is None or age <= high))
        ages[label] += n
        fallback = fallback or calendar.falls_back(day, today)

    refusals: Counter = Counter()
    for code, n in PrecheckRefusal.objects.filter(
            hall__in=list(halls), day__gte=start, day__lte=today).values_list("code", "count"):
        refusals[code] += n

    jobs = list(BatchJob.objects.filter(region_id=region_id, created_at__gte=since)
                .order_by("-created_at")[:20])
    return Dashboard(
        today=today, start=start, halls=list(halls.values()), daily=daily, days=days,
        reject_reasons=reasons.most_common(10),
        pending_ages=[(lbl, ages[lbl]) for _low, _high, lbl in AGE_BUCKETS],
        refusals=sorted(refusals.items(), key=lambda kv: (-kv[1], kv[0])),
        batch_jobs=jobs, all_hours=all_hours, fallback=fallback,
    )
