"""One chunk of a batch unbind: lock, decide, write (UPDATE ... RETURNING, history rows,
audit events), in one transaction."""

from __future__ import annotations

import datetime
import itertools
import time
from collections.abc import Sequence

from django.db import OperationalError, connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.log import insert_events_from_history
from families import selectors
from families.chinatime import add_months, china_date
from families.choices import ApplicationStatus
from families.idnumbers import mask_id_number
from families.lifecycle import pending_settlement_blocks
from families.models import CounterApplication, Person
from families.services.batch.pgwrite import end_links_returning
from families.services.batch.sql import _filter_ids, _in, _is_deadlock, update_with_history
from families.services.batch.types import BINDING, COPAY, Outcome, ReportRow, _Kind
from families.settlement_facts import settlement_facts

# A committed chunk: (kind, locked rows, {link id: (outcome, new status label, message)},
# {link id: CSV line}).
Decided = tuple[_Kind, list[tuple], dict[int, tuple[str, str, str]], dict[int, int]]


class ChunkMixin:
    """chunk() of `_Run` (run.py): everything one committed chunk does."""

    def chunk(self, kind: _Kind, ids: Sequence[int], lines: dict[int, int] | None = None
              ) -> Decided:
        """Lock, decide and write one chunk in one transaction; returns what was decided,
        for `report_rows` once the chunk committed (the report is built outside the
        transaction, while the chunk's connection is already at the next one)."""
        for attempt in itertools.count(1):
            try:
                with transaction.atomic():
                    _index_lookups_only()
                    return self._decide(kind, self._lock(kind, ids), lines or {})
            except OperationalError as exc:
                if attempt >= 3 or not _is_deadlock(exc):
                    raise
        raise AssertionError("unreachable")

    def report_rows(self, decided: Decided) -> list[ReportRow]:
        """One ReportRow per link of a committed chunk."""
        kind, rows, verdicts, lines = decided
        labels = self.labels[kind.key]
        region_codes = self.region_codes
        out = []
        for pk, status, region_id, first, second in rows:
            outcome, new_status, message = verdicts[pk]
            old = labels.get(status, status)
            out.append(ReportRow(outcome, lines.get(pk), kind.key, pk, mask_id_number(first),
                                 mask_id_number(second), region_codes.get(region_id, ""), old,
                                 new_status or old, message))
        return out

    def rest(self) -> None:
        """--pause: leave the database to the counters between chunks (after the
        chunk's progress is out, so a kill while resting loses no progress)."""
        if self.pause:
            time.sleep(self.pause)

    def _lock(self, kind: _Kind, ids: Sequence[int]) -> list[tuple]:
        """(id, status, region id, first ID number, second ID number) of the chunk's
        links, locked in primary-key order after their pending counter applications
        (not in a dry run; SQLite has no row locks,
        its IMMEDIATE transactions hold the database lock instead)."""
        qn = connection.ops.quote_name
        person = qn(Person._meta.db_table)
        where, params = _in("l.id", ids)
        lock = " FOR UPDATE OF l" if connection.features.has_select_for_update_of \
            and not self.dry_run else ""
        with connection.cursor() as cursor:
            if lock:
                # The lock order of families.services: counter applications first (a
                # supervisor approving one holds it while he waits for its link).
                app_where, app_params = _in(f"{kind.key}_id", ids)
                cursor.execute(
                    f"SELECT id FROM {qn(CounterApplication._meta.db_table)} "
                    f"WHERE {app_where} AND status = %s ORDER BY id FOR UPDATE",
                    [*app_params, ApplicationStatus.PENDING])
            cursor.execute(
                f"SELECT l.id, l.status, a.insured_region_id, a.id_number, b.id_number "
                f"FROM {qn(kind.model._meta.db_table)} l "
                f"JOIN {person} a ON a.id = l.{qn(kind.first + '_id')} "
                f"JOIN {person} b ON b.id = l.{qn(kind.second + '_id')} "
                f"WHERE {where} ORDER BY l.id{lock}", params)
            return cursor.fetchall()

    def _decide(self, kind: _Kind, rows: list[tuple], lines: dict[int, int]) -> Decided:
        """Each locked link's verdict (outcome, new status label, message); the links
        to end are ended here. Per-link Python stays minimal: the chunk's row locks are
        held meanwhile."""
        labels = self.labels[kind.key]
        live = [r[0] for r in rows if r[1] in kind.checked]
        pending = self._pending_settlements(kind, live)
        too_early = {} if self.administrative else self._too_early(kind, live)
        now = timezone.now()
        verdicts: dict[int, tuple[str, str, str]] = {}
        to_end: dict[str, list[int]] = {}
        ended_outcome = Outcome.WOULD_END if self.dry_run else Outcome.ENDED
        ended_label = {status: labels[end[0]] for status, end in kind.transitions.items()}
        for pk, status, _region_id, _first, _second in rows:
            if status not in kind.transitions:
                verdicts[pk] = (Outcome.ALREADY_ENDED, "", _(
                    "当前状态为“%(status)s”,无需解除。") % {"status": labels.get(status, status)})
            elif pk in pending:
                verdicts[pk] = (Outcome.SKIPPED_PENDING_SETTLEMENT, "", _(
                    "该共济授权尚有未结算的医疗费用(如住院未出院结算),结算完成后方可撤销。"))
            elif pk in too_early:
                verdicts[pk] = (Outcome.SKIPPED_TOO_EARLY, "", too_early[pk])
            else:
                verdicts[pk] = (ended_outcome, ended_label[status], "")
                to_end.setdefault(status, []).append(pk)
        if not self.dry_run:
            for status, pks in to_end.items():
                ended = set(self._write(kind, status, pks, now))
                for pk in pks:
                    if pk not in ended:  # cannot happen under the row lock; never lie
                        verdicts[pk] = (Outcome.ALREADY_ENDED, "", "")
        return kind, rows, verdicts, lines

    def _pending_settlements(self, kind: _Kind, ids: list[int]) -> set[int]:
        """Co-pay links of the chunk a pending settlement protects: the rule of
        families.lifecycle.pending_settlement_blocks, keyed on a party's registered
        death (never on the reason's text), applied to the chunk's facts at once."""
        if kind is not COPAY or not ids:
            return set()
        lines = settlement_facts().pending_settlement_lines()
        pending = set(_filter_ids(lines, "authorization_id", ids).values_list(
            "authorization_id", flat=True).distinct())
        if not pending:
            return pending
        deceased = set(_filter_ids(kind.model.objects, "pk", sorted(pending)).filter(
            models.Q(authorizer__death_date__isnull=False)
            | models.Q(beneficiary__death_date__isnull=False)).values_list("pk", flat=True))
        return {pk for pk in pending if pending_settlement_blocks(
            has_pending_settlement=True, party_deceased=pk in deceased)}

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
        """UPDATE ... RETURNING, the history rows, their audit events (PostgreSQL: one
        statement, pgwrite.py)."""
        new_status, action = kind.transitions[old_status]
        model = kind.model
        labels = self.labels[kind.key]
        changes = [
            {"field": "status", "verbose_name": str(model._meta.get_field("status").verbose_name),
             "old": labels[old_status], "new": labels[new_status]},
            {"field": "end_reason",
             "verbose_name": str(model._meta.get_field("end_reason").verbose_name),
             "old": "", "new": self.reason},
        ]
        assignments = {"status": new_status, "ended_at": now, "ended_by_id": self.actor.pk,
                       "end_reason": self.reason[:200]}
        if connection.vendor == "postgresql":
            ended = end_links_returning(
                kind, old_status=old_status, ids=ids, assignments=assignments, now=now,
                actor=self.actor, reason=self.reason, action=action, changes=changes)
        else:
            where, params = _in("id", ids)
            ended, history_ids = update_with_history(
                model, assignments, f"{where} AND status = %s", [*params, old_status], now,
                actor_id=self.actor.pk, reason=self.reason)
            if ended:
                insert_events_from_history(
                    _filter_ids(model.history.model.objects, "history_id", history_ids),
                    action=action, changes=changes)
        if not ended:
            return []
        if old_status == "pending":
            self._withdraw_applications(kind, ended, now)
        return ended

    def _withdraw_applications(self, kind: _Kind, link_ids: list[int],
                               now: datetime.datetime) -> None:
        """A pending counter application whose binding/authorization was just withdrawn
        leaves the review queue with it (withdrawn, with history and audit event)."""
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


def _index_lookups_only() -> None:
    """A chunk reads and writes 10,000 rows of tables with millions: with an array of
    10,000 ids PostgreSQL's estimates favour hash joins over sequential scans of the
    link and person tables, once per chunk (at 1,000,000 links that was most of the
    run). Within the chunk's transaction only, plan index lookups."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('enable_seqscan', 'off', true), "
                           "set_config('enable_hashjoin', 'off', true), "
                           "set_config('enable_mergejoin', 'off', true)")
