"""What a counter application applies for: each kind's pre-check, intake step and
operations (`KIND_OPERATIONS`), delegating to the link's own services."""

import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.errors import RuleViolation, raise_failure
from audit.services import save_audited
from families import selectors
from families.chinatime import age_on, china_date
from families.choices import (
    ApplicationKind,
    Channel,
    ConsentMethod,
)
from families.models import (
    Binding,
    CoPayAuthorization,
    CounterApplication,
    KinshipProof,
    Person,
)
from families.rules import Check
from families.services.bindings import (
    HOLDER,
    MEMBER,
    binding_apply,
    binding_approve,
    binding_eligibility,
    binding_expire,
    binding_reject,
    binding_review_checks,
    binding_withdraw,
)
from families.services.copay import (
    AUTHORIZER,
    BENEFICIARY,
    copay_apply,
    copay_approve,
    copay_eligibility,
    copay_expire,
    copay_reject,
    copay_review_checks,
    copay_withdraw,
)
from families.services.identity import PersonRef, identity_check, resolve_person
from families.services.scans import ValidScan, store_scans

# Checks the clerk completes in step 2 (verification record); step 1 does not show them.
VERIFICATION_CODES = {"proof_required", "proof_mismatch", "commitment_required"}
# Step 1 of a co-pay application also leaves out the consent check: the counter is it.
COPAY_STEP2_CODES = VERIFICATION_CODES | {"verification_required"}



# --- input ------------------------------------------------------------------------------


@dataclass(frozen=True)
class IntakeData:
    """What the clerk records at the counter."""

    kind: str
    holder: PersonRef
    member: PersonRef
    relationship: str
    no_face_reason: str
    proof_type: str
    proof_number: str
    no_face_reason_other: str = ""
    holder_id_seen: bool = False
    member_id_seen: bool = False
    proof_seen: bool = False
    commitment_signed: bool = False
    reserve: Decimal = Decimal("0.00")  # co-pay: kept for the authorizer's own use


# --- consent and pre-check ----------------------------------------------------------------


def consent_method_for(member: Person, at: datetime.datetime) -> str:
    """Offline consent for the member: the counter for a member aged 16+ (the region's
    face-verification age), the guardian for a minor; the same age rule as
    families.rules.verification_checks (member's insured region policy, China day)."""
    day = china_date(at)
    policy = selectors.policy_in_force(member.insured_region_id, day)
    if age_on(member.birth_date, day) < policy.face_verification_age:
        return ConsentMethod.GUARDIAN
    return ConsentMethod.COUNTER


def _consent_for_ref(member: PersonRef, at: datetime.datetime) -> str:
    _check, person = identity_check(member, _(MEMBER))
    return consent_method_for(person, at) if person is not None else ConsentMethod.COUNTER


def _hall_region_check(hall, holder: Person, member: Person) -> Check:
    ok = hall.region_id in (holder.insured_region_id, member.insured_region_id)
    return Check(
        "other_region", ok,
        _("申请人或其亲属在本网点所属统筹区参保。") if ok else
        _("申请人和亲属均不在本网点所属统筹区参保,不能在本网点受理。"),
    )


def _binding_precheck(*, holder: PersonRef, member: PersonRef, relationship: str,
                      at: datetime.datetime, hall=None, reserve=None) -> list[Check]:
    checks = binding_eligibility(holder=holder, member=member, relationship=relationship,
                                 consent_method=_consent_for_ref(member, at), at=at)
    checks = [c for c in checks if c.code not in VERIFICATION_CODES]
    if hall is not None and all(c.passed for c in checks[:2]):
        holder_person = identity_check(holder, _(HOLDER))[1]
        member_person = identity_check(member, _(MEMBER))[1]
        checks.append(_hall_region_check(hall, holder_person, member_person))
    return checks


def _register_proof(*, actor, hall, data: IntakeData, roles: tuple[str, str],
                    reason: str) -> tuple[Person, KinshipProof]:
    """The parties as the registry knows them and the kinship proof the clerk saw; the
    hall may take the application only for a party insured in its region."""
    applicant = resolve_person(data.holder, _(roles[0]))
    relative = resolve_person(data.member, _(roles[1]))
    if applicant.pk == relative.pk:
        raise RuleViolation("self_binding", _("%(a)s与%(b)s须为不同的人。") % {
            "a": _(roles[0]), "b": _(roles[1])})
    region_check = _hall_region_check(hall, applicant, relative)
    raise_failure(region_check)
    proof = KinshipProof(
        proof_type=data.proof_type, document_number=data.proof_number.strip(),
        person_a=applicant, person_b=relative, relationship=data.relationship,
        created_by=actor,
    )
    save_audited(proof, actor=actor, reason=reason, action="proof_register")
    return relative, proof


