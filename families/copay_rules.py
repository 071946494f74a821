"""Pure co-pay authorization rules (DOMAIN.md "Co-pay authorization rules").

Same shape as families.rules: facts in, every check with passed/failed and figures out.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from families.choices import (
    CORE_RELATIONSHIPS,
    NEAR_RELATIONSHIPS,
    ConsentMethod,
    CoPayScope,
    InsuranceStatus,
    InsuranceType,
    Relationship,
)
from families.rules import Check, PartyFacts, ProofFacts, proof_matches

SCOPES = {
    CoPayScope.CORE: {str(r) for r in CORE_RELATIONSHIPS},
    CoPayScope.NEAR: {str(r) for r in NEAR_RELATIONSHIPS},
}

# numeric(12,2), what CoPayAuthorization.reserve holds (as settlements.money.MAX_AMOUNT).
MAX_RESERVE = Decimal("9999999999.99")


@dataclass(frozen=True)
class CoPayPolicy:
    region_code: str
    scope: str = CoPayScope.CORE
    scope_effective_from: datetime.date | None = None
    cross_region_in_province: bool = False
    cross_province: bool = False
    beneficiary_limit: int = 5
    filing_required: bool = False
    min_balance: Decimal = Decimal("0.00")


@dataclass(frozen=True)
class CoPayFacts:
    authorizer: PartyFacts
    beneficiary: PartyFacts
    relationship: str
    consent_method: str
    authorizer_policy: CoPayPolicy
    beneficiary_policy: CoPayPolicy
    live_count: int  # authorizer's pending/active/suspended authorizations (excl. this one)
    pair_live_exists: bool
    authorizer_balance: Decimal | None  # None: no personal account
    reserve: Decimal
    proof: ProofFacts | None = None
    commitment_signed: bool = False


def _status_check(role: str, party: PartyFacts) -> list[Check]:
    normal = party.insurance_status == InsuranceStatus.NORMAL
    return [
        Check("deceased", not party.deceased,
              _("%(role)s已登记死亡,不能办理。") % {"role": role} if party.deceased
              else _("%(role)s未登记死亡。") % {"role": role}),
        Check("insurance_not_normal", normal,
              _("%(role)s参保状态为“%(status)s”,须为“正常”。")
              % {"role": role, "status": InsuranceStatus(party.insurance_status).label},
              {"status": party.insurance_status}),
    ]


def region_check(facts: CoPayFacts) -> Check:
    a, b = facts.authorizer, facts.beneficiary
    figures = {"authorizer_region": a.region_code, "beneficiary_region": b.region_code}
    if a.region_code == b.region_code:
        return Check("cross_region_not_allowed", True, _("双方在同一统筹区参保。"), figures)
    if a.region_code[:2] == b.region_code[:2]:
        ok = facts.authorizer_policy.cross_region_in_province
        message = (_("省内跨统筹区共济:授权人所在统筹区允许。") if ok
                   else _("双方不在同一统筹区,且授权人所在统筹区未开通省内跨统筹区共济。"))
        return Check("cross_region_not_allowed", ok, message, figures)
    ok = facts.authorizer_policy.cross_province and facts.beneficiary_policy.cross_province
    message = (_("跨省共济:双方统筹区均已加入。") if ok
               else _("双方跨省参保,须双方统筹区均已加入跨省共济。"))
    return Check("cross_region_not_allowed", ok, message, figures)


def copay_checks(facts: CoPayFacts) -> list[Check]:
    a, b, policy = facts.authorizer, facts.beneficiary, facts.authorizer_policy
    employee = a.insurance_type == InsuranceType.EMPLOYEE
    in_scope = facts.relationship in SCOPES[CoPayScope(policy.scope)]
    balance = facts.authorizer_balance
    checks = [
        Check("not_employee_insured", employee,
              _("授权人参加职工医保,有个人账户。") if employee
              else _("授权人须参加职工医保(居民医保没有个人账户)。")),
        *_status_check(_("授权人"), a),
        *_status_check(_("共济人"), b),
        Check("self_binding", a.person_id != b.person_id, _("授权人与共济人须为不同的人。")),
        Check("relationship_out_of_scope", in_scope,
              _("本统筹区共济范围为“%(scope)s”,%(verb)s“%(relationship)s”。")
              % {"scope": CoPayScope(policy.scope).label,
                 "verb": _("包含") if in_scope else _("不包含"),
                 "relationship": Relationship(facts.relationship).label},
              {"scope": policy.scope}),
        region_check(facts),
        Check("duplicate_authorization", not facts.pair_live_exists,
              _("双方已有待审核或生效中的共济授权。") if facts.pair_live_exists
              else _("双方没有待审核或生效中的共济授权。")),
        Check("beneficiary_limit", facts.live_count < policy.beneficiary_limit,
              _("授权人已授权(含待审核)%(count)s 人,上限 %(limit)s 人")
              % {"count": facts.live_count, "limit": policy.beneficiary_limit},
              {"count": facts.live_count, "limit": policy.beneficiary_limit}),
        Check("balance_below_minimum",
              balance is not None and balance >= policy.min_balance,
              _("授权人个人账户余额 %(balance)s 元,开通共济最低 %(minimum)s 元")
              % {"balance": balance if balance is not None else _("(无账户)"),
                 "minimum": policy.min_balance},
              {"balance": balance, "minimum": policy.min_balance}),
        Check("invalid_reserve", 0 <= facts.reserve <= MAX_RESERVE,
              _("预留金额不能为负数。") if facts.reserve < 0
              else _("预留金额超过上限 %(max)s 元。") % {"max": MAX_RESERVE}
              if facts.reserve > MAX_RESERVE else _("预留金额有效。"),
              {"reserve": facts.reserve, "max": MAX_RESERVE}),
    ]
    checks.extend(_consent_checks(facts))
    return checks


def _consent_checks(facts: CoPayFacts) -> list[Check]:
    method = facts.consent_method
    if method == ConsentMethod.FACE:
        return [Check("verification_required", True, _("授权人已在渠道完成刷脸认证。"))]
    if method != ConsentMethod.COUNTER:
        return [Check("verification_required", False,
                      _("共济授权须授权人刷脸认证或窗口线下核验。"))]
    checks = []
    if facts.proof is None:
        checks.append(Check("proof_required", False, _("线下办理须提供亲属关系证明。")))
    else:
        ok = proof_matches(facts.proof, facts.authorizer.person_id,
                           facts.beneficiary.person_id, facts.relationship)
        checks.append(Check("proof_mismatch", ok,
                            _("亲属关系证明与双方及所申请的关系相符。") if ok
                            else _("亲属关系证明与双方或所申请的关系不符,或已作废。")))
    checks.append(Check("commitment_required", facts.commitment_signed,
                        _("申请人已签署承诺书。") if facts.commitment_signed
                        else _("申请人须签署承诺书。")))
    return checks
