"""Approval, rejection, withdrawal, unbinding (rule 10), deaths and e-voucher activation,
each leaving history with the acting staff member and the reason."""

import datetime

import pytest
from django.utils import timezone

from accounts.errors import RuleViolation
from families.models import Binding
from families.services import (
    binding_apply,
    binding_approve,
    binding_reject,
    binding_unbind,
    binding_withdraw,
    evoucher_activate,
    person_record_death,
)
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return {"clerk": f.clerk(), "supervisor": f.supervisor(), "other": f.supervisor("sup2")}


def counter_apply(staff, holder=None, member=None):
    holder, member = holder or f.person(), member or f.person()
    proof = f.proof(holder, member, "child", actor=staff["clerk"])
    return binding_apply(
        actor=staff["clerk"], holder=f.ref(holder), member=f.ref(member), relationship="child",
        channel="counter", consent_method="counter", proof=proof, commitment_signed=True,
        reason="窗口线下核验受理",
    )


def last_history(binding):
    return binding.history.order_by("-history_id").first()


def test_counter_application_is_pending_and_records_clerk_and_reason(staff):
    binding = counter_apply(staff)
    assert binding.status == "pending"
    record = last_history(binding)
    assert record.history_user == staff["clerk"]
    assert record.history_change_reason == "窗口线下核验受理"


def test_supervisor_approves_and_history_shows_both_staff(staff):
    binding = binding_approve(actor=staff["supervisor"], binding=counter_apply(staff),
                              reason="材料齐全")
    assert binding.status == "active" and binding.decided_by == staff["supervisor"]
    users = [h.history_user for h in binding.history.order_by("history_id")]
    assert users == [staff["clerk"], staff["supervisor"]]
    assert last_history(binding).history_change_reason == "材料齐全"


def test_the_clerk_who_took_the_application_cannot_approve_it_even_as_supervisor(staff):
    from django.contrib.auth.models import Group

    staff["clerk"].groups.add(Group.objects.get(name="审核员"))
    binding = counter_apply(staff)
    with pytest.raises(RuleViolation) as exc:
        binding_approve(actor=staff["clerk"], binding=binding, reason="自审")
    assert exc.value.rule_code == "same_reviewer"
    with pytest.raises(RuleViolation) as exc:
        binding_reject(actor=staff["clerk"], binding=binding, reason="自审")
    assert exc.value.rule_code == "same_reviewer"
    assert Binding.objects.get(pk=binding.pk).status == "pending"


def test_a_clerk_cannot_review(staff):
    binding = counter_apply(staff)
    with pytest.raises(RuleViolation) as exc:
        binding_approve(actor=f.clerk("clerk_b"), binding=binding, reason="ok")
    assert exc.value.rule_code == "permission_denied"


def test_approval_rechecks_limits_reached_while_pending(staff):
    member = f.person()
    binding = counter_apply(staff, member=member)
    # five more holders bind the member on other channels while the application waits
    f.policy("110100", member_limit=3)
    for _ in range(3):
        f.binding(f.person(), member, applied_at=timezone.now() - datetime.timedelta(days=40))
    with pytest.raises(RuleViolation) as exc:
        binding_approve(actor=staff["supervisor"], binding=binding, reason="ok")
    assert exc.value.rule_code == "member_limit"
    assert Binding.objects.get(pk=binding.pk).status == "pending"


def test_rejection_frees_the_slot(staff):
    f.policy("110100", holder_limit=1)
    holder = f.person()
    binding = counter_apply(staff, holder=holder)
    with pytest.raises(RuleViolation):
        counter_apply(staff, holder=holder)
    binding_reject(actor=staff["supervisor"], binding=binding, reason="证明模糊")
    assert counter_apply(staff, holder=holder).status == "pending"


def test_rejection_needs_a_reason(staff):
    with pytest.raises(RuleViolation) as exc:
        binding_reject(actor=staff["supervisor"], binding=counter_apply(staff), reason=" ")
    assert exc.value.rule_code == "reason_required"


def test_withdrawn_application_cannot_be_approved(staff):
    binding = binding_withdraw(actor=staff["clerk"], binding=counter_apply(staff),
                               reason="本人撤回")
    assert binding.status == "withdrawn"
    with pytest.raises(RuleViolation) as exc:
        binding_approve(actor=staff["supervisor"], binding=binding, reason="ok")
    assert exc.value.rule_code == "invalid_state"


def test_unbind_keeps_the_row_and_records_reason_and_staff(staff):
    binding = f.binding(f.person(), f.person())
    binding_unbind(actor=staff["supervisor"], binding=binding, reason="本人申请解绑")
    binding.refresh_from_db()
    assert (binding.status, binding.end_reason, binding.ended_by) == (
        "unbound", "本人申请解绑", staff["supervisor"])
    assert last_history(binding).history_user == staff["supervisor"]


def test_unbinding_twice_is_an_invalid_state(staff):
    binding = f.binding(f.person(), f.person())
    binding_unbind(actor=staff["supervisor"], binding=binding, reason="本人申请")
    with pytest.raises(RuleViolation) as exc:
        binding_unbind(actor=staff["supervisor"], binding=binding, reason="本人申请")
    assert exc.value.rule_code == "invalid_state"


def test_region_may_forbid_unbinding_within_n_months(staff):
    f.policy("110100", min_months_before_unbind=3)
    recent = f.binding(f.person(), f.person(),
                       applied_at=timezone.now() - datetime.timedelta(days=60))
    with pytest.raises(RuleViolation) as exc:
        binding_unbind(actor=staff["supervisor"], binding=recent, reason="本人申请")
    assert exc.value.rule_code == "unbind_too_early"
    old = f.binding(f.person(), f.person(),
                    applied_at=timezone.now() - datetime.timedelta(days=100))
    assert binding_unbind(actor=staff["supervisor"], binding=old,
                          reason="本人申请").status == "unbound"


def test_administrative_unbind_ignores_the_waiting_period(staff):
    f.policy("110100", min_months_before_unbind=3)
    binding = f.binding(f.person(), f.person())
    assert binding_unbind(actor=staff["supervisor"], binding=binding, reason="参保终止",
                          administrative=True).status == "unbound"


def test_recording_a_death_ends_every_live_link_of_that_person(staff):
    person = f.person()
    active = f.binding(person, f.person())
    pending = f.binding(f.person(), person, status="pending", consent_method="counter")
    person_record_death(actor=staff["supervisor"], person=person,
                        death_date=datetime.date(2026, 11, 1), reason="死亡")
    active.refresh_from_db()
    pending.refresh_from_db()
    assert (active.status, pending.status) == ("unbound", "withdrawn")
    assert last_history(active).history_change_reason == "死亡"
    person.refresh_from_db()
    assert person.history.order_by("-history_id").first().history_user == staff["supervisor"]


def test_evoucher_activation_is_recorded_once(staff):
    person = f.person(activated=False)
    evoucher_activate(actor=staff["clerk"], person=person, reason="线下激活")
    person.refresh_from_db()
    assert person.evoucher_activated_at is not None
    first = person.history.count()
    evoucher_activate(actor=staff["clerk"], person=person, reason="线下激活")
    assert person.history.count() == first


def test_binding_is_allowed_before_member_activates_the_evoucher(staff):
    holder, member = f.person(), f.person(activated=False)
    binding = binding_apply(actor=None, holder=f.ref(holder), member=f.ref(member),
                            relationship="child", channel="wechat", consent_method="face",
                            reason="渠道申请")
    assert binding.status == "active"
