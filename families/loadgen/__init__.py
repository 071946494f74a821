"""Load data for scale tests (`manage.py generate_load_data`, bench/admin_pages.py).

Realistic, valid and consistent rows, written with PostgreSQL COPY (psycopg 3), one
generation pass per kind of row feeding several COPY streams at once (the row, its
history rows and their audit events go to different tables over different
connections, so the server parses them in parallel while Python builds the next rows).

- Persons: valid resident ID numbers (`make_resident_id`), unique by construction: the
  global person number is mapped by a fixed bijection onto (birth day, sequence, sex),
  so no two persons share a number and nothing has to be remembered. Households of 1-5
  persons share surname and insured region (regions weighted like real provinces);
  statuses, deaths, e-voucher activation and birth regions vary.
- Bindings (`--links-per-person`): holder -> a near person (same household or the next
  ones), distinct members per holder, so the live-pair unique index always holds;
  statuses across the whole life cycle; counter-channel links get a CounterApplication
  (pending ones are recent, as expiry would have ended older ones).
- Co-pay authorizations (`--copay-per-person`), same shape.
- History: "+" for every row, "~" for each decided/ended link (history_user, reason);
  one AuditEvent per history row (actor, hall, region, person, other person,
  application number), as the post_create_historical_record receiver writes them.

Load mode (the default when the load is larger than what the tables already hold):
secondary indexes and unique constraints of the loaded tables are dropped and rebuilt
after the load (much faster than maintaining them row by row), foreign-key and
append-only triggers are off for the loading session (`session_replication_role =
replica`, superuser only; the generator writes consistent keys), sequences are moved
past the explicit ids, and every table is VACUUM ANALYZEd at the end (fresh statistics
for the planner and the estimated-count paginator, visibility map for index-only
scans).
"""


from __future__ import annotations

import datetime
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection

from audit.models import AuditEvent
from families.loadgen.data import (
    ID_SPACE,
    UTC,
)
from families.loadgen.helpers import _NoBar
from families.loadgen.history import HistoryRows
from families.loadgen.links import LinkRows
from families.loadgen.persons import PersonRows
from families.loadgen.reference import reference_rows
from families.loadgen.sql import (
    _is_superuser,
    _raw_connection_factory,
    _secondary_ddl,
)
from families.models import (
    ApplicationSequence,
    Binding,
    CoPayAuthorization,
    CounterApplication,
    Person,
)


class LoadError(Exception):
    """Raised with a message for the command line (wrong database, too many persons)."""


@dataclass
class LoadOptions:
    persons: int
    links_per_person: float = 2.0
    copay_per_person: float = 0.1
    seed: int = 2026
    audit: bool = True
    rebuild_indexes: bool | None = None  # None: when the load outgrows what is there
    now: datetime.datetime = field(default_factory=lambda: datetime.datetime.now(UTC))


@dataclass
class LoadResult:
    rows: Counter = field(default_factory=Counter)
    seconds: dict[str, float] = field(default_factory=dict)

    def summary(self) -> str:
        parts = [f"{table} {n:,}" for table, n in self.rows.items()]
        total = sum(self.seconds.values())
        return f"{'; '.join(parts)} in {total:.0f} s"


# --- the generator -----------------------------------------------------------------------------


