"""DOMAIN.md binding rules 4, 6, 7, 8, 11: relationship, identity, status, consent."""

import datetime

import pytest
from django.utils import timezone

from accounts.errors import RuleViolation
from families.chinatime import CHINA
from families.services import PersonRef, binding_apply, binding_eligibility
from tests import factories as f

pytestmark = pytest.mark.django_db


def apply(holder, member, *, relationship="child", consent="face", proof=None,
          commitment=True, holder_ref=None, member_ref=None, at=None, actor=None):
    return binding_apply(
        actor=actor, holder=holder_ref or f.ref(holder), member=member_ref or f.ref(member),
        relationship=relationship, channel="counter", consent_method=consent, proof=proof,
        commitment_signed=commitment, reason="窗口申请", applied_at=at,
    )


def code_of(call) -> str:
    with pytest.raises(RuleViolation) as exc:
        call()
    return exc.value.rule_code


# --- identity (rule 6)

def test_name_mismatch_says_which_field_without_revealing_the_registry_value():
    holder, member = f.person("张建国"), f.person("李秀英")
    with pytest.raises(RuleViolation) as exc:
        apply(holder, member, member_ref=f.ref(member, name="李秀瑛"))
    assert exc.value.rule_code == "identity_mismatch"
    assert exc.value.figures["field"] == "name"
    assert "姓名" in exc.value.text and "李秀英" not in exc.value.text


def test_name_with_full_width_spaces_still_matches():
    holder, member = f.person("张建国"), f.person("李秀英")
    assert apply(holder, member, member_ref=f.ref(member, name=" 李\u3000秀英 ")).pk


def test_invalid_id_number_is_rejected_before_lookup():
    holder, member = f.person(), f.person()
    bad = PersonRef("resident_id", member.id_number[:-1] + "0"
                    if not member.id_number.endswith("0") else member.id_number[:-1] + "1",
                    member.name)
    assert code_of(lambda: apply(holder, member, member_ref=bad)) == "invalid_id_number"


def test_unknown_person_is_not_insured():
    holder, member = f.person(), f.person()
    from families.idnumbers import make_resident_id

    stranger = PersonRef("resident_id", make_resident_id("120101", datetime.date(1970, 1, 1),
                                                         7, "M"), "路人")
    assert code_of(lambda: apply(holder, member, member_ref=stranger)) == "not_insured"


# --- status (rule 7)

@pytest.mark.parametrize("status", ["suspended", "terminated"])
def test_member_must_have_normal_insurance_status(status):
    holder, member = f.person(), f.person(status=status)
    assert code_of(lambda: apply(holder, member)) == "insurance_not_normal"


def test_deceased_member_cannot_be_bound():
    holder, member = f.person(), f.person(death_date=datetime.date(2026, 1, 1))
    assert code_of(lambda: apply(holder, member)) == "deceased"


def test_deceased_holder_cannot_bind():
    holder, member = f.person(death_date=datetime.date(2026, 1, 1)), f.person()
    assert code_of(lambda: apply(holder, member)) == "deceased"


def test_holder_cannot_bind_himself():
    p = f.person()
    assert code_of(lambda: apply(p, p)) == "self_binding"


# --- relationship (rule 4)

def test_relationship_outside_region_policy_is_rejected():
    f.policy("110100", binding_relationships=["spouse", "parent", "child"])
    holder, member = f.person(), f.person()
    assert code_of(lambda: apply(holder, member, relationship="sibling")) == (
        "relationship_not_allowed"
    )
    assert apply(holder, member, relationship="spouse").pk


# --- consent (rule 8): the 16th birthday

def _turning_16_on(day: datetime.date):
    return datetime.date(day.year - 16, day.month, day.day)


def test_member_who_turns_16_today_needs_face_or_counter_verification():
    today = timezone.now().astimezone(CHINA).date()
    holder, member = f.person(), f.person(birth=_turning_16_on(today))
    proof = f.proof(holder, member, "child")
    assert code_of(lambda: apply(holder, member, consent="guardian", proof=proof)) == (
        "verification_required"
    )
    assert apply(holder, member, consent="counter", proof=proof).status == "pending"


def test_member_one_day_before_16th_birthday_is_a_minor_served_by_the_guardian():
    today = timezone.now().astimezone(CHINA).date()
    birth = _turning_16_on(today) + datetime.timedelta(days=1)
    holder, member = f.person(), f.person(birth=birth, insurance_type="resident")
    assert code_of(lambda: apply(holder, member, consent="face")) == "verification_required"
    proof = f.proof(holder, member, "child", proof_type="birth_certificate")
    assert apply(holder, member, consent="guardian", proof=proof).status == "pending"


def test_minor_can_only_be_bound_by_a_parent_or_grandparent():
    holder, member = f.person(), f.person(birth=datetime.date(2015, 5, 5))
    proof = f.proof(holder, member, "sibling")
    assert code_of(
        lambda: apply(holder, member, relationship="sibling", consent="guardian", proof=proof)
    ) == "verification_required"


