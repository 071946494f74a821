"""Property: any sequence of allocations, settlements, finalizations and reversals keeps
the ledger invariants — no negative balance; per account, last balance_after == balance
== sum of entries; every settlement's lines add up to its amount; money is conserved."""

from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.errors import RuleViolation
from settlements.models import (
    LedgerEntry,
    LedgerKind,
    PersonalAccount,
    Settlement,
    SettlementLine,
)
from settlements.selectors import ledger_mismatches
from settlements.services import (
    allocation_post,
    settlement_finalize,
    settlement_post,
    settlement_reverse,
)
from tests import factories

pytestmark = pytest.mark.django_db

cents = st.integers(min_value=1, max_value=60_000).map(lambda c: Decimal(c) / 100)

operations = st.lists(
    st.one_of(
        st.tuples(st.just("allocate"), st.integers(0, 2), st.integers(1, 6), cents),
        st.tuples(st.just("settle"), st.integers(0, 3), cents, st.booleans(),
                  st.sampled_from(["outpatient", "inpatient", "pharmacy", "cosmetic"])),
        st.tuples(st.just("reverse"), st.integers(0, 20)),
        st.tuples(st.just("finalize"), st.integers(0, 20)),
    ),
    min_size=1,
    max_size=15,
)


def _sum(qs) -> Decimal:
    return qs.aggregate(s=Sum("amount"))["s"] or Decimal("0.00")


def check_invariants():
    assert ledger_mismatches() == []
    assert not PersonalAccount.objects.filter(balance__lt=0).exists()
    for settlement in Settlement.objects.prefetch_related("lines"):
        assert sum((line.amount for line in settlement.lines.all()), Decimal(0)) == (
            settlement.amount
        )
    allocated = _sum(LedgerEntry.objects.filter(kind=LedgerKind.ALLOCATION))
    still_paid = _sum(
        SettlementLine.objects.exclude(settlement__status="reversed").filter(
            account__isnull=False
        )
    )
    total = PersonalAccount.objects.aggregate(s=Sum("balance"))["s"] or Decimal(0)
    assert total == allocated - still_paid


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=operations, reserve=st.integers(0, 300), suspended=st.booleans())
def test_any_sequence_keeps_the_ledger_invariants(ops, reserve, suspended):
    with transaction.atomic():
        operator = factories.ledger_operator()
        people = [factories.person(), factories.person(),
                  factories.person(status="suspended" if suspended else "normal"),
                  factories.person(insurance_type="resident")]
        for p in people[:3]:
            factories.account(p, 0, actor=operator)
        factories.active_copay(people[1], people[0], reserve=reserve)
        factories.active_copay(people[0], people[3], reserve=reserve)
        factories.active_copay(people[2], people[3])
        settlements = []
        for n, op in enumerate(ops):
            try:
                if op[0] == "allocate":
                    _, who, month, amount = op
                    allocation_post(actor=operator, person=people[who], period=f"2024{month:02d}",
                                    amount=amount, reason="划入")
                elif op[0] == "settle":
                    _, who, amount, pending, category = op
                    settlements.append(settlement_post(
                        actor=operator, beneficiary=people[who], institution_name="医院",
                        institution_code="H1", category=category, amount=amount,
                        reference=f"P-{n}", reason="结算", pending=pending,
                    ))
                elif settlements:
                    target = settlements[op[1] % len(settlements)]
                    service = settlement_reverse if op[0] == "reverse" else settlement_finalize
                    service(actor=operator, settlement=target, reason="处理")
            except RuleViolation as exc:
                assert exc.rule_code in {
                    "allocation_conflict", "category_not_allowed", "pending_only_inpatient",
                    "already_reversed", "invalid_state",
                }
            check_invariants()
        transaction.set_rollback(True)
