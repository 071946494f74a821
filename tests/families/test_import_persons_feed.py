"""`import_persons` as a feed: dry run, one report row per input row, committed chunks,
resumable, and a death in the feed ending the person's links."""

import csv
import datetime

import pytest
from django.core.management import CommandError, call_command

from audit.models import AuditEvent
from families.idnumbers import make_resident_id
from families.models import Binding, Person
from tests import factories as f

pytestmark = pytest.mark.django_db
HEADER = "id_number,name,insurance_type,region_code,status,death_date\n"


@pytest.fixture
def operator():
    f.region("110100")
    return f.sysadmin("importer")


def number(seq, sex="M"):
    return make_resident_id("110101", datetime.date(1970, 1, 1), seq, sex)


def write(tmp_path, body):
    path = tmp_path / "persons.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def run(path, *extra):
    call_command("import_persons", str(path), "--operator", "importer", "--verbosity", "0",
                 *extra)


def report(path):
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_dry_run_writes_nothing_and_reports_what_each_row_would_do(tmp_path, operator):
    run(write(tmp_path, f"{number(1)},张三,employee,110100,normal,\n"))
    path = write(tmp_path, f"{number(1)},张三,employee,110100,normal,2026-11-01\n"
                           f"{number(2)},李四,employee,110100,normal,\n")
    run(path, "--dry-run", "--report", str(tmp_path / "r.csv"))
    assert Person.objects.count() == 1 and Person.objects.get().death_date is None
    assert [r["结果代码"] for r in report(tmp_path / "r.csv")] == ["death_recorded", "created"]


def test_report_has_one_row_per_input_row_in_line_order(tmp_path, operator):
    run(write(tmp_path, f"{number(1)},张三,employee,110100,normal,\n"
                        f"{number(2)},李四,employee,110100,normal,\n"))
    path = write(tmp_path, f"{number(1)},张三,employee,110100,normal,\n"
                           f"{number(2)},李四,employee,110100,terminated,\n"
                           f"{number(3)},,employee,110100,normal,\n"
                           f"{number(4)},王五,employee,110100,normal,\n"
                           f"{number(4)},王五,employee,110100,normal,\n")
    with pytest.raises(CommandError) as exc:
        run(path, "--skip-invalid", "--chunk-size", "2", "--report", str(tmp_path / "r.csv"))
    assert exc.value.returncode == 1
    rows = report(tmp_path / "r.csv")
    assert [(r["行号"], r["结果代码"]) for r in rows] == [
        ("2", "unchanged"), ("3", "updated"), ("4", "refused"), ("5", "created"),
        ("6", "refused")]
    assert "姓名" in rows[2]["说明"] and "第 5 行" in rows[4]["说明"]
    assert number(4) not in rows[3]["证件号码"]  # masked


def test_death_in_the_feed_ends_the_persons_links(tmp_path, operator):
    run(write(tmp_path, f"{number(1)},张三,employee,110100,normal,\n"))
    holder = Person.objects.get()
    binding = f.binding(holder, f.person())
    run(write(tmp_path, f"{number(1)},张三,employee,110100,normal,2026-11-20\n"))
    assert Binding.objects.get(pk=binding.pk).status == "unbound"


def test_rerun_after_an_interruption_changes_nothing_twice(tmp_path, operator):
    path = write(tmp_path, "".join(f"{number(n)},甲{n},employee,110100,normal,\n"
                                   for n in range(1, 8)))
    run(path, "--chunk-size", "3", "--start-line", "5")  # as if lines 2-4 were in already
    assert Person.objects.count() == 4
    run(path, "--chunk-size", "3", "--report", str(tmp_path / "r.csv"))
    outcomes = [r["结果代码"] for r in report(tmp_path / "r.csv")]
    assert outcomes == ["created"] * 3 + ["unchanged"] * 4
    assert all(p.history.count() == 1 for p in Person.objects.all())


def test_persons_new_to_the_registry_are_audited_like_a_single_save(tmp_path, operator):
    """The feed inserts a chunk's new persons together (audit.services.bulk_create_audited):
    each still has its "+" history row with the operator and the reason, and one
    person_import audit event about that person, as save_audited writes for one."""
    run(write(tmp_path, f"{number(1)},张三,employee,110100,normal,\n"
                        f"{number(2, sex='F')},李四,employee,110100,normal,\n"))
    for person in Person.objects.all():
        record = person.history.get()
        assert (record.history_type, record.history_user, record.history_change_reason) == (
            "+", operator, "参保登记导入:persons.csv")
        event = AuditEvent.objects.get(model="families.person", object_id=str(person.pk))
        assert (event.action, event.actor, event.person_id) == ("person_import", operator,
                                                                 person.pk)
        assert event.reason == "参保登记导入:persons.csv"
        assert event.region_id == person.insured_region_id
        assert event.history_id == record.history_id
