"""Offline counter verification (DOMAIN.md): intake, four-eyes review, withdrawal,
expiry and application numbers, at the service level."""

import datetime
import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.errors import RuleViolation
from families.choices import ApplicationStatus, BindingStatus
from families.models import Binding, CounterApplication, KinshipProof, ProofScan
from families.services import binding_apply
from families.services.counter import (
    application_approve,
    application_precheck,
    application_reject,
    application_review_checks,
    application_submit,
    application_withdraw,
    next_application_number,
)
from families.workdays import add_working_days, working_days_between
from tests import factories as f

pytestmark = pytest.mark.django_db


def code_of(call) -> str:
    with pytest.raises(RuleViolation) as exc:
        call()
    return exc.value.rule_code


@pytest.fixture
def clerk():
    return f.clerk("clerk_a")


@pytest.fixture
def supervisor():
    return f.supervisor("supervisor_a")


def stored_files(settings) -> list:
    root = settings.PRIVATE_MEDIA_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# --- intake -----------------------------------------------------------------------------


def test_intake_creates_proof_scans_pending_binding_and_numbered_application(clerk, settings):
    holder, member = f.person(), f.person(birth=datetime.date(1940, 5, 1))
    app = f.counter_application(holder, member, actor=clerk,
                                scans=[f.scan_file("户口簿首页.png"), f.scan_file("b.png")])
    assert app.status == ApplicationStatus.PENDING
    assert app.number.startswith("BJ01-")
    binding = app.binding
    assert binding.status == BindingStatus.PENDING
    assert binding.channel == "counter" and binding.consent_method == "counter"
    assert binding.applied_by == clerk and binding.commitment_signed
    assert binding.proof.scans.count() == 2
    scan = binding.proof.scans.order_by("pk").first()
    # The client's file name never reaches the path: proof id and a random name only.
    assert re.fullmatch(rf"scans/{binding.proof_id}/[0-9a-f]{{32}}\.png", scan.file.name)
    assert scan.original_name == "户口簿首页.png"
    assert scan.content_type == "image/png" and len(scan.sha256) == 64
    assert len(stored_files(settings)) == 2
    assert app.history.get().history_user == clerk


def test_minor_member_is_served_by_the_guardian(clerk):
    holder = f.person()
    member = f.person(birth=timezone.localdate() - datetime.timedelta(days=365 * 8))
    app = f.counter_application(holder, member, actor=clerk, proof_type="birth_certificate",
                                no_face_reason="minor")
    assert app.binding.consent_method == "guardian"


def test_minor_cannot_be_bound_by_a_sibling_at_the_counter(clerk):
    holder = f.person()
    member = f.person(birth=timezone.localdate() - datetime.timedelta(days=365 * 8))
    assert code_of(lambda: f.counter_application(holder, member, actor=clerk,
                                                 relationship="sibling",
                                                 no_face_reason="minor")) == (
        "verification_required")


def test_rule_violation_at_intake_saves_nothing_and_leaves_no_file(clerk, settings):
    holder, member = f.person(), f.person()
    for _ in range(6):
        f.binding(f.person(), member, status="unbound")
    assert code_of(lambda: f.counter_application(holder, member, actor=clerk)) == (
        "monthly_limit")
    assert not CounterApplication.objects.exists()
    assert not KinshipProof.objects.exists() and not ProofScan.objects.exists()
    assert not Binding.objects.filter(holder=holder).exists()
    assert stored_files(settings) == []


def test_failure_after_files_were_written_deletes_them(clerk, settings, monkeypatch):
    from families.services.counter import operations as counter

    def broken(*args, **kwargs):
        raise RuleViolation("boom", "测试")

    monkeypatch.setattr(counter, "next_application_number", broken)
    with pytest.raises(RuleViolation):
        f.counter_application(actor=clerk)
    assert not ProofScan.objects.exists()
    assert stored_files(settings) == []


@pytest.mark.parametrize("overrides, code", [
    ({"holder_id_seen": False}, "originals_not_seen"),
    ({"proof_seen": False}, "originals_not_seen"),
    ({"no_face_reason": "other", "no_face_reason_other": "  "}, "no_face_reason_required"),
    ({"proof_number": ""}, "proof_number_required"),
    ({"commitment_signed": False}, "commitment_required"),
    ({"proof_type": "marriage_certificate"}, "proof_mismatch"),
    ({"kind": "unknown"}, "kind_not_available"),
])
def test_incomplete_verification_record_is_refused(clerk, overrides, code):
    assert code_of(lambda: f.counter_application(actor=clerk, **overrides)) == code
    assert not CounterApplication.objects.exists()


def test_intake_needs_at_least_one_scan(clerk):
    assert code_of(lambda: f.counter_application(actor=clerk, scans=[])) == "scan_required"


