"""窗口受理: offline counter verification (DOMAIN.md "Offline counter verification").

A clerk takes the application (`application_submit`: kinship proof + scans + pending
binding + application, one transaction); a *different* supervisor approves or rejects it
(`application_approve` / `application_reject`, four-eyes); the citizen may withdraw it
(`application_withdraw`); `expire_applications` ends those that waited too long
(`application_expire`). Each operation changes the application and its target (the
binding) in the same transaction, through the target's own services, so no rule is
re-implemented here.

What is applied for is `CounterApplication.kind`; `KIND_OPERATIONS` maps each enabled
kind to its operations: 亲情账户绑定 (families.services.bindings) and 家庭共济授权
(families.services.copay).
"""

import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import save_audited
from accounts.errors import RuleViolation, require_reason
from families import selectors
from families.chinatime import age_on, china_date
from families.choices import (
    ApplicationKind,
    ApplicationStatus,
    BindingStatus,
    Channel,
    ConsentMethod,
    CoPayStatus,
    NoFaceReason,
)
from families.models import (
    ApplicationSequence,
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
    require_reviewer,
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
from families.services.scans import MAX_SCANS, ValidScan, delete_files, scan_validate, store_scans

SUBMIT_PERMISSION = "families.add_counterapplication"
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
    if not region_check.passed:
        raise RuleViolation(region_check.code, region_check.message)
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


def _end_copay(operation: Callable[..., CoPayAuthorization]) -> Callable[..., None]:
    def end(*, actor, target: CoPayAuthorization, reason: str) -> None:
        if CoPayAuthorization.objects.filter(pk=target.pk, status=CoPayStatus.PENDING).exists():
            operation(actor=actor, authorization=target, reason=reason)
    return end


def _end_binding(operation: Callable[..., Binding]) -> Callable[..., None]:
    """Withdraw/expire the binding if it is still pending; one that already ended
    elsewhere (e.g. the member's death withdrew it) leaves only the application to end."""
    def end(*, actor, target: Binding, reason: str) -> None:
        if Binding.objects.filter(pk=target.pk, status=BindingStatus.PENDING).exists():
            operation(actor=actor, binding=target, reason=reason)
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
        withdraw=_end_binding(binding_withdraw),
        expire=_end_binding(binding_expire),
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
        withdraw=_end_copay(copay_withdraw),
        expire=_end_copay(copay_expire),
    ),
}


def enabled_kinds() -> list[tuple[str, str]]:
    return [(k.value, k.label) for k in ApplicationKind if k.value in KIND_OPERATIONS]


def _operations(kind: str) -> KindOperations:
    try:
        return KIND_OPERATIONS[kind]
    except KeyError:
        raise RuleViolation("kind_not_available", _("该业务暂不支持窗口受理。")) from None


def application_target(application: CounterApplication):
    return getattr(application, _operations(application.kind).target_field)


def application_precheck(*, kind: str, holder: PersonRef, member: PersonRef,
                         relationship: str, hall=None, at: datetime.datetime | None = None,
                         reserve: Decimal | None = None) -> list[Check]:
    """Step 1 of the intake: every rule of the kind with passed/failed and figures,
    before the verification record is entered (with `hall`: also whether this hall
    may take the application)."""
    return _operations(kind).precheck(holder=holder, member=member, relationship=relationship,
                                      at=at or timezone.now(), hall=hall, reserve=reserve)


def application_review_checks(application: CounterApplication) -> list[Check]:
    """The pre-check re-run now, exactly as approval will enforce it."""
    return _operations(application.kind).review_checks(application_target(application))


# --- numbers ----------------------------------------------------------------------------


def next_application_number(hall, at: datetime.datetime) -> str:
    """HALLCODE-YYYYMMDD-NNNN, sequential per hall and China-time day. The sequence row
    is locked, so two counters of one hall never draw the same number."""
    day = china_date(at)
    with transaction.atomic():
        sequence, _created = (
            ApplicationSequence.objects.select_for_update().get_or_create(hall=hall, day=day)
        )
        sequence.last += 1
        sequence.save(update_fields=["last"])
    return f"{hall.code}-{day:%Y%m%d}-{sequence.last:04d}"


# --- operations -------------------------------------------------------------------------


def _check_verification_record(data: IntakeData) -> None:
    if data.no_face_reason not in NoFaceReason.values:
        raise RuleViolation("no_face_reason_required", _("请选择无法刷脸认证的原因。"))
    if data.no_face_reason == NoFaceReason.OTHER and not data.no_face_reason_other.strip():
        raise RuleViolation("no_face_reason_required", _("选择“其他”时须说明无法刷脸认证的原因。"))
    missing = [label for seen, label in (
        (data.holder_id_seen, _("申请人身份证件")),
        (data.member_id_seen, _("被绑定人身份证件")),
        (data.proof_seen, _("亲属关系证明")),
    ) if not seen]
    if missing:
        raise RuleViolation("originals_not_seen",
                            _("须核验原件:%(missing)s。") % {"missing": "、".join(missing)},
                            missing=missing)
    if not data.proof_number.strip():
        raise RuleViolation("proof_number_required", _("请填写亲属关系证明编号。"))