def _submit_binding(*, actor, hall, data: IntakeData, scans: Sequence[ValidScan],
                    at: datetime.datetime, written: list[str], reason: str) -> Binding:
    member, proof = _register_proof(actor=actor, hall=hall, data=data, roles=(HOLDER, MEMBER),
                                    reason=reason)
    binding = binding_apply(
        actor=actor, holder=data.holder, member=data.member, relationship=data.relationship,
        channel=Channel.COUNTER, consent_method=consent_method_for(member, at), reason=reason,
        proof=proof, commitment_signed=data.commitment_signed, applied_at=at,
    )
    store_scans(actor=actor, proof=proof, scans=scans, written=written, reason=reason)
    return binding


def _copay_precheck(*, holder: PersonRef, member: PersonRef, relationship: str,
                    at: datetime.datetime, hall=None,
                    reserve: Decimal | None = None) -> list[Check]:
    checks = copay_eligibility(authorizer=holder, beneficiary=member,
                               relationship=relationship, consent_method=ConsentMethod.COUNTER,
                               reserve=reserve or Decimal("0.00"), at=at)
    checks = [c for c in checks if c.code not in COPAY_STEP2_CODES]
    if hall is not None and all(c.passed for c in checks[:2]):
        checks.append(_hall_region_check(hall, identity_check(holder, _(AUTHORIZER))[1],
                                         identity_check(member, _(BENEFICIARY))[1]))
    return checks


def _submit_copay(*, actor, hall, data: IntakeData, scans: Sequence[ValidScan],
                  at: datetime.datetime, written: list[str], reason: str) -> CoPayAuthorization:
    _beneficiary, proof = _register_proof(actor=actor, hall=hall, data=data,
                                          roles=(AUTHORIZER, BENEFICIARY), reason=reason)
    authorization = copay_apply(
        actor=actor, authorizer=data.holder, beneficiary=data.member,
        relationship=data.relationship, channel=Channel.COUNTER,
        consent_method=ConsentMethod.COUNTER, reason=reason, reserve=data.reserve,
        proof=proof, commitment_signed=data.commitment_signed, applied_at=at,
    )
    store_scans(actor=actor, proof=proof, scans=scans, written=written, reason=reason)
    return authorization


def _end_if_pending(operation: Callable[..., Any], target_kw: str) -> Callable[..., None]:
    """Withdraw/expire the link if it is still pending; one that already ended elsewhere
    (e.g. a party's death withdrew it) leaves only the application to end."""
    def end(*, actor, target, reason: str) -> None:
        if type(target).objects.filter(pk=target.pk, status="pending").exists():
            operation(actor=actor, reason=reason, **{target_kw: target})
    return end


@dataclass(frozen=True)
class KindOperations:
    """The operations of one kind of application (what is applied for)."""

    target_field: str
    submit: Callable[..., Any]
    precheck: Callable[..., list[Check]]
    review_checks: Callable[[Any], list[Check]]
    approve: Callable[..., Any]
    reject: Callable[..., Any]
    withdraw: Callable[..., None]
    expire: Callable[..., None]


KIND_OPERATIONS: dict[str, KindOperations] = {
    ApplicationKind.BINDING: KindOperations(
        target_field="binding",
        submit=_submit_binding,
        precheck=_binding_precheck,
        review_checks=binding_review_checks,
        approve=lambda *, actor, target, reason: binding_approve(
            actor=actor, binding=target, reason=reason),
        reject=lambda *, actor, target, reason: binding_reject(
            actor=actor, binding=target, reason=reason),
        withdraw=_end_if_pending(binding_withdraw, "binding"),
        expire=_end_if_pending(binding_expire, "binding"),
    ),
    ApplicationKind.COPAY: KindOperations(
        target_field="copay",
        submit=_submit_copay,
        precheck=_copay_precheck,
        review_checks=copay_review_checks,
        approve=lambda *, actor, target, reason: copay_approve(
            actor=actor, authorization=target, reason=reason),
        reject=lambda *, actor, target, reason: copay_reject(
            actor=actor, authorization=target, reason=reason),
        withdraw=_end_if_pending(copay_withdraw, "authorization"),
        expire=_end_if_pending(copay_expire, "authorization"),
    ),
}


def enabled_kinds() -> list[tuple[str, str]]:
    return [(k.value, k.label) for k in ApplicationKind if k.value in KIND_OPERATIONS]


def operations_for(kind: str) -> KindOperations:
    try:
        return KIND_OPERATIONS[kind]
    except KeyError:
        raise RuleViolation("kind_not_available", _("该业务暂不支持窗口受理。")) from None


def application_target(application: CounterApplication):
    return getattr(application, operations_for(application.kind).target_field)


def application_precheck(*, kind: str, holder: PersonRef, member: PersonRef,
                         relationship: str, hall=None, at: datetime.datetime | None = None,
                         reserve: Decimal | None = None) -> list[Check]:
    """Step 1 of the intake: every rule of the kind with passed/failed and figures,
    before the verification record is entered (with `hall`: also whether this hall
    may take the application)."""
    return operations_for(kind).precheck(holder=holder, member=member, relationship=relationship,
                                      at=at or timezone.now(), hall=hall, reserve=reserve)


def application_review_checks(application: CounterApplication) -> list[Check]:
    """The pre-check re-run now, exactly as approval will enforce it."""
    return operations_for(application.kind).review_checks(application_target(application))


