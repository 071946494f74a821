"""The measured runs of the batch-unbind benchmark (bench/batch_unbind.py), each in its
own child process (peak RSS from wait4): the command, the same run as a 批量处理 job,
and the `bulk_update_with_history` baseline. The job and bulk children run
bench/batch_unbind.py --worker job|bulk, which calls job_worker / bulk_worker here."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.unbind_data import OPERATOR, REASON, ROOT, child_env

SCRIPT = ROOT / "bench" / "batch_unbind.py"


LAST_CPU = {"seconds": 0.0}  # CPU time (user + system) of the last child, start-up included


def run_child(args: list[str], url: str) -> tuple[float, int, str, str]:
    """(wall seconds, peak RSS in MB, stdout, stderr) of a child process; its CPU time
    goes to LAST_CPU."""
    out, err = tempfile.TemporaryFile(), tempfile.TemporaryFile()
    started = time.perf_counter()
    process = subprocess.Popen(args, env=child_env(url), cwd=ROOT, stdout=out, stderr=err)
    _pid, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    out.seek(0)
    err.seek(0)
    stdout, stderr = out.read().decode(), err.read().decode()
    if process.returncode != 0:
        raise SystemExit(f"child failed ({process.returncode}): {args}\n{stdout}\n{stderr}")
    LAST_CPU["seconds"] = usage.ru_utime + usage.ru_stime
    return wall, usage.ru_maxrss // 1024, stdout, stderr


def run_batch(url: str, chunk_size: int, report: Path, workers: int) -> dict:
    wall, rss, stdout, _stderr = run_child(
        [sys.executable, str(ROOT / "manage.py"), "batch_unbind", "--deceased", "--reason",
         REASON, "--operator", OPERATOR, "--chunk-size", str(chunk_size), "--report",
         str(report), "--workers", str(workers), "--verbosity", "0"], url)
    seconds = float(re.search(r"用时 ([\d.]+) 秒", stdout).group(1))
    return {"wall": wall, "seconds": seconds, "rss_mb": rss, "summary": stdout.strip(),
            "cpu": LAST_CPU["seconds"]}


def run_job(url: str, chunk_size: int, workers: int) -> dict:
    """The same run as a 批量处理 job (families.services.batch.jobs.batch_job_run: the task
    body, with progress rows and the report file), in a child process."""
    with tempfile.TemporaryDirectory() as tmp:
        env_media = os.environ.get("PRIVATE_MEDIA_ROOT")
        os.environ["PRIVATE_MEDIA_ROOT"] = tmp
        try:
            wall, rss, stdout, _stderr = run_child(
                [sys.executable, str(SCRIPT), "--worker", "job",
                 "--chunk-size", str(chunk_size), "--workers", str(workers)], url)
        finally:
            if env_media is None:
                os.environ.pop("PRIVATE_MEDIA_ROOT")
            else:
                os.environ["PRIVATE_MEDIA_ROOT"] = env_media
    return {**json.loads(stdout.strip().splitlines()[-1]), "wall": wall, "rss_mb": rss}


def job_worker(chunk_size: int, workers: int) -> None:
    import django

    django.setup()
    from django.utils import timezone

    from accounts.models import User
    from families.models import BatchJob
    from families.services.batch.jobs import batch_job_run

    operator = User.objects.get(username=OPERATOR)
    job = BatchJob.objects.create(source="deceased", reason=REASON, created_by=operator,
                                  confirmed_by=operator, confirmed_at=timezone.now(),
                                  status="queued")
    started = time.perf_counter()
    outcome = batch_job_run(job.pk, workers=workers, chunk_size=chunk_size)
    seconds = time.perf_counter() - started
    job.refresh_from_db()
    print(json.dumps({"seconds": seconds, "outcome": outcome, "done": job.done}))


def run_bulk(url: str, chunk_size: int) -> dict:
    wall, rss, stdout, _stderr = run_child(
        [sys.executable, str(SCRIPT), "--worker", "bulk",
         "--chunk-size", str(chunk_size)], url)
    result = json.loads(stdout.strip().splitlines()[-1])
    return {**result, "wall": wall, "rss_mb": rss}


def bulk_worker(chunk_size: int) -> None:
    """Child process: end the same links with bulk_update_with_history, then write their
    audit events with record_events_for_history; prints JSON timings."""
    import django

    django.setup()
    from django.db import transaction
    from django.db.models import Q
    from django.utils import timezone
    from simple_history.utils import bulk_update_with_history

    from accounts.models import User
    from audit.log import record_events_for_history
    from families.models import Binding, CoPayAuthorization

    operator = User.objects.get(username=OPERATOR)
    history_seconds = audit_seconds = 0.0
    ended = 0
    for model, first, second, new_status, action in (
        (Binding, "holder", "member", "unbound", "binding_unbind"),
        (CoPayAuthorization, "authorizer", "beneficiary", "revoked", "copay_revoke"),
    ):
        history = model.history.model
        live = model.objects.filter(status="active").filter(
            Q(**{f"{first}__death_date__isnull": False})
            | Q(**{f"{second}__death_date__isnull": False})).order_by("pk")
        last = 0
        while True:
            started = time.perf_counter()
            with transaction.atomic():
                objs = list(live.filter(pk__gt=last).select_for_update(of=("self",))[:chunk_size])
                if not objs:
                    break
                now = timezone.now()
                for obj in objs:
                    obj.status, obj.ended_at, obj.ended_by, obj.end_reason = (
                        new_status, now, operator, REASON)
                before = history.objects.order_by("-history_id").values_list(
                    "history_id", flat=True).first() or 0
                bulk_update_with_history(
                    objs, model, ["status", "ended_at", "ended_by", "end_reason"],
                    batch_size=500, default_user=operator, default_change_reason=REASON,
                    default_date=now)
                middle = time.perf_counter()
                ids = list(history.objects.filter(history_id__gt=before).values_list(
                    "history_id", flat=True))
                record_events_for_history(history, ids, action=action)
            done = time.perf_counter()
            history_seconds += middle - started
            audit_seconds += done - middle
            ended += len(objs)
            last = objs[-1].pk
    print(json.dumps({"ended": ended, "history_seconds": history_seconds,
                      "audit_seconds": audit_seconds}))
