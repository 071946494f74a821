"""batch_unbind: selectors, rules, report, exit codes, history and audit (SQLite and
PostgreSQL). Crash-resume on PostgreSQL is in test_batch_unbind_resume.py."""

import csv
import datetime
import io
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from audit.models import AuditEvent
from families.idnumbers import make_resident_id
from families.models import Binding, CoPayAuthorization, Person
from families.services.batch import LinkIds, Outcome, ReportRow, batch_unbind
from tests import factories as f

pytestmark = pytest.mark.django_db

DEAD = datetime.date(2026, 1, 5)


@pytest.fixture
def operator():
    return f.supervisor("batch_operator")


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


@pytest.fixture
def dead_family():
    """A deceased holder with links in every live status on both sides, and an unrelated
    live binding that must stay."""
    dead = f.person("王死者", death_date=DEAD)
    spouse, child, parent = f.person("李配偶"), f.person("王子"), f.person("王父")
    links = {
        "active_binding": f.binding(dead, child),
        "pending_binding": f.binding(parent, dead, relationship="child", status="pending"),
        "unbound_binding": f.binding(dead, spouse, relationship="spouse", status="unbound"),
        "active_copay": f.active_copay(dead, child, relationship="child"),
        "suspended_copay": f.active_copay(spouse, dead, relationship="spouse",
                                          status="suspended"),
        "pending_copay": f.active_copay(parent, dead, relationship="child", status="pending"),
    }
    other = f.binding(spouse, child, relationship="child")
    return dead, links, other


# --- selectors ---------------------------------------------------------------------------


def test_deceased_ends_every_live_link_with_one_history_row_and_one_audit_event(
        operator, dead_family, tmp_path):
    _dead, links, other = dead_family
    before = {k: history_count(v) for k, v in links.items()}
    code, out = run("--deceased", "--reason", "死亡", "--report", str(tmp_path / "r.csv"))
    assert code == 0, out
    expected = {"active_binding": "unbound", "pending_binding": "withdrawn",
                "unbound_binding": "unbound", "active_copay": "revoked",
                "suspended_copay": "revoked", "pending_copay": "withdrawn"}
    assert {k: status(v) for k, v in links.items()} == expected
    assert status(other) == "active"
    for key, link in links.items():
        if key == "unbound_binding":
            assert history_count(link) == before[key] and not events_for(link)
            continue
        assert history_count(link) == before[key] + 1
        record = link.history.order_by("-history_id").first()
        assert (record.history_user, record.history_change_reason, record.history_type) == (
            operator, "死亡", "~")
        assert (link.ended_by, link.end_reason) == (operator, "死亡")
        assert link.ended_at is not None
        [event] = events_for(link)
        assert event.history_id == record.history_id and event.reason == "死亡"
        assert event.hall_id == operator.hall_id and event.region_id is not None
    actions = {k: events_for(v)[0].action for k, v in links.items() if k != "unbound_binding"}
    assert actions == {"active_binding": "binding_unbind", "pending_binding": "binding_withdraw",
                       "active_copay": "copay_revoke", "suspended_copay": "copay_revoke",
                       "pending_copay": "copay_withdraw"}
    assert "已解除 5(绑定 2,共济 3)" in out


def test_second_and_third_runs_end_nothing(operator, dead_family):
    _dead, links, _other = dead_family
    assert run("--deceased", "--reason", "死亡")[0] == 0
    counts = {k: history_count(v) for k, v in links.items()}
    events = AuditEvent.objects.count()
    for _ in range(2):
        code, out = run("--deceased", "--reason", "死亡")
        assert code == 0 and "已解除 0" in out
    assert {k: history_count(v) for k, v in links.items()} == counts
    assert AuditEvent.objects.count() == events


