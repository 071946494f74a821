import datetime

import pytest
from django.core.management import CommandError, call_command

from families.idnumbers import make_resident_id
from families.models import Person
from tests import factories as f

pytestmark = pytest.mark.django_db

HEADER = "id_number,name,insurance_type,region_code,status,phone,death_date\n"


@pytest.fixture
def operator():
    f.region("110100")
    return f.sysadmin("importer")


def number(seq, birth=datetime.date(1970, 1, 1), sex="M"):
    return make_resident_id("110101", birth, seq, sex)


def write(tmp_path, body, header=HEADER, bom=False):
    path = tmp_path / "persons.csv"
    path.write_bytes(((("\ufeff" if bom else "") + header + body)).encode("utf-8"))
    return path


def run(path, *extra):
    call_command("import_persons", str(path), "--operator", "importer", *extra)


def test_valid_file_saved_by_excel_with_bom_is_imported_with_history(tmp_path, operator):
    path = write(tmp_path, f"{number(1)},张三,employee,110100,normal,13900000000,\n"
                           f"{number(2, sex='F').lower()},李 四,职工医保,110100,正常,,\n", bom=True)
    run(path)
    people = {p.name: p for p in Person.objects.all()}
    assert set(people) == {"张三", "李 四"}
    assert people["张三"].birth_date == datetime.date(1970, 1, 1)
    assert people["李 四"].sex == "F"
    record = people["张三"].history.get()
    assert record.history_user == operator
    assert record.history_change_reason == "参保登记导入:persons.csv"


def test_one_bad_row_writes_nothing_and_reports_line_and_reason(tmp_path, operator, capsys):
    bad = number(3)[:-1] + ("0" if not number(3).endswith("0") else "1")
    path = write(tmp_path, f"{number(1)},张三,employee,110100,normal,,\n"
                           f"{bad},王五,employee,110100,normal,,\n"
                           f"{number(4)},赵六,employee,999999,normal,,\n")
    with pytest.raises(CommandError) as exc:
        run(path)
    assert exc.value.returncode == 1
    assert Person.objects.count() == 0
    err = capsys.readouterr().err
    assert "第 3 行" in err and "校验码" in err
    assert "第 4 行" in err and "999999" in err


def test_skip_invalid_writes_the_good_rows(tmp_path, operator):
    path = write(tmp_path, f"{number(1)},张三,employee,110100,normal,,\n"
                           f"{number(5)},,employee,110100,normal,,\n")
    with pytest.raises(CommandError) as exc:
        run(path, "--skip-invalid")
    assert exc.value.returncode == 1
    assert list(Person.objects.values_list("name", flat=True)) == ["张三"]


def test_reimport_updates_changed_rows_only(tmp_path, operator):
    run(write(tmp_path, f"{number(1)},张三,employee,110100,normal,,\n"))
    run(write(tmp_path, f"{number(1)},张三,employee,110100,terminated,,\n"))
    person = Person.objects.get()
    assert person.insurance_status == "terminated"
    assert person.history.count() == 2
    run(write(tmp_path, f"{number(1)},张三,employee,110100,terminated,,\n"))
    assert person.history.count() == 2


def test_duplicate_id_in_one_file_is_an_error(tmp_path, operator):
    path = write(tmp_path, f"{number(1)},张三,employee,110100,normal,,\n"
                           f"{number(1)},张三,employee,110100,normal,,\n")
    with pytest.raises(CommandError):
        run(path)
    assert Person.objects.count() == 0


def test_non_utf8_file_is_refused_clearly(tmp_path, operator):
    path = tmp_path / "gbk.csv"
    path.write_bytes((HEADER + f"{number(1)},张三,employee,110100,normal,,\n").encode("gbk"))
    with pytest.raises(CommandError) as exc:
        run(path)
    assert "UTF-8" in str(exc.value) and Person.objects.count() == 0


def test_missing_column_and_unknown_operator_are_fatal(tmp_path, operator):
    with pytest.raises(CommandError) as exc:
        run(write(tmp_path, "", header="id_number,name\n"))
    assert exc.value.returncode == 2
    with pytest.raises(CommandError) as exc:
        call_command("import_persons", str(write(tmp_path, "")), "--operator", "nobody")
    assert exc.value.returncode == 2


def test_passport_holder_needs_sex_and_birth_date(tmp_path, operator):
    header = "id_type,id_number,name,insurance_type,region_code,status,sex,birth_date\n"
    path = write(tmp_path, "passport,E12345678,JOHN SMITH,resident,110100,normal,M,1980-02-03\n"
                           "passport,E87654321,JANE DOE,resident,110100,normal,,\n", header=header)
    with pytest.raises(CommandError):
        run(path)
    assert Person.objects.count() == 0


def test_sex_disagreeing_with_the_id_number_is_rejected(tmp_path, operator):
    header = "id_number,name,insurance_type,region_code,status,sex\n"
    path = write(tmp_path, f"{number(1, sex='M')},张三,employee,110100,normal,F\n", header=header)
    with pytest.raises(CommandError):
        run(path)


def test_status_change_in_the_feed_suspends_co_pay(tmp_path, operator):
    from decimal import Decimal

    from families.services import copay_apply
    from settlements.services import allocation_post

    run(write(tmp_path, f"{number(1)},张三,employee,110100,normal,,\n"
                        f"{number(2, sex='F')},张丽,employee,110100,normal,,\n"))
    parent, child = Person.objects.get(name="张三"), Person.objects.get(name="张丽")
    allocation_post(actor=operator, person=parent, period="202611", amount=Decimal("100"),
                    reason="划入")
    auth = copay_apply(actor=None, authorizer=f.ref(parent), beneficiary=f.ref(child),
                       relationship="child", channel="wechat", consent_method="face",
                       reason="申请")
    run(write(tmp_path, f"{number(2, sex='F')},张丽,employee,110100,suspended,,\n"))
    auth.refresh_from_db()
    assert auth.status == "suspended"
    assert auth.history.order_by("-history_id").first().history_user == operator
