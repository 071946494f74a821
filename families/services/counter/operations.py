"""The counter application's operations: submit, approve, reject, withdraw, expire.
Each locks the application first (the lock order of families.services), then calls the
target link's service, which locks the persons and the link."""

import datetime
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.errors import RuleViolation, require_reason
from audit.services import save_audited
from families.chinatime import age_on, china_date
from families.choices import ApplicationStatus, NoFaceReason
from families.models import ApplicationSequence, CounterApplication
from families.rules import no_face_reason_for_age
from families.selectors import find_person
from families.services.bindings import require_reviewer
from families.services.claims import end_claim, require_claim_free
from families.services.counter.kinds import IntakeData, application_target, operations_for
from families.services.scans import MAX_SCANS, delete_files, scan_validate

SUBMIT_PERMISSION = "families.add_counterapplication"


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
    member = find_person(data.member.id_type, data.member.normalized_number)
    if member is not None:
        age = age_on(member.birth_date, china_date())
        mismatch = no_face_reason_for_age(data.no_face_reason, age)
        if mismatch:
            raise RuleViolation("no_face_reason_age_mismatch", mismatch, age=age,
                                reason=data.no_face_reason)


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
    operations = operations_for(data.kind)
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
        require_claim_free(actor, application)
        operations = operations_for(application.kind)
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
        require_claim_free(actor, application)
        operations = operations_for(application.kind)
        operations.reject(actor=actor, target=application_target(application), reason=reason)
        return _decide(application, actor=actor, reason=reason,
                       status=ApplicationStatus.REJECTED, action="application_reject")


def _decide(application, *, actor, reason: str, status: str, action: str):
    application.status = status
    application.reviewed_at = timezone.now()
    application.reviewed_by = actor
    application.review_reason = reason
    end_claim(application)
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
        operations = operations_for(application.kind)
        getattr(operations, operation)(actor=actor, target=application_target(application),
                                       reason=reason)
        application.status = status
        end_claim(application)
        save_audited(application, actor=actor, reason=reason, action=action)
        return application