def test_dry_run_counts_by_region_writes_the_report_and_changes_nothing(
        operator, dead_family, tmp_path):
    _dead, links, _other = dead_family
    histories = {k: history_count(v) for k, v in links.items()}
    events = AuditEvent.objects.count()
    report = tmp_path / "dry.csv"
    code, out = run("--deceased", "--reason", "死亡", "--dry-run", "--report", str(report))
    assert code == 0
    assert "试运行:将解除 5" in out
    assert "原因:死亡" in out and "(110100) 亲情账户绑定 将解除(试运行):2" in out
    assert [status(v) for v in links.values()] == [
        "active", "pending", "unbound", "active", "suspended", "pending"]
    assert {k: history_count(v) for k, v in links.items()} == histories
    assert AuditEvent.objects.count() == events
    rows = read_report(report)
    assert sorted(r["结果代码"] for r in rows) == ["would_end"] * 5


def test_csv_ends_every_link_of_each_person_and_reports_invalid_rows(operator, tmp_path):
    holder, member, lonely = f.person("张三"), f.person("李四"), f.person("赵六")
    bound = f.binding(holder, member)
    reverse = f.binding(member, holder, relationship="parent")
    copay = f.active_copay(member, holder, relationship="parent")
    unrelated = f.binding(f.person(), f.person())
    file = write_csv(tmp_path / "in.csv", ["id_number", "id_type", "name"], [
        [holder.id_number, "", "张三"],
        ["110101198001011234", "", ""],           # bad check digit
        [make_resident_id("110101", datetime.date(1955, 5, 5), 499, "F"), "", ""],  # unknown
        [member.id_number, "resident_id", "李五"],  # name mismatch
        [lonely.id_number, "", ""],               # no links
        ["", "", ""],                             # blank row: ignored
    ])
    report = tmp_path / "out.csv"
    code, out = run("--csv", str(file), "--reason", "数据清理", "--report", str(report))
    assert code == 1, out
    assert [status(b) for b in (bound, reverse, copay, unrelated)] == [
        "unbound", "unbound", "revoked", "active"]
    rows = read_report(report)
    by_line = {}
    for r in rows:
        by_line.setdefault(r["行号"], []).append(r["结果代码"])
    assert sorted(by_line["2"]) == ["ended", "ended", "ended"]
    assert by_line["3"] == ["invalid_id"]
    assert by_line["4"] == ["not_found"]
    assert by_line["5"] == ["name_mismatch"]
    assert by_line["6"] == ["no_links"]
    assert "李四" not in (tmp_path / "out.csv").read_text(encoding="utf-8-sig")
    ended = [r for r in rows if r["结果代码"] == "ended"]
    assert all("*" in r["绑定人/授权人证件号码"] for r in ended)  # masked


def test_csv_with_only_valid_rows_exits_0_and_reruns_report_already_ended(operator, tmp_path):
    holder, member = f.person(), f.person()
    bound = f.binding(holder, member)
    file = write_csv(tmp_path / "in.csv", ["id_number"], [[holder.id_number]])
    assert run("--csv", str(file), "--reason", "数据清理")[0] == 0
    report = tmp_path / "again.csv"
    code, out = run("--csv", str(file), "--reason", "数据清理", "--report", str(report))
    assert code == 0 and "已解除 0" in out
    [row] = read_report(report)
    assert (row["结果代码"], row["关系ID"], row["现状态"]) == ("already_ended", str(bound.pk),
                                                          "已解绑")


def test_pairs_end_only_the_links_between_the_two(operator, tmp_path):
    husband, wife, child = f.person("丈夫"), f.person("妻子", sex="F"), f.person("孩子")
    his = f.binding(husband, wife, relationship="spouse")
    hers = f.binding(wife, husband, relationship="spouse")
    copay = f.active_copay(husband, wife, relationship="spouse")
    kept = [f.binding(husband, child), f.binding(wife, child),
            f.active_copay(wife, child, relationship="child")]
    file = write_csv(tmp_path / "pairs.csv", ["holder_id_number", "member_id_number"], [
        [wife.id_number, husband.id_number],
        [husband.id_number, husband.id_number],
    ])
    code, out = run("--pairs", str(file), "--reason", "离婚", "--report",
                    str(tmp_path / "r.csv"))
    assert code == 1  # the second row names the same person twice
    assert [status(x) for x in (his, hers, copay)] == ["unbound", "unbound", "revoked"]
    assert [status(x) for x in kept] == ["active", "active", "active"]
    codes = sorted(r["结果代码"] for r in read_report(tmp_path / "r.csv"))
    assert codes == ["ended", "ended", "ended", "invalid_row"]


