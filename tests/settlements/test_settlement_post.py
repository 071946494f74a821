"""Settlement rules 2-4 and 7 (DOMAIN.md): who pays a claim, in which order, how much."""

import datetime

import pytest

from accounts.errors import RuleViolation
from settlements.models import LedgerEntry, LedgerKind, LineKind, Settlement, SettlementStatus
from settlements.selectors import ledger_mismatches
from tests import factories
from tests.factories import yuan

pytestmark = pytest.mark.django_db


def lines(settlement):
    return [
        (line.kind, line.amount, line.skip_code)
        for line in settlement.lines.order_by("position")
    ]


def balance(person):
    person.personal_account.refresh_from_db()
    return person.personal_account.balance


@pytest.fixture(autouse=True)
def _consistent_ledger_after_each_test():
    yield
    assert ledger_mismatches() == []


def test_beneficiary_own_account_pays_first(post):
    child = factories.person("张伟")
    parent = factories.person("张建国")
    factories.account(child, 300)
    factories.account(parent, 1000)
    factories.active_copay(parent, child)

    settlement = post(child, 200)

    assert lines(settlement) == [(LineKind.OWN, yuan(200), "")]
    assert balance(child) == yuan(100)
    assert balance(parent) == yuan(1000)
    assert settlement.status == SettlementStatus.SETTLED


def test_own_account_paying_exactly_the_claim_leaves_zero_and_no_cash_line(post):
    child = factories.person()
    factories.account(child, "123.45")
    settlement = post(child, "123.45")
    assert lines(settlement) == [(LineKind.OWN, yuan("123.45"), "")]
    assert balance(child) == yuan(0)


def test_authorizers_pay_in_approval_order_each_down_to_his_reserve_then_cash(post):
    beneficiary = factories.person("张子涵", insurance_type="resident")
    mother = factories.person("王芳")
    father = factories.person("张伟")
    factories.account(mother, 500)
    factories.account(father, 800)
    # Father's authorization was created first but approved later: mother pays first.
    factories.active_copay(
        father, beneficiary, reserve=300,
        decided_at=datetime.datetime(2024, 3, 1, tzinfo=datetime.UTC),
    )
    factories.active_copay(
        mother, beneficiary, reserve=200,
        decided_at=datetime.datetime(2024, 2, 1, tzinfo=datetime.UTC),
    )

    settlement = post(beneficiary, 1000)

    assert lines(settlement) == [
        (LineKind.COPAY, yuan(300), ""),  # mother: 500 down to her reserve 200
        (LineKind.COPAY, yuan(500), ""),  # father: 800 down to his reserve 300
        (LineKind.CASH, yuan(200), ""),
    ]
    assert balance(mother) == yuan(200)
    assert balance(father) == yuan(300)
    first, second, _cash = settlement.lines.order_by("position")
    assert first.account.person == mother and second.account.person == father


def test_own_account_then_authorizer_then_cash(post):
    child = factories.person()
    parent = factories.person()
    factories.account(child, 50)
    factories.account(parent, 100)
    factories.active_copay(parent, child)

    settlement = post(child, "180.50")

    assert lines(settlement) == [
        (LineKind.OWN, yuan(50), ""),
        (LineKind.COPAY, yuan(100), ""),
        (LineKind.CASH, yuan("30.50"), ""),
    ]
    kinds = list(
        LedgerEntry.objects.filter(settlement=settlement).values_list("kind", "amount")
    )
    assert sorted(kinds) == sorted(
        [(LedgerKind.OWN_DEBIT, yuan(-50)), (LedgerKind.COPAY_DEBIT, yuan(-100))]
    )


def test_authorizer_at_his_reserve_is_skipped_with_the_reason(post):
    beneficiary = factories.person(insurance_type="resident")
    parent = factories.person()
    factories.account(parent, 300)
    factories.active_copay(parent, beneficiary, reserve=300)

    settlement = post(beneficiary, 10)

    assert lines(settlement) == [
        (LineKind.COPAY, yuan(0), "reserve_reached"),
        (LineKind.CASH, yuan(10), ""),
    ]
    skipped = settlement.lines.get(position=1)
    assert "300.00" in skipped.skip_reason
    assert balance(parent) == yuan(300)


def test_authorizer_one_fen_above_his_reserve_pays_one_fen(post):
    beneficiary = factories.person(insurance_type="resident")
    parent = factories.person()
    factories.account(parent, "300.01")
    factories.active_copay(parent, beneficiary, reserve=300)

    settlement = post(beneficiary, 10)

    assert lines(settlement) == [
        (LineKind.COPAY, yuan("0.01"), ""),
        (LineKind.CASH, yuan("9.99"), ""),
    ]
    assert balance(parent) == yuan(300)


