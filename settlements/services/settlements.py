"""Settlements: posting (who pays what), finalizing a pending stay, reversing."""

from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.errors import RuleViolation, raise_failure, require_reason
from audit.services import save_audited
from families.chinatime import china_date
from families.choices import CoPayStatus
from families.models import CoPayAuthorization, Person
from families.selectors import policy_in_force
from settlements import rules
from settlements.models import (
    LedgerKind,
    LineKind,
    Settlement,
    SettlementLine,
    SettlementStatus,
)
from settlements.money import ZERO, to_money
from settlements.services._ledger import append_entry, lock_accounts


@dataclass(frozen=True)
class _Claim:
    beneficiary_id: int
    institution_name: str
    institution_code: str
    category: str
    amount: Decimal
    reference: str


def _replay(existing: Settlement, claim: _Claim) -> Settlement:
    """The same claim posted again is paid once: return the first settlement. The same
    reference with different content is an institution error, never silently paid."""
    same = (
        existing.beneficiary_id == claim.beneficiary_id
        and existing.amount == claim.amount
        and existing.category == claim.category
        and existing.institution_code == claim.institution_code
    )
    if not same:
        raise RuleViolation(
            "reference_conflict",
            _("流水号 %(reference)s 已用于另一笔结算(金额 %(amount)s 元),内容不一致。")
            % {"reference": claim.reference, "amount": existing.amount},
            reference=claim.reference,
        )
    return existing


def _payment_order(auth: CoPayAuthorization) -> tuple:
    # In the order they were approved; ties (and a missing decision time) by id.
    return (auth.decided_at is None, auth.decided_at or auth.applied_at, auth.pk)


def settlement_post(
    *,
    actor,
    beneficiary: Person,
    institution_name: str,
    institution_code: str,
    category: str,
    amount,
    reference: str,
    reason: str,
    pending: bool = False,
) -> Settlement:
    """Pay a claim: the beneficiary's own account first, then his active co-pay
    authorizations in approval order (each authorizer down to his reserve), the rest in
    cash. A source that cannot pay is recorded as a zero line with the reason. Posting
    a reference again returns the first settlement.

    Locks, in this order: persons (beneficiary and authorizers), the authorizations,
    the accounts — each set by primary key — and reads everything again after locking.
    """
    reason = require_reason(reason)
    amount = to_money(amount)
    reference = (reference or "").strip()
    if not reference:
        raise RuleViolation("reference_required", _("请填写机构结算流水号。"))
    raise_failure(rules.check_category(category))
    raise_failure(rules.check_pending(category, pending))
    claim = _Claim(
        beneficiary.pk, institution_name.strip(), institution_code.strip(), category,
        amount, reference,
    )

    with transaction.atomic():
        existing = Settlement.objects.filter(reference=reference).first()
        if existing is not None:
            return _replay(existing, claim)

        authorizer_ids = set(
            CoPayAuthorization.objects.filter(
                beneficiary_id=beneficiary.pk, status=CoPayStatus.ACTIVE
            ).values_list("authorizer_id", flat=True)
        )
        persons = {
            p.pk: p
            for p in Person.objects.select_for_update(no_key=True)
            .filter(pk__in={beneficiary.pk, *authorizer_ids})
            .order_by("pk")
        }
        beneficiary = persons[beneficiary.pk]
        # Authorizations activated after the first read are not in the locked set and
        # wait for the next claim; revoked ones drop out here (re-read after the lock).
        authorizations = sorted(
            CoPayAuthorization.objects.select_for_update(no_key=True)
            .filter(
                beneficiary=beneficiary,
                status=CoPayStatus.ACTIVE,
                authorizer_id__in=authorizer_ids,
            )
            .order_by("pk"),
            key=_payment_order,
        )
        accounts = {
            a.person_id: a
            for a in lock_accounts(
                person_ids=[beneficiary.pk, *(a.authorizer_id for a in authorizations)]
            )
        }

        existing = Settlement.objects.filter(reference=reference).first()
        if existing is not None:
            return _replay(existing, claim)

        now = timezone.now()
        settlement = Settlement(
            beneficiary=beneficiary,
            institution_name=claim.institution_name,
            institution_code=claim.institution_code,
            category=category,
            amount=amount,
            reference=reference,
            status=SettlementStatus.PENDING if pending else SettlementStatus.SETTLED,
            created_at=now,
            created_by=actor,
            settled_at=None if pending else now,
        )
        try:
            with transaction.atomic():
                save_audited(settlement, actor=actor, reason=reason, action="settlement_posted")
        except IntegrityError:
            existing = Settlement.objects.filter(reference=reference).first()
            if existing is None:
                raise
            return _replay(existing, claim)

        _pay(settlement, beneficiary, authorizations, persons, accounts, actor, reason)
        return settlement


