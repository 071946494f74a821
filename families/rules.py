"""Pure binding rules (DOMAIN.md "Binding rules"): plain values in, check results out.

The counter's eligibility pre-check and the services call the same functions, so what the
clerk sees is exactly what is enforced. No database access here: selectors gather the
facts (counts under lock), services raise the first failed check as a RuleViolation.
"""

import datetime
from dataclasses import dataclass

from django.utils.translation import gettext as _

from accounts.errors import Check, first_failure  # noqa: F401 (the one rule-result type)
from families.chinatime import age_on
from families.choices import (
    ACCEPTED_PROOFS,
    INVERSE_RELATIONSHIP,
    Channel,
    ConsentMethod,
    InsuranceStatus,
    NoFaceReason,
    ProofType,
    Relationship,
)

# Relationships in which the holder is the member's parent or grandparent (guardian).
GUARDIAN_RELATIONSHIPS = {Relationship.CHILD, Relationship.GRANDCHILD}
# Consent methods that replace biometric consent and need a supervisor's approval.
OFFLINE_CONSENT = {ConsentMethod.COUNTER, ConsentMethod.GUARDIAN}


@dataclass(frozen=True)
class PartyFacts:
    person_id: int
    name: str
    birth_date: datetime.date
    insurance_status: str
    insurance_type: str
    deceased: bool
    region_code: str
    birth_region_code: str | None = None
    evoucher_activated: bool = True


@dataclass(frozen=True)
class ProofFacts:
    proof_type: str
    person_a_id: int
    person_b_id: int
    relationship: str  # person_b is person_a's <relationship>
    revoked: bool


@dataclass(frozen=True)
class BindingPolicy:
    holder_limit: int = 5
    member_limit: int = 6
    monthly_limit: int = 6
    binding_relationships: tuple[str, ...] = tuple(r.value for r in Relationship)
    face_verification_age: int = 16
    birth_exemption_enabled: bool = False
    birth_exemption_cutoff: datetime.date | None = None
    birth_exemption_region_code: str | None = None


@dataclass(frozen=True)
class BindingFacts:
    holder: PartyFacts
    member: PartyFacts
    relationship: str
    consent_method: str
    today: datetime.date
    holder_policy: BindingPolicy
    member_policy: BindingPolicy
    holder_live_count: int  # pending + active bindings as holder (excluding this one)
    member_live_count: int  # pending + active bindings as member (excluding this one)
    member_month_count: int  # applied this natural month, pending/active/unbound
    pair_live_exists: bool
    proof: ProofFacts | None = None
    # (channel, count) of the member's live bindings, largest first (all channels).
    member_live_by_channel: tuple[tuple[str, int], ...] = ()
    commitment_signed: bool = False


def _party_checks(role: str, party: PartyFacts, must_be_normal: bool) -> list[Check]:
    checks = [
        Check(
            "deceased",
            not party.deceased,
            _("%(role)s已登记死亡,不能办理。") % {"role": role}
            if party.deceased
            else _("%(role)s未登记死亡。") % {"role": role},
        )
    ]
    if must_be_normal:
        normal = party.insurance_status == InsuranceStatus.NORMAL
        checks.append(
            Check(
                "insurance_not_normal",
                normal,
                _("%(role)s参保状态为“%(status)s”,须为“正常”。")
                % {"role": role, "status": InsuranceStatus(party.insurance_status).label},
                {"status": party.insurance_status},
            )
        )
    return checks


def _limit_check(code: str, count: int, limit: int, template: str) -> Check:
    return Check(
        code,
        count < limit,
        template % {"count": count, "limit": limit},
        {"count": count, "limit": limit},
    )


def _member_limit_check(facts: BindingFacts) -> Check:
    """Rule 2 counts every channel; the figures say how many came from which one:
    "全部渠道 6 人,其中微信 3、窗口 2、支付宝 1"."""
    count, limit = facts.member_live_count, facts.member_policy.member_limit
    if not facts.member_live_by_channel:
        return _limit_check("member_limit", count, limit,
                            _("被绑定人已被绑定(含待审核,全部渠道)%(count)s 人,上限 %(limit)s 人"))
    parts = "、".join(f"{Channel(channel).label} {n}" for channel, n in facts.member_live_by_channel)
    return Check(
        "member_limit", count < limit,
        _("被绑定人已被绑定(含待审核)全部渠道 %(count)s 人,其中%(parts)s,上限 %(limit)s 人")
        % {"count": count, "parts": parts, "limit": limit},
        {"count": count, "limit": limit, "by_channel": dict(facts.member_live_by_channel)},
    )


def exemption_applies(member: PartyFacts, relationship: str, policy: BindingPolicy) -> bool:
    """Birth-registry exemption: a child born in a region that enables it, on or after
    the cut-off, bound to a parent, needs no materials."""
    return (
        policy.birth_exemption_enabled
        and policy.birth_exemption_cutoff is not None
        and member.birth_region_code is not None
        and member.birth_region_code == policy.birth_exemption_region_code
        and member.birth_date >= policy.birth_exemption_cutoff
        and relationship == Relationship.CHILD
    )


def proof_matches(proof: ProofFacts, holder_id: int, member_id: int, relationship: str) -> bool:
    if proof.revoked or proof.proof_type not in ACCEPTED_PROOFS[Relationship(relationship)]:
        return False
    if (proof.person_a_id, proof.person_b_id) == (holder_id, member_id):
        return proof.relationship == relationship
    if (proof.person_a_id, proof.person_b_id) == (member_id, holder_id):
        return proof.relationship == INVERSE_RELATIONSHIP[Relationship(relationship)]
    return False


