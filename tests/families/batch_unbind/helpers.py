"""Helpers shared by the tests in this package."""

import csv
import datetime
import io
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import CommandError

from audit.models import AuditEvent

DEAD = datetime.date(2026, 1, 5)


def run(*args, operator="batch_operator"):
    """(exit code, stdout) of the command; CommandError's returncode is the exit code."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("batch_unbind", *args, "--operator", operator, stdout=out, stderr=err)
        code = 0
    except CommandError as exc:
        code = exc.returncode
        out.write(str(exc))
    return code, out.getvalue()


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def read_report(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens it as UTF-8
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


def status(obj) -> str:
    obj.refresh_from_db()
    return obj.status


def history_count(obj) -> int:
    return obj.history.count()


def events_for(obj) -> list[AuditEvent]:
    label = obj._meta.label_lower
    return list(AuditEvent.objects.filter(model=label, object_id=str(obj.pk),
                                          actor__username="batch_operator"))
