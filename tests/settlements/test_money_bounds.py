"""Every amount entering a service fits the money columns (numeric(12,2)): one fen more is
the rule error `invalid_amount`, never a database error, and nothing is written."""

from decimal import Decimal
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import models

from accounts.errors import RuleViolation
from families.copay_rules import MAX_RESERVE
from settlements.models import LedgerEntry, PersonalAccount, Settlement
from settlements.money import MAX_AMOUNT
from settlements.services import account_adjust, allocation_post
from tests import factories

pytestmark = pytest.mark.django_db
ONE_FEN_OVER = MAX_AMOUNT + Decimal("0.01")


def code_of(call):
    with pytest.raises(RuleViolation) as exc:
        call()
    return exc.value.rule_code


def test_the_bound_is_what_every_money_column_holds():
    columns = [f for app in ("settlements", "families") for m in apps.get_app_config(app).get_models()
               for f in m._meta.get_fields() if isinstance(f, models.DecimalField)]
    assert columns
    for field in columns:
        assert Decimal(10) ** (field.max_digits - field.decimal_places) - Decimal("0.01") \
            == MAX_AMOUNT == MAX_RESERVE, field


def test_settlement_at_the_bound_is_posted_one_fen_over_is_invalid_amount(post):
    patient = factories.person()
    assert post(patient, MAX_AMOUNT).amount == MAX_AMOUNT
    assert code_of(lambda: post(patient, ONE_FEN_OVER)) == "invalid_amount"
    assert code_of(lambda: post(patient, "1e30")) == "invalid_amount"
    assert Settlement.objects.count() == 1


def test_allocation_one_fen_over_the_bound_writes_nothing(operator):
    person = factories.person()
    assert code_of(lambda: allocation_post(actor=operator, person=person, period="202405",
                                           amount=ONE_FEN_OVER, reason="划入")) == "invalid_amount"
    assert LedgerEntry.objects.count() == 0


def test_a_balance_that_would_pass_the_bound_is_invalid_amount_and_unchanged(operator):
    person = factories.person()
    allocation_post(actor=operator, person=person, period="202405", amount=MAX_AMOUNT,
                    reason="划入")
    assert code_of(lambda: allocation_post(actor=operator, person=person, period="202406",
                                           amount="0.01", reason="划入")) == "invalid_amount"
    account = PersonalAccount.objects.get(person=person)
    assert account.balance == MAX_AMOUNT and LedgerEntry.objects.count() == 1


def test_adjustment_beyond_the_bound_is_invalid_amount(operator):
    person = factories.person()
    account = factories.account(person, 100)
    for amount in (ONE_FEN_OVER, -ONE_FEN_OVER, "not-a-number"):
        assert code_of(lambda a=amount: account_adjust(actor=operator, account=account,
                                                       amount=a, reason="调整")) == "invalid_amount"
    assert PersonalAccount.objects.get(pk=account.pk).balance == Decimal("100.00")


def test_post_allocations_reports_a_too_large_row_with_its_line_number(operator, tmp_path):
    a, b = factories.person(), factories.person()
    path = tmp_path / "allocations.csv"
    path.write_text(f"id_number,period,amount\n{a.id_number},202405,100\n"
                    f"{b.id_number},202405,{ONE_FEN_OVER}\n", encoding="utf-8")
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("post_allocations", str(path), "--operator", operator.username,
                     stdout=StringIO(), stderr=err)
    assert err.getvalue().startswith("第 3 行") and "超过上限" in err.getvalue()
    assert LedgerEntry.objects.count() == 0


def test_post_allocations_refuses_rows_that_together_pass_the_bound_by_line(operator, tmp_path):
    a = factories.person()
    path = tmp_path / "allocations.csv"
    path.write_text(f"id_number,period,amount\n{a.id_number},202405,{MAX_AMOUNT}\n"
                    f"{a.id_number},202406,1\n", encoding="utf-8")
    with pytest.raises(CommandError) as exc:
        call_command("post_allocations", str(path), "--operator", operator.username,
                     stdout=StringIO(), stderr=StringIO())
    assert "第 3 行" in str(exc.value) and "超过上限" in str(exc.value)
    assert LedgerEntry.objects.count() == 0


def test_copay_reserve_over_the_bound_is_refused_before_the_database():
    from families.services import copay_apply

    parent, child = factories.person(), factories.person()
    factories.account(parent, 1000)
    assert code_of(lambda: copay_apply(
        actor=None, authorizer=factories.ref(parent), beneficiary=factories.ref(child),
        relationship="child", channel="wechat", consent_method="face", reason="共济授权申请",
        reserve=ONE_FEN_OVER, commitment_signed=True)) == "invalid_reserve"
