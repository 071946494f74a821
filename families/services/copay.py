"""家庭共济 co-pay authorization operations. Same pattern as bindings: lock the persons in
primary-key order, re-read, check with families.copay_rules, write with history."""

import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.errors import RuleViolation, raise_failure, require_reason
from audit.services import save_audited
from families import selectors
from families.chinatime import add_months, china_date
from families.choices import CoPayStatus, InsuranceStatus
from families.copay_rules import MAX_RESERVE, CoPayFacts, copay_checks
from families.lifecycle import EndCause, pending_settlement_blocks, waiting_period_applies
from families.models import CoPayAuthorization, KinshipProof, Person
from families.rules import OFFLINE_CONSENT, Check
from families.services import links
from families.services.bindings import require_reviewer
from families.services.evidence import ChannelEvidence
from families.services.identity import PersonRef, identity_checks, resolve_and_lock
from families.settlement_facts import settlement_facts

AUTHORIZER = gettext_noop("授权人")
BENEFICIARY = gettext_noop("共济人")


def _facts(*, authorizer: Person, beneficiary: Person, relationship: str, consent_method: str,
           reserve: Decimal, proof: KinshipProof | None, commitment_signed: bool,
           at: datetime.datetime, exclude_id: int | None = None) -> CoPayFacts:
    day = china_date(at)
    policies = selectors.policies_in_force(
        [authorizer.insured_region, beneficiary.insured_region], day)
    live = selectors.live_copays(authorizer=authorizer)
    pair = selectors.live_copays(authorizer=authorizer, beneficiary=beneficiary)
    if exclude_id is not None:
        live, pair = live.exclude(pk=exclude_id), pair.exclude(pk=exclude_id)
    return CoPayFacts(
        authorizer=selectors.party_facts(authorizer),
        beneficiary=selectors.party_facts(beneficiary),
        relationship=relationship,
        consent_method=consent_method,
        authorizer_policy=selectors.copay_policy(policies[authorizer.insured_region_id]),
        beneficiary_policy=selectors.copay_policy(policies[beneficiary.insured_region_id]),
        live_count=live.count(),
        pair_live_exists=pair.exists(),
        authorizer_balance=selectors.personal_account_balance(authorizer),
        reserve=reserve,
        proof=selectors.proof_facts(proof),
        commitment_signed=commitment_signed,
    )


def copay_eligibility(
    *, authorizer: PersonRef, beneficiary: PersonRef, relationship: str, consent_method: str,
    reserve: Decimal = Decimal("0.00"), proof: KinshipProof | None = None,
    commitment_signed: bool = False, at: datetime.datetime | None = None,
) -> list[Check]:
    """Every co-pay rule with figures: the counter pre-check, enforced by copay_apply."""
    (a_check, a_person), (b_check, b_person) = identity_checks(
        (authorizer, _(AUTHORIZER)), (beneficiary, _(BENEFICIARY)))
    checks = [a_check, b_check]
    if not (a_check.passed and b_check.passed):
        return checks
    return checks + copay_checks(_facts(
        authorizer=a_person, beneficiary=b_person, relationship=relationship,
        consent_method=consent_method, reserve=reserve, proof=proof,
        commitment_signed=commitment_signed, at=at or timezone.now(),
    ))


def copay_apply(
    *, actor, authorizer: PersonRef, beneficiary: PersonRef, relationship: str, channel: str,
    consent_method: str, reason: str, reserve: Decimal = Decimal("0.00"),
    proof: KinshipProof | None = None, commitment_signed: bool = False,
    applied_at: datetime.datetime | None = None, evidence: ChannelEvidence | None = None,
) -> CoPayAuthorization:
    """Face verification on a channel makes the authorization active at once; offline
    counter verification leaves it pending for a different supervisor."""
    applied_at = applied_at or timezone.now()
    reserve = Decimal(reserve)
    if abs(reserve) <= MAX_RESERVE:  # a larger one is refused by the invalid_reserve check
        reserve = reserve.quantize(Decimal("0.01"))
    with transaction.atomic():
        a, b = resolve_and_lock((authorizer, _(AUTHORIZER)), (beneficiary, _(BENEFICIARY)))
        raise_failure(copay_checks(_facts(
            authorizer=a, beneficiary=b, relationship=relationship,
            consent_method=consent_method, reserve=reserve, proof=proof,
            commitment_signed=commitment_signed, at=applied_at,
        )))
        offline = consent_method in OFFLINE_CONSENT
        authorization = CoPayAuthorization(
            authorizer=a, beneficiary=b, relationship=relationship, channel=channel,
            consent_method=consent_method, proof=proof, reserve=reserve,
            commitment_signed=commitment_signed,
            status=CoPayStatus.PENDING if offline else CoPayStatus.ACTIVE,
            applied_at=applied_at, applied_by=actor,
            decided_at=None if offline else applied_at,
            **(evidence.fields() if evidence else {}),
        )
        save_audited(authorization, actor=actor, reason=reason, action="copay_apply")
        return authorization


