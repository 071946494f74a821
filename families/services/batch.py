"""Batch unbinds (DOMAIN.md "Batch unbinds"): end bindings and co-pay authorizations of
thousands to hundreds of thousands of persons at once, after deaths, divorces, insurance
terminations or data clean-ups. The `batch_unbind` command and the bindings admin's
unbind action both call `batch_unbind`.

A chunk of links (``chunk_size``, 5,000 by default) is one transaction:
1. lock the chunk's links in primary-key order (``SELECT ... ORDER BY id FOR UPDATE OF
   link``) and read what the rules need;
2. decide per link: only live statuses end (binding active → unbound, pending →
   withdrawn; co-pay active/suspended → revoked, pending → withdrawn); co-pay with a
   pending settlement is skipped unless the reason is 死亡 (co-pay rule 9); a
   non-administrative reason (本人申请) respects the region's waiting period (binding
   rule 10);
3. one ``UPDATE ... WHERE id IN (...) AND status = <old> RETURNING id`` per old status;
4. ``INSERT INTO <history table> ... SELECT ... FROM <link table> WHERE id IN (returned)
   RETURNING history_id``: exactly one "~" history row per ended link, with the
   operator as history user and the reason as change reason;
5. ``accounts.audit_log.insert_events_from_history``: exactly one AuditEvent per history
   row.

Resumable and idempotent without a run table: every chunk commits on its own and only
live links are ever updated, so after a crash (even ``kill -9``) running the same
selection again ends what is left, and a third run ends nothing. A killed chunk rolls back
as a whole: its links, history and audit rows are written together or not at all.

Lock order: links only, in primary-key order. Counter services lock persons (pk order),
then one link; this job never locks persons (an UPDATE that does not change a foreign key
takes no lock on the referenced row), so it cannot close a cycle with them. A deadlock
with a service that locks several links in another order is retried (PostgreSQL aborts
one side); co-pay rows are locked before asking for pending settlements, as
settlement_post locks the authorization before paying from it.

Selections stream: deceased / insurance-terminated selections are materialized once into
a temporary table of link ids and read back page by page; CSV rows are read in batches.
Memory does not grow with the number of links.

Pending counter applications whose binding is withdrawn stay pending (as after
``person_record_death``); withdrawing or expiring them later only ends the application.
"""

from __future__ import annotations

import datetime
import itertools
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from django.db import OperationalError, connection, models, transaction
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.audit_log import insert_events_from_history
from accounts.errors import RuleViolation
from accounts.models import Region
from families import selectors
from families.chinatime import add_months, china_date
from families.choices import ApplicationStatus, BindingStatus, CoPayStatus, IdType, InsuranceStatus
from families.idnumbers import (
    InvalidIdNumber,
    mask_id_number,
    normalize_id_number,
    normalize_name,
    parse_resident_id,
)
from families.models import Binding, CoPayAuthorization, Person

DEATH = "死亡"
REASONS = [DEATH, "离婚", "参保终止", "本人申请", "数据清理"]
# Administrative unbinds ignore the region's waiting period (binding rule 10).
ADMINISTRATIVE_REASONS = {DEATH, "离婚", "参保终止", "数据清理"}
SCOPES = ("bindings", "copay", "all")
DEFAULT_CHUNK_SIZE = 5000


class Outcome(models.TextChoices):
    ENDED = "ended", gettext_lazy("已解除")
    WOULD_END = "would_end", gettext_lazy("将解除(试运行)")
    ALREADY_ENDED = "already_ended", gettext_lazy("此前已结束")
    SKIPPED_PENDING_SETTLEMENT = "skipped_pending_settlement", gettext_lazy("跳过:有未结算费用")
    SKIPPED_TOO_EARLY = "skipped_too_early", gettext_lazy("跳过:未满最短解除期限")
    NO_LINKS = "no_links", gettext_lazy("无绑定或共济关系")
    OTHER_REGION = "other_region", gettext_lazy("跳过:不属于所选统筹区")
    NOT_FOUND = "not_found", gettext_lazy("未找到参保人")
    NAME_MISMATCH = "name_mismatch", gettext_lazy("姓名不一致")
    INVALID_ID = "invalid_id", gettext_lazy("证件号码无效")
    INVALID_ROW = "invalid_row", gettext_lazy("无效行")


INVALID_OUTCOMES = {Outcome.NOT_FOUND, Outcome.NAME_MISMATCH, Outcome.INVALID_ID,
                    Outcome.INVALID_ROW}


# --- Selections -------------------------------------------------------------------------

Rows = Iterable[tuple[int, dict[str, str]]]


