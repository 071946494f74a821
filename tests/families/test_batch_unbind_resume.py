"""Crash-resume: `batch_unbind` killed with SIGKILL mid-run, then run again, ends every link
exactly once with exactly one history row and one audit event each (PostgreSQL; the
command runs as a real subprocess against the test database)."""

import datetime
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from audit.models import AuditEvent
from families.idnumbers import make_resident_id
from families.models import Binding, CoPayAuthorization, Person
from tests import factories as f

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

MANAGE = Path(__file__).resolve().parents[2] / "manage.py"
BINDINGS, COPAYS = 300, 100


def _database_url() -> str:
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _command(*extra: str) -> list[str]:
    return [sys.executable, str(MANAGE), "batch_unbind", "--deceased", "--reason", "死亡",
            "--operator", "resume_operator", "--verbosity", "0", *extra]


def _env() -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": _database_url(), "SECRET_KEY": "test-only"}


def _ended() -> int:
    return (Binding.objects.exclude(status="active").count()
            + CoPayAuthorization.objects.exclude(status="active").count())


def _kill_after(args: list[str], at_least: int) -> int:
    """Start the command, SIGKILL it once `at_least` links are committed as ended."""
    process = subprocess.Popen(args, env=_env(), stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    try:
        while _ended() < at_least:
            assert process.poll() is None, process.stderr.read().decode()
            assert time.monotonic() < deadline, "the command made no progress"
            time.sleep(0.01)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=30)
        process.stderr.close()
    assert process.returncode == -signal.SIGKILL
    return _ended()


@pytest.fixture
def linked_dead_person():
    f.supervisor("resume_operator")
    region = f.region("110100")
    dead = f.person("亡者", death_date=datetime.date(2026, 1, 5))
    members = Person.objects.bulk_create(
        Person(id_number=make_resident_id("110102", datetime.date(1990, 1, 1) +
                                          datetime.timedelta(days=i // 500), i % 500, "F"),
               name=f"亲属{i}", sex="F", birth_date=datetime.date(1990, 1, 1),
               insurance_type="employee", insured_region=region)
        for i in range(BINDINGS))
    Binding.objects.bulk_create(
        Binding(holder=dead, member=m, relationship="child", channel="wechat",
                consent_method="face", status="active") for m in members)
    CoPayAuthorization.objects.bulk_create(
        CoPayAuthorization(authorizer=dead, beneficiary=m, relationship="child",
                           channel="counter", consent_method="counter", status="active")
        for m in members[:COPAYS])
    return dead


def test_killed_run_resumes_and_ends_every_link_exactly_once(linked_dead_person):
    total = BINDINGS + COPAYS
    # Killed between chunks (while pausing after a commit) ...
    first = _kill_after(_command("--chunk-size", "20", "--pause", "0.2"), at_least=60)
    assert 60 <= first < total
    # ... and killed while chunks run back to back (most likely inside a transaction).
    second = _kill_after(_command("--chunk-size", "7"), at_least=first + 1)
    assert first < second < total

    done = subprocess.run(_command("--chunk-size", "50"), env=_env(), capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert Binding.objects.filter(status="unbound").count() == BINDINGS
    assert CoPayAuthorization.objects.filter(status="revoked").count() == COPAYS

    for model in (Binding, CoPayAuthorization):
        history = model.history.model.objects
        assert history.count() == model.objects.count()  # set up without history rows
        assert history.filter(history_type="~", history_change_reason="死亡",
                              history_user__username="resume_operator").count() == history.count()
        assert history.values("id").distinct().count() == model.objects.count()
        events = AuditEvent.objects.filter(model=model._meta.label_lower)
        assert events.count() == model.objects.count()
        assert events.values("object_id").distinct().count() == model.objects.count()
        assert set(events.values_list("history_id", flat=True)) == set(
            history.values_list("history_id", flat=True))

    again = subprocess.run(_command(), env=_env(), capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and "已解除 0" in again.stdout
    links = [Binding._meta.label_lower, CoPayAuthorization._meta.label_lower]
    assert AuditEvent.objects.filter(model__in=links).count() == total
    connection.close()


def test_parallel_workers_end_every_link_exactly_once(linked_dead_person):
    from families.services.batch import Deceased, batch_unbind

    class Bar:
        total, n = None, 0

        def update(self, n):
            self.n += n

        def refresh(self):
            pass

    operator = f.staff("parallel_operator", role=None)
    bar, rows = Bar(), []
    result = batch_unbind(actor=operator, selection=Deceased(), reason="死亡", chunk_size=13,
                          workers=3, progress=bar, report=rows.append)
    assert result.ended == BINDINGS + COPAYS
    # Progress and report: every link once, the total known (the last chunks are smaller).
    assert bar.total == bar.n == len(rows) == BINDINGS + COPAYS
    for kind, model in (("binding", Binding), ("copay", CoPayAuthorization)):
        assert sorted(r.link_id for r in rows if r.kind == kind) == sorted(
            model.objects.values_list("pk", flat=True))
    assert Binding.objects.filter(status="unbound").count() == BINDINGS
    assert CoPayAuthorization.objects.filter(status="revoked").count() == COPAYS
    for model in (Binding, CoPayAuthorization):
        history = model.history.model.objects.filter(history_user=operator)
        assert history.count() == model.objects.count()
        assert history.values("id").distinct().count() == model.objects.count()
        events = AuditEvent.objects.filter(model=model._meta.label_lower, actor=operator)
        assert events.count() == model.objects.count()
    connection.close()