def copay_review_checks(authorization: CoPayAuthorization, *,
                        now: datetime.datetime | None = None) -> list[Check]:
    """Exactly what `copay_approve` will check now (the authorization itself excluded):
    the persons as they are now and the policy in force today."""
    return copay_checks(_facts(
        authorizer=authorization.authorizer, beneficiary=authorization.beneficiary,
        relationship=authorization.relationship, consent_method=authorization.consent_method,
        reserve=authorization.reserve, proof=authorization.proof,
        commitment_signed=authorization.commitment_signed, at=now or timezone.now(),
        exclude_id=authorization.pk,
    ))


def copay_approve(*, actor, authorization: CoPayAuthorization, reason: str) -> CoPayAuthorization:
    """A different supervisor approves; the rules in force now are checked again."""
    return links.approve(authorization, actor=actor, reason=reason,
                         review_checks=copay_review_checks, require_reviewer=require_reviewer)


def copay_reject(*, actor, authorization: CoPayAuthorization, reason: str) -> CoPayAuthorization:
    return links.reject(authorization, actor=actor, reason=reason,
                        require_reviewer=require_reviewer)


def copay_withdraw(*, actor, authorization: CoPayAuthorization,
                   reason: str) -> CoPayAuthorization:
    return links.end_pending(authorization, actor=actor, reason=reason,
                             cause=EndCause.WITHDRAWAL)


def copay_expire(*, actor, authorization: CoPayAuthorization,
                 reason: str) -> CoPayAuthorization:
    return links.end_pending(authorization, actor=actor, reason=reason, cause=EndCause.EXPIRY)


def copay_record_filing(*, actor, authorization: CoPayAuthorization, filing_number: str,
                        reason: str) -> CoPayAuthorization:
    """备案: in regions that require it, funds may be used only once a clerk records it."""
    filing_number = (filing_number or "").strip()
    if not filing_number:
        raise RuleViolation("filing_required", _("请填写备案编号。"))
    reason = require_reason(reason)
    with transaction.atomic():
        authorization = links.lock_link(authorization)
        links.require_status(authorization, CoPayStatus.ACTIVE, CoPayStatus.SUSPENDED)
        if authorization.filed_at is not None:
            raise RuleViolation("invalid_state", _("该共济授权已备案。"))
        authorization.filing_number = filing_number
        authorization.filed_at, authorization.filed_by = timezone.now(), actor
        save_audited(authorization, actor=actor, reason=reason, action="copay_filing")
        return authorization


def copay_revoke(*, actor, authorization: CoPayAuthorization, reason: str,
                 administrative: bool = False) -> CoPayAuthorization:
    """Revocation is blocked while a settlement paid from this authorization is pending
    (an unfinished inpatient stay), unless a party is registered dead (co-pay rule 9,
    families.lifecycle.pending_settlement_blocks). An administrative revocation skips the
    region's waiting period."""
    reason = require_reason(reason)
    cause = EndCause.DATA_CLEANUP if administrative else EndCause.UNBIND
    with transaction.atomic():
        authorization = links.lock_link(authorization)
        links.require_status(authorization, CoPayStatus.ACTIVE, CoPayStatus.SUSPENDED)
        if pending_settlement_blocks(
            has_pending_settlement=settlement_facts().has_pending_settlements(authorization),
            party_deceased=any(p.is_deceased for p in authorization.parties),
        ):
            raise RuleViolation(
                "pending_settlements",
                _("该共济授权尚有未结算的医疗费用(如住院未出院结算),结算完成后方可撤销。"),
            )
        if waiting_period_applies(cause):
            _check_revoke_not_too_early(authorization)
        return links.end_locked(authorization, actor=actor, reason=reason, cause=cause)


def _check_revoke_not_too_early(authorization: CoPayAuthorization) -> None:
    today = china_date()
    policy = selectors.policy_in_force(authorization.authorizer.insured_region_id, today)
    months = policy.copay_min_months_before_revoke
    if not months:
        return
    allowed_from = add_months(china_date(authorization.decided_at or authorization.applied_at),
                              months)
    if today < allowed_from:
        raise RuleViolation(
            "revoke_too_early",
            _("本统筹区规定授权满 %(months)s 个月后方可撤销,最早可于 %(date)s 撤销。")
            % {"months": months, "date": allowed_from.isoformat()},
            months=months, allowed_from=allowed_from,
        )


def copay_sync_status(*, actor, person: Person, reason: str) -> int:
    """Co-pay stops while either side's insurance is not normal and resumes when both are
    normal again (active ↔ suspended). Returns how many authorizations changed."""
    reason = require_reason(reason)
    changed = 0
    with transaction.atomic():
        for authorization in (
            CoPayAuthorization.objects.select_for_update(of=("self",))
            .select_related("authorizer", "beneficiary")
            .filter(Q(authorizer=person) | Q(beneficiary=person),
                    status__in=[CoPayStatus.ACTIVE, CoPayStatus.SUSPENDED])
            .order_by("pk")
        ):
            both_normal = all(
                p.insurance_status == InsuranceStatus.NORMAL and not p.is_deceased
                for p in (authorization.authorizer, authorization.beneficiary)
            )
            target = CoPayStatus.ACTIVE if both_normal else CoPayStatus.SUSPENDED
            if authorization.status == target:
                continue
            authorization.status = target
            authorization.suspended_reason = "" if both_normal else reason
            action = "copay_resume" if both_normal else "copay_suspend"
            save_audited(authorization, actor=actor, reason=reason, action=action)
            changed += 1
    return changed
