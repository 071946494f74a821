"""What the audit log needs from settlements (registered at start-up, see
audit.registry): the action codes of its operations, what each model's events concern,
and the append-only ledger tables.

Subject lookups run on the history tables; region is the insured region of the person
concerned (the account holder / the patient), which supervisors' scope filters on.
Ledger entries have no history table: the ledger is its own append-only record, guarded
by the same trigger as the history tables (audit/triggers.py)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from audit import registry
from audit.registry import AuditSubject


class SettlementsAuditAction(models.TextChoices):
    ACCOUNT_OPENED = "account_opened", _("个人账户开户")
    SETTLEMENT_POSTED = "settlement_posted", _("结算")
    SETTLEMENT_FINALIZED = "settlement_finalized", _("结算完成")
    SETTLEMENT_REVERSED = "settlement_reversed", _("冲正")
    LEDGER_ALLOCATION = "ledger_allocation", _("个人账户划入")
    LEDGER_COPAY_DEBIT = "ledger_copay_debit", _("共济支付")
    LEDGER_OWN_DEBIT = "ledger_own_debit", _("本人支付")
    LEDGER_REVERSAL = "ledger_reversal", _("冲正退回")
    LEDGER_ADJUSTMENT = "ledger_adjustment", _("账户调整")


AUDIT_SUBJECTS: dict[str, AuditSubject] = {
    "settlements.PersonalAccount": AuditSubject(
        person="person_id", region="person__insured_region_id"
    ),
    "settlements.Settlement": AuditSubject(
        person="beneficiary_id", region="beneficiary__insured_region_id"
    ),
}

registry.register(
    subjects=AUDIT_SUBJECTS,
    actions=SettlementsAuditAction,
    append_only=["settlements.LedgerEntry", "settlements.SettlementLine"],
)