def _pay(settlement, beneficiary, authorizations, persons, accounts, actor, reason) -> None:
    remaining = settlement.amount
    position = 0

    def add_line(kind, *, amount=ZERO, account=None, authorization=None, skip=None):
        nonlocal position, remaining
        position += 1
        line = SettlementLine.objects.create(
            settlement=settlement,
            position=position,
            kind=kind,
            account=account,
            authorization=authorization,
            amount=amount,
            skip_code=skip.code if skip else "",
            skip_reason=skip.message[:200] if skip else "",
        )
        if amount and account is not None:
            ledger_kind = LedgerKind.OWN_DEBIT if kind == LineKind.OWN else LedgerKind.COPAY_DEBIT
            append_entry(
                account, actor=actor, reason=reason, kind=ledger_kind, amount=-amount,
                settlement=settlement, line=line,
            )
        remaining -= amount

    blocked = rules.beneficiary_skip(
        insurance_status=beneficiary.insurance_status, deceased=beneficiary.is_deceased
    )

    own = accounts.get(beneficiary.pk)
    if own is not None:
        skip = blocked or rules.own_account_skip(balance=own.balance)
        if skip:
            add_line(LineKind.OWN, account=own, skip=skip)
        else:
            add_line(LineKind.OWN, account=own, amount=min(own.balance, remaining))

    today = china_date()
    filing = {}
    for auth in authorizations:
        if remaining == 0:
            break
        authorizer = persons[auth.authorizer_id]
        account = accounts.get(authorizer.pk)
        region_id = authorizer.insured_region_id
        if region_id not in filing:
            filing[region_id] = policy_in_force(region_id, today).copay_filing_required
        skip = blocked or rules.authorizer_skip(
            insurance_status=authorizer.insurance_status,
            deceased=authorizer.is_deceased,
            has_account=account is not None,
            filing_required=filing[region_id],
            filed=auth.filed_at is not None,
            balance=account.balance if account else ZERO,
            reserve=auth.reserve,
        )
        if skip:
            add_line(LineKind.COPAY, account=account, authorization=auth, skip=skip)
        else:
            available = account.balance - auth.reserve
            add_line(
                LineKind.COPAY, account=account, authorization=auth,
                amount=min(available, remaining),
            )

    if remaining > 0:
        add_line(LineKind.CASH, amount=remaining)


def settlement_finalize(*, actor, settlement: Settlement, reason: str) -> Settlement:
    """A pending inpatient settlement becomes settled (discharge)."""
    reason = require_reason(reason)
    with transaction.atomic():
        locked = Settlement.objects.select_for_update(no_key=True).get(pk=settlement.pk)
        if locked.status != SettlementStatus.PENDING:
            raise RuleViolation(
                "invalid_state",
                _("结算 %(reference)s 当前状态为“%(status)s”,只有待结算的住院费用可以完成结算。")
                % {"reference": locked.reference, "status": locked.get_status_display()},
                status=locked.status,
            )
        locked.status = SettlementStatus.SETTLED
        locked.settled_at = timezone.now()
        save_audited(
            locked, actor=actor, reason=reason, action="settlement_finalized",
            update_fields=["status", "settled_at"],
        )
        return locked


def settlement_reverse(*, actor, settlement: Settlement, reason: str) -> Settlement:
    """Refund (冲正): credit exactly what each line debited back to the same account, with
    reversal ledger entries. A settlement reverses once."""
    reason = require_reason(reason)
    with transaction.atomic():
        locked = Settlement.objects.select_for_update(no_key=True).get(pk=settlement.pk)
        if locked.status == SettlementStatus.REVERSED:
            raise RuleViolation(
                "already_reversed",
                _("结算 %(reference)s 已于 %(when)s 冲正,不能重复冲正。")
                % {
                    "reference": locked.reference,
                    "when": timezone.localtime(locked.reversed_at).strftime("%Y-%m-%d %H:%M"),
                },
                reference=locked.reference,
            )
        if locked.status not in (SettlementStatus.PENDING, SettlementStatus.SETTLED):
            raise RuleViolation(
                "invalid_state", _("该结算当前状态不能冲正。"), status=locked.status
            )
        lines = list(
            locked.lines.filter(amount__gt=0, account__isnull=False).order_by("position")
        )
        accounts = {
            a.pk: a for a in lock_accounts(account_ids={line.account_id for line in lines})
        }
        for line in lines:
            append_entry(
                accounts[line.account_id], actor=actor, reason=reason,
                kind=LedgerKind.REVERSAL, amount=line.amount, settlement=locked, line=line,
            )
        locked.status = SettlementStatus.REVERSED
        locked.reversed_at = timezone.now()
        locked.reversed_by = actor
        locked.reverse_reason = reason
        save_audited(
            locked, actor=actor, reason=reason, action="settlement_reversed",
            update_fields=["status", "reversed_at", "reversed_by", "reverse_reason"],
        )
        return locked