def test_a_hall_serves_only_pairs_with_a_party_insured_in_its_region(clerk):
    holder, member = f.person(region_code="330100"), f.person(region_code="330100")
    assert code_of(lambda: f.counter_application(holder, member, actor=clerk)) == (
        "other_region")
    local_holder = f.person()
    assert f.counter_application(local_holder, member, actor=clerk).pk


def test_staff_without_intake_permission_cannot_submit():
    admin = f.sysadmin()
    assert code_of(lambda: application_submit(
        actor=admin, data=f.intake_data(f.person(), f.person()), scans=[f.scan_file()])) == (
        "permission_denied")


# --- scans ------------------------------------------------------------------------------


def _jpeg() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (10, 10), "white").save(out, format="JPEG")
    return out.getvalue()


PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@pytest.mark.parametrize("name, content, content_type", [
    ("proof.jpg", _jpeg(), "image/jpeg"),
    ("proof.pdf", PDF, "application/pdf"),
    ("no-extension", None, "application/octet-stream"),
])
def test_pdf_jpeg_and_png_are_accepted_by_content(clerk, name, content, content_type):
    app = f.counter_application(actor=clerk, scans=[f.scan_file(name, content)])
    assert app.binding.proof.scans.get().content_type in {"image/jpeg", "application/pdf",
                                                          "image/png"}


@pytest.mark.parametrize("content, code", [
    (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200,
     "scan_type_not_allowed"),
    (b"just some text pretending to be a pdf", "scan_type_not_allowed"),
    (b"", "scan_empty"),
    (f.png_bytes()[:40], "scan_invalid"),
])
def test_bad_scans_are_refused_and_nothing_is_saved(clerk, settings, content, code):
    upload = f.scan_file("证明.pdf", content, "application/pdf")
    assert code_of(lambda: f.counter_application(actor=clerk, scans=[upload])) == code
    assert not ProofScan.objects.exists() and not Binding.objects.exists()
    assert stored_files(settings) == []


def test_scan_over_the_size_limit_is_refused(clerk, settings):
    settings.SCAN_MAX_BYTES = 1000
    upload = f.scan_file(content=f.png_bytes((200, 200)) + b"\x00" * 1000)
    with pytest.raises(RuleViolation) as exc:
        f.counter_application(actor=clerk, scans=[upload])
    assert exc.value.rule_code == "scan_too_large"
    assert exc.value.figures["limit"] == 1000


def test_image_over_the_pixel_limit_is_refused(clerk, monkeypatch):
    from PIL import Image

    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    upload = f.scan_file(content=f.png_bytes((40, 40)))  # 1600 pixels: warning level
    assert code_of(lambda: f.counter_application(actor=clerk, scans=[upload])) == (
        "scan_invalid")


# --- pre-check ----------------------------------------------------------------------------


def test_precheck_shows_every_rule_with_figures_before_the_verification_record():
    holder, member = f.person(), f.person()
    for _ in range(6):
        f.binding(f.person(), member, status="unbound")
    checks = application_precheck(kind="binding", holder=f.ref(holder), member=f.ref(member),
                                  relationship="child")
    by_code = {c.code: c for c in checks}
    assert by_code["monthly_limit"].message == "本月已新增被绑定 6 次,上限 6 次"
    assert not by_code["monthly_limit"].passed
    assert by_code["verification_required"].passed  # adult: counter verification
    assert not {"proof_required", "commitment_required"} & set(by_code)


def test_precheck_name_mismatch_names_the_field_not_the_registry_value():
    holder, member = f.person("王大明"), f.person("王秀兰")
    checks = application_precheck(kind="binding", holder=f.ref(holder),
                                  member=f.ref(member, name="王秀芝"), relationship="parent")
    failed = [c for c in checks if not c.passed]
    assert [c.code for c in failed] == ["identity_mismatch"]
    assert "姓名" in failed[0].message and "王秀兰" not in failed[0].message


# --- four-eyes ----------------------------------------------------------------------------


def test_submitter_cannot_approve_or_reject_even_as_a_supervisor(supervisor):
    app = f.counter_application(actor=supervisor)
    assert code_of(lambda: application_approve(actor=supervisor, application=app)) == (
        "same_reviewer")
    assert code_of(lambda: application_reject(actor=supervisor, application=app,
                                              reason="材料不清")) == "same_reviewer"
    app.refresh_from_db()
    assert app.status == ApplicationStatus.PENDING


def test_a_clerk_cannot_review(clerk):
    app = f.counter_application(actor=clerk)
    other_clerk = f.clerk("clerk_b")
    assert code_of(lambda: application_approve(actor=other_clerk, application=app)) == (
        "permission_denied")
    assert code_of(lambda: application_reject(actor=other_clerk, application=app,
                                              reason="x")) == "permission_denied"


