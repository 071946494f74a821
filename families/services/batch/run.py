"""The chunked run behind `batch_unbind`: selections, output; a chunk's work is in
chunk.py, CSV rows in rows.py, the connection pool in pool.py."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.db import connection, models

from accounts.errors import require_reason
from accounts.models import Region
from families.chinatime import china_date
from families.choices import InsuranceStatus
from families.models import Person
from families.services.batch.chunk import ChunkMixin
from families.services.batch.pool import _ChunkPool
from families.services.batch.rows import RowsMixin
from families.services.batch.sql import _batched, _temp_table
from families.services.batch.types import (
    ADMINISTRATIVE_REASONS,
    BINDING,
    COPAY,
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
class _Run(RowsMixin, ChunkMixin):
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

    def emit_many(self, rows: list[ReportRow]) -> None:
        """A chunk's rows: counted in bulk (a million rows per run)."""
        self.result.outcomes.update(row.outcome for row in rows)
        self.result.by_region.update((row.region_code, row.kind, row.outcome) for row in rows)
        self.result.ended_by_kind.update(row.kind for row in rows
                                         if row.outcome == Outcome.ENDED)
        if self.report is not None:
            for row in rows:
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
        self.rest()

    def end_links(self, kind: _Kind, ids: Sequence[int],
                  lines: dict[int, int] | None = None) -> None:
        for part in _batched(ids, self.chunk_size):
            self.chunk(kind, part, lines)
            self.rest()