def test_insurance_terminated_selects_terminated_persons_only(operator):
    gone, normal = f.person(status="terminated"), f.person()
    a = f.binding(normal, gone)
    b = f.binding(normal, f.person())
    assert run("--insurance-terminated", "--reason", "参保终止")[0] == 0
    assert (status(a), status(b)) == ("unbound", "active")


def test_region_narrows_the_selection_to_persons_insured_there(operator):
    bj_dead = f.person(death_date=DEAD, region_code="110100")
    hz_dead = f.person(death_date=DEAD, region_code="330100")
    bj = f.binding(f.person(), bj_dead)
    hz = f.binding(f.person(region_code="330100"), hz_dead)
    assert run("--deceased", "--region", "330100", "--reason", "死亡")[0] == 0
    assert (status(bj), status(hz)) == ("active", "unbound")


@pytest.mark.parametrize("scope, binding_after, copay_after", [
    ("bindings", "unbound", "active"), ("copay", "active", "revoked"),
    ("all", "unbound", "revoked")])
def test_scope_limits_the_kind_of_link(operator, scope, binding_after, copay_after):
    dead, child = f.person(death_date=DEAD), f.person()
    bound, copay = f.binding(dead, child), f.active_copay(dead, child, relationship="child")
    assert run("--deceased", "--scope", scope, "--reason", "死亡")[0] == 0
    assert (status(bound), status(copay)) == (binding_after, copay_after)


# --- rules -----------------------------------------------------------------------------------


def _pending_inpatient_copay():
    from settlements.services import settlement_post

    parent, child = f.person(), f.person(insurance_type="resident")
    f.account(parent, 1000)
    copay = f.active_copay(parent, child, relationship="child")
    settlement_post(actor=f.ledger_operator(), beneficiary=child, institution_name="医院",
                    institution_code="H1", category="inpatient", amount=Decimal("200.00"),
                    reference="INP-BATCH", reason="住院结算", pending=True)
    return parent, child, copay


def test_copay_with_a_pending_settlement_is_skipped_and_reported(operator, tmp_path):
    parent, _child, copay = _pending_inpatient_copay()
    file = write_csv(tmp_path / "in.csv", ["id_number"], [[parent.id_number]])
    code, out = run("--csv", str(file), "--reason", "数据清理", "--report",
                    str(tmp_path / "r.csv"))
    assert code == 0 and "未结算 1" in out
    assert status(copay) == "active"
    [row] = read_report(tmp_path / "r.csv")
    assert row["结果代码"] == "skipped_pending_settlement" and "未结算" in row["说明"]


def test_registered_death_revokes_despite_a_pending_settlement(operator, tmp_path):
    parent, _child, copay = _pending_inpatient_copay()
    # registered dead by a path that left the link live (e.g. before this rule existed)
    Person.objects.filter(pk=parent.pk).update(death_date=datetime.date(2026, 1, 2))
    file = write_csv(tmp_path / "in.csv", ["id_number"], [[parent.id_number]])
    assert run("--csv", str(file), "--reason", "死亡")[0] == 0
    assert status(copay) == "revoked"


def test_reason_death_for_a_living_person_skips_a_copay_with_a_pending_settlement(
        operator, tmp_path):
    parent, _child, copay = _pending_inpatient_copay()
    file = write_csv(tmp_path / "in.csv", ["id_number"], [[parent.id_number]])
    code, out = run("--csv", str(file), "--reason", "死亡", "--report", str(tmp_path / "r.csv"))
    assert code == 0 and "未结算 1" in out
    assert status(copay) == "active"
    [row] = read_report(tmp_path / "r.csv")
    assert row["结果代码"] == "skipped_pending_settlement"


