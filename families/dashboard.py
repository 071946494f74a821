"""监管看板: the numbers of a region's halls for today and the last 30 days (China time).

No query reads the registry (persons, links, their history): each reads a counter table
or an indexed range of the last 30 days or of the pending queue, checked with EXPLAIN
ANALYZE at 1,000,000 persons (README, "Supervisor dashboard"):

- intakes and pre-check refusals: the per hall and day counters (ApplicationSequence,
  PrecheckRefusal) by their (hall, day) unique indexes, one UNION ALL;
- the pending queue: an index-only scan of the partial application_queue_idx;
- decisions: application_hall_decided_idx (hall, reviewed_at); withdrawals and expiries:
  audit_action_time_idx (action, occurred_at); one UNION ALL;
- halls with their region, calendar overrides, policy versions, batch jobs: small tables.

Seven queries whatever the number of halls, days or rows (tests/families/test_dashboard.py
asserts it); so the page costs the same with 10 million persons as with a thousand, and
grows only with the hall's own work of the month (decisions, its pending queue)."""

from __future__ import annotations

import datetime
import math
import statistics
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import CharField, Count, DateTimeField, IntegerField, Value
from django.db.models.functions import TruncDate

from accounts.models import ServiceHall
from audit.models import AuditEvent
from families import selectors
from families.chinatime import CHINA
from families.choices import ApplicationStatus
from families.models import (
    ApplicationSequence,
    BatchJob,
    CounterApplication,
    PrecheckRefusal,
    RegionPolicy,
)
from families.workdays import WorkCalendar, add_working_days, working_days_between

DAYS = 30
AGE_BUCKETS = ((0, 0, "0"), (1, 1, "1"), (2, 2, "2"), (3, 3, "3"), (4, 5, "4–5"),
               (6, 10, "6–10"), (11, None, ">10"))
INTAKE = "__intake__"  # not a rule code: marks the intake counters in the day-counter union
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
                    halls: list[ServiceHall] | None = None,
                    calendar: WorkCalendar | None = None) -> Dashboard:
    """`halls`: the region's halls when the caller has them already (the page reads them
    with the region in one query), else read here."""
    calendar = calendar or selectors.work_calendar(region_id)
    start = today - datetime.timedelta(days=DAYS - 1)
    since, until = _midnight(start), _midnight(today + datetime.timedelta(days=1))
    if halls is None:
        halls = list(ServiceHall.objects.filter(region_id=region_id).order_by("code"))
    rows = {h.pk: HallRow(h) for h in halls}
    by_code = {row.hall.code: row for row in rows.values()}
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

    # The per hall and day counters, in one UNION ALL over their (hall, day) keys:
    # numbers drawn (ApplicationSequence.last: every intake draws the next number of its
    # hall and China day, in its own transaction, so it is the day's intake count) and
    # pre-check refusals by rule code. At most halls x 30 x (1 + codes) rows.
    intakes = ApplicationSequence.objects.filter(
        hall__in=list(rows), day__gte=start, day__lte=today,
    ).order_by().values_list("hall", "day", Value(INTAKE, output_field=CharField()), "last")
    refused = PrecheckRefusal.objects.filter(
        hall__in=list(rows), day__gte=start, day__lte=today,
    ).order_by().values_list("hall", "day", "code", "count")
    refusals: Counter = Counter()
    for hall_id, day, code, n in intakes.union(refused, all=True):
        if code == INTAKE:
            count(rows.get(hall_id), "intakes", day, n)
        else:
            refusals[code] += n

    # The pending queue by hall and submission day: an index-only range of the partial
    # index application_queue_idx (hall, submitted_at) WHERE status = 'pending'.
    pending = [(rows[item["hall"]], item["day"], item["n"]) for item in (
        CounterApplication.objects.filter(hall__in=list(rows), status=ApplicationStatus.PENDING)
        .annotate(day=TruncDate("submitted_at", tzinfo=CHINA))
        .values("hall", "day").annotate(n=Count("*")))]

    # Decisions of the window (application_hall_decided_idx) and withdrawals / expiries
    # (audit_action_time_idx: the application keeps no end time; these two actions are
    # only ever applications', of every region: the hall is the number's prefix) in one
    # UNION ALL of (hall, status or action, submitted_at, reviewed_at or occurred_at,
    # reason or number).
    decided = CounterApplication.objects.filter(
        hall__in=list(rows), reviewed_at__gte=since, reviewed_at__lt=until,
        status__in=[ApplicationStatus.APPROVED, ApplicationStatus.REJECTED],
    ).order_by().values_list("hall", "status", "submitted_at", "reviewed_at", "review_reason")
    ended = AuditEvent.objects.filter(  # no `model=`: it can lead PostgreSQL to the
        # (model, object_id) index, every event of every application ever
        action__in=list(ENDED_ACTIONS), occurred_at__gte=since, occurred_at__lt=until,
    ).order_by().values_list(Value(None, output_field=IntegerField()), "action",
                  Value(None, output_field=DateTimeField()), "occurred_at",
                  "application_number")
    reasons: Counter = Counter()
    all_hours: list[float] = []
    for hall_id, what, submitted_at, at, text in decided.union(ended, all=True):
        day = at.astimezone(CHINA).date()
        if what in ENDED_ACTIONS:
            count(by_code.get((text or "").split("-")[0]), ENDED_ACTIONS[what], day)
            continue
        row = rows[hall_id]
        metric = "approvals" if what == ApplicationStatus.APPROVED else "rejections"
        count(row, metric, day)
        if metric == "rejections":
            reasons[text or "—"] += 1
        hours = (at - submitted_at).total_seconds() / 3600
        row.hours.append(hours)
        all_hours.append(hours)

    ages: Counter = Counter()
    fallback = calendar.falls_back(start, today)
    versions = list(RegionPolicy.objects.filter(region_id=region_id)
                    .order_by("-effective_from"))
    by_day: dict[datetime.date, tuple[str, bool]] = {}  # submission day → (age bucket, overdue)
    for row, day, n in pending:
        if day not in by_day:
            policy = next((p for p in versions if p.effective_from <= day), RegionPolicy())
            age = working_days_between(day, today, calendar)
            by_day[day] = (
                next(lbl for low, high, lbl in AGE_BUCKETS
                     if age >= low and (high is None or age <= high)),
                add_working_days(day, policy.review_working_days, calendar) < today)
            fallback = fallback or calendar.falls_back(day, today)
        label, overdue = by_day[day]
        row.pending += n
        row.overdue += n if overdue else 0
        ages[label] += n

    jobs = list(BatchJob.objects.filter(region_id=region_id, created_at__gte=since)
                .order_by("-created_at")[:20])
    return Dashboard(
        today=today, start=start, halls=list(rows.values()), daily=daily, days=days,
        reject_reasons=reasons.most_common(10),
        pending_ages=[(lbl, ages[lbl]) for _low, _high, lbl in AGE_BUCKETS],
        refusals=sorted(refusals.items(), key=lambda kv: (-kv[1], kv[0])),
        batch_jobs=jobs, all_hours=all_hours, fallback=fallback,
    )
