"""The chunked run behind `batch_unbind`: selections, output; a chunk's work is in
chunk.py, CSV rows in rows.py, the connection pool in pool.py."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.db import connection, models

from accounts.errors import require_reason
from accounts.models import Region
from families.chinatime import china_date
from families.choices import InsuranceStatus
from families.models import Person
from families.services.batch.chunk import ChunkMixin, Decided
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
        """Live links of `persons`, materialized into a temporary table of ids per kind
        and read back in pages (the rerun after a crash finds only what is still live).

        With several connections the next kind's table is filled while the first
        chunks of this one run (the fill is a tenth of a run at 100,000 links), and the
        last chunks shrink so that the connections finish together instead of one
        running the last full chunk alone."""
        person_ids = persons.values("pk")
        tables: list[tuple[_Kind, str]] = []
        total = 0
        try:
            with _ChunkPool(self.workers, self._emit_chunk, then_first=bool(self.pause)) as pool:
                total += self._fill(self.kinds[0], person_ids, tables)
                self.set_total(total if len(self.kinds) == 1 else None)
                submitted = 0
                for index, kind in enumerate(self.kinds):
                    table = tables[index][1]
                    last, in_table = 0, 0
                    while True:
                        if len(tables) < len(self.kinds) and (
                                in_table >= self.workers or last is None):
                            total += self._fill(self.kinds[len(tables)], person_ids, tables)
                            self.set_total(total)
                        if last is None:
                            break
                        ids = self._page(table, last, self._size(total, submitted, tables))
                        if not ids:
                            last = None
                            continue
                        pool.run(self.chunk, kind, ids)
                        last = ids[-1]
                        in_table += 1
                        submitted += len(ids)
        finally:
            with connection.cursor() as cursor:
                for _kind, table in tables:
                    cursor.execute(f"DROP TABLE IF EXISTS {table}")

    def _fill(self, kind: _Kind, person_ids: models.QuerySet,
              tables: list[tuple[_Kind, str]]) -> int:
        """The temporary table of the live links of `kind` of the persons; its size."""
        table = _temp_table(kind)
        tables.append((kind, table))
        live = kind.model.objects.filter(status__in=list(kind.transitions))
        links = live.filter(**{f"{kind.first}__in": person_ids}).values("pk").union(
            live.filter(**{f"{kind.second}__in": person_ids}).values("pk"))
        sql, params = links.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
            cursor.execute(f"CREATE TEMPORARY TABLE {table.split('.')[1]} "
                           "(id bigint PRIMARY KEY)")
            cursor.execute(f"INSERT INTO {table} (id) {sql}", params)
            return cursor.rowcount

    def _size(self, total: int, submitted: int, tables: list) -> int:
        """The next chunk's size: `chunk_size`, or less for the last chunks (several
        connections, every table filled) so that no connection is left with a long
        last chunk while the others are done."""
        if self.workers == 1 or len(tables) < len(self.kinds):
            return self.chunk_size
        share = -(-(total - submitted) // self.workers)  # the rest, split evenly
        return max(min(self.chunk_size, share), self.chunk_size // 4, 1)

    @staticmethod
    def _page(table: str, last: int, size: int) -> list[int]:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT id FROM {table} WHERE id > %s ORDER BY id LIMIT %s",
                           [last, size])
            return [r[0] for r in cursor.fetchall()]

    def _emit_chunk(self, decided: Decided) -> None:
        """A committed chunk's report rows and progress; then the --pause."""
        rows = self.report_rows(decided)
        self.emit_many(rows)
        self.advance(len(rows))
        self.rest()

    def end_links(self, kind: _Kind, ids: Sequence[int],
                  lines: dict[int, int] | None = None) -> None:
        for part in _batched(ids, self.chunk_size):
            self.emit_many(self.report_rows(self.chunk(kind, part, lines)))
            self.rest()