@dataclass(frozen=True)
class PersonRows:
    """CSV rows (line, {"id_number", "id_type"?, "name"?}): every link of each person."""

    rows: Rows
    total: int | None = None


@dataclass(frozen=True)
class PairRows:
    """CSV rows (line, {"holder_id_number", "member_id_number", optional "holder_id_type",
    "member_id_type", "holder_name", "member_name"}): only the links between each pair,
    in either direction (e.g. both spouses' bindings after a divorce)."""

    rows: Rows
    total: int | None = None


@dataclass(frozen=True)
class Deceased:
    """Everyone with a date of death who is still linked."""


@dataclass(frozen=True)
class InsuranceTerminated:
    """Everyone whose insurance status is 终止 who is still linked."""


@dataclass(frozen=True)
class LinkIds:
    """Links chosen one by one (the admin action)."""

    bindings: Sequence[int] = ()
    copays: Sequence[int] = ()


Selection = PersonRows | PairRows | Deceased | InsuranceTerminated | LinkIds


# --- Results ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportRow:
    outcome: str
    line: int | None = None
    kind: str = ""
    link_id: int | None = None
    first_id: str = ""  # masked ID number of the holder / authorizer
    second_id: str = ""  # masked ID number of the member / beneficiary
    region_code: str = ""
    old_status: str = ""
    new_status: str = ""
    message: str = ""


@dataclass
class BatchResult:
    dry_run: bool = False
    outcomes: Counter = field(default_factory=Counter)  # outcome -> n
    by_region: Counter = field(default_factory=Counter)  # (region, kind, outcome) -> n
    ended_by_kind: Counter = field(default_factory=Counter)  # kind -> n
    elapsed: float = 0.0

    @property
    def ended(self) -> int:
        return self.outcomes[Outcome.ENDED]

    @property
    def invalid_rows(self) -> int:
        return sum(self.outcomes[o] for o in INVALID_OUTCOMES)

    @property
    def skipped(self) -> int:
        return (self.outcomes[Outcome.SKIPPED_PENDING_SETTLEMENT]
                + self.outcomes[Outcome.SKIPPED_TOO_EARLY])


class Progress(Protocol):
    total: float | None

    def update(self, n: float = 1) -> object: ...

    def refresh(self) -> object: ...


# --- The kinds of link ------------------------------------------------------------------


@dataclass(frozen=True)
class _Kind:
    key: str
    label: str
    model: type[models.Model]
    first: str  # holder / authorizer
    second: str  # member / beneficiary
    transitions: dict[str, tuple[str, str]]  # live status -> (end status, audit action)
    checked: frozenset[str]  # statuses the waiting period / pending settlements apply to
    min_months: str  # RegionPolicy field of the waiting period

    def status_labels(self) -> dict[str, str]:
        """Chinese labels of the statuses (translated once per run, not per link)."""
        return {k: str(v) for k, v in self.model._meta.get_field("status").flatchoices}


BINDING = _Kind(
    "binding", gettext_lazy("亲情账户绑定"), Binding, "holder", "member",
    {BindingStatus.ACTIVE: (BindingStatus.UNBOUND, "binding_unbind"),
     BindingStatus.PENDING: (BindingStatus.WITHDRAWN, "binding_withdraw")},
    frozenset({BindingStatus.ACTIVE}), "min_months_before_unbind",
)
COPAY = _Kind(
    "copay", gettext_lazy("家庭共济授权"), CoPayAuthorization, "authorizer", "beneficiary",
    {CoPayStatus.ACTIVE: (CoPayStatus.REVOKED, "copay_revoke"),
     CoPayStatus.SUSPENDED: (CoPayStatus.REVOKED, "copay_revoke"),
     CoPayStatus.PENDING: (CoPayStatus.WITHDRAWN, "copay_withdraw")},
    frozenset({CoPayStatus.ACTIVE, CoPayStatus.SUSPENDED}), "copay_min_months_before_revoke",
)
KINDS = {"bindings": (BINDING,), "copay": (COPAY,), "all": (BINDING, COPAY)}


# --- SQL helpers (PostgreSQL and SQLite) ------------------------------------------------


