"""DOMAIN.md co-pay authorization rules 1-9."""

import datetime
from decimal import Decimal

import pytest

from accounts.errors import RuleViolation
from families.models import CoPayAuthorization
from families.services import (
    copay_apply,
    copay_approve,
    copay_eligibility,
    copay_record_filing,
    copay_reject,
    copay_revoke,
    copay_sync_status,
    person_record_death,
)
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return {"clerk": f.clerk(), "supervisor": f.supervisor()}


def fund(person, amount="1000.00", staff_user=None):
    from accounts.models import User
    from settlements.services import allocation_post

    staff_user = staff_user or User.objects.filter(username="fund_operator").first() or (
        f.staff("fund_operator", role=None))
    allocation_post(actor=staff_user, person=person, period="202611", amount=Decimal(amount),
                    reason="测试划入")


def apply(authorizer, beneficiary, *, relationship="child", consent="face", reserve="0",
          proof=None, commitment=True, actor=None):
    return copay_apply(
        actor=actor, authorizer=f.ref(authorizer), beneficiary=f.ref(beneficiary),
        relationship=relationship, channel="counter" if consent == "counter" else "wechat",
        consent_method=consent, reserve=Decimal(reserve), proof=proof,
        commitment_signed=commitment, reason="共济授权申请",
    )


def code_of(call):
    with pytest.raises(RuleViolation) as exc:
        call()
    return exc.value.rule_code


def test_face_verified_authorization_is_active_at_once():
    parent = f.person()
    fund(parent)
    auth = apply(parent, f.person(insurance_type="resident"), reserve="300")
    assert auth.status == "active" and auth.reserve == Decimal("300.00")


def test_authorizer_must_have_employee_insurance():
    resident = f.person(insurance_type="resident")
    assert code_of(lambda: apply(resident, f.person())) == "not_employee_insured"


def test_authorizer_and_beneficiary_must_be_normal():
    parent = f.person(status="suspended")
    assert code_of(lambda: apply(parent, f.person())) == "insurance_not_normal"
    parent = f.person()
    fund(parent)
    assert code_of(lambda: apply(parent, f.person(status="terminated"))) == (
        "insurance_not_normal")


def test_core_scope_excludes_grandchildren_and_near_scope_includes_them():
    grandparent = f.person()
    fund(grandparent)
    f.policy("110100", copay_scope="core")
    assert code_of(lambda: apply(grandparent, f.person(), relationship="grandchild")) == (
        "relationship_out_of_scope")
    f.policy("110100", effective_from=datetime.date(2024, 11, 1), copay_scope="near")
    assert apply(grandparent, f.person(), relationship="grandchild").status == "active"


def test_cross_region_needs_the_province_option_or_both_cross_province():
    parent = f.person(region_code="330100")
    fund(parent)
    same_province = f.person(region_code="330200")
    other_province = f.person(region_code="110100")
    assert code_of(lambda: apply(parent, same_province)) == "cross_region_not_allowed"
    f.policy("330100", copay_cross_region_in_province=True)
    assert apply(parent, same_province).status == "active"
    assert code_of(lambda: apply(parent, other_province)) == "cross_region_not_allowed"
    f.policy("330100", effective_from=datetime.date(2021, 1, 1),
             copay_cross_region_in_province=True, copay_cross_province=True)
    assert code_of(lambda: apply(parent, other_province)) == "cross_region_not_allowed"
    f.policy("110100", copay_cross_province=True)
    assert apply(parent, other_province).status == "active"


def test_fifth_beneficiary_is_accepted_and_sixth_rejected():
    parent = f.person()
    fund(parent)
    for _ in range(5):
        apply(parent, f.person())
    with pytest.raises(RuleViolation) as exc:
        apply(parent, f.person())
    assert exc.value.rule_code == "beneficiary_limit"
    assert exc.value.figures == {"count": 5, "limit": 5}


def test_minimum_balance_to_open_is_region_policy():
    f.policy("110100", copay_min_balance=Decimal("500.00"))
    parent = f.person()
    fund(parent, "499.99")
    assert code_of(lambda: apply(parent, f.person())) == "balance_below_minimum"
    fund_more = f.person()
    fund(fund_more, "500.00")
    assert apply(fund_more, f.person()).status == "active"


def test_authorizer_without_a_personal_account_is_below_minimum():
    assert code_of(lambda: apply(f.person(), f.person())) == "balance_below_minimum"


