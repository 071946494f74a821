"""家庭共济授权 through the counter: the same offline verification and four-eyes review."""

from decimal import Decimal

import pytest

from accounts.errors import RuleViolation
from families.models import CoPayAuthorization, CounterApplication
from families.services.counter import (
    application_approve,
    application_precheck,
    application_review_checks,
    application_withdraw,
)
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return {"clerk": f.clerk("counter_clerk"), "supervisor": f.supervisor()}


@pytest.fixture
def family(staff):
    from settlements.services import allocation_post

    parent, child = f.person("王建华"), f.person("王小宝", insurance_type="resident")
    allocation_post(actor=staff["supervisor"], person=parent, period="202611",
                    amount=Decimal("800.00"), reason="划入")
    return parent, child


def submit(parent, child, staff, **overrides):
    return f.counter_application(parent, child, actor=staff["clerk"], kind="copay",
                                 reserve=Decimal("300.00"), **overrides)


def test_counter_copay_application_is_pending_with_reserve_and_proof(family, staff):
    application = submit(*family, staff)
    authorization = application.copay
    assert application.kind == "copay" and application.binding is None
    assert (authorization.status, authorization.consent_method, authorization.reserve) == (
        "pending", "counter", Decimal("300.00"))
    assert authorization.proof.scans.count() == 1
    assert application.applicant == family[0] and application.relative == family[1]


def test_supervisor_approves_and_the_clerk_cannot(family, staff):
    application = submit(*family, staff)
    with pytest.raises(RuleViolation) as exc:
        application_approve(actor=staff["clerk"], application=application, reason="")
    assert exc.value.rule_code == "permission_denied"
    application_approve(actor=staff["supervisor"], application=application, reason="材料齐全")
    application.refresh_from_db()
    assert application.status == "approved"
    assert CoPayAuthorization.objects.get(pk=application.copay_id).status == "active"


def test_precheck_shows_co_pay_rules_without_the_verification_step(family, staff):
    parent, child = family
    checks = application_precheck(kind="copay", holder=f.ref(parent), member=f.ref(child),
                                  relationship="child", hall=staff["clerk"].hall,
                                  reserve=Decimal("300"))
    codes = {c.code for c in checks}
    assert {"not_employee_insured", "beneficiary_limit", "relationship_out_of_scope",
            "cross_region_not_allowed", "balance_below_minimum", "other_region"} <= codes
    assert not codes & {"proof_required", "commitment_required", "verification_required"}
    assert all(c.passed for c in checks)


def test_resident_insured_applicant_is_refused_at_precheck(staff):
    resident, child = f.person(insurance_type="resident"), f.person()
    checks = application_precheck(kind="copay", holder=f.ref(resident), member=f.ref(child),
                                  relationship="child")
    failed = [c.code for c in checks if not c.passed]
    assert "not_employee_insured" in failed
    with pytest.raises(RuleViolation) as exc:
        f.counter_application(resident, child, actor=staff["clerk"], kind="copay")
    assert exc.value.rule_code == "not_employee_insured"
    assert not CounterApplication.objects.exists()


def test_review_checks_are_rerun_and_withdrawal_ends_the_authorization(family, staff):
    application = submit(*family, staff)
    assert all(c.passed for c in application_review_checks(application))
    application_withdraw(actor=staff["clerk"], application=application, reason="本人撤回")
    assert CoPayAuthorization.objects.get(pk=application.copay_id).status == "withdrawn"


def test_intake_page_takes_a_co_pay_application_and_prints_its_receipt(client, family, staff):
    parent, child = family
    client.force_login(staff["clerk"])
    parties = {
        "kind": "copay", "holder_id_type": "resident_id", "holder_id_number": parent.id_number,
        "holder_name": parent.name, "member_id_type": "resident_id",
        "member_id_number": child.id_number, "member_name": child.name,
        "relationship": "child", "reserve": "300",
    }
    page = client.post("/admin/counter/intake/", {**parties, "action": "precheck"})
    assert "第二步" in page.content.decode()
    response = client.post("/admin/counter/intake/", {
        **parties, "action": "submit", "no_face_reason": "elderly", "holder_id_seen": "on",
        "member_id_seen": "on", "proof_seen": "on", "proof_type": "household_register",
        "proof_number": "HK-1", "commitment_signed": "on", "scans": f.scan_file(),
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    receipt = client.get(response["Location"]).content.decode()
    assert "家庭共济授权" in receipt and "共济人" in receipt
    assert child.masked_id_number in receipt and child.id_number not in receipt
    authorization = CoPayAuthorization.objects.get()
    assert authorization.reserve == Decimal("300.00") and authorization.status == "pending"