def _in(column: str, ids: Sequence[int]) -> tuple[str, list]:
    """`column` is one of `ids`: one array parameter on PostgreSQL (a list of 5,000
    placeholders costs more to build and parse than the statement's work)."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(ids)]
    return f"{column} IN ({', '.join(['%s'] * len(ids))})", list(ids)


def _q_in(field: str, ids: Sequence[int]) -> Q:
    if connection.vendor == "postgresql":
        return Q(**{f"{field}__in": RawSQL("SELECT unnest(%s::bigint[])", [list(ids)])})
    return Q(**{f"{field}__in": list(ids)})


def _filter_ids(queryset: models.QuerySet, field: str, ids: Sequence[int]) -> models.QuerySet:
    return queryset.filter(_q_in(field, ids))


def _temp_table(kind: _Kind) -> str:
    schema = "pg_temp" if connection.vendor == "postgresql" else "temp"
    return f"{schema}.batch_unbind_{kind.key}_ids"


def _is_deadlock(exc: OperationalError) -> bool:
    return getattr(exc.__cause__, "sqlstate", None) in {"40P01", "40001"}


def _batched(iterable: Iterable, n: int) -> Iterator[list]:
    it = iter(iterable)
    while batch := list(itertools.islice(it, n)):
        yield batch


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
) -> BatchResult:
    """End the live links `selection` designates, in committed chunks, with one history
    row and one audit event per ended link. `region` narrows the selection to persons
    insured there. `administrative` (default: the reason is one of
    ADMINISTRATIVE_REASONS) skips the waiting period; co-pay with a pending settlement is
    ended only for reason 死亡. `report` receives one ReportRow per input row / link (after
    its chunk committed); `progress` (a tqdm bar) advances per input row or link."""
    if scope not in KINDS:
        raise ValueError(scope)
    if not (reason or "").strip():
        raise RuleViolation("reason_required", _("请填写办理原因。"))
    run = _Run(
        actor=actor, reason=reason.strip(), kinds=KINDS[scope], region=region,
        administrative=reason in ADMINISTRATIVE_REASONS if administrative is None
        else administrative,
        dry_run=dry_run, chunk_size=max(1, chunk_size), pause=pause, report=report,
        progress=progress,
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
    result: BatchResult = field(default_factory=BatchResult)
    region_codes: dict[int, str] = field(default_factory=dict)
    _months: dict[tuple[str, int], int] = field(default_factory=dict)

    def __post_init__(self) -> None:
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
            for kind, table in tables:
                last = 0
                while True:
                    with connection.cursor() as cursor:
                        cursor.execute(f"SELECT id FROM {table} WHERE id > %s ORDER BY id "
                                       "LIMIT %s", [last, self.chunk_size])
                        ids = [r[0] for r in cursor.fetchall()]
                    if not ids:
                        break
                    self.chunk(kind, ids)
                    self.advance(len(ids))
                    last = ids[-1]
        finally:
            with connection.cursor() as cursor:
                for _kind, table in tables:
                    cursor.execute(f"DROP TABLE IF EXISTS {table}")

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
        ended, history_ids = self._update_with_history(
            model, {"status": new_status, "ended_at": now, "ended_by_id": self.actor.pk,
                    "end_reason": self.reason[:200]},
            f"{where} AND status = %s", [*params, old_status], now)
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
        closed, history_ids = self._update_with_history(
            CounterApplication, {"status": "withdrawn"}, f"{where} AND status = %s",
            [*params, "pending"], now)
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

    def _update_with_history(self, model, assignments: dict, where: str, params: list,
                             now: datetime.datetime) -> tuple[list[int], list[int]]:
        """One set-based UPDATE ... RETURNING id, then INSERT ... SELECT of the history
        rows of exactly those rows (history user = operator, reason = the batch reason).
        Returns (updated ids, history ids)."""
        history = model.history.model
        qn = connection.ops.quote_name
        when = connection.ops.adapt_datetimefield_value(now)
        values = [when if isinstance(v, datetime.datetime) else v for v in assignments.values()]
        sets = ", ".join(f"{qn(column)} = %s" for column in assignments)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {qn(model._meta.db_table)} SET {sets} WHERE {where} RETURNING id",
                [*values, *params])
            updated = [r[0] for r in cursor.fetchall()]
            if not updated:
                return [], []
            source = {f.column for f in model._meta.concrete_fields}
            columns, select, select_params = [], [], []
            extra = {"history_date": when, "history_change_reason": self.reason[:200],
                     "history_type": "~", "history_user_id": self.actor.pk}
            for f in history._meta.concrete_fields:
                if f.column == "history_id":
                    continue
                columns.append(qn(f.column))
                if f.column in source:
                    select.append(qn(f.column))
                else:
                    select.append("%s")
                    select_params.append(extra[f.column])
            id_where, id_params = _in("id", updated)
            cursor.execute(
                f"INSERT INTO {qn(history._meta.db_table)} ({', '.join(columns)}) "
                f"SELECT {', '.join(select)} FROM {qn(model._meta.db_table)} "
                f"WHERE {id_where} RETURNING history_id",
                [*select_params, *id_params])
            history_ids = [r[0] for r in cursor.fetchall()]
        return updated, history_ids
