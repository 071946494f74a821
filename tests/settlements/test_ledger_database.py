"""What the database itself holds: no negative balance, one allocation per period,
ledger rows never updated (nor deleted, on PostgreSQL)."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from settlements.models import LedgerEntry, LedgerKind, PersonalAccount, SettlementLine
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(operator):
    person = factories.person()
    factories.account(person, 100)
    return LedgerEntry.objects.get(account__person=person)


def test_database_refuses_a_negative_balance(entry):
    with pytest.raises(IntegrityError), transaction.atomic():
        PersonalAccount.objects.filter(pk=entry.account_id).update(balance=Decimal("-0.01"))


def test_database_refuses_a_second_allocation_for_the_same_period(entry, operator):
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(
            account_id=entry.account_id, kind=LedgerKind.ALLOCATION, amount=Decimal("1.00"),
            balance_after=Decimal("101.00"), period=entry.period, created_by=operator,
        )


def test_database_refuses_a_negative_balance_after(entry, operator):
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(
            account_id=entry.account_id, kind=LedgerKind.ADJUSTMENT, amount=Decimal("-200"),
            balance_after=Decimal("-100.00"), created_by=operator,
        )


def test_ledger_entry_cannot_be_updated(entry):
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.filter(pk=entry.pk).update(memo="改动")
    entry.refresh_from_db()
    assert entry.memo != "改动"


def test_settlement_line_cannot_be_updated(post):
    settlement = post(factories.person(insurance_type="resident"), 10)
    with pytest.raises(IntegrityError), transaction.atomic():
        SettlementLine.objects.filter(settlement=settlement).update(amount=Decimal("1"))


@pytest.mark.postgres
def test_ledger_entry_cannot_be_deleted_on_postgresql(entry):
    assert connection.vendor == "postgresql"
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.filter(pk=entry.pk).delete()
    assert LedgerEntry.objects.filter(pk=entry.pk).exists()
