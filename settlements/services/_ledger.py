"""Ledger primitives shared by the services: locking and appending an entry.
Call only inside `transaction.atomic()`."""

from collections.abc import Iterable
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.errors import RuleViolation
from audit.services import save_audited
from settlements.models import LedgerEntry, PersonalAccount
from settlements.money import MAX_AMOUNT, too_large


def lock_accounts(*, person_ids: Iterable[int] = (), account_ids: Iterable[int] = ()
                  ) -> list[PersonalAccount]:
    """Lock accounts in primary-key order (the one fixed order every writer uses, so two
    writers never wait on each other crosswise) and return them freshly read."""
    person_ids, account_ids = list(person_ids), list(account_ids)
    if not person_ids and not account_ids:
        return []
    qs = PersonalAccount.objects.select_for_update(no_key=True)
    if person_ids:
        qs = qs.filter(person_id__in=person_ids)
    if account_ids:
        qs = qs.filter(pk__in=account_ids)
    return list(qs.order_by("pk"))


def append_entry(
    account: PersonalAccount,
    *,
    actor,
    reason: str,
    kind: str,
    amount: Decimal,
    settlement=None,
    line=None,
    period: str = "",
) -> LedgerEntry:
    """Move `amount` (signed) on a locked, freshly read account: new balance, account
    history row, ledger entry with the balance after it. The check constraints refuse a
    negative balance even if a caller got this wrong."""
    new_balance = account.balance + amount
    if new_balance > MAX_AMOUNT:
        raise too_large(new_balance)
    if new_balance < 0:
        raise RuleViolation(
            "insufficient_balance",
            _("个人账户余额 %(balance)s 元,不足以支付 %(amount)s 元。")
            % {"balance": account.balance, "amount": -amount},
            balance=account.balance,
            amount=-amount,
        )
    now = timezone.now()
    account.balance = new_balance
    account.updated_at = now
    save_audited(
        account, actor=actor, reason=reason, action=f"ledger_{kind}",
        update_fields=["balance", "updated_at"],
    )
    return LedgerEntry.objects.create(
        account=account,
        kind=kind,
        amount=amount,
        balance_after=new_balance,
        settlement=settlement,
        line=line,
        period=period,
        memo=reason,
        created_at=now,
        created_by=actor,
    )
