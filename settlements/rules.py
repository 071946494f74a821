"""Pure settlement rules: plain values in, a refusal or a skip reason out. No I/O.

The services and the `post_allocations` validation call the same functions, so a row
the command accepts is a row the service accepts.

Rule codes raised by settlements (RuleViolation):
  category_not_allowed    use outside outpatient/inpatient/pharmacy/resident premium (rule 2)
  pending_only_inpatient  pending=True for a category other than inpatient
  invalid_amount          not a number, more than two decimals, zero or negative, or
                          more than numeric(12,2) holds (money.MAX_AMOUNT)
  reference_required      settlement without the institution's reference
  reference_conflict      a reference posted again with a different beneficiary, amount,
                          category or institution (the same claim again returns the first)
  invalid_period          allocation period not YYYYMM
  allocation_conflict     a period already credited with a different amount
  not_employee_insured    account/allocation for a person without employee insurance
  insufficient_balance    an adjustment that would take a balance below zero
  already_reversed        a settlement reversed a second time (rule 5)
  invalid_state           finalize of a settlement that is not pending
  reason_required         a change without a reason
  person_not_found / person_ambiguous / id_number_required   allocation file rows
Skip codes on settlement lines (amount 0, `skip_code` + Chinese `skip_reason`):
  beneficiary_deceased, beneficiary_not_normal (stop own account and all co-pay),
  authorizer_deceased, authorizer_not_normal, authorizer_no_account, filing_required,
  reserve_reached, balance_empty (rule 7, co-pay rules 6-7).
"""

import re
from decimal import Decimal

from django.utils.translation import gettext as _

from accounts.errors import Check, refusal
from families.choices import InsuranceStatus, InsuranceType
from settlements.models import SettlementCategory

_PERIOD = re.compile(r"^(19|20)\d{2}(0[1-9]|1[0-2])$")


def check_period(period: str) -> Check | None:
    if not _PERIOD.match(period or ""):
        return refusal(
            "invalid_period",
            _("所属期“%(period)s”无效,应为六位年月,例如 202401。") % {"period": period},
            {"period": period},
        )
    return None


def check_category(category: str) -> Check | None:
    """Personal-account money pays only outpatient, inpatient, designated-pharmacy costs
    and the resident-insurance premium; cosmetics, supplements, non-designated
    institutions are refused (DOMAIN.md settlement rule 2)."""
    if category not in SettlementCategory.values:
        allowed = "、".join(str(label) for label in SettlementCategory.labels)
        return refusal(
            "category_not_allowed",
            _("费用类别“%(category)s”不能使用个人账户支付,仅限:%(allowed)s。")
            % {"category": category, "allowed": allowed},
            {"category": category},
        )
    return None


def check_pending(category: str, pending: bool) -> Check | None:
    if pending and category != SettlementCategory.INPATIENT:
        return refusal(
            "pending_only_inpatient",
            _("只有住院费用可以先挂账待结算(出院后完成结算)。"),
            {"category": category},
        )
    return None


def check_account_holder(insurance_type: str) -> Check | None:
    if insurance_type != InsuranceType.EMPLOYEE:
        return refusal(
            "not_employee_insured",
            _("只有职工医保参保人有个人账户。"),
            {"insurance_type": insurance_type},
        )
    return None


def beneficiary_skip(*, insurance_status: str, deceased: bool) -> Check | None:
    """A beneficiary who died or whose insurance is not normal pays from no personal
    account, his own or an authorizer's (DOMAIN.md settlement rule 7)."""
    if deceased:
        return refusal("beneficiary_deceased", _("就医人已身故,个人账户不能支付。"))
    if insurance_status != InsuranceStatus.NORMAL:
        return refusal(
            "beneficiary_not_normal",
            _("就医人参保状态为“%(status)s”,个人账户不能支付。")
            % {"status": InsuranceStatus(insurance_status).label},
            {"status": insurance_status},
        )
    return None


def authorizer_skip(
    *,
    insurance_status: str,
    deceased: bool,
    has_account: bool,
    filing_required: bool,
    filed: bool,
    balance: Decimal,
    reserve: Decimal,
) -> Check | None:
    """Why one co-pay source pays nothing, or None when it can pay (balance - reserve)."""
    if deceased:
        return refusal("authorizer_deceased", _("授权人已身故,家庭共济已停止。"))
    if insurance_status != InsuranceStatus.NORMAL:
        return refusal(
            "authorizer_not_normal",
            _("授权人参保状态为“%(status)s”,家庭共济已停止。")
            % {"status": InsuranceStatus(insurance_status).label},
            {"status": insurance_status},
        )
    if not has_account:
        return refusal("authorizer_no_account", _("授权人没有个人账户。"))
    if filing_required and not filed:
        return refusal("filing_required", _("授权人所在统筹区要求先备案,该授权尚未备案。"))
    if balance <= reserve:
        return refusal(
            "reserve_reached",
            _("授权人个人账户余额 %(balance)s 元,未超过预留金额 %(reserve)s 元。")
            % {"balance": balance, "reserve": reserve},
            {"balance": balance, "reserve": reserve},
        )
    return None


def own_account_skip(*, balance: Decimal) -> Check | None:
    if balance <= 0:
        return refusal("balance_empty", _("本人个人账户余额为0元。"), {"balance": balance})
    return None
