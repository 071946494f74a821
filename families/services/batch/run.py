"""The chunked run behind `batch_unbind`."""

from __future__ import annotations

import datetime
import itertools
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace

from django.db import OperationalError, connection, connections, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit_log import insert_events_from_history
from accounts.errors import require_reason
from accounts.models import Region
from families import selectors
from families.chinatime import add_months, china_date
from families.choices import ApplicationStatus, IdType, InsuranceStatus
from families.idnumbers import (
    InvalidIdNumber,
    mask_id_number,
    normalize_id_number,
    normalize_name,
    parse_resident_id,
)
from families.models import Person
from families.services.batch.sql import (
    _batched,
    _filter_ids,
    _in,
    _is_deadlock,
    _q_in,
    _temp_table,
    update_with_history,
)
from families.services.batch.types import (
    ADMINISTRATIVE_REASONS,
    BINDING,
    COPAY,
    DEATH,
    DEFAULT_CHUNK_SIZE,
    KINDS,
    BatchResult,
    Deceased,
    InsuranceTerminated,
    LinkIds,
    Outcome,
    PairRows,
    PersonRows,
    Progress,
    ReportRow,
    Selection,
    _Kind,
)

# --- The service ------------------------------------------------------------------------


def batch_unbind(
    *,
    actor,
    selection: Selection,
    reason: str,
    scope: str = "all",
    region: Region | None = None,
    administrative: bool | None = None,
    dry_run: bool = False,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    pause: float = 0.0,
    report: Callable[[ReportRow], None] | None = None,
    progress: Progress | None = None,
    workers: int = 1,
) -> BatchResult:
    """End the live links `selection` designates, in committed chunks, with one history
    row and one audit event per ended link. `region` narrows the selection to persons
    insured there. `administrative` (default: the reason is one of
    ADMINISTRATIVE_REASONS) skips the waiting period; co-pay with a pending settlement is
    ended only for reason 死亡. `report` receives one ReportRow per input row / link (after
    its chunk committed); `progress` (a tqdm bar) advances per input row or link.
    `workers` > 1 ends the chunks of the deceased / insurance-terminated selections on that
    many database connections at once (PostgreSQL only; chunks are disjoint id ranges, so
    they never wait for each other's row locks)."""
    if scope not in KINDS:
        raise ValueError(scope)
    run = _Run(
        actor=actor, reason=require_reason(reason), kinds=KINDS[scope], region=region,
        administrative=reason in ADMINISTRATIVE_REASONS if administrative is None
        else administrative,
        dry_run=dry_run, chunk_size=max(1, chunk_size), pause=pause, report=report,
        progress=progress, workers=max(1, workers) if connection.vendor == "postgresql" else 1,
    )
    started = time.monotonic()
    run.select(selection)
    run.result.elapsed = time.monotonic() - started
    return run.result