def test_claim_with_no_account_and_no_authorization_is_all_cash(post):
    beneficiary = factories.person(insurance_type="resident")
    settlement = post(beneficiary, "88.80")
    assert lines(settlement) == [(LineKind.CASH, yuan("88.80"), "")]


def test_empty_own_account_is_recorded_as_skipped(post):
    child = factories.person()
    factories.account(child, 0)
    settlement = post(child, 5)
    assert lines(settlement) == [
        (LineKind.OWN, yuan(0), "balance_empty"),
        (LineKind.CASH, yuan(5), ""),
    ]


def test_later_authorizers_are_not_listed_once_the_claim_is_covered(post):
    beneficiary = factories.person(insurance_type="resident")
    first, second = factories.person(), factories.person()
    factories.account(first, 100)
    factories.account(second, 100)
    factories.active_copay(first, beneficiary,
                           decided_at=datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC))
    factories.active_copay(second, beneficiary,
                           decided_at=datetime.datetime(2024, 2, 1, tzinfo=datetime.UTC))
    settlement = post(beneficiary, 100)
    assert lines(settlement) == [(LineKind.COPAY, yuan(100), "")]
    assert balance(second) == yuan(100)


@pytest.mark.parametrize(
    ("status", "death_date", "code"),
    [
        ("suspended", None, "authorizer_not_normal"),
        ("terminated", None, "authorizer_not_normal"),
        ("normal", datetime.date(2024, 5, 1), "authorizer_deceased"),
    ],
)
def test_authorizer_not_normal_or_deceased_is_skipped_with_the_reason(
    post, status, death_date, code
):
    beneficiary = factories.person(insurance_type="resident")
    parent = factories.person(status=status, death_date=death_date)
    factories.account(parent, 1000)
    factories.active_copay(parent, beneficiary)

    settlement = post(beneficiary, 100)

    assert lines(settlement) == [(LineKind.COPAY, yuan(0), code), (LineKind.CASH, yuan(100), "")]
    assert settlement.lines.get(position=1).skip_reason
    assert balance(parent) == yuan(1000)


def test_skipped_authorizer_does_not_stop_the_next_one(post):
    beneficiary = factories.person(insurance_type="resident")
    suspended = factories.person(status="suspended")
    normal = factories.person()
    factories.account(suspended, 1000)
    factories.account(normal, 1000)
    factories.active_copay(suspended, beneficiary,
                           decided_at=datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC))
    factories.active_copay(normal, beneficiary,
                           decided_at=datetime.datetime(2024, 2, 1, tzinfo=datetime.UTC))
    settlement = post(beneficiary, 100)
    assert lines(settlement) == [
        (LineKind.COPAY, yuan(0), "authorizer_not_normal"),
        (LineKind.COPAY, yuan(100), ""),
    ]


@pytest.mark.parametrize(
    ("status", "death_date", "code"),
    [
        ("suspended", None, "beneficiary_not_normal"),
        ("normal", datetime.date(2024, 5, 1), "beneficiary_deceased"),
    ],
)
def test_beneficiary_not_normal_or_deceased_pays_everything_in_cash(
    post, status, death_date, code
):
    beneficiary = factories.person()
    parent = factories.person()
    factories.account(beneficiary, 500)
    factories.account(parent, 500)
    factories.active_copay(parent, beneficiary)
    beneficiary.insurance_status, beneficiary.death_date = status, death_date
    factories.save_audited(beneficiary, actor=None, reason="测试", action="changed")

    settlement = post(beneficiary, 100)

    assert lines(settlement) == [
        (LineKind.OWN, yuan(0), code),
        (LineKind.COPAY, yuan(0), code),
        (LineKind.CASH, yuan(100), ""),
    ]
    assert balance(beneficiary) == yuan(500) and balance(parent) == yuan(500)


@pytest.mark.parametrize("status", ["pending", "suspended", "revoked", "rejected"])
def test_only_active_authorizations_pay(post, status):
    beneficiary = factories.person(insurance_type="resident")
    parent = factories.person()
    factories.account(parent, 1000)
    factories.active_copay(parent, beneficiary, status=status)
    settlement = post(beneficiary, 100)
    assert lines(settlement) == [(LineKind.CASH, yuan(100), "")]


def test_unfiled_authorization_is_skipped_where_the_region_requires_filing(post):
    factories.policy("110100", copay_filing_required=True)
    beneficiary = factories.person(insurance_type="resident")
    parent = factories.person()
    factories.account(parent, 1000)
    factories.active_copay(parent, beneficiary, filed=False)
    settlement = post(beneficiary, 100)
    assert lines(settlement) == [
        (LineKind.COPAY, yuan(0), "filing_required"),
        (LineKind.CASH, yuan(100), ""),
    ]


