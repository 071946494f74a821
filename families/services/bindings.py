"""亲情账户 binding operations. Each is one transaction: lock the persons the rules
count (primary-key order), re-read, check with families.rules, then write with history."""

import datetime
from dataclasses import replace

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.errors import RuleViolation, raise_failure, require_reason
from audit.services import save_audited
from families import selectors
from families.chinatime import add_months, china_date
from families.choices import BindingStatus
from families.lifecycle import EndCause, waiting_period_applies
from families.models import Binding, KinshipProof, Person
from families.rules import OFFLINE_CONSENT, BindingFacts, Check, binding_checks
from families.services import links
from families.services.evidence import ChannelEvidence
from families.services.identity import PersonRef, identity_checks, resolve_and_lock

REVIEW_PERMISSION = "families.review_counterapplication"
HOLDER = gettext_noop("绑定人")
MEMBER = gettext_noop("被绑定人")


def _facts(
    *, holder: Person, member: Person, relationship: str, consent_method: str,
    proof: KinshipProof | None, commitment_signed: bool, at: datetime.datetime,
    exclude_id: int | None = None, policy_at: datetime.datetime | None = None,
) -> BindingFacts:
    """Facts as of `at` (the application: its day, its natural month); the policy is the
    one in force on `policy_at`'s day (approval: now), by default `at`'s."""
    day = china_date(at)
    policy_day = china_date(policy_at) if policy_at is not None else day
    regions = [holder.insured_region, member.insured_region]
    if member.birth_region_id:
        regions.append(member.birth_region)
    policies = selectors.policies_in_force(regions, policy_day)
    return BindingFacts(
        holder=selectors.party_facts(holder),
        member=selectors.party_facts(member),
        relationship=relationship,
        consent_method=consent_method,
        today=day,
        holder_policy=selectors.binding_policy(policies[holder.insured_region_id]),
        member_policy=_member_policy(member, policies),
        proof=selectors.proof_facts(proof),
        commitment_signed=commitment_signed,
        **selectors.binding_counts(holder, member, at, exclude_id=exclude_id),
    )


def _member_policy(member: Person, policies: dict):
    """Limits protecting the member follow his insured region; the birth-registry
    exemption follows the region where his birth was registered."""
    policy = selectors.binding_policy(policies[member.insured_region_id])
    if member.birth_region_id and member.birth_region_id != member.insured_region_id:
        birth = selectors.binding_policy(policies[member.birth_region_id])
        policy = replace(
            policy,
            birth_exemption_enabled=birth.birth_exemption_enabled,
            birth_exemption_cutoff=birth.birth_exemption_cutoff,
            birth_exemption_region_code=birth.birth_exemption_region_code,
        )
    return policy


def binding_eligibility(
    *, holder: PersonRef, member: PersonRef, relationship: str, consent_method: str,
    proof: KinshipProof | None = None, commitment_signed: bool = False,
    at: datetime.datetime | None = None,
) -> list[Check]:
    """The eligibility pre-check: every rule with passed/failed and its figures, exactly
    the checks `binding_apply` enforces (without taking locks)."""
    (holder_check, holder_person), (member_check, member_person) = identity_checks(
        (holder, _(HOLDER)), (member, _(MEMBER)))
    checks = [holder_check, member_check]
    if not (holder_check.passed and member_check.passed):
        return checks  # nothing more is shown about persons not positively identified
    return checks + binding_checks(_facts(
        holder=holder_person, member=member_person, relationship=relationship,
        consent_method=consent_method, proof=proof, commitment_signed=commitment_signed,
        at=at or timezone.now(),
    ))


def binding_review_checks(binding: Binding, *, now: datetime.datetime | None = None
                          ) -> list[Check]:
    """Exactly what `binding_approve` will check now for a pending binding (the binding
    itself excluded from the counts), shown on the review page: the persons as they are
    now, the policy in force today, the monthly count of the application's month."""
    return binding_checks(_facts(
        holder=binding.holder, member=binding.member, relationship=binding.relationship,
        consent_method=binding.consent_method, proof=binding.proof,
        commitment_signed=binding.commitment_signed, at=binding.applied_at,
        exclude_id=binding.pk, policy_at=now or timezone.now(),
    ))


