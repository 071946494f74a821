"""Backup and restore: scripts/backup_restore_check.py dumps the (committed) test
database with pg_dump, restores it into a new database with pg_restore and compares the
row count of every table; append-only triggers survive the restore."""

import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from tests import factories as f

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def test_dump_restore_into_a_new_database_keeps_every_row_and_trigger(tmp_path):
    clerk = f.clerk("b_clerk")
    application = f.counter_application(f.person("备份甲"), f.person("备份乙"), actor=clerk)
    f.account(application.binding.holder, 300)
    target = f"{connection.settings_dict['NAME']}_restore_check"
    result = subprocess.run(
        [sys.executable, "scripts/backup_restore_check.py", "--url", _url(),
         "--dump", str(tmp_path / "backup.dump"), "--target", target],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "不一致 0 张;触发器缺失 0 个;恢复后仍可改写的只追加表 0 张" in result.stdout
    lines = {line.split()[0]: line.split()[1:3] for line in result.stdout.splitlines()
             if line.startswith(("families_", "accounts_", "settlements_"))}
    assert int(lines["families_counterapplication"][0]) == 1
    assert int(lines["accounts_auditevent"][0]) > 0
    assert lines["families_historicalbinding"][0] == lines["families_historicalbinding"][1]
    assert (tmp_path / "backup.dump").stat().st_size > 0


def _check_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("backup_restore_check",
                                                  ROOT / "scripts" / "backup_restore_check.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _conninfo() -> dict:
    s = connection.settings_dict
    return {"dbname": s["NAME"], "user": s["USER"], "password": s["PASSWORD"] or None,
            "host": s["HOST"] or "127.0.0.1", "port": s["PORT"] or 5432}


def test_the_check_counts_only_the_triggers_own_refusal_as_a_refusal():
    check = _check_module()
    f.counter_application(f.person("备份丙"), f.person("备份丁"), actor=f.clerk("c_clerk"))
    assert check.update_is_rejected(_conninfo(), "families_historicalbinding") is True
    # any other database error (here: no such table) fails the check instead of passing it
    assert check.update_is_rejected(_conninfo(), "families_no_such_table") is False
