"""`post_allocations FILE.csv`: every row validated first, all-or-nothing by default."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from settlements.models import LedgerEntry, PersonalAccount
from tests import factories
from tests.factories import yuan

pytestmark = pytest.mark.django_db


def run(path, *args):
    out, err = StringIO(), StringIO()
    try:
        call_command("post_allocations", str(path), *args, stdout=out, stderr=err)
    except CommandError as exc:
        return exc, out.getvalue(), err.getvalue()
    return None, out.getvalue(), err.getvalue()


@pytest.fixture
def people(operator):
    return factories.person("张伟"), factories.person("王芳")


def write(tmp_path, text, *, bom=False):
    path = tmp_path / "allocations.csv"
    path.write_bytes(("\ufeff" if bom else "").encode() + text.encode("utf-8"))
    return path


def test_good_file_with_bom_credits_every_row_and_records_the_operator(tmp_path, people):
    a, b = people
    path = write(tmp_path, f"id_number,period,amount\n{a.id_number},202405,312.50\n"
                           f"{b.id_number.lower()},202405,200\n", bom=True)
    error, out, _err = run(path, "--operator", "ledger_operator")
    assert error is None
    assert PersonalAccount.objects.get(person=a).balance == yuan("312.50")
    assert PersonalAccount.objects.get(person=b).balance == yuan(200)
    assert set(LedgerEntry.objects.values_list("created_by__username", flat=True)) == {
        "ledger_operator"
    }
    history = PersonalAccount.objects.get(person=a).history.latest()
    assert history.history_user.username == "ledger_operator"
    assert "划入 2 笔,合计 512.50 元" in out


def test_one_bad_row_writes_nothing_and_reports_every_bad_line(tmp_path, people):
    a, b = people
    resident = factories.person(insurance_type="resident")
    path = write(tmp_path, "id_number,period,amount\n"
                           f"{a.id_number},202405,100\n"
                           f"{b.id_number},202413,100\n"
                           f"{resident.id_number},202405,100\n"
                           f"110101199001011234,202405,100\n"
                           f"{a.id_number},202406,1.001\n")
    error, _out, err = run(path, "--operator", "ledger_operator")
    assert error is not None and error.returncode == 1
    assert LedgerEntry.objects.count() == 0 and PersonalAccount.objects.count() == 0
    lines = err.strip().splitlines()
    assert [line.split(":")[0] for line in lines] == ["第 3 行", "第 4 行", "第 5 行", "第 6 行"]
    assert "202413" in lines[0]
    assert "职工医保" in lines[1]
    assert "未在参保登记中找到" in lines[2] and "110101199001011234" not in lines[2]
    assert "两位小数" in lines[3]


def test_skip_invalid_writes_the_good_rows(tmp_path, people):
    a, b = people
    path = write(tmp_path, f"id_number,period,amount\n{a.id_number},202405,100\n"
                           f"{b.id_number},2024-05,100\n")
    error, out, err = run(path, "--operator", "ledger_operator", "--skip-invalid")
    assert error is not None and error.returncode == 1  # still reports the skipped row
    assert "第 3 行" in err
    assert PersonalAccount.objects.get(person=a).balance == yuan(100)
    assert not PersonalAccount.objects.filter(person=b).exists()
    assert "有误跳过 1 行" in out


def test_running_the_same_file_twice_credits_once(tmp_path, people):
    a, _b = people
    path = write(tmp_path, f"id_number,period,amount\n{a.id_number},202405,100\n")
    assert run(path, "--operator", "ledger_operator")[0] is None
    error, out, _err = run(path, "--operator", "ledger_operator")
    assert error is None
    assert PersonalAccount.objects.get(person=a).balance == yuan(100)
    assert "划入 0 笔" in out and "已划入未重复 1 笔" in out


def test_same_person_and_period_twice_in_one_file_is_a_bad_row(tmp_path, people):
    a, _b = people
    path = write(tmp_path, f"id_number,period,amount\n{a.id_number},202405,100\n"
                           f"{a.id_number},202405,100\n")
    error, _out, err = run(path, "--operator", "ledger_operator")
    assert error is not None and "与第 2 行重复" in err
    assert LedgerEntry.objects.count() == 0


def test_changed_amount_for_a_posted_period_is_a_bad_row(tmp_path, people):
    a, _b = people
    run(write(tmp_path, f"id_number,period,amount\n{a.id_number},202405,100\n"),
        "--operator", "ledger_operator")
    error, _out, err = run(write(tmp_path, f"id_number,period,amount\n{a.id_number},202405,99\n"),
                           "--operator", "ledger_operator")
    assert error is not None and "第 2 行" in err
    assert PersonalAccount.objects.get(person=a).balance == yuan(100)


def test_dry_run_writes_nothing(tmp_path, people):
    a, _b = people
    path = write(tmp_path, f"id_number,period,amount\n{a.id_number},202405,100\n")
    error, out, _err = run(path, "--operator", "ledger_operator", "--dry-run")
    assert error is None and "未写入" in out
    assert LedgerEntry.objects.count() == 0


def test_unknown_operator_is_refused(tmp_path, people):
    path = write(tmp_path, "id_number,period,amount\n")
    with pytest.raises(CommandError):
        call_command("post_allocations", str(path), "--operator", "nobody")


def test_missing_column_is_refused(tmp_path, people):
    path = write(tmp_path, "id_number,amount\n")
    error, _out, _err = run(path, "--operator", "ledger_operator")
    assert error is not None and "period" in str(error)


def test_non_utf8_file_is_refused(tmp_path, people):
    path = tmp_path / "gbk.csv"
    path.write_bytes("id_number,period,amount\n张,202405,1\n".encode("gbk"))
    error, _out, _err = run(path, "--operator", "ledger_operator")
    assert error is not None and "UTF-8" in str(error)