def verification_checks(facts: BindingFacts) -> list[Check]:
    """Rule 8 (consent) and rule 11 (commitment letter)."""
    member, method = facts.member, facts.consent_method
    age = age_on(member.birth_date, facts.today)
    adult_age = facts.member_policy.face_verification_age
    is_minor = age < adult_age
    figures = {"age": age, "adult_age": adult_age}
    checks: list[Check] = []

    if method == ConsentMethod.BIRTH_EXEMPTION:
        ok = exemption_applies(member, facts.relationship, facts.member_policy)
        checks.append(Check(
            "verification_required", ok,
            _("符合出生登记免材料绑定条件。") if ok else
            _("被绑定人不符合出生登记免材料绑定条件,须提供亲属关系证明。"),
            figures,
        ))
        return checks
    if is_minor:
        guardian = facts.relationship in GUARDIAN_RELATIONSHIPS
        ok = method == ConsentMethod.GUARDIAN and guardian
        if ok:
            message = _("被绑定人%(age)s周岁,未满%(adult_age)s周岁,由父母或(外)祖父母监护人办理。")
        elif not guardian:
            message = _("被绑定人%(age)s周岁,未满%(adult_age)s周岁,只能由父母或(外)祖父母作为监护人绑定。")
        else:
            message = _("被绑定人%(age)s周岁,未满%(adult_age)s周岁,须由监护人出示亲属关系证明办理,不能刷脸授权。")
        checks.append(Check("verification_required", ok, message % figures, figures))
    else:
        ok = method in (ConsentMethod.FACE, ConsentMethod.COUNTER)
        message = (
            _("被绑定人%(age)s周岁,已满%(adult_age)s周岁,须本人刷脸认证或窗口线下核验。")
            % figures
        )
        checks.append(Check("verification_required", ok, message, figures))

    if method in OFFLINE_CONSENT:
        if facts.proof is None:
            checks.append(Check("proof_required", False, _("线下办理须提供亲属关系证明。")))
        else:
            ok = proof_matches(facts.proof, facts.holder.person_id, member.person_id,
                               facts.relationship)
            accepted = "、".join(
                str(ProofType(t).label)
                for t in sorted(ACCEPTED_PROOFS[Relationship(facts.relationship)])
            )
            checks.append(Check(
                "proof_mismatch", ok,
                _("亲属关系证明与双方及所申请的关系相符。") if ok else
                _("亲属关系证明与双方或所申请的关系不符,或已作废;该关系可用:%(accepted)s。")
                % {"accepted": accepted},
            ))
        checks.append(Check(
            "commitment_required", facts.commitment_signed,
            _("申请人已签署承诺书。") if facts.commitment_signed else _("申请人须签署承诺书。"),
        ))
    return checks


def binding_checks(facts: BindingFacts) -> list[Check]:
    """Every binding rule, passed or failed, in the order a failure is reported."""
    holder, member = facts.holder, facts.member
    checks = [
        *_party_checks(_("绑定人"), holder, must_be_normal=False),
        *_party_checks(_("被绑定人"), member, must_be_normal=True),
        Check(
            "self_binding",
            holder.person_id != member.person_id,
            _("绑定人与被绑定人须为不同的人。"),
        ),
        Check(
            "relationship_not_allowed",
            facts.relationship in facts.holder_policy.binding_relationships,
            _("本统筹区%(verb)s“%(relationship)s”关系绑定亲情账户。")
            % {
                "verb": _("允许") if facts.relationship in facts.holder_policy.binding_relationships
                else _("不允许"),
                "relationship": Relationship(facts.relationship).label,
            },
        ),
        Check(
            "duplicate_binding",
            not facts.pair_live_exists,
            _("双方已有待审核或生效中的绑定。") if facts.pair_live_exists
            else _("双方没有待审核或生效中的绑定。"),
        ),
        _limit_check("holder_limit", facts.holder_live_count, facts.holder_policy.holder_limit,
                     _("绑定人已绑定(含待审核)%(count)s 人,上限 %(limit)s 人")),
        _member_limit_check(facts),
        _limit_check("monthly_limit", facts.member_month_count,
                     facts.member_policy.monthly_limit,
                     _("本月已新增被绑定 %(count)s 次,上限 %(limit)s 次")),
        *verification_checks(facts),
        evoucher_notice(facts.member),
    ]
    return checks


ADULT_AGE = 18


def no_face_reason_for_age(reason: str, age: int) -> str | None:
    """Why face verification is impossible must fit the member's age: 高龄 is never the
    reason for a minor, 未成年人 never for an adult. Returns the failure message."""
    if reason == NoFaceReason.ELDERLY and age < ADULT_AGE:
        return _("被绑定人/共济人 %(age)s 周岁,是未成年人,不能以“高龄”为无法刷脸的原因。") % {
            "age": age}
    if reason == NoFaceReason.MINOR and age >= ADULT_AGE:
        return _("被绑定人/共济人 %(age)s 周岁,已成年,不能以“未成年人”为无法刷脸的原因。") % {
            "age": age}
    return None


def suggested_no_face_reason(age: int) -> str | None:
    """The reason the intake form preselects: 未成年人 for a minor."""
    return NoFaceReason.MINOR if age < ADULT_AGE else None


def evoucher_notice(member: PartyFacts) -> Check:
    """Binding rule 9: a binding is usable only once the member's e-voucher is activated.
    Shown, never blocking (always passed): activation is recorded separately."""
    return Check(
        "evoucher_activation", True,
        _("被绑定人电子凭证已激活。") if member.evoucher_activated
        else _("被绑定人电子凭证未激活:可以受理,激活后绑定方可使用。"),
        {"activated": member.evoucher_activated},
    )