def test_self_request_respects_the_waiting_period_administrative_reasons_do_not(
        operator, tmp_path):
    f.policy("110100", min_months_before_unbind=6, copay_min_months_before_revoke=3)
    holder, member = f.person(), f.person()
    recent = f.binding(holder, member, applied_at=timezone.now())
    old = f.binding(holder, f.person(), applied_at=timezone.now() - datetime.timedelta(days=400))
    copay = f.active_copay(holder, member, relationship="child", decided_at=timezone.now())
    file = write_csv(tmp_path / "in.csv", ["id_number"], [[holder.id_number]])
    code, out = run("--csv", str(file), "--reason", "本人申请", "--report",
                    str(tmp_path / "r.csv"))
    assert code == 0 and "未满期限 2" in out
    assert [status(x) for x in (recent, old, copay)] == ["active", "unbound", "active"]
    messages = {(r["类型"], r["关系ID"]): r["说明"] for r in read_report(tmp_path / "r.csv")}
    assert "满 6 个月后方可解绑" in messages[("亲情账户绑定", str(recent.pk))]
    assert "满 3 个月后方可撤销" in messages[("家庭共济授权", str(copay.pk))]
    assert run("--csv", str(file), "--reason", "离婚")[0] == 0
    assert [status(x) for x in (recent, copay)] == ["unbound", "revoked"]


# --- exit codes, report ---------------------------------------------------------------------


def test_fatal_errors_exit_2_before_anything_is_written(operator, dead_family, tmp_path):
    f.clerk("plain_clerk")
    good = write_csv(tmp_path / "in.csv", ["id_number"], [[dead_family[0].id_number]])
    bad_header = write_csv(tmp_path / "bad.csv", ["number"], [["x"]])
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("id_number\n\xe9\xe9\n".encode("latin-1"))
    events = AuditEvent.objects.count()
    cases = [
        (["--deceased", "--reason", "死亡"], "nobody"),
        (["--deceased", "--reason", "死亡"], "plain_clerk"),  # no unbind permission
        (["--csv", str(tmp_path / "missing.csv"), "--reason", "死亡"], "batch_operator"),
        (["--csv", str(bad_header), "--reason", "死亡"], "batch_operator"),
        (["--csv", str(latin1), "--reason", "死亡"], "batch_operator"),
        (["--csv", str(good), "--region", "999999", "--reason", "死亡"], "batch_operator"),
        (["--csv", str(good), "--reason", "死亡", "--report", str(tmp_path / "no/dir.csv")],
         "batch_operator"),
    ]
    for args, user in cases:
        assert run(*args, operator=user)[0] == 2, (args, user)
    assert AuditEvent.objects.count() == events
    assert all(status(v) != "unbound" or k == "unbound_binding"
               for k, v in dead_family[1].items())


def test_bad_arguments_exit_2_from_the_command_line(tmp_path):
    manage = Path(__file__).resolve().parents[2] / "manage.py"
    done = subprocess.run(
        [sys.executable, str(manage), "batch_unbind", "--deceased", "--reason", "想解就解",
         "--operator", "x"], capture_output=True, text=True, timeout=120,
        env={**__import__("os").environ, "DATABASE_URL": f"sqlite:///{tmp_path}/none.db"})
    assert done.returncode == 2 and "--reason" in done.stderr


def test_report_cells_that_look_like_formulas_are_neutralized(tmp_path):
    from families.management.commands.batch_unbind import _Report

    report = _Report(tmp_path / "r.csv")
    report.write(ReportRow(Outcome.INVALID_ROW, 2, message="=HYPERLINK(\"x\")"))
    report.write(ReportRow(Outcome.ENDED, 3, kind="binding", link_id=7, first_id="+1",
                           second_id="@a", message="-1"))
    report.close()
    rows = read_report(tmp_path / "r.csv")
    assert rows[0]["说明"] == "'=HYPERLINK(\"x\")"
    assert (rows[1]["绑定人/授权人证件号码"], rows[1]["被绑定人/共济人证件号码"],
            rows[1]["说明"]) == ("'+1", "'@a", "'-1")
    assert rows[1]["结果"] == "已解除" and rows[1]["类型"] == "亲情账户绑定"