def test_grandparent_acting_as_guardian_may_bind_a_grandchild():
    holder, member = f.person(birth=datetime.date(1950, 1, 1)), f.person(
        birth=datetime.date(2015, 5, 5))
    proof = f.proof(holder, member, "grandchild")
    assert apply(holder, member, relationship="grandchild", consent="guardian",
                 proof=proof).status == "pending"


# --- consent: birth-registry exemption

@pytest.fixture
def beijing_exemption():
    return f.policy("110100", birth_exemption_enabled=True,
                    birth_exemption_cutoff=datetime.date(2010, 1, 1))


def test_child_born_on_the_cutoff_date_in_beijing_is_bound_without_materials(
        beijing_exemption):
    parent = f.person()
    child = f.person(birth=datetime.date(2010, 1, 1), birth_region_code="110100")
    assert apply(parent, child, consent="birth_exemption").status == "active"


def test_child_born_the_day_before_the_cutoff_needs_materials(beijing_exemption):
    parent = f.person()
    child = f.person(birth=datetime.date(2009, 12, 31), birth_region_code="110100")
    assert code_of(lambda: apply(parent, child, consent="birth_exemption")) == (
        "verification_required"
    )


def test_exemption_needs_birth_registered_in_a_region_that_enables_it(beijing_exemption):
    parent = f.person()
    child = f.person(birth=datetime.date(2015, 1, 1), birth_region_code="330100")
    assert code_of(lambda: apply(parent, child, consent="birth_exemption")) == (
        "verification_required"
    )


def test_exemption_is_off_by_default():
    parent = f.person()
    child = f.person(birth=datetime.date(2015, 1, 1), birth_region_code="110100")
    assert code_of(lambda: apply(parent, child, consent="birth_exemption")) == (
        "verification_required"
    )


def test_exemption_only_binds_a_child_to_a_parent(beijing_exemption):
    grandparent = f.person()
    child = f.person(birth=datetime.date(2015, 1, 1), birth_region_code="110100")
    assert code_of(lambda: apply(grandparent, child, relationship="grandchild",
                                 consent="birth_exemption")) == "verification_required"


# --- proofs and commitment letter (rules 8, 11)

def test_offline_verification_requires_a_kinship_proof():
    holder, member = f.person(), f.person()
    assert code_of(lambda: apply(holder, member, consent="counter")) == "proof_required"


def test_proof_of_another_pair_is_a_mismatch():
    holder, member, other = f.person(), f.person(), f.person()
    proof = f.proof(holder, other, "child")
    assert code_of(lambda: apply(holder, member, consent="counter", proof=proof)) == (
        "proof_mismatch"
    )


def test_marriage_certificate_does_not_prove_a_parent_child_relationship():
    holder, member = f.person(), f.person()
    proof = f.proof(holder, member, "child", proof_type="marriage_certificate")
    assert code_of(lambda: apply(holder, member, consent="counter", proof=proof)) == (
        "proof_mismatch"
    )


def test_proof_stated_from_the_other_side_is_accepted():
    holder, member = f.person(), f.person()
    proof = f.proof(member, holder, "parent")  # holder is member's parent
    assert apply(holder, member, consent="counter", proof=proof).status == "pending"


def test_revoked_proof_is_not_accepted():
    holder, member = f.person(), f.person()
    proof = f.proof(holder, member, "spouse", proof_type="marriage_certificate", revoked=True)
    assert code_of(lambda: apply(holder, member, relationship="spouse", consent="counter",
                                 proof=proof)) == "proof_mismatch"


def test_offline_application_requires_the_signed_commitment_letter():
    holder, member = f.person(), f.person()
    proof = f.proof(holder, member, "child")
    assert code_of(lambda: apply(holder, member, consent="counter", proof=proof,
                                 commitment=False)) == "commitment_required"


# --- the pre-check shows every rule with figures

def test_eligibility_lists_every_rule_with_figures_and_matches_enforcement():
    holder, member = f.person(), f.person()
    for _ in range(6):
        f.binding(f.person(), member, status="unbound")
    checks = binding_eligibility(holder=f.ref(holder), member=f.ref(member),
                                 relationship="child", consent_method="face")
    by_code = {c.code: c for c in checks}
    assert {"identity", "deceased", "insurance_not_normal", "self_binding",
            "relationship_not_allowed", "duplicate_binding", "holder_limit", "member_limit",
            "monthly_limit", "verification_required"} <= set(by_code)
    assert by_code["monthly_limit"].passed is False
    assert by_code["monthly_limit"].message == "本月已新增被绑定 6 次,上限 6 次"
    assert by_code["holder_limit"].passed and by_code["holder_limit"].figures == {
        "count": 0, "limit": 5}
    assert code_of(lambda: apply(holder, member)) == "monthly_limit"


def test_eligibility_stops_at_identity_when_a_person_is_not_found():
    holder, member = f.person(), f.person()
    checks = binding_eligibility(holder=f.ref(holder), member=f.ref(member, name="别人"),
                                 relationship="child", consent_method="face")
    assert [c.code for c in checks] == ["identity", "identity_mismatch"]