def test_offline_authorization_is_pending_and_four_eyes_approved(staff):
    parent, child = f.person(), f.person()
    fund(parent)
    proof = f.proof(parent, child, "child", actor=staff["clerk"])
    auth = apply(parent, child, consent="counter", proof=proof, actor=staff["clerk"])
    assert auth.status == "pending"
    assert code_of(lambda: copay_approve(actor=staff["clerk"], authorization=auth,
                                         reason="ok")) == "permission_denied"
    auth = copay_approve(actor=staff["supervisor"], authorization=auth, reason="材料齐全")
    assert auth.status == "active"
    users = [h.history_user for h in auth.history.order_by("history_id")]
    assert users == [staff["clerk"], staff["supervisor"]]


def test_rejected_authorization_frees_the_slot(staff):
    f.policy("110100", copay_beneficiary_limit=1)
    parent, child = f.person(), f.person()
    fund(parent)
    proof = f.proof(parent, child, "child", actor=staff["clerk"])
    auth = apply(parent, child, consent="counter", proof=proof, actor=staff["clerk"])
    assert code_of(lambda: apply(parent, f.person())) == "beneficiary_limit"
    copay_reject(actor=staff["supervisor"], authorization=auth, reason="材料不全")
    assert apply(parent, f.person()).status == "active"


def test_filing_is_recorded_with_number_and_staff(staff):
    parent = f.person()
    fund(parent)
    auth = apply(parent, f.person())
    auth = copay_record_filing(actor=staff["clerk"], authorization=auth,
                               filing_number="BA2026-001", reason="北京备案")
    assert auth.filed_at is not None and auth.filed_by == staff["clerk"]
    assert code_of(lambda: copay_record_filing(actor=staff["clerk"], authorization=auth,
                                               filing_number="X", reason="重复")) == (
        "invalid_state")


def test_insurance_status_change_suspends_and_resumes(staff):
    parent, child = f.person(), f.person()
    fund(parent)
    auth = apply(parent, child)
    child.insurance_status = "suspended"
    child.save()
    assert copay_sync_status(actor=staff["supervisor"], person=child, reason="欠费暂停") == 1
    auth.refresh_from_db()
    assert auth.status == "suspended"
    child.insurance_status = "normal"
    child.save()
    copay_sync_status(actor=staff["supervisor"], person=child, reason="恢复缴费")
    auth.refresh_from_db()
    assert auth.status == "active"


def test_revocation_waiting_period_is_region_policy(staff):
    f.policy("110100", copay_min_months_before_revoke=3)
    parent = f.person()
    fund(parent)
    auth = apply(parent, f.person())
    assert code_of(lambda: copay_revoke(actor=staff["supervisor"], authorization=auth,
                                        reason="本人申请")) == "revoke_too_early"


def _pending_inpatient(beneficiary, operator):
    from settlements.services import settlement_post

    return settlement_post(actor=operator, beneficiary=beneficiary, institution_name="医院",
                           institution_code="H1", category="inpatient",
                           amount=Decimal("200.00"), reference="INP-1", reason="住院结算",
                           pending=True)


def test_revocation_blocked_by_a_pending_settlement_and_allowed_after_finalize(staff):
    from settlements.services import settlement_finalize

    parent, child = f.person(), f.person(insurance_type="resident")
    fund(parent)
    auth = apply(parent, child)
    settlement = _pending_inpatient(child, staff["supervisor"])
    assert code_of(lambda: copay_revoke(actor=staff["supervisor"], authorization=auth,
                                        reason="本人申请")) == "pending_settlements"
    settlement_finalize(actor=staff["supervisor"], settlement=settlement, reason="出院结算")
    auth = copay_revoke(actor=staff["supervisor"], authorization=auth, reason="本人申请")
    assert auth.status == "revoked"


def test_death_revokes_despite_a_pending_settlement(staff):
    parent, child = f.person(), f.person(insurance_type="resident")
    fund(parent)
    auth = apply(parent, child)
    _pending_inpatient(child, staff["supervisor"])
    person_record_death(actor=staff["supervisor"], person=parent,
                        death_date=datetime.date(2026, 11, 20), reason="死亡")
    auth.refresh_from_db()
    assert auth.status == "revoked"


def test_eligibility_lists_co_pay_rules_with_figures():
    parent = f.person()
    fund(parent, "100.00")
    checks = copay_eligibility(authorizer=f.ref(parent), beneficiary=f.ref(f.person()),
                               relationship="child", consent_method="face")
    by_code = {c.code: c for c in checks}
    assert by_code["beneficiary_limit"].message == "授权人已授权(含待审核)0 人,上限 5 人"
    assert by_code["balance_below_minimum"].passed
    assert CoPayAuthorization.objects.count() == 0