def test_filed_authorization_pays_where_the_region_requires_filing(post):
    factories.policy("110100", copay_filing_required=True)
    beneficiary = factories.person(insurance_type="resident")
    parent = factories.person()
    factories.account(parent, 1000)
    factories.active_copay(parent, beneficiary, filed=True)
    assert lines(post(beneficiary, 100)) == [(LineKind.COPAY, yuan(100), "")]


def test_filing_rule_effective_tomorrow_does_not_apply_today(post):
    from families.chinatime import china_date as china_today

    factories.policy("110100", effective_from=datetime.date(2020, 1, 1))
    factories.policy(
        "110100", effective_from=china_today() + datetime.timedelta(days=1),
        copay_filing_required=True,
    )
    beneficiary = factories.person(insurance_type="resident")
    parent = factories.person()
    factories.account(parent, 1000)
    factories.active_copay(parent, beneficiary, filed=False)
    assert lines(post(beneficiary, 100)) == [(LineKind.COPAY, yuan(100), "")]


def test_filing_rule_effective_today_applies(post):
    from families.chinatime import china_date as china_today

    factories.policy("110100", effective_from=china_today(), copay_filing_required=True)
    beneficiary = factories.person(insurance_type="resident")
    parent = factories.person()
    factories.account(parent, 1000)
    factories.active_copay(parent, beneficiary, filed=False)
    assert lines(post(beneficiary, 100))[0] == (LineKind.COPAY, yuan(0), "filing_required")


def test_same_reference_posted_twice_is_paid_once(post):
    child = factories.person()
    factories.account(child, 300)
    first = post(child, 100, reference="HIS-2024-0001")
    second = post(child, 100, reference="HIS-2024-0001")
    assert second.pk == first.pk
    assert Settlement.objects.count() == 1
    assert balance(child) == yuan(200)


def test_same_reference_with_a_different_amount_is_refused(post):
    child = factories.person()
    factories.account(child, 300)
    post(child, 100, reference="HIS-2024-0001")
    with pytest.raises(RuleViolation) as err:
        post(child, 101, reference="HIS-2024-0001")
    assert err.value.rule_code == "reference_conflict"
    assert balance(child) == yuan(200)


@pytest.mark.parametrize("category", ["cosmetic", "supplement", "non_designated", ""])
def test_category_outside_the_allowed_uses_is_refused(post, category):
    child = factories.person()
    factories.account(child, 300)
    with pytest.raises(RuleViolation) as err:
        post(child, 100, category=category)
    assert err.value.rule_code == "category_not_allowed"
    assert Settlement.objects.count() == 0 and balance(child) == yuan(300)


@pytest.mark.parametrize("category", ["outpatient", "inpatient", "pharmacy", "resident_premium"])
def test_every_allowed_category_is_paid(post, category):
    child = factories.person()
    factories.account(child, 300)
    assert post(child, 100, category=category).status == SettlementStatus.SETTLED


def test_only_inpatient_settlements_may_be_pending(post):
    child = factories.person()
    with pytest.raises(RuleViolation) as err:
        post(child, 100, category="outpatient", pending=True)
    assert err.value.rule_code == "pending_only_inpatient"
    assert post(child, 100, category="inpatient", pending=True).status == "pending"


@pytest.mark.parametrize(
    "amount", ["0", "0.00", "-1", "1.005", "abc", "NaN"]
)
def test_invalid_amounts_are_refused(post, amount):
    child = factories.person()
    with pytest.raises(RuleViolation) as err:
        post(child, amount)
    assert err.value.rule_code == "invalid_amount"


def test_float_amount_is_a_programming_error(post):
    with pytest.raises(TypeError):
        post(factories.person(), 1.1)


def test_smallest_amount_one_fen_is_paid(post):
    child = factories.person()
    factories.account(child, 1)
    assert lines(post(child, "0.01")) == [(LineKind.OWN, yuan("0.01"), "")]


def test_settlement_and_account_changes_are_in_history_with_the_actor(post, operator):
    child = factories.person()
    factories.account(child, 300)
    settlement = post(child, 100, reason="门诊结算")
    record = settlement.history.latest()
    assert record.history_user == operator
    assert record.history_change_reason == "门诊结算"
    account_record = child.personal_account.history.latest()
    assert account_record.balance == yuan(200)
    assert account_record.history_user == operator


def test_blank_reason_is_refused(post):
    with pytest.raises(RuleViolation) as err:
        post(factories.person(), 10, reason="  ")
    assert err.value.rule_code == "reason_required"
