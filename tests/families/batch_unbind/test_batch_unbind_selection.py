"""batch_unbind (DOMAIN.md, batch unbinds): what each selection ends, once, with one history row
and one audit event per link; dry runs and reports."""

import datetime

import pytest

from audit.models import AuditEvent
from families.idnumbers import make_resident_id
from tests import factories as f
from tests.families.batch_unbind.helpers import (
    DEAD,
    events_for,
    history_count,
    read_report,
    run,
    status,
    write_csv,
)

pytestmark = pytest.mark.django_db


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
