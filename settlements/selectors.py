"""Reads for settlements (select_related decided here, once)."""

import datetime
from decimal import Decimal

from django.db.models import QuerySet, Sum

from accounts.chinatime import china_midnight  # noqa: F401 (used by callers)
from families.models import CoPayAuthorization
from settlements.models import (
    LedgerEntry,
    LedgerKind,
    PersonalAccount,
    SettlementLine,
    SettlementStatus,
)


def has_pending_settlements(authorization: CoPayAuthorization) -> bool:
    """True while a pending settlement (an unfinished inpatient stay) has a line paid
    from this authorization. `copay_revoke` refuses revocation then (DOMAIN.md co-pay
    rule 9); it must lock the authorization row before asking, as `settlement_post`
    locks it before paying from it."""
    return SettlementLine.objects.filter(
        authorization_id=authorization.pk,
        amount__gt=0,
        settlement__status=SettlementStatus.PENDING,
    ).exists()


def pending_settlement_lines() -> QuerySet:
    """Lines of pending settlements that paid something (families.settlement_facts)."""
    return SettlementLine.objects.filter(
        amount__gt=0, settlement__status=SettlementStatus.PENDING
    )


def personal_account_balance(person) -> Decimal | None:
    """The person's personal-account balance, or None without an account."""
    return PersonalAccount.objects.filter(person=person).values_list("balance", flat=True).first()


def allocation_for(account_id: int | None, period: str) -> LedgerEntry | None:
    if account_id is None:
        return None
    return LedgerEntry.objects.filter(
        account_id=account_id, kind=LedgerKind.ALLOCATION, period=period
    ).first()


def statement_entries(
    account: PersonalAccount,
    *,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> QuerySet[LedgerEntry]:
    """An account's ledger, oldest first, with what the statement shows of each entry
    (settlement, who was treated, which authorization paid). Dates are China dates,
    both ends inclusive."""
    qs = LedgerEntry.objects.filter(account=account)
    if date_from:
        qs = qs.filter(created_at__gte=china_midnight(date_from))
    if date_to:
        qs = qs.filter(created_at__lt=china_midnight(date_to + datetime.timedelta(days=1)))
    return qs.select_related(
        "settlement__beneficiary", "line__authorization", "created_by"
    ).order_by("created_at", "id")


CENT = Decimal("0.01")


def ledger_mismatches() -> list[dict]:
    """Accounts breaking the ledger invariants: balance == sum of entries == the last
    entry's balance_after (0 with no entries), never negative. Empty when all is well."""
    sums = dict(
        LedgerEntry.objects.values_list("account_id").annotate(total=Sum("amount"))
    )
    bad = []
    for account in PersonalAccount.objects.order_by("pk"):
        last = account.entries.order_by("-id").values_list("balance_after", flat=True).first()
        # SQLite sums numeric columns as floats (0.760000000000001): back to cents, the
        # columns' own scale, before comparing. PostgreSQL's numeric sum is already exact.
        total = (sums.get(account.pk) or Decimal("0.00")).quantize(CENT)
        last = Decimal("0.00") if last is None else last
        if not (account.balance == total == last) or account.balance < 0:
            bad.append(
                {"account": account.pk, "balance": account.balance, "sum": total, "last": last}
            )
    return bad
