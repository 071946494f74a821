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
import math
import random
import time
from array import array
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection

from audit.models import AuditEvent
from families.idnumbers import make_resident_id
from families.loadgen.data import (
    APPLICATION_STATUS,
    BINDING_STATUSES,
    BIRTH_DAYS,
    CHANNELS,
    CHINA,
    COPAY_STATUSES,
    CORE,
    END_REASONS,
    FIRST_BIRTH,
    GIVEN,
    ID_SPACE,
    NO_FACE,
    REGIONS,
    RELATIONSHIPS,
    SPAN_DAYS,
    SURNAMES,
    UTC,
)
from families.loadgen.reference import reference_rows
from families.loadgen.sql import (
    CopyStream,
    _audit_insert,
    _history_insert,
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


def _weighted(rng: random.Random, pairs) -> Callable[[], str]:
    values = [v for v, _w in pairs]
    cum, total = [], 0
    for _v, w in pairs:
        total += w
        cum.append(total)
    choices = rng.choices

    def pick():
        return choices(values, cum_weights=cum)[0]

    return pick


def _multiplier(modulus: int) -> int:
    a = 2_654_435_761 % modulus
    while math.gcd(a, modulus) != 1:
        a += 1
    return a


# --- the generator -----------------------------------------------------------------------------


class LoadGenerator:
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

    # persons ------------------------------------------------------------------------------
    def _persons(self, first_id: int) -> None:
        o, rng = self.o, self.rng
        rnd = rng.random
        n = o.persons
        self.first_person = first_id
        # Region of every generated person (index into region_ids): links need the holder's.
        self.person_region = array("b", bytes(n))
        out = CopyStream(Person, self.factory, self.result.rows)
        surname = _weighted(rng, SURNAMES)
        region_pick = _weighted(rng, list(enumerate(self.region_weights)))
        multiplier = _multiplier(ID_SPACE)
        births = [FIRST_BIRTH + datetime.timedelta(days=d) for d in range(BIRTH_DAYS)]
        born_2016 = (datetime.date(2016, 1, 1) - FIRST_BIRTH).days
        activation_base = datetime.datetime(2019, 6, 1, tzinfo=UTC)
        given, n_given = GIVEN, len(GIVEN)
        bar = self.progress("persons", n)
        left, family, region_index = 0, "", 0
        for i in range(n):
            pid = first_id + i
            if left == 0:  # a new household: surname and insured region shared
                left = rng.choice((1, 2, 2, 3, 3, 3, 4, 4, 5))
                family, region_index = surname(), region_pick()
            left -= 1
            self.person_region[i] = region_index
            day, seqsex = divmod((pid * multiplier) % ID_SPACE, 1000)
            sex = "M" if seqsex % 2 else "F"
            region_id = self.region_ids[region_index]
            district = f"{REGIONS[region_index][0][:4]}{1 + int(rnd() * 9):02d}"
            birth = births[day]
            name = family + given[int(rnd() * n_given)]
            if rnd() < 0.7:
                name += given[int(rnd() * n_given)]
            r = rnd()
            status, death = "normal", None
            if r < 0.01:
                status = "terminated"
                death = datetime.date(2023, 1, 1) + datetime.timedelta(days=int(rnd() * 700))
            elif r < 0.04:
                status = "terminated"
            elif r < 0.07:
                status = "suspended"
            out.write({
                "id": pid, "id_type": "resident_id",
                "id_number": make_resident_id(district, birth, seqsex // 2, sex),
                "name": name, "sex": sex, "birth_date": birth,
                "phone": f"1{3 + int(rnd() * 7)}{int(rnd() * 1e9):09d}",
                "insurance_type": "employee" if rnd() < 0.4 else "resident",
                "insured_region_id": region_id, "insurance_status": status,
                "evoucher_activated_at": activation_base + datetime.timedelta(
                    minutes=int(rnd() * 2_500_000)) if rnd() < 0.75 else None,
                "death_date": death,
                "birth_region_id": region_id if day >= born_2016 else None,
            })
            if i % 10_000 == 9_999:
                bar.update(10_000)
        bar.update(n % 10_000)
        bar.close()
        out.close()

    # bindings and co-pay authorizations --------------------------------------------------
    def _links(self, kind: str) -> tuple[int, int]:
        """Links of every generated person (as holder / authorizer) and the counter
        applications of counter-channel links. Returns the id range written."""
        o, rng = self.o, self.rng
        rnd = rng.random
        n = o.persons
        is_binding = kind == "binding"
        model = Binding if is_binding else CoPayAuthorization
        per_person = o.links_per_person if is_binding else o.copay_per_person
        status_pick = _weighted(rng, BINDING_STATUSES if is_binding else COPAY_STATUSES)
        channel_pick = _weighted(rng, CHANNELS)
        relationships = RELATIONSHIPS if is_binding else CORE
        a_col, b_col = ("holder_id", "member_id") if is_binding else (
            "authorizer_id", "beneficiary_id")
        link_out = CopyStream(model, self.factory, self.result.rows)
        app_out = CopyStream(CounterApplication, self.factory, self.result.rows)
        first_link = link_id = self._next_id(model)
        app_id = self._next_id(CounterApplication)
        now = o.now
        whole, fraction = int(per_person), per_person - int(per_person)
        span = min(40, n - 1)
        bar = self.progress(model._meta.db_table, n)
        for i in range(n):
            if i % 10_000 == 9_999:
                bar.update(10_000)
            count = whole + (1 if rnd() < fraction else 0)
            if count == 0:
                continue
            holder = self.first_person + i
            halls = self.staff[self.region_ids[self.person_region[i]]]
            # distinct members near the holder (own household first): pairs never repeat
            for d in rng.sample(range(1, span + 1), min(count, span)):
                status = status_pick()
                counter = channel_pick() == "counter"
                staff = halls[int(rnd() * len(halls))]
                if status == "pending":  # older pending applications would have expired
                    applied = now - datetime.timedelta(seconds=int(rnd() * 25 * 86400))
                else:
                    applied = now - datetime.timedelta(
                        seconds=int(30 * 86400 + rnd() * SPAN_DAYS * 86400))
                decided = applied + datetime.timedelta(seconds=int(600 + rnd() * 5 * 86400))
                row = {
                    "id": link_id, a_col: holder, b_col: self.first_person + (i + d) % n,
                    "relationship": relationships[int(rnd() * len(relationships))],
                    "channel": "counter" if counter else CHANNELS[int(rnd() * 4)][0],
                    "status": status, "consent_method": "counter" if counter else "face",
                    "commitment_signed": "t" if counter else "f", "applied_at": applied,
                    "applied_by_id": staff.clerk_id if counter else None,
                }
                if not is_binding:
                    row["reserve"] = 0
                    if status == "suspended":
                        row["suspended_reason"] = "授权人申请暂停"
                if status in ("active", "unbound", "rejected", "suspended", "revoked"):
                    row["decided_at"] = decided
                    row["decided_by_id"] = staff.supervisor_id if counter else None
                    row["decision_reason"] = "材料不全" if status == "rejected" else "原件核验无误"
                if status in ("unbound", "revoked", "withdrawn", "expired"):
                    row["ended_at"] = min(now, decided + datetime.timedelta(
                        seconds=int(rnd() * 200 * 86400)))
                    row["end_reason"] = END_REASONS[status]
                    row["ended_by_id"] = staff.supervisor_id if counter else None
                link_out.write(row)
                if counter:
                    day = applied.astimezone(CHINA).date()
                    key = (staff.hall_id, day)
                    self.app_numbers[key] += 1
                    app_status = APPLICATION_STATUS[status]
                    reviewed = app_status in ("approved", "rejected")
                    app_out.write({
                        "id": app_id, "number": f"{staff.hall_code}-{day:%Y%m%d}-"
                                                f"{self.app_numbers[key]:04d}",
                        "kind": kind, "hall_id": staff.hall_id,
                        "binding_id": link_id if is_binding else None,
                        "copay_id": None if is_binding else link_id,
                        "status": app_status, "no_face_reason": NO_FACE[int(rnd() * 5)],
                        "holder_id_seen": "t", "member_id_seen": "t", "proof_seen": "t",
                        "commitment_signed": "t", "submitted_at": applied,
                        "submitted_by_id": staff.clerk_id,
                        "reviewed_at": decided if reviewed else None,
                        "reviewed_by_id": staff.supervisor_id if reviewed else None,
                        "review_reason": row.get("decision_reason", ""),
                    })
                    app_id += 1
                link_id += 1
        bar.update(n % 10_000)
        bar.close()
        link_out.close()
        app_out.close()
        return first_link, link_id - 1

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


class _NoBar:
    def update(self, _n: int) -> None:
        pass

    def close(self) -> None:
        pass