class LoadGenerator(PersonRows, LinkRows, HistoryRows):
    def __init__(self, options: LoadOptions, progress: Callable[[str, int], object] | None = None):
        if connection.vendor != "postgresql":
            raise LoadError("generate_load_data 只支持 PostgreSQL(使用 COPY);当前数据库是 "
                            f"{connection.vendor}。请设置 DATABASE_URL=postgres://...")
        if options.persons < 2:
            raise LoadError("--persons 至少为 2。")
        self.o = options
        self.rng = random.Random(options.seed)
        self.progress = progress or (lambda _label, _total: _NoBar())
        self.result = LoadResult()
        self.app_numbers: Counter = Counter()
        self.app_numbers_before: dict = {}

    # ids --------------------------------------------------------------------------------
    @staticmethod
    def _next_id(model, column: str = "id") -> int:
        with connection.cursor() as cur:
            cur.execute(f'SELECT COALESCE(MAX("{column}"), 0) + 1 FROM "{model._meta.db_table}"')
            return cur.fetchone()[0]

    def _timed(self, label: str, fn, *args):
        start = time.monotonic()
        value = fn(*args)
        self.result.seconds[label] = round(time.monotonic() - start, 1)
        return value

    # main -------------------------------------------------------------------------------
    def run(self) -> LoadResult:
        o = self.o
        existing = Person.objects.count()
        first_person = self._next_id(Person)
        if first_person - 1 + o.persons > ID_SPACE:
            raise LoadError(f"最多可生成 {ID_SPACE:,} 名参保人(证件号码空间)。")
        self.staff, self.region_ids, self.region_weights = self._timed(
            "reference", reference_rows)
        self.factory = _raw_connection_factory(_is_superuser())
        self.app_numbers = Counter({(h, d): last for h, d, last in ApplicationSequence.objects
                                    .values_list("hall_id", "day", "last")})
        self.app_numbers_before = dict(self.app_numbers)
        self.models = [Person, Person.history.model, Binding, Binding.history.model,
                       CoPayAuthorization, CoPayAuthorization.history.model,
                       CounterApplication, ApplicationSequence, AuditEvent]
        tables = [m._meta.db_table for m in self.models]
        rebuild = o.rebuild_indexes if o.rebuild_indexes is not None else o.persons > existing
        drops, creates = _secondary_ddl(tables) if rebuild else ([], [])
        marks = {m: self._next_id(m.history.model, "history_id")
                 for m in (Person, Binding, CoPayAuthorization)}
        first_event = self._next_id(AuditEvent)
        self._timed("drop_indexes", self._execute, drops)
        try:
            self._timed("persons", self._persons, first_person)
            ranges = {Binding: self._timed("bindings", self._links, "binding")}
            if o.copay_per_person > 0:
                ranges[CoPayAuthorization] = self._timed("copay", self._links, "copay")
            self._timed("history", self._history, first_person, ranges)
            if o.audit:
                self._timed("audit_events", self._audit_events, marks)
        finally:
            self._timed("create_indexes", self._execute, creates, "indexes")
        self._timed("application_sequences", self._application_sequences)
        self._timed("sequences", self._reset_sequences)
        self._timed("vacuum_analyze", self._vacuum, tables)
        for model in (Person, Binding, CoPayAuthorization):
            history = model.history.model
            self.result.rows[history._meta.db_table] = history.objects.filter(
                history_id__gte=marks[model]).count()
        self.result.rows[AuditEvent._meta.db_table] = AuditEvent.objects.filter(
            id__gte=first_event).count()
        return self.result

    def _execute(self, statements: list[str], label: str | None = None) -> None:
        if not statements:
            return
        bar = self.progress(label or "ddl", len(statements))
        with connection.cursor() as cur:
            cur.execute("SET maintenance_work_mem = '1GB'")
            cur.execute("SET max_parallel_maintenance_workers = 2")
            for sql in statements:
                cur.execute(sql)
                bar.update(1)
        bar.close()

    def _sql(self, statements: list[tuple[str, list]]) -> None:
        """Set-based statements on a loading connection (triggers off when allowed)."""
        conn = self.factory()
        try:
            for sql, params in statements:
                conn.execute(sql, params)
            conn.commit()
        finally:
            conn.close()

    def _reset_sequences(self) -> None:
        from django.core.management.color import no_style

        with connection.cursor() as cur:
            for sql in connection.ops.sequence_reset_sql(no_style(), self.models):
                cur.execute(sql)

    def _vacuum(self, tables: list[str]) -> None:
        bar = self.progress("vacuum analyze", len(tables))
        with connection.cursor() as cur:
            for table in tables:
                cur.execute(f'VACUUM (ANALYZE) "{table}"')
                bar.update(1)
        bar.close()
