"""Offline counter verification (DOMAIN.md) at the service level: four-eyes review, limits
re-checked at review, withdrawal, expiry, application numbers and working days."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from families.choices import ApplicationStatus, BindingStatus
from families.models import CounterApplication
from families.services import binding_apply
from families.services.counter import (
    application_approve,
    application_reject,
    application_review_checks,
    application_withdraw,
    next_application_number,
)
from families.workdays import add_working_days, working_days_between
from tests import factories as f
from tests.families.counter_services.helpers import code_of

pytestmark = pytest.mark.django_db


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