@dataclass
class _Run:
    actor: object
    reason: str
    kinds: tuple[_Kind, ...]
    region: Region | None
    administrative: bool
    dry_run: bool
    chunk_size: int
    pause: float
    report: Callable[[ReportRow], None] | None
    progress: Progress | None
    workers: int = 1
    result: BatchResult = field(default_factory=BatchResult)
    region_codes: dict[int, str] = field(default_factory=dict)
    _months: dict[tuple[str, int], int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._output_lock = threading.Lock()
        self.result.dry_run = self.dry_run
        self.region_codes = dict(Region.objects.values_list("pk", "code"))
        self.labels = {kind.key: kind.status_labels() for kind in (BINDING, COPAY)}
        self.today = china_date()

    # --- output

    def emit(self, row: ReportRow) -> None:
        self.result.outcomes[row.outcome] += 1
        self.result.by_region[(row.region_code, row.kind, row.outcome)] += 1
        if row.outcome == Outcome.ENDED:
            self.result.ended_by_kind[row.kind] += 1
        if self.report is not None:
            self.report(row)

    def advance(self, n: int) -> None:
        if self.progress is not None and n:
            self.progress.update(n)

    def set_total(self, total: int | None) -> None:
        if self.progress is not None and total is not None:
            self.progress.total = total
            self.progress.refresh()

    # --- selections

    def select(self, selection: Selection) -> None:
        if isinstance(selection, LinkIds):
            for kind, ids in ((BINDING, selection.bindings), (COPAY, selection.copays)):
                if kind in self.kinds and ids:
                    self.end_links(kind, sorted(set(ids)))
        elif isinstance(selection, Deceased | InsuranceTerminated):
            persons = (Person.objects.filter(death_date__isnull=False)
                       if isinstance(selection, Deceased)
                       else Person.objects.filter(insurance_status=InsuranceStatus.TERMINATED))
            if self.region is not None:
                persons = persons.filter(insured_region=self.region)
            self.end_linked(persons)
        elif isinstance(selection, PersonRows):
            self.set_total(selection.total)
            for batch in _batched(selection.rows, self.chunk_size):
                self.person_batch(batch)
        elif isinstance(selection, PairRows):
            self.set_total(selection.total)
            for batch in _batched(selection.rows, self.chunk_size):
                self.pair_batch(batch)
        else:
            raise TypeError(selection)

    def end_linked(self, persons: models.QuerySet) -> None:
        """Live links of `persons`, materialized once into a temporary table of ids and
        read back in pages (the rerun after a crash finds only what is still live)."""
        person_ids = persons.values("pk")
        tables = []
        try:
            with connection.cursor() as cursor:
                for kind in self.kinds:
                    table = _temp_table(kind)
                    tables.append((kind, table))
                    cursor.execute(f"DROP TABLE IF EXISTS {table}")
                    cursor.execute(f"CREATE TEMPORARY TABLE {table.split('.')[1]} "
                                   "(id bigint PRIMARY KEY)")
                    live = kind.model.objects.filter(status__in=list(kind.transitions))
                    links = live.filter(**{f"{kind.first}__in": person_ids}).values("pk").union(
                        live.filter(**{f"{kind.second}__in": person_ids}).values("pk"))
                    sql, params = links.query.sql_with_params()
                    cursor.execute(f"INSERT INTO {table} (id) {sql}", params)
                total = 0
                for _kind, table in tables:
                    cursor.execute(f"SELECT count(*) FROM {table}")
                    total += cursor.fetchone()[0]
            self.set_total(total)
            with _ChunkPool(self.workers) as pool:
                for kind, table in tables:
                    last = 0
                    while True:
                        with connection.cursor() as cursor:
                            cursor.execute(f"SELECT id FROM {table} WHERE id > %s ORDER BY id "
                                           "LIMIT %s", [last, self.chunk_size])
                            ids = [r[0] for r in cursor.fetchall()]
                        if not ids:
                            break
                        pool.run(self._chunk_and_advance, kind, ids)
                        last = ids[-1]
        finally:
            with connection.cursor() as cursor:
                for _kind, table in tables:
                    cursor.execute(f"DROP TABLE IF EXISTS {table}")

    def _chunk_and_advance(self, kind: _Kind, ids: Sequence[int]) -> None:
        self.chunk(kind, ids)
        with self._output_lock:
            self.advance(len(ids))

    def end_links(self, kind: _Kind, ids: Sequence[int],
                  lines: dict[int, int] | None = None) -> None:
        for part in _batched(ids, self.chunk_size):
            self.chunk(kind, part, lines)

    # --- CSV rows

    def _identify(self, line: int, id_type: str, id_number: str, name: str, role: str,
                  persons: dict) -> tuple[dict | None, ReportRow | None]:
        """(person values, None) or (None, the report row of an invalid/unknown person)."""
        number = normalize_id_number(id_number)
        if id_type not in IdType.values:
            return None, ReportRow(Outcome.INVALID_ROW, line, message=_(
                "%(role)s证件类型“%(type)s”无效。") % {"role": role, "type": id_type})
        if id_type == IdType.RESIDENT_ID:
            try:
                parse_resident_id(number)
            except InvalidIdNumber as exc:
                return None, ReportRow(Outcome.INVALID_ID, line, message=f"{role}:{exc}")
        elif not number or len(number) > 32:
            return None, ReportRow(Outcome.INVALID_ID, line, message=_(
                "%(role)s证件号码不能为空且不超过32位。") % {"role": role})
        person = persons.get((id_type, number))
        masked = mask_id_number(number)
        if person is None:
            return None, ReportRow(Outcome.NOT_FOUND, line, first_id=masked, message=_(
                "未查询到%(role)s的参保登记(证件类型、证件号码)。") % {"role": role})
        if name.strip() and normalize_name(name) != person["name"]:
            return None, ReportRow(Outcome.NAME_MISMATCH, line, first_id=masked, message=_(
                "%(role)s的姓名与证件号码登记信息不一致,请核对姓名。") % {"role": role})
        return person, None

    @staticmethod
    def _persons(numbers: set[str]) -> dict:
        rows = Person.objects.filter(id_number__in=numbers).values(
            "pk", "id_type", "id_number", "name", "insured_region_id")
        return {(r["id_type"], r["id_number"]): r for r in rows}

    def _in_region(self, *persons: dict) -> bool:
        return self.region is None or any(
            p["insured_region_id"] == self.region.pk for p in persons)

    def _other_region(self, line: int) -> ReportRow:
        return ReportRow(Outcome.OTHER_REGION, line, message=_(
            "参保人不属于统筹区 %(code)s。") % {"code": self.region.code})

    def person_batch(self, batch: list[tuple[int, dict[str, str]]]) -> None:
        persons = self._persons({normalize_id_number(r.get("id_number") or "")
                                 for _line, r in batch})
        line_of_person: dict[int, int] = {}
        for line, row in batch:
            if None in row:
                self.emit(ReportRow(Outcome.INVALID_ROW, line, message=_("列数多于表头。")))
                continue
            person, failure = self._identify(
                line, (row.get("id_type") or "").strip() or IdType.RESIDENT_ID,
                row.get("id_number") or "", row.get("name") or "", _("参保人"), persons)
            if failure is not None:
                self.emit(failure)
            elif not self._in_region(person):
                self.emit(self._other_region(line))
            else:
                line_of_person.setdefault(person["pk"], line)
        linked: set[int] = set()
        for kind in self.kinds:
            pids = list(line_of_person)
            lines: dict[int, int] = {}
            for pk, a, b in kind.model.objects.filter(
                _q_in(f"{kind.first}_id", pids) | _q_in(f"{kind.second}_id", pids)
            ).values_list("pk", f"{kind.first}_id", f"{kind.second}_id").order_by("pk"):
                lines[pk] = min(line_of_person.get(a, 1 << 62), line_of_person.get(b, 1 << 62))
                linked.update(p for p in (a, b) if p in line_of_person)
            self.end_links(kind, sorted(lines), lines)
        for pk, line in line_of_person.items():
            if pk not in linked:
                self.emit(ReportRow(Outcome.NO_LINKS, line))
        self.advance(len(batch))

    def pair_batch(self, batch: list[tuple[int, dict[str, str]]]) -> None:
        persons = self._persons({normalize_id_number(r.get(f"{side}_id_number") or "")
                                 for _line, r in batch for side in ("holder", "member")})
        pairs: dict[frozenset, int] = {}
        for line, row in batch:
            if None in row:
                self.emit(ReportRow(Outcome.INVALID_ROW, line, message=_("列数多于表头。")))
                continue
            found, failed = [], False
            for side, role in (("holder", _("绑定人/授权人")), ("member", _("被绑定人/共济人"))):
                person, failure = self._identify(
                    line, (row.get(f"{side}_id_type") or "").strip() or IdType.RESIDENT_ID,
                    row.get(f"{side}_id_number") or "", row.get(f"{side}_name") or "", role,
                    persons)
                if failure is not None:
                    self.emit(failure)
                    failed = True
                    break
                found.append(person)
            if failed:
                continue
            if found[0]["pk"] == found[1]["pk"]:
                self.emit(ReportRow(Outcome.INVALID_ROW, line, message=_("两列为同一参保人。")))
            elif not self._in_region(*found):
                self.emit(self._other_region(line))
            else:
                pairs.setdefault(frozenset(p["pk"] for p in found), line)
        pids = list({pk for pair in pairs for pk in pair})
        linked: set[frozenset] = set()
        for kind in self.kinds:
            lines: dict[int, int] = {}
            for pk, a, b in kind.model.objects.filter(
                _q_in(f"{kind.first}_id", pids), _q_in(f"{kind.second}_id", pids)
            ).values_list("pk", f"{kind.first}_id", f"{kind.second}_id").order_by("pk"):
                if frozenset((a, b)) in pairs:
                    lines[pk] = pairs[frozenset((a, b))]
                    linked.add(frozenset((a, b)))
            self.end_links(kind, sorted(lines), lines)
        for pair, line in pairs.items():
            if pair not in linked:
                self.emit(ReportRow(Outcome.NO_LINKS, line))
        self.advance(len(batch))

    # --- one chunk

    def chunk(self, kind: _Kind, ids: Sequence[int], lines: dict[int, int] | None = None
              ) -> None:
        for attempt in itertools.count(1):
            try:
                with transaction.atomic():
                    rows = self._decide(kind, self._lock(kind, ids), lines or {})
                break
            except OperationalError as exc:
                if attempt >= 3 or not _is_deadlock(exc):
                    raise
        with self._output_lock:
            for row in rows:
                self.emit(row)
        if self.pause:
            time.sleep(self.pause)

    def _lock(self, kind: _Kind, ids: Sequence[int]) -> list[tuple]:
        """(id, status, region id, first ID number, second ID number) of the chunk's
        links, locked in primary-key order (not in a dry run; SQLite has no row locks,
        its IMMEDIATE transactions hold the database lock instead)."""
        qn = connection.ops.quote_name
        person = qn(Person._meta.db_table)
        where, params = _in("l.id", ids)
        lock = " FOR UPDATE OF l" if connection.features.has_select_for_update_of \
            and not self.dry_run else ""
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT l.id, l.status, a.insured_region_id, a.id_number, b.id_number "
                f"FROM {qn(kind.model._meta.db_table)} l "
                f"JOIN {person} a ON a.id = l.{qn(kind.first + '_id')} "
                f"JOIN {person} b ON b.id = l.{qn(kind.second + '_id')} "
                f"WHERE {where} ORDER BY l.id{lock}", params)
            return cursor.fetchall()

    def _decide(self, kind: _Kind, rows: list[tuple], lines: dict[int, int]) -> list[ReportRow]:
        labels = self.labels[kind.key]
        live = [r[0] for r in rows if r[1] in kind.checked]
        pending = self._pending_settlements(kind, live)
        too_early = {} if self.administrative else self._too_early(kind, live)
        now = timezone.now()
        report: dict[int, ReportRow] = {}
        to_end: dict[str, list[int]] = {}
        ended_outcome = Outcome.WOULD_END if self.dry_run else Outcome.ENDED
        for pk, status, region_id, first, second in rows:
            old = labels.get(status, status)
            base = (lines.get(pk), kind.key, pk, mask_id_number(first), mask_id_number(second),
                    self.region_codes.get(region_id, ""), old)
            if status not in kind.transitions:
                report[pk] = ReportRow(Outcome.ALREADY_ENDED, *base, old, _(
                    "当前状态为“%(status)s”,无需解除。") % {"status": old})
            elif pk in pending:
                report[pk] = ReportRow(Outcome.SKIPPED_PENDING_SETTLEMENT, *base, old, _(
                    "该共济授权尚有未结算的医疗费用(如住院未出院结算),结算完成后方可撤销。"))
            elif pk in too_early:
                report[pk] = ReportRow(Outcome.SKIPPED_TOO_EARLY, *base, old, too_early[pk])
            else:
                report[pk] = ReportRow(ended_outcome, *base, labels[kind.transitions[status][0]])
                to_end.setdefault(status, []).append(pk)
        if not self.dry_run:
            for status, pks in to_end.items():
                ended = set(self._write(kind, status, pks, now))
                for pk in pks:
                    if pk not in ended:  # cannot happen under the row lock; never lie
                        report[pk] = replace(report[pk], outcome=Outcome.ALREADY_ENDED)
        return list(report.values())

    def _pending_settlements(self, kind: _Kind, ids: list[int]) -> set[int]:
        if kind is not COPAY or not ids or self.reason == DEATH:
            return set()
        from settlements.models import SettlementLine, SettlementStatus

        lines = SettlementLine.objects.filter(
            amount__gt=0, settlement__status=SettlementStatus.PENDING)
        return set(_filter_ids(lines, "authorization_id", ids).values_list(
            "authorization_id", flat=True).distinct())

    def _too_early(self, kind: _Kind, ids: list[int]) -> dict[int, str]:
        """{id: message} of the links the region's waiting period still protects
        (binding rule 10; only for a non-administrative reason)."""
        out: dict[int, str] = {}
        if not ids:
            return out
        rows = _filter_ids(kind.model.objects, "pk", ids).values_list(
            "pk", f"{kind.first}__insured_region_id", "decided_at", "applied_at")
        for pk, region_id, decided_at, applied_at in rows:
            key = (kind.min_months, region_id)
            if key not in self._months:
                policy = selectors.policy_in_force(region_id, self.today)
                self._months[key] = getattr(policy, kind.min_months)
            months = self._months[key]
            if not months:
                continue
            allowed_from = add_months(china_date(decided_at or applied_at), months)
            if self.today >= allowed_from:
                continue
            if kind is BINDING:
                text = _("本统筹区规定绑定满 %(months)s 个月后方可解绑,最早可于 %(date)s 解绑。")
            else:
                text = _("本统筹区规定授权满 %(months)s 个月后方可撤销,最早可于 %(date)s 撤销。")
            out[pk] = text % {"months": months, "date": allowed_from.isoformat()}
        return out

    def _write(self, kind: _Kind, old_status: str, ids: list[int],
               now: datetime.datetime) -> list[int]:
        """UPDATE ... RETURNING, then the history rows, then their audit events."""
        new_status, action = kind.transitions[old_status]
        model = kind.model
        where, params = _in("id", ids)
        ended, history_ids = update_with_history(
            model, {"status": new_status, "ended_at": now, "ended_by_id": self.actor.pk,
                    "end_reason": self.reason[:200]},
            f"{where} AND status = %s", [*params, old_status], now,
            actor_id=self.actor.pk, reason=self.reason)
        if not ended:
            return []
        status_field = model._meta.get_field("status")
        labels = self.labels[kind.key]
        insert_events_from_history(
            _filter_ids(model.history.model.objects, "history_id", history_ids), action=action,
            changes=[
                {"field": "status", "verbose_name": str(status_field.verbose_name),
                 "old": labels[old_status], "new": labels[new_status]},
                {"field": "end_reason",
                 "verbose_name": str(model._meta.get_field("end_reason").verbose_name),
                 "old": "", "new": self.reason},
            ],
        )
        if old_status == "pending":
            self._withdraw_applications(kind, ended, now)
        return ended

    def _withdraw_applications(self, kind: _Kind, link_ids: list[int],
                               now: datetime.datetime) -> None:
        """A pending counter application whose binding/authorization was just withdrawn
        leaves the review queue with it (withdrawn, with history and audit event)."""
        from families.models import CounterApplication

        where, params = _in(f"{kind.key}_id", link_ids)
        closed, history_ids = update_with_history(
            CounterApplication, {"status": "withdrawn"}, f"{where} AND status = %s",
            [*params, "pending"], now, actor_id=self.actor.pk, reason=self.reason)
        if closed:
            insert_events_from_history(
                _filter_ids(CounterApplication.history.model.objects, "history_id",
                            history_ids),
                action="application_withdraw",
                changes=[{"field": "status", "verbose_name": str(
                    CounterApplication._meta.get_field("status").verbose_name),
                    "old": str(ApplicationStatus.PENDING.label),
                    "new": str(ApplicationStatus.WITHDRAWN.label)}],
            )


class _ChunkPool:
    """Runs chunks on `workers` threads, each with its own database connection, with at
    most `workers` chunks in flight (memory stays flat). One worker runs inline."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.executor = ThreadPoolExecutor(workers) if workers > 1 else None
        self.pending: list[Future] = []

    def __enter__(self) -> _ChunkPool:
        return self

    def run(self, fn: Callable, *args) -> None:
        if self.executor is None:
            fn(*args)
            return
        if len(self.pending) >= self.workers:
            done, _not_done = wait(self.pending, return_when=FIRST_COMPLETED)
            for future in done:
                self.pending.remove(future)
                future.result()  # re-raise a worker's error here
        self.pending.append(self.executor.submit(_in_own_connection, fn, *args))

    def __exit__(self, exc_type, exc, tb) -> None:
        if self.executor is None:
            return
        try:
            for future in self.pending:
                future.result()
        finally:
            self.executor.shutdown(wait=True)


def _in_own_connection(fn: Callable, *args) -> None:
    try:
        fn(*args)
    finally:
        connections.close_all()  # this worker thread's connection
