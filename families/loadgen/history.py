"""History rows and audit events of the load generator, set-based (see families/loadgen/__init__.py)."""

from __future__ import annotations

from django.db import connection

from families.loadgen.sql import (
    _audit_insert,
    _history_insert,
)
from families.models import (
    ApplicationSequence,
    CoPayAuthorization,
    Person,
)


class HistoryRows:
    """Mixin of LoadGenerator (families/loadgen/__init__.py)."""

    # history and audit, set-based ------------------------------------------------------------
    def _history(self, first_person: int, ranges: dict) -> None:
        """"+" rows as registered/applied, "~" rows for each decided or ended link."""
        statements = [_history_insert(
            Person, "+", "id BETWEEN %s AND %s",
            [first_person, first_person + self.o.persons - 1],
            date="timestamptz '2020-01-01 08:00+00' + ((id * 7919) %% 40000000) "
                 "* interval '1 second'",
            reason="'参保登记导入'", user="NULL")]
        for model, (first, last) in ranges.items():
            pending = {"status": "'pending'", "decided_at": "NULL", "decided_by_id": "NULL",
                       "decision_reason": "''", "ended_at": "NULL", "ended_by_id": "NULL",
                       "end_reason": "''"}
            if model is CoPayAuthorization:
                pending["suspended_reason"] = "''"
            statements.append(_history_insert(
                model, "+", "id BETWEEN %s AND %s", [first, last], date="applied_at",
                reason="CASE WHEN channel = 'counter' THEN '窗口受理' ELSE '渠道申请' END",
                user="applied_by_id", overrides=pending))
            statements.append(_history_insert(
                model, "~", "id BETWEEN %s AND %s AND status <> 'pending'", [first, last],
                date="COALESCE(ended_at, decided_at)",
                reason="COALESCE(NULLIF(end_reason, ''), decision_reason)",
                user="COALESCE(ended_by_id, decided_by_id)"))
        bar = self.progress("history", len(statements))
        for statement in statements:
            self._sql([statement])
            bar.update(1)
        bar.close()

    def _audit_events(self, marks: dict) -> None:
        """One event per new history row, as the history receiver writes them."""
        bar = self.progress("audit events", len(marks))
        for model, first_history in marks.items():
            if model is CoPayAuthorization and self.o.copay_per_person <= 0:
                continue
            self._sql([_audit_insert(model, first_history)])
            bar.update(1)
        bar.close()

    def _application_sequences(self) -> None:
        """Counter numbers used per hall and China day, so a later intake continues."""
        table = ApplicationSequence._meta.db_table
        changed = [(h, d, last) for (h, d), last in self.app_numbers.items()
                   if self.app_numbers_before.get((h, d)) != last]
        if not changed:
            return
        with connection.cursor() as cur:
            cur.executemany(
                f'INSERT INTO "{table}" (hall_id, day, last) VALUES (%s, %s, %s) '
                "ON CONFLICT (hall_id, day) DO UPDATE SET last = EXCLUDED.last", changed)
        self.result.rows[table] += len(changed)
