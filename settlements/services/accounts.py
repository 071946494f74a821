"""Personal accounts: opening, monthly allocations, manual adjustments."""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.errors import RuleViolation, raise_failure, require_reason
from audit.services import save_audited
from families.idnumbers import mask_id_number, normalize_id_number
from families.models import Person
from settlements import rules
from settlements.models import LedgerEntry, LedgerKind, PersonalAccount
from settlements.money import to_money
from settlements.selectors import allocation_for
from settlements.services._ledger import append_entry, lock_accounts


def account_open(*, actor, person: Person, reason: str) -> PersonalAccount:
    """Open the person's personal account (employee insurance only); returns the
    existing account if there is one."""
    reason = require_reason(reason)
    with transaction.atomic():
        person = Person.objects.get(pk=person.pk)
        raise_failure(rules.check_account_holder(person.insurance_type))
        existing = PersonalAccount.objects.filter(person=person).first()
        if existing is not None:
            return existing
        account = PersonalAccount(person=person)
        try:
            with transaction.atomic():
                save_audited(account, actor=actor, reason=reason, action="account_opened")
        except IntegrityError:
            # A concurrent writer opened it first (one account per person).
            return PersonalAccount.objects.get(person=person)
        return account


def allocation_post(*, actor, person: Person, period: str, amount, reason: str) -> LedgerEntry:
    """Monthly credit (划入) to the person's account, opening it if needed. Idempotent
    per person and period: a repeat returns the first entry and credits nothing; a
    repeat with a different amount is refused (`allocation_conflict`)."""
    reason = require_reason(reason)
    amount = to_money(amount)
    period = (period or "").strip()
    raise_failure(rules.check_period(period))
    with transaction.atomic():
        opened = account_open(actor=actor, person=person, reason=reason)
        (account,) = lock_accounts(account_ids=[opened.pk])
        existing = LedgerEntry.objects.filter(
            account=account, kind=LedgerKind.ALLOCATION, period=period
        ).first()
        if existing is not None:
            if existing.amount != amount:
                raise RuleViolation(
                    "allocation_conflict",
                    _("%(period)s 已划入 %(existing)s 元,与本次 %(amount)s 元不一致。")
                    % {"period": period, "existing": existing.amount, "amount": amount},
                    period=period, existing=existing.amount, amount=amount,
                )
            return existing
        return append_entry(
            account, actor=actor, reason=reason, kind=LedgerKind.ALLOCATION,
            amount=amount, period=period,
        )


def account_adjust(*, actor, account: PersonalAccount, amount, reason: str) -> LedgerEntry:
    """A signed manual correction (调整) with its reason; never below zero."""
    reason = require_reason(reason)
    if isinstance(amount, float | bool):
        raise TypeError("money must be Decimal, int or str, never float")
    try:
        amount = Decimal(str(amount).strip())
    except InvalidOperation:
        to_money(amount)  # raises invalid_amount with the message for a non-number
        raise
    magnitude = to_money(abs(amount))
    signed = magnitude if amount > 0 else -magnitude
    with transaction.atomic():
        (locked,) = lock_accounts(account_ids=[account.pk])
        return append_entry(
            locked, actor=actor, reason=reason, kind=LedgerKind.ADJUSTMENT, amount=signed
        )


@dataclass(frozen=True)
class AllocationRow:
    """One validated allocation: `already` when the same credit is already on the ledger
    (posting it again changes nothing)."""

    person: Person
    period: str
    amount: Decimal
    already: bool = False


def allocation_row_validate(*, id_number: str, period: str, amount: str) -> AllocationRow:
    """Check one allocation as `allocation_post` would, without writing: the person is
    registered and employee-insured, the period and amount are valid, and a credit
    already posted for that period has the same amount."""
    number = normalize_id_number(id_number)
    if not number:
        raise RuleViolation("id_number_required", _("缺少证件号码。"))
    found = list(Person.objects.filter(id_number=number)[:2])
    if not found:
        raise RuleViolation(
            "person_not_found",
            _("证件号码 %(number)s 未在参保登记中找到。") % {"number": mask_id_number(number)},
        )
    if len(found) > 1:
        raise RuleViolation(
            "person_ambiguous",
            _("证件号码 %(number)s 对应多名参保人(证件类型不同)。")
            % {"number": mask_id_number(number)},
        )
    person = found[0]
    raise_failure(rules.check_account_holder(person.insurance_type))
    period = (period or "").strip()
    raise_failure(rules.check_period(period))
    money = to_money(amount)
    account_id = PersonalAccount.objects.filter(person=person).values_list("pk", flat=True).first()
    existing = allocation_for(account_id, period)
    if existing is not None and existing.amount != money:
        raise RuleViolation(
            "allocation_conflict",
            _("%(period)s 已划入 %(existing)s 元,与本次 %(amount)s 元不一致。")
            % {"period": period, "existing": existing.amount, "amount": money},
            period=period, existing=existing.amount, amount=money,
        )
    return AllocationRow(person, period, money, already=existing is not None)
