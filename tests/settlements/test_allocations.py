"""Monthly allocations (划入): one credit per person and period."""

import pytest

from accounts.errors import RuleViolation
from settlements.models import LedgerEntry, LedgerKind, PersonalAccount
from settlements.selectors import ledger_mismatches
from settlements.services import account_adjust, allocation_post
from tests import factories
from tests.factories import yuan

pytestmark = pytest.mark.django_db


def allocate(operator, person, period="202405", amount="312.50"):
    return allocation_post(
        actor=operator, person=person, period=period, amount=amount, reason="月度划入"
    )


def test_allocation_opens_the_account_and_credits_it(operator):
    person = factories.person()
    entry = allocate(operator, person)
    account = PersonalAccount.objects.get(person=person)
    assert account.balance == yuan("312.50")
    assert (entry.kind, entry.amount, entry.balance_after, entry.period) == (
        LedgerKind.ALLOCATION, yuan("312.50"), yuan("312.50"), "202405"
    )
    assert entry.created_by == operator
    assert account.history.latest().history_user == operator


def test_second_allocation_for_the_same_period_returns_the_first_and_credits_nothing(operator):
    person = factories.person()
    first = allocate(operator, person)
    again = allocate(operator, person)
    assert again.pk == first.pk
    assert PersonalAccount.objects.get(person=person).balance == yuan("312.50")
    assert LedgerEntry.objects.count() == 1


def test_allocation_for_the_next_period_is_credited(operator):
    person = factories.person()
    allocate(operator, person, "202412")
    allocate(operator, person, "202501")
    assert PersonalAccount.objects.get(person=person).balance == yuan(625)
    assert ledger_mismatches() == []


def test_repeat_allocation_with_a_different_amount_is_refused(operator):
    person = factories.person()
    allocate(operator, person, amount="100.00")
    with pytest.raises(RuleViolation) as err:
        allocate(operator, person, amount="100.01")
    assert err.value.rule_code == "allocation_conflict"


@pytest.mark.parametrize("period", ["202400", "202413", "2024-01", "24001", "", "189912"])
def test_invalid_period_is_refused(operator, period):
    with pytest.raises(RuleViolation) as err:
        allocate(operator, factories.person(), period=period)
    assert err.value.rule_code == "invalid_period"


@pytest.mark.parametrize("period", ["202401", "202412", "190001", "209912"])
def test_valid_period_boundaries_are_accepted(operator, period):
    assert allocate(operator, factories.person(), period=period).period == period


@pytest.mark.parametrize("amount", ["0", "-5", "1.001"])
def test_invalid_allocation_amount_is_refused(operator, amount):
    with pytest.raises(RuleViolation) as err:
        allocate(operator, factories.person(), amount=amount)
    assert err.value.rule_code == "invalid_amount"


def test_resident_insured_person_has_no_personal_account(operator):
    with pytest.raises(RuleViolation) as err:
        allocate(operator, factories.person(insurance_type="resident"))
    assert err.value.rule_code == "not_employee_insured"
    assert PersonalAccount.objects.count() == 0


def test_adjustment_may_not_take_the_balance_below_zero(operator):
    person = factories.person()
    allocate(operator, person, amount="10.00")
    account = PersonalAccount.objects.get(person=person)
    with pytest.raises(RuleViolation) as err:
        account_adjust(actor=operator, account=account, amount="-10.01", reason="更正")
    assert err.value.rule_code == "insufficient_balance"
    entry = account_adjust(actor=operator, account=account, amount="-10.00", reason="更正")
    assert entry.balance_after == yuan(0) and entry.kind == LedgerKind.ADJUSTMENT
    assert ledger_mismatches() == []
