"""批量处理 jobs from the browser: check (a dry run), confirm (a second supervisor above
BATCH_FOUR_EYES_THRESHOLD links to end or persons to write), run on the task queue
(families.tasks), resume. A job is a batch unbind (families.services.batch.batch_unbind)
or a registry import (registry_job.py: families.services.registry.import_persons).

Exactly once: a job runs under a lock (PostgreSQL: a session advisory lock keyed on the
job, released by the server when the runner's connection dies, e.g. a SIGKILLed worker;
SQLite: a heartbeat claim), and `batch_unbind` ends only live links in committed chunks,
so a resumed job ends what is left and nothing twice. `batch_jobs_resume` re-enqueues
jobs whose runner is gone (scripts/worker.sh runs it before each worker starts).
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import itertools
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.management.base import CommandError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.csv_input import check_file, data_rows
from accounts.errors import RuleViolation, require_reason
from audit.services import save_audited
from families.models import BatchJob, BatchJobStatus, BatchSource
from families.services.batch.registry_job import CHANGES as REGISTRY_CHANGES
from families.services.batch.registry_job import (
    local_copy,
    registry_check,
    registry_reason,
    registry_run,
)
from families.services.batch.report import ImportReportWriter, ReportWriter
from families.services.batch.run import batch_unbind
from families.services.batch.types import (
    INVALID_OUTCOMES,
    REASONS,
    Deceased,
    InsuranceTerminated,
    Outcome,
    PairRows,
    PersonRows,
    ReportRow,
    Selection,
)

CSV_COLUMNS = {BatchSource.PERSONS_CSV: ["id_number"],
               BatchSource.PAIRS_CSV: ["holder_id_number", "member_id_number"]}
UPLOADED = (*CSV_COLUMNS, BatchSource.REGISTRY_CSV)
BAD_ROWS_SHOWN = 200
_LOCK_CLASS = 18018  # pg advisory lock namespace of batch jobs


def batch_job_check(*, actor, source: str, reason: str, region=None, upload: File | None = None,
                    scope: str = "all") -> BatchJob:
    """The dry run: what the job would do, counted by outcome, with the bad rows and their
    line numbers. Nothing is changed except the new job record (history + audit event).
    A registry import's reason is the file's (as the command's); `reason` is ignored."""
    if source not in BatchSource.values:
        raise RuleViolation("batch_source_unknown", _("请选择处理对象。"))
    if source != BatchSource.REGISTRY_CSV:
        reason = require_reason(reason)
        if reason not in REASONS:
            raise RuleViolation("batch_reason_unknown", _("请选择解除原因。"))
    job = BatchJob(source=source, reason=reason, scope=scope, region=region, created_by=actor)
    if source in UPLOADED:
        if upload is None:
            raise RuleViolation("batch_upload_required", _("请上传 CSV 文件。"))
        content = upload.read()
        job.upload_sha256 = hashlib.sha256(content).hexdigest()
        if BatchJob.objects.filter(upload_sha256=job.upload_sha256,
                                   confirmed_at__isnull=False).exists():
            raise RuleViolation("batch_upload_already_confirmed",
                                _("该文件已确认处理过,不能重复处理。"))
        job.upload_name = Path(upload.name or "upload.csv").name[:200]
        job.upload.save(f"{timezone.now():%Y%m%d%H%M%S}.csv", ContentFile(content), save=False)
    if source == BatchSource.REGISTRY_CSV:
        job.reason = registry_reason(job.upload_name)[:200]
        registry_check(job, actor=actor, bad_rows_shown=BAD_ROWS_SHOWN)
    else:
        _unbind_check(job, actor=actor)
    with transaction.atomic():
        save_audited(job, actor=actor, reason=job.reason, action="batch_check")
    return job


def _unbind_check(job: BatchJob, *, actor) -> None:
    bad: list[list] = []

    def note(row: ReportRow) -> None:
        if row.outcome in INVALID_OUTCOMES and len(bad) < BAD_ROWS_SHOWN:
            bad.append([row.line, row.outcome, row.message])

    with _selection(job) as selection:
        result = batch_unbind(actor=actor, selection=selection, reason=job.reason,
                              scope=job.scope, region=job.region, dry_run=True, report=note)
    job.dry_run_counts = {k: v for k, v in result.outcomes.items() if v}
    job.bad_rows = bad


def would_end(job: BatchJob) -> int:
    """The job's size: links it would end, or registry rows it would write."""
    if job.source == BatchSource.REGISTRY_CSV:
        return sum(job.dry_run_counts.get(o, 0) for o in REGISTRY_CHANGES)
    return job.dry_run_counts.get(Outcome.WOULD_END, 0)


def needs_second_confirmation(job: BatchJob) -> bool:
    return would_end(job) > settings.BATCH_FOUR_EYES_THRESHOLD


def batch_job_confirm(*, actor, job_id: int) -> BatchJob:
    """First confirmation, or the second supervisor's above the four-eyes threshold; the
    job is enqueued when it is fully confirmed. A second confirmation of a job (or of the
    same upload in another job) is refused with a stable code."""
    with transaction.atomic():
        job = BatchJob.objects.select_for_update().get(pk=job_id)
        now = timezone.now()
        if job.status == BatchJobStatus.CHECKED:
            job.confirmed_by, job.confirmed_at = actor, now
            job.status = (BatchJobStatus.AWAITING_SECOND if needs_second_confirmation(job)
                          else BatchJobStatus.QUEUED)
            action = "batch_confirm"
        elif job.status == BatchJobStatus.AWAITING_SECOND:
            if job.confirmed_by_id == actor.pk:
                raise RuleViolation("batch_second_confirmer_same", _(
                    "超过 %(n)d 条的批量处理须由另一名审核员确认。")
                    % {"n": settings.BATCH_FOUR_EYES_THRESHOLD})
            job.second_confirmed_by, job.second_confirmed_at = actor, now
            job.status = BatchJobStatus.QUEUED
            action = "batch_confirm_second"
        else:
            raise RuleViolation("batch_already_confirmed", _("该批量处理已确认,不能重复确认。"))
        try:
            with transaction.atomic():
                save_audited(job, actor=actor, reason=job.reason, action=action)
        except IntegrityError as exc:
            raise RuleViolation("batch_upload_already_confirmed",
                                _("该文件已确认处理过,不能重复处理。")) from exc
    if job.status == BatchJobStatus.QUEUED:
        _enqueue(job)
    return job


def _enqueue(job: BatchJob) -> None:
    from families.tasks import batch_job_task

    result = batch_job_task.enqueue(job.pk)
    BatchJob.objects.filter(pk=job.pk).update(task_id=str(result.id))


def batch_job_run(job_id: int, *, workers: int = 1, chunk_size: int | None = None,
                  pause: float = 0.0) -> str:
    """The task body: run (or go on with) a confirmed job. Returns what happened:
    "done", "locked" (another runner has it) or "skipped" (not confirmed / finished)."""
    with _run_lock(job_id) as locked:
        if not locked:
            return "locked"
        job = BatchJob.objects.select_related("confirmed_by", "region").get(pk=job_id)
        if job.status not in (BatchJobStatus.QUEUED, BatchJobStatus.RUNNING):
            return "skipped"
        job.status = BatchJobStatus.RUNNING
        job.runs += 1
        job.started_at = job.started_at or timezone.now()
        with transaction.atomic():
            save_audited(job, actor=job.confirmed_by, reason=job.reason,
                         action="batch_start" if job.runs == 1 else "batch_resume")
        path = _report_path(job)
        progress = _JobProgress(job)
        try:
            with path.open("a", encoding="utf-8-sig", newline="") as handle:
                if job.source == BatchSource.REGISTRY_CSV:
                    registry_run(job, handle=handle, progress=progress, chunk_size=chunk_size)
                else:
                    _unbind_run(job, handle=handle, progress=progress, workers=workers,
                                pause=pause, chunk_size=chunk_size)
                progress.flush()
        except DatabaseError as exc:
            job.status, job.error = BatchJobStatus.FAILED, str(exc)[:500]
            job.finished_at = timezone.now()
            with transaction.atomic():
                save_audited(job, actor=job.confirmed_by, reason=job.reason, action="batch_fail")
            raise
        job.refresh_from_db()
        job.status, job.finished_at = BatchJobStatus.DONE, timezone.now()
        job.report.name = str(path.relative_to(Path(settings.PRIVATE_MEDIA_ROOT)))
        with transaction.atomic():
            save_audited(job, actor=job.confirmed_by, reason=job.reason, action="batch_done")
        return "done"


def _unbind_run(job: BatchJob, *, handle, progress: _JobProgress, workers: int, pause: float,
                chunk_size: int | None) -> None:
    with _selection(job, skip=job.done) as selection:
        writer = ReportWriter(handle, header=handle.tell() == 0)
        progress.writer = writer
        batch_unbind(actor=job.confirmed_by, selection=selection, reason=job.reason,
                     scope=job.scope, region=job.region, report=writer.write,
                     progress=progress, workers=workers, pause=pause,
                     **({"chunk_size": chunk_size} if chunk_size else {}))


class _JobProgress:
    """The tqdm-like progress `batch_unbind` advances, written to the job row per chunk
    (.update(): no history row), plus the outcome counts of the report so far."""

    def __init__(self, job: BatchJob) -> None:
        self.pk = job.pk
        self.base_done = job.done
        self.base_counts = Counter(job.result_counts)
        self.n = 0
        self.total: float | None = None
        self.writer: ReportWriter | ImportReportWriter | None = None

    def update(self, n: float = 1) -> None:
        self.n += int(n)
        self.flush()

    def refresh(self) -> None:
        self.flush()

    def flush(self) -> None:
        counts = dict(self.base_counts + (self.writer.outcomes if self.writer else Counter()))
        if self.writer is not None:
            self.writer.handle.flush()
        fields = {"done": self.base_done + self.n, "heartbeat_at": timezone.now(),
                  "result_counts": counts}
        if self.total is not None:
            fields["total"] = self.base_done + int(self.total)
        BatchJob.objects.filter(pk=self.pk).update(**fields)


def _report_path(job: BatchJob) -> Path:
    folder = Path(settings.PRIVATE_MEDIA_ROOT) / "batch" / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"batch-job-{job.pk}.csv"


@contextlib.contextmanager
def _selection(job: BatchJob, skip: int = 0) -> Iterator[Selection]:
    """The job's selection; a CSV upload is copied to a local file first (the storage may
    be remote) and `skip` rows already done by an earlier run are left out."""
    if job.source == BatchSource.DECEASED:
        yield Deceased()
        return
    if job.source == BatchSource.TERMINATED:
        yield InsuranceTerminated()
        return
    with local_copy(job) as path:
        try:
            total = check_file(path, CSV_COLUMNS[job.source])
        except CommandError as exc:
            raise RuleViolation("batch_bad_file", str(exc)) from exc
        kind = PersonRows if job.source == BatchSource.PERSONS_CSV else PairRows
        yield kind(rows=itertools.islice(data_rows(path), skip, None), total=total - skip)


@contextlib.contextmanager
def _run_lock(job_id: int) -> Iterator[bool]:
    """PostgreSQL: a session advisory lock (free again when the holder's connection dies).
    SQLite: claim the job unless another runner's heartbeat is fresh."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [_LOCK_CLASS, job_id])
            locked = cursor.fetchone()[0]
        try:
            yield locked
        finally:
            if locked:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_LOCK_CLASS, job_id])
        return
    now = timezone.now()
    claimed = BatchJob.objects.filter(pk=job_id).filter(
        Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=now - _stale())
        | Q(status=BatchJobStatus.QUEUED)).update(heartbeat_at=now)
    yield bool(claimed)


def _stale() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.BATCH_JOB_STALE_SECONDS)


def _runner_gone(job: BatchJob) -> bool:
    if connection.vendor == "postgresql":
        with _run_lock(job.pk) as locked:
            return locked
    return job.heartbeat_at is None or job.heartbeat_at < timezone.now() - _stale()


def _task_waiting(job: BatchJob) -> bool:
    """Is the job's task still waiting in the queue (not yet claimed by a worker)?"""
    from django_tasks import TaskResultStatus, default_task_backend
    from django_tasks.exceptions import TaskResultDoesNotExist

    if not job.task_id:
        return False
    try:
        return default_task_backend.get_result(job.task_id).status == TaskResultStatus.READY
    except (TaskResultDoesNotExist, NotImplementedError):
        return False


def batch_jobs_resume() -> list[int]:
    """Enqueue again every confirmed, unfinished job whose runner is gone (a killed
    worker) and whose task is not waiting in the queue. Returns their ids."""
    resumed = []
    for job in BatchJob.objects.filter(
            status__in=[BatchJobStatus.QUEUED, BatchJobStatus.RUNNING]).order_by("pk"):
        if not _task_waiting(job) and _runner_gone(job):
            _enqueue(job)
            resumed.append(job.pk)
    return resumed
