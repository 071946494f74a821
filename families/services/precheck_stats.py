"""Count pre-check refusals per hall, China day and rule code when the pre-check runs
(the dashboard's 预检未通过 chart). An increment, never a read-modify-write."""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import F

from families.chinatime import china_date
from families.models import PrecheckRefusal
from families.rules import Check


def precheck_refusals_record(*, hall, checks: Iterable[Check],
                             at: datetime.datetime | None = None) -> None:
    """+1 for each failed rule code of this pre-check (no personal data is kept)."""
    if hall is None:
        return
    failed = Counter(c.code for c in checks if not c.passed)
    day = china_date(at)
    for code, n in sorted(failed.items()):
        rows = PrecheckRefusal.objects.filter(hall=hall, day=day, code=code)
        if rows.update(count=F("count") + n):
            continue
        try:
            with transaction.atomic():
                PrecheckRefusal.objects.create(hall=hall, day=day, code=code, count=n)
        except IntegrityError:  # created by a concurrent pre-check meanwhile
            rows.update(count=F("count") + n)