def test_progress_bar_goes_to_stderr(operator, dead_family):
    out, err = io.StringIO(), io.StringIO()
    call_command("batch_unbind", "--deceased", "--reason", "死亡", "--operator",
                 "batch_operator", stdout=out, stderr=err)
    assert "批量解除" in err.getvalue() and "条/s" in err.getvalue()
    assert "批量解除" not in out.getvalue()


# --- the service behind the admin action -----------------------------------------------------


def test_service_with_chosen_links_respects_the_waiting_period_when_not_administrative(
        operator):
    f.policy("110100", min_months_before_unbind=6)
    recent = f.binding(f.person(), f.person(), applied_at=timezone.now())
    rows: list[ReportRow] = []
    result = batch_unbind(actor=operator, selection=LinkIds(bindings=[recent.pk]),
                          reason="柜台办理", administrative=False, scope="bindings",
                          report=rows.append)
    assert result.ended == 0 and rows[0].outcome == Outcome.SKIPPED_TOO_EARLY
    result = batch_unbind(actor=operator, selection=LinkIds(bindings=[recent.pk]),
                          reason="数据清理", scope="bindings")
    assert result.ended == 1 and status(recent) == "unbound"


def test_chunks_smaller_than_the_selection_end_everything_once(operator):
    dead = f.person(death_date=DEAD)
    links = [f.binding(dead, f.person()) for _ in range(5)]
    links += [f.active_copay(dead, f.person(), relationship="child") for _ in range(4)]
    code, out = run("--deceased", "--reason", "死亡", "--chunk-size", "2")
    assert code == 0 and "已解除 9" in out
    assert all(history_count(x) == 2 for x in links)
    assert AuditEvent.objects.filter(actor__username="batch_operator").count() == 9
    assert Binding.objects.filter(status="unbound").count() == 5
    assert CoPayAuthorization.objects.filter(status="revoked").count() == 4


def test_admin_unbind_action_uses_the_batch_service(client, operator):
    active = f.binding(f.person(), f.person())
    ended = f.binding(f.person(), f.person(), status="unbound")
    client.force_login(operator)
    response = client.post("/admin/families/binding/", {
        "action": "unbind_selected", "_selected_action": [active.pk, ended.pk],
        "confirm": "1", "reason": "柜台申请解绑"}, follow=True)
    page = response.content.decode()
    assert "已解除 1 个绑定" in page and "无需解除" in page
    assert status(active) == "unbound" and status(ended) == "unbound"
    [event] = events_for(active)
    assert (event.action, event.reason) == ("binding_unbind", "柜台申请解绑")
    assert not events_for(ended)


def test_pending_counter_application_leaves_the_queue_with_its_binding(operator):
    clerk = f.clerk("batch_clerk")
    application = f.counter_application(actor=clerk)
    batch_unbind(actor=operator, selection=LinkIds(bindings=[application.binding_id]),
                 reason="数据清理", scope="bindings")
    application.refresh_from_db()
    assert application.status == "withdrawn"
    record = application.history.order_by("-history_id").first()
    assert (record.history_user, record.history_change_reason) == (operator, "数据清理")
    assert AuditEvent.objects.filter(model="families.counterapplication",
                                     object_id=str(application.pk),
                                     action="application_withdraw").count() == 1


@pytest.mark.postgres
def test_the_one_statement_path_writes_the_events_the_audit_module_would_write(operator):
    from audit.log import insert_events_from_history

    application = f.counter_application(f.person("王父"), f.person("王子"))
    binding = application.binding  # pending: withdrawn with its application
    batch_unbind(actor=operator, selection=LinkIds(bindings=[binding.pk]), reason="死亡")
    [event] = events_for(binding)
    record = binding.history.order_by("-history_id").first()
    insert_events_from_history(type(record).objects.filter(history_id=record.history_id),
                               action=event.action, changes=event.changes)
    again = AuditEvent.objects.filter(history_id=record.history_id,
                                      history_model=event.history_model).exclude(pk=event.pk).get()
    fields = [f.attname for f in AuditEvent._meta.concrete_fields if f.attname != "id"]
    assert {k: getattr(event, k) for k in fields} == {k: getattr(again, k) for k in fields}
    assert event.application_number == application.number
