"""Real threads against PostgreSQL row locks: many claims on one authorizer whose
balance covers only some of them."""

from decimal import Decimal

import pytest

from settlements.models import LedgerEntry, LineKind, PersonalAccount, Settlement, SettlementLine
from settlements.selectors import ledger_mismatches
from settlements.services import allocation_post, settlement_post, settlement_reverse
from tests import factories
from tests.concurrency import race
from tests.factories import yuan

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 50


def _run_in_threads(work, count):
    outcomes = race([lambda i=i: work(i) for i in range(count)])
    errors = [o for o in outcomes if isinstance(o, Exception)]
    return [None if isinstance(o, Exception) else o for o in outcomes], errors


def test_fifty_concurrent_claims_never_overdraw_the_authorizer():
    operator = factories.ledger_operator()
    authorizer = factories.person("张建国")
    factories.account(authorizer, 1050)  # covers 10 claims of 100 down to the reserve
    beneficiaries = [factories.person(insurance_type="resident") for _ in range(5)]
    for b in beneficiaries:
        factories.active_copay(authorizer, b, reserve=50)

    def claim(i):
        j = i - 1 if i % 10 == 9 else i  # every tenth claim re-posts the previous one
        return settlement_post(
            actor=operator, beneficiary=beneficiaries[j % 5], institution_name="协和医院",
            institution_code="H001", category="outpatient", amount=Decimal("100.00"),
            reference=f"C-{j}", reason="并发结算",
        ).pk

    results, errors = _run_in_threads(claim, THREADS)

    assert errors == []
    assert len(set(results)) == Settlement.objects.count() == 45
    account = PersonalAccount.objects.get(person=authorizer)
    assert account.balance == yuan(50)
    copay_paid = sum(
        SettlementLine.objects.filter(kind=LineKind.COPAY).values_list("amount", flat=True),
        Decimal("0"),
    )
    cash_paid = sum(
        SettlementLine.objects.filter(kind=LineKind.CASH).values_list("amount", flat=True),
        Decimal("0"),
    )
    assert copay_paid == yuan(1000) and cash_paid == yuan(3500)
    assert not LedgerEntry.objects.filter(balance_after__lt=0).exists()
    assert ledger_mismatches() == []


def test_concurrent_reversals_allocations_and_claims_keep_the_ledger_consistent():
    operator = factories.ledger_operator()
    authorizer = factories.person()
    factories.account(authorizer, 500)
    beneficiary = factories.person()
    factories.account(beneficiary, 100)
    factories.active_copay(authorizer, beneficiary)
    first = [
        settlement_post(actor=operator, beneficiary=beneficiary, institution_name="医院",
                        institution_code="H1", category="pharmacy", amount=Decimal("60"),
                        reference=f"R-{i}", reason="结算")
        for i in range(5)
    ]

    def work(i):
        if i < 5:
            return settlement_reverse(actor=operator, settlement=first[i], reason="退费").pk
        if i < 10:
            return settlement_reverse(actor=operator, settlement=first[i - 5], reason="重复退费").pk
        if i < 20:
            return allocation_post(actor=operator, person=authorizer, period=f"2025{i - 9:02d}",
                                   amount=Decimal("10"), reason="划入").pk
        return settlement_post(actor=operator, beneficiary=beneficiary, institution_name="医院",
                               institution_code="H1", category="pharmacy",
                               amount=Decimal("45.55"), reference=f"N-{i}", reason="结算").pk

    _results, errors = _run_in_threads(work, 30)

    # Each settlement reversed exactly once; the second attempt is refused by the rule.
    assert len(errors) == 5
    assert {getattr(e, "rule_code", None) for e in errors} == {"already_reversed"}
    assert not LedgerEntry.objects.filter(balance_after__lt=0).exists()
    assert ledger_mismatches() == []
