"""A 批量处理 job on the real task queue (django-tasks-db, PostgreSQL): the worker
(`manage.py db_worker`, a subprocess) is killed with SIGKILL mid-job; the job is picked up
again and finishes with every link ended exactly once; it never runs twice at once."""

import os
import signal
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.db import connection
from django_tasks_db.models import DBTaskResult

from audit.models import AuditEvent
from families.models import BatchJob, Binding, CoPayAuthorization
from families.services.batch.jobs import (
    _run_lock,
    batch_job_check,
    batch_job_confirm,
    batch_job_run,
    batch_jobs_resume,
)
from tests import factories as f
from tests.families.test_batch_unbind_resume import (  # noqa: F401 (fixture)
    BINDINGS,
    COPAYS,
    MANAGE,
    _database_url,
    _ended,
    linked_dead_person,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _worker(*extra: str, **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(MANAGE), "db_worker", "--no-reload", "--no-startup-delay",
         "--interval", "0.1", *extra],
        env={**os.environ, "DATABASE_URL": _database_url(), "SECRET_KEY": "test-only",
             "TASKS_BACKEND": "database",
             "PRIVATE_MEDIA_ROOT": str(settings.PRIVATE_MEDIA_ROOT), **env},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@pytest.fixture
def confirmed_job(linked_dead_person, settings):  # noqa: F811
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    boss = f.supervisor("resume_boss")
    job = batch_job_check(actor=boss, source="deceased", reason="死亡")
    return batch_job_confirm(actor=boss, job_id=job.pk)


def test_a_killed_worker_leaves_committed_chunks_and_the_job_finishes_exactly_once(
        confirmed_job):
    total = BINDINGS + COPAYS
    worker = _worker(BATCH_JOB_CHUNK_SIZE="20", BATCH_JOB_PAUSE="0.2", BATCH_JOB_WORKERS="1")
    deadline = time.monotonic() + 120
    try:
        while _ended() < 60:
            assert worker.poll() is None, worker.stderr.read().decode()
            assert time.monotonic() < deadline, "the worker made no progress"
            time.sleep(0.02)
        worker.send_signal(signal.SIGKILL)
    finally:
        worker.wait(timeout=30)
        worker.stderr.close()
    killed_at = _ended()
    assert 60 <= killed_at < total
    job = BatchJob.objects.get(pk=confirmed_job.pk)
    assert job.status == "running" and 0 < job.done < total
    assert DBTaskResult.objects.get(id=job.task_id).status == "RUNNING"  # the dead worker's

    assert batch_jobs_resume() == [job.pk]
    assert batch_jobs_resume() == []  # its task waits in the queue: not enqueued twice
    finished = _worker("--batch")
    assert finished.wait(timeout=120) == 0, finished.stderr.read().decode()
    finished.stderr.close()

    job.refresh_from_db()
    # The links are exact (above and below); the job's counters may miss the one chunk
    # that committed in the instant before the kill, before its progress was written.
    assert (job.status, job.runs) == ("done", 2)
    assert total - 20 <= job.done == job.total <= total
    assert Binding.objects.filter(status="unbound").count() == BINDINGS
    assert CoPayAuthorization.objects.filter(status="revoked").count() == COPAYS
    for model in (Binding, CoPayAuthorization):
        history = model.history.model.objects
        assert history.count() == model.objects.count()  # set up without history rows
        assert history.values("id").distinct().count() == model.objects.count()
        assert history.filter(history_user__username="resume_boss").count() == history.count()
        events = AuditEvent.objects.filter(model=model._meta.label_lower)
        assert events.count() == events.values("object_id").distinct().count() \
            == model.objects.count()
    actions = list(AuditEvent.objects.filter(model="families.batchjob").order_by("pk")
                   .values_list("action", flat=True))
    assert actions == ["batch_check", "batch_confirm", "batch_start", "batch_resume",
                       "batch_done"]
    assert job.report.open("rb").read().startswith(b"\xef\xbb\xbf")
    connection.close()


def test_a_job_never_runs_twice_at_once(confirmed_job):
    from django.db import connections

    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:  # another runner holds the job
            cursor.execute("SELECT pg_advisory_lock(18018, %s)", [confirmed_job.pk])
        assert batch_job_run(confirmed_job.pk) == "locked"
        assert batch_jobs_resume() == []
        assert _ended() == 0
    finally:
        other.close()  # the server frees the lock once it has ended that session
    deadline = time.monotonic() + 10
    while True:
        with _run_lock(confirmed_job.pk) as locked:
            if locked or time.monotonic() > deadline:
                break
        time.sleep(0.05)
    assert locked
    assert batch_job_run(confirmed_job.pk) == "done"
    assert batch_job_run(confirmed_job.pk) == "skipped"
    connection.close()
