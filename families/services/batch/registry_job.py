"""The registry import (参保登记导入) as a 批量处理 job: its dry run and its run call
families.services.registry.import_persons, the service of the `import_persons` command,
with the job's region (a supervisor imports the persons of his own region; a sysadmin's
job without a region imports every region's)."""

from __future__ import annotations

import contextlib
import itertools
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from accounts.csv_input import check_file, data_rows
from accounts.errors import RuleViolation
from families.models import BatchJob
from families.services.batch.report import ImportReportWriter
from families.services.registry import (
    REQUIRED_COLUMNS,
    ImportOutcome,
    ImportRow,
    import_persons,
)

# What a registry job writes: the four-eyes threshold counts these rows.
CHANGES = (ImportOutcome.CREATED, ImportOutcome.UPDATED, ImportOutcome.DEATH_RECORDED)


def registry_reason(upload_name: str) -> str:
    """The reason of a registry import's writes, as the command gives it."""
    return _("参保登记导入:%(file)s") % {"file": upload_name}


@contextlib.contextmanager
def local_copy(job: BatchJob) -> Iterator[Path]:
    """The job's upload copied to a local file (the storage may be remote)."""
    with tempfile.NamedTemporaryFile(suffix=".csv") as tmp:
        with job.upload.open("rb") as source:
            for block in iter(lambda: source.read(1 << 20), b""):
                tmp.write(block)
        tmp.flush()
        yield Path(tmp.name)


@contextlib.contextmanager
def _registry_file(job: BatchJob) -> Iterator[tuple[Path, int]]:
    with local_copy(job) as path:
        try:
            total = check_file(path, REQUIRED_COLUMNS)
        except CommandError as exc:
            raise RuleViolation("batch_bad_file", str(exc)) from exc
        yield path, total


def registry_check(job: BatchJob, *, actor, bad_rows_shown: int) -> None:
    """The dry run: the counts by outcome and the refused rows with their line numbers,
    set on `job` (not saved)."""
    bad: list[list] = []

    def note(row: ImportRow) -> None:
        if row.outcome == ImportOutcome.REFUSED and len(bad) < bad_rows_shown:
            bad.append([row.line, row.outcome, row.message])

    with _registry_file(job) as (path, _total):
        result = import_persons(actor=actor, rows=data_rows(path), reason=job.reason,
                                dry_run=True, region=job.region, report=note)
    job.dry_run_counts = {k: v for k, v in result.outcomes.items() if v}
    job.bad_rows = bad


def registry_run(job: BatchJob, *, handle: TextIO, progress, chunk_size: int | None
                 ) -> ImportReportWriter:
    """Import the job's file from the first row an earlier run did not commit
    (`job.done` rows are done), reporting to `handle`; `progress` is the job's."""
    with _registry_file(job) as (path, total):
        writer = ImportReportWriter(handle, header=handle.tell() == 0)
        progress.writer = writer
        progress.total = total - job.done
        import_persons(actor=job.confirmed_by, rows=data_rows(path), reason=job.reason,
                       region=job.region, start_line=_line_after(path, job.done),
                       report=writer.write, progress=progress,
                       **({"chunk_size": chunk_size} if chunk_size else {}))
    return writer


def _line_after(path: Path, done: int) -> int:
    """The line number of the first row not yet done."""
    rest = itertools.islice(data_rows(path), done, None)
    return next(rest, (sys.maxsize, None))[0]