def _intake_hall(actor):
    if actor is None or not actor.has_perm(SUBMIT_PERMISSION):
        raise RuleViolation("permission_denied", _("只有窗口经办员可以受理申请。"))
    if actor.hall_id is None:
        raise RuleViolation("no_hall", _("您的账号未设置所在网点,不能受理申请。"))
    return actor.hall


def application_submit(*, actor, data: IntakeData, scans: Sequence,
                       at: datetime.datetime | None = None) -> CounterApplication:
    """Take an offline application at the counter: the kinship proof, its scans, the
    pending binding and the numbered application, all in one transaction. Scans are
    checked before anything is written; files written before a failure are deleted."""
    at = at or timezone.now()
    hall = _intake_hall(actor)
    operations = _operations(data.kind)
    _check_verification_record(data)
    if not scans:
        raise RuleViolation("scan_required", _("请上传亲属关系证明和证件的扫描件。"))
    if len(scans) > MAX_SCANS:
        raise RuleViolation("scan_too_many", _("最多上传 %(limit)s 个扫描件。") % {
            "limit": MAX_SCANS}, limit=MAX_SCANS)
    valid = [scan_validate(upload) for upload in scans]
    why = (data.no_face_reason_other.strip() if data.no_face_reason == NoFaceReason.OTHER
           else str(NoFaceReason(data.no_face_reason).label))
    reason = _("窗口受理,线下核验(无法刷脸:%(why)s)") % {"why": why[:100]}
    written: list[str] = []
    try:
        with transaction.atomic():
            target = operations.submit(actor=actor, hall=hall, data=data, scans=valid, at=at,
                                       written=written, reason=reason)
            application = CounterApplication(
                number=next_application_number(hall, at),
                kind=data.kind,
                hall=hall,
                no_face_reason=data.no_face_reason,
                no_face_reason_other=data.no_face_reason_other.strip()[:200],
                holder_id_seen=data.holder_id_seen,
                member_id_seen=data.member_id_seen,
                proof_seen=data.proof_seen,
                commitment_signed=data.commitment_signed,
                submitted_at=at,
                submitted_by=actor,
                **{operations.target_field: target},
            )
            save_audited(application, actor=actor, reason=reason, action="application_submit")
    except BaseException:
        delete_files(written)
        raise
    return application


def _lock_application(application: CounterApplication) -> CounterApplication:
    return (
        CounterApplication.objects.select_for_update(of=("self",))
        .select_related("hall", "binding", "copay")
        .get(pk=application.pk)
    )


def _require_pending(application: CounterApplication) -> None:
    if application.status != ApplicationStatus.PENDING:
        raise RuleViolation(
            "invalid_state",
            _("该申请当前状态为“%(status)s”,不能进行此操作。")
            % {"status": application.get_status_display()},
            status=application.status,
        )


def application_approve(*, actor, application: CounterApplication,
                        reason: str = "") -> CounterApplication:
    """A supervisor other than the submitter approves; the target's rules (limits,
    status, proof) are checked again now and a failure refuses the approval."""
    reason = (reason or "").strip()[:200] or _("线下核验材料审核通过")
    with transaction.atomic():
        application = _lock_application(application)
        _require_pending(application)
        require_reviewer(actor, application.submitted_by_id)
        operations = _operations(application.kind)
        operations.approve(actor=actor, target=application_target(application), reason=reason)
        return _decide(application, actor=actor, reason=reason,
                       status=ApplicationStatus.APPROVED, action="application_approve")


def application_reject(*, actor, application: CounterApplication,
                       reason: str) -> CounterApplication:
    """A supervisor other than the submitter rejects; the slot is freed."""
    reason = require_reason(reason)
    with transaction.atomic():
        application = _lock_application(application)
        _require_pending(application)
        require_reviewer(actor, application.submitted_by_id)
        operations = _operations(application.kind)
        operations.reject(actor=actor, target=application_target(application), reason=reason)
        return _decide(application, actor=actor, reason=reason,
                       status=ApplicationStatus.REJECTED, action="application_reject")


def _decide(application, *, actor, reason: str, status: str, action: str):
    application.status = status
    application.reviewed_at = timezone.now()
    application.reviewed_by = actor
    application.review_reason = reason
    save_audited(application, actor=actor, reason=reason, action=action)
    return application


def application_withdraw(*, actor, application: CounterApplication,
                         reason: str) -> CounterApplication:
    """The citizen changed his mind before review."""
    reason = require_reason(reason)
    if actor is None or not actor.has_perm(SUBMIT_PERMISSION):
        raise RuleViolation("permission_denied", _("只有窗口工作人员可以撤回申请。"))
    return _end(application, actor=actor, reason=reason, status=ApplicationStatus.WITHDRAWN,
                action="application_withdraw", operation="withdraw")


def application_expire(*, actor, application: CounterApplication,
                       reason: str) -> CounterApplication:
    """The application waited longer than the region's application_expiry_days."""
    reason = require_reason(reason)
    return _end(application, actor=actor, reason=reason, status=ApplicationStatus.EXPIRED,
                action="application_expire", operation="expire")


def _end(application, *, actor, reason: str, status: str, action: str, operation: str):
    with transaction.atomic():
        application = _lock_application(application)
        _require_pending(application)
        operations = _operations(application.kind)
        getattr(operations, operation)(actor=actor, target=application_target(application),
                                       reason=reason)
        application.status = status
        save_audited(application, actor=actor, reason=reason, action=action)
        return application