def binding_apply(
    *, actor, holder: PersonRef, member: PersonRef, relationship: str, channel: str,
    consent_method: str, reason: str, proof: KinshipProof | None = None,
    commitment_signed: bool = False, applied_at: datetime.datetime | None = None,
    evidence: ChannelEvidence | None = None,
) -> Binding:
    """Apply for a binding. Face verification and the birth-registry exemption make it
    active at once; offline consent (counter, guardian) leaves it pending for review.
    Pending applications hold their slot in every limit."""
    applied_at = applied_at or timezone.now()
    with transaction.atomic():
        holder_person, member_person = resolve_and_lock((holder, _(HOLDER)), (member, _(MEMBER)))
        raise_failure(binding_checks(_facts(
            holder=holder_person, member=member_person, relationship=relationship,
            consent_method=consent_method, proof=proof, commitment_signed=commitment_signed,
            at=applied_at,
        )))
        offline = consent_method in OFFLINE_CONSENT
        binding = Binding(
            holder=holder_person,
            member=member_person,
            relationship=relationship,
            channel=channel,
            consent_method=consent_method,
            proof=proof,
            commitment_signed=commitment_signed,
            status=BindingStatus.PENDING if offline else BindingStatus.ACTIVE,
            applied_at=applied_at,
            applied_by=actor,
            decided_at=None if offline else applied_at,
            **(evidence.fields() if evidence else {}),
        )
        save_audited(binding, actor=actor, reason=reason, action="binding_apply")
        return binding


def require_reviewer(actor, submitted_by_id: int | None) -> None:
    """Four-eyes: only a supervisor, and never the one who took the application."""
    if actor is None or not actor.has_perm(REVIEW_PERMISSION):
        raise RuleViolation("permission_denied", _("只有审核员可以审核线下核验申请。"))
    if submitted_by_id is not None and actor.pk == submitted_by_id:
        raise RuleViolation(
            "same_reviewer", _("受理人不能审核自己受理的申请,须由另一名审核员审核。")
        )


def binding_approve(*, actor, binding: Binding, reason: str) -> Binding:
    """Approve a pending offline binding. The rules are checked again with the policy in
    force now (a limit lowered while the application waited applies); the monthly count
    stays in the month the application took its slot."""
    return links.approve(binding, actor=actor, reason=reason,
                         review_checks=binding_review_checks, require_reviewer=require_reviewer)


def binding_reject(*, actor, binding: Binding, reason: str) -> Binding:
    """Reject a pending application; it then no longer counts toward any limit."""
    return links.reject(binding, actor=actor, reason=reason, require_reviewer=require_reviewer)


def binding_withdraw(*, actor, binding: Binding, reason: str) -> Binding:
    """The citizen changed his mind before review."""
    return links.end_pending(binding, actor=actor, reason=reason,
                             cause=EndCause.WITHDRAWAL)


def binding_expire(*, actor, binding: Binding, reason: str) -> Binding:
    """A pending application waited longer than the policy allows."""
    return links.end_pending(binding, actor=actor, reason=reason, cause=EndCause.EXPIRY)


def binding_unbind(
    *, actor, binding: Binding, reason: str, administrative: bool = False
) -> Binding:
    """Either side may unbind an active binding; nothing is deleted. Regions may forbid
    undoing a binding within N months of making it, unless the unbind is administrative
    (death, insurance terminated: families.lifecycle.waiting_period_applies)."""
    reason = require_reason(reason)
    cause = EndCause.DATA_CLEANUP if administrative else EndCause.UNBIND
    with transaction.atomic():
        binding = links.lock_link(binding)
        links.require_status(binding, BindingStatus.ACTIVE)
        if waiting_period_applies(cause):
            _check_unbind_not_too_early(binding, timezone.now())
        return links.end_locked(binding, actor=actor, reason=reason, cause=cause)


def _check_unbind_not_too_early(binding: Binding, now: datetime.datetime) -> None:
    today = china_date(now)
    policy = selectors.policy_in_force(binding.holder.insured_region_id, today)
    months = policy.min_months_before_unbind
    if not months:
        return
    made_on = china_date(binding.decided_at or binding.applied_at)
    allowed_from = add_months(made_on, months)
    if today < allowed_from:
        raise RuleViolation(
            "unbind_too_early",
            _("本统筹区规定绑定满 %(months)s 个月后方可解绑,最早可于 %(date)s 解绑。")
            % {"months": months, "date": allowed_from.isoformat()},
            months=months, allowed_from=allowed_from,
        )