def test_database_refuses_the_submitter_as_reviewer(clerk):
    app = f.counter_application(actor=clerk)
    with pytest.raises(IntegrityError), transaction.atomic():
        CounterApplication.objects.filter(pk=app.pk).update(reviewed_by=clerk)


def test_approval_by_another_supervisor_activates_the_binding_with_history(clerk, supervisor):
    app = f.counter_application(actor=clerk)
    application_approve(actor=supervisor, application=app, reason="材料齐全")
    app.refresh_from_db()
    assert app.status == ApplicationStatus.APPROVED and app.reviewed_by == supervisor
    binding = app.binding
    assert binding.status == BindingStatus.ACTIVE and binding.decided_by == supervisor
    users = [h.history_user for h in binding.history.order_by("history_id")]
    assert users == [clerk, supervisor]
    assert app.history.order_by("history_id").last().history_change_reason == "材料齐全"


def test_an_application_is_decided_only_once(clerk, supervisor):
    app = f.counter_application(actor=clerk)
    application_approve(actor=supervisor, application=app)
    assert code_of(lambda: application_reject(actor=f.supervisor("supervisor_b"),
                                              application=app, reason="x")) == "invalid_state"


def test_rejection_needs_a_reason(clerk, supervisor):
    app = f.counter_application(actor=clerk)
    assert code_of(lambda: application_reject(actor=supervisor, application=app,
                                              reason=" ")) == "reason_required"


# --- limits re-checked at review -------------------------------------------------------


def test_approval_is_refused_when_the_member_limit_filled_while_pending(clerk, supervisor):
    member = f.person()
    for _ in range(5):
        f.binding(f.person(), member, applied_at=f.china(2024, 1, 10))
    app = f.counter_application(f.person(), member, actor=clerk)  # the 6th slot, pending
    f.binding(f.person(), member, channel="alipay")  # another channel did not see it
    assert [c.code for c in application_review_checks(app) if not c.passed] == [
        "member_limit"]
    assert code_of(lambda: application_approve(actor=supervisor, application=app)) == (
        "member_limit")
    app.refresh_from_db()
    assert app.status == ApplicationStatus.PENDING
    assert app.binding.status == BindingStatus.PENDING


def test_approval_is_refused_when_the_policy_lowered_the_limit_meanwhile(clerk, supervisor):
    holder = f.person()
    for _ in range(3):
        f.binding(holder, f.person())
    app = f.counter_application(holder, f.person(), actor=clerk)
    f.policy("110100", effective_from=timezone.localdate(), holder_limit=3)
    assert code_of(lambda: application_approve(actor=supervisor, application=app)) == (
        "holder_limit")


def test_rejection_frees_the_slot(clerk, supervisor):
    member = f.person()
    for _ in range(5):
        f.binding(f.person(), member)
    app = f.counter_application(f.person(), member, actor=clerk)
    late = f.person()
    apply_late = lambda: binding_apply(  # noqa: E731
        actor=None, holder=f.ref(late), member=f.ref(member), relationship="child",
        channel="wechat", consent_method="face", reason="APP申请")
    assert code_of(apply_late) == "member_limit"
    application_reject(actor=supervisor, application=app, reason="证明与申请关系不符")
    app.refresh_from_db()
    assert app.status == ApplicationStatus.REJECTED
    assert app.binding.status == BindingStatus.REJECTED
    assert apply_late().status == BindingStatus.ACTIVE


# --- withdrawal -------------------------------------------------------------------------


def test_citizen_withdraws_a_pending_application(clerk):
    app = f.counter_application(actor=clerk)
    colleague = f.clerk("clerk_b")
    application_withdraw(actor=colleague, application=app, reason="本人改变主意")
    app.refresh_from_db()
    assert app.status == ApplicationStatus.WITHDRAWN
    assert app.reviewed_by is None
    assert app.binding.status == BindingStatus.WITHDRAWN
    assert app.binding.ended_by == colleague
    last = app.history.order_by("history_id").last()
    assert (last.history_user, last.history_change_reason) == (colleague, "本人改变主意")


def test_withdrawal_needs_a_reason_and_a_pending_application(clerk, supervisor):
    app = f.counter_application(actor=clerk)
    assert code_of(lambda: application_withdraw(actor=clerk, application=app,
                                                reason="")) == "reason_required"
    application_approve(actor=supervisor, application=app)
    assert code_of(lambda: application_withdraw(actor=clerk, application=app,
                                                reason="改主意")) == "invalid_state"


def test_withdrawal_ends_the_application_when_the_binding_already_ended(clerk):
    from families.services import binding_withdraw

    app = f.counter_application(actor=clerk)
    binding_withdraw(actor=clerk, binding=app.binding, reason="渠道撤回")
    application_withdraw(actor=clerk, application=app, reason="本人已在渠道撤回")
    app.refresh_from_db()
    assert app.status == ApplicationStatus.WITHDRAWN


# --- expiry -----------------------------------------------------------------------------


def test_expire_command_ends_applications_older_than_the_policy_with_history(clerk, tmp_path):
    # 30 working days: 60 calendar days are always more, 30 calendar days always fewer.
    operator = f.supervisor("night_operator")
    now = timezone.now()
    old = f.counter_application(actor=clerk, at=now - datetime.timedelta(days=60))
    fresh = f.counter_application(actor=clerk, at=now - datetime.timedelta(days=30))
    report = tmp_path / "report.jsonl"
    out = io.StringIO()
    call_command("expire_applications", "--operator", "night_operator",
                 "--report", str(report), stdout=out)
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert old.status == ApplicationStatus.EXPIRED and fresh.status == ApplicationStatus.PENDING
    assert old.binding.status == BindingStatus.EXPIRED
    for row in (old.history.order_by("history_id").last(),
                old.binding.history.order_by("history_id").last()):
        assert row.history_user == operator
        assert row.history_change_reason == "超过 30 个工作日未审核,自动过期"
    assert "已过期 1 件" in out.getvalue()
    assert old.number in report.read_text(encoding="utf-8")


def test_expiry_follows_the_region_policy(clerk):
    f.supervisor("night_operator")
    f.policy("110100", application_expiry_days=10)
    app = f.counter_application(actor=clerk,
                                at=timezone.now() - datetime.timedelta(days=30))
    call_command("expire_applications", "--operator", "night_operator", stdout=io.StringIO())
    app.refresh_from_db()
    assert app.status == ApplicationStatus.EXPIRED


def test_expire_dry_run_changes_nothing(clerk):
    f.supervisor("night_operator")
    app = f.counter_application(actor=clerk,
                                at=timezone.now() - datetime.timedelta(days=60))
    out = io.StringIO()
    call_command("expire_applications", "--operator", "night_operator", "--dry-run",
                 stdout=out)
    app.refresh_from_db()
    assert app.status == ApplicationStatus.PENDING
    assert app.number in out.getvalue() and "试运行" in out.getvalue()


def test_expire_command_requires_a_known_operator():
    with pytest.raises(CommandError):
        call_command("expire_applications", "--operator", "nobody", stdout=io.StringIO())


# --- numbers ----------------------------------------------------------------------------


def test_numbers_are_sequential_per_hall_and_china_day(clerk):
    bj, hz = f.hall("BJ01"), f.hall("HZ01", "330100")
    day = f.china(2026, 3, 1, 9)
    assert [next_application_number(bj, day) for _ in range(3)] == [
        "BJ01-20260301-0001", "BJ01-20260301-0002", "BJ01-20260301-0003"]
    assert next_application_number(hz, day) == "HZ01-20260301-0001"


def test_number_day_follows_china_time():
    bj = f.hall("BJ01")
    before_midnight = f.china(2026, 3, 1, 23, 59)
    after_midnight = f.china(2026, 3, 2, 0, 0)  # 2026-03-01 16:00 UTC
    assert after_midnight.astimezone(datetime.UTC).date() == datetime.date(2026, 3, 1)
    assert next_application_number(bj, before_midnight) == "BJ01-20260301-0001"
    assert next_application_number(bj, after_midnight) == "BJ01-20260302-0001"


def test_submitted_applications_get_unique_numbers(clerk):
    at = timezone.now()
    numbers = {f.counter_application(actor=clerk, at=at).number for _ in range(3)}
    assert len(numbers) == 3


# --- working days -------------------------------------------------------------------------


def test_working_days_skip_weekends():
    friday = datetime.date(2026, 3, 6)
    assert working_days_between(friday, friday) == 0
    assert working_days_between(friday, datetime.date(2026, 3, 8)) == 0  # Sunday
    assert working_days_between(friday, datetime.date(2026, 3, 9)) == 1  # Monday
    assert working_days_between(friday, datetime.date(2026, 3, 20)) == 10
    assert add_working_days(friday, 3) == datetime.date(2026, 3, 11)


def test_a_death_withdraws_the_pending_application_from_the_queue(clerk):
    import datetime

    from families.services import person_record_death

    application = f.counter_application(actor=clerk)
    person_record_death(actor=f.supervisor("death_sup"), person=application.binding.member,
                        death_date=datetime.date(2026, 11, 1), reason="死亡")
    application.refresh_from_db()
    assert application.status == "withdrawn"
    assert application.binding.status == "withdrawn"
    assert application.history.order_by("-history_id").first().history_change_reason == "死亡"
