"""Settlement rule 5: a reversal credits exactly the accounts the settlement debited,
once; pending inpatient settlements are finalized on discharge."""

import pytest

from accounts.errors import RuleViolation
from settlements.models import LedgerEntry, LedgerKind, SettlementStatus
from settlements.selectors import has_pending_settlements, ledger_mismatches
from settlements.services import settlement_finalize, settlement_reverse
from tests import factories
from tests.factories import yuan

pytestmark = pytest.mark.django_db


@pytest.fixture
def family():
    child = factories.person("张子轩")
    mother, father = factories.person("王芳"), factories.person("张伟")
    factories.account(child, "40.10")
    factories.account(mother, 500)
    factories.account(father, 800)
    mother_copay = factories.active_copay(mother, child, reserve=100)
    father_copay = factories.active_copay(father, child, reserve="799.99")
    return child, mother, father, mother_copay, father_copay


def balances(*people):
    return [p.personal_account.__class__.objects.get(person=p).balance for p in people]


def test_reversal_restores_every_balance_exactly(post, operator, family):
    child, mother, father, *_ = family
    before = balances(child, mother, father)
    settlement = post(child, "1000.00")
    assert balances(child, mother, father) == [yuan(0), yuan(100), yuan("799.99")]

    reversed_ = settlement_reverse(actor=operator, settlement=settlement, reason="退费")

    assert reversed_.status == SettlementStatus.REVERSED
    assert balances(child, mother, father) == before
    credits = LedgerEntry.objects.filter(settlement=settlement, kind=LedgerKind.REVERSAL)
    assert sorted(credits.values_list("amount", flat=True)) == [
        yuan("0.01"), yuan("40.10"), yuan(400)
    ]
    for entry in credits:
        assert entry.account_id == entry.line.account_id
        assert entry.amount == entry.line.amount
    assert ledger_mismatches() == []


def test_a_settlement_reverses_only_once(post, operator, family):
    child, *_ = family
    settlement = post(child, 10)
    settlement_reverse(actor=operator, settlement=settlement, reason="退费")
    with pytest.raises(RuleViolation) as err:
        settlement_reverse(actor=operator, settlement=settlement, reason="再次退费")
    assert err.value.rule_code == "already_reversed"
    assert LedgerEntry.objects.filter(kind=LedgerKind.REVERSAL).count() == 1


def test_reversal_records_who_and_why(post, operator, family):
    child, *_ = family
    settlement = settlement_reverse(actor=operator, settlement=post(child, 10), reason="重复收费")
    assert settlement.reversed_by == operator and settlement.reverse_reason == "重复收费"
    record = settlement.history.latest()
    assert record.history_user == operator and record.history_change_reason == "重复收费"


def test_all_cash_settlement_reverses_without_ledger_entries(post, operator):
    settlement = post(factories.person(insurance_type="resident"), 10)
    settlement_reverse(actor=operator, settlement=settlement, reason="退费")
    assert LedgerEntry.objects.filter(settlement=settlement).count() == 0


def test_reversal_credits_back_even_after_the_authorizer_was_suspended(post, operator, family):
    child, mother, *_ = family
    settlement = post(child, 100)
    mother.insurance_status = "suspended"
    factories.save_audited(mother, actor=None, reason="测试", action="changed")
    settlement_reverse(actor=operator, settlement=settlement, reason="退费")
    assert balances(mother) == [yuan(500)]


def test_pending_inpatient_settlement_is_finalized_on_discharge(post, operator, family):
    child, *_ = family
    settlement = post(child, 100, category="inpatient", pending=True)
    assert settlement.status == SettlementStatus.PENDING and settlement.settled_at is None
    done = settlement_finalize(actor=operator, settlement=settlement, reason="出院结算")
    assert done.status == SettlementStatus.SETTLED and done.settled_at is not None


def test_settled_settlement_cannot_be_finalized_again(post, operator, family):
    child, *_ = family
    settlement = post(child, 100)
    with pytest.raises(RuleViolation) as err:
        settlement_finalize(actor=operator, settlement=settlement, reason="出院结算")
    assert err.value.rule_code == "invalid_state"


def test_reversed_settlement_cannot_be_finalized(post, operator, family):
    child, *_ = family
    settlement = post(child, 100, category="inpatient", pending=True)
    settlement_reverse(actor=operator, settlement=settlement, reason="取消入院")
    with pytest.raises(RuleViolation) as err:
        settlement_finalize(actor=operator, settlement=settlement, reason="出院结算")
    assert err.value.rule_code == "invalid_state"


def test_pending_settlement_paid_from_an_authorization_blocks_it_until_finalized(
    post, operator, family
):
    child, _mother, _father, mother_copay, father_copay = family
    settlement = post(child, 100, category="inpatient", pending=True)
    assert has_pending_settlements(mother_copay) is True
    assert has_pending_settlements(father_copay) is False  # not reached: 40.10 + 400 > 100
    settlement_finalize(actor=operator, settlement=settlement, reason="出院结算")
    assert has_pending_settlements(mother_copay) is False


def test_pending_settlement_no_longer_blocks_after_reversal(post, operator, family):
    child, _mother, _father, mother_copay, _ = family
    settlement = post(child, 100, category="inpatient", pending=True)
    settlement_reverse(actor=operator, settlement=settlement, reason="取消入院")
    assert has_pending_settlements(mother_copay) is False


def test_skipped_authorization_is_not_blocked_by_a_pending_settlement(post, operator):
    beneficiary = factories.person(insurance_type="resident")
    parent = factories.person()
    factories.account(parent, 100)
    copay = factories.active_copay(parent, beneficiary, reserve=100)
    post(beneficiary, 50, category="inpatient", pending=True)
    assert has_pending_settlements(copay) is False


def test_revocation_is_blocked_by_a_pending_settlement_and_allowed_after_finalize(
    post, operator, family
):
    from families.services import copay_revoke

    child, _mother, _father, mother_copay, _ = family
    settlement = post(child, 100, category="inpatient", pending=True)
    with pytest.raises(RuleViolation) as err:
        copay_revoke(actor=operator, authorization=mother_copay, reason="本人申请撤销")
    assert err.value.rule_code == "pending_settlements"
    settlement_finalize(actor=operator, settlement=settlement, reason="出院结算")
    revoked = copay_revoke(actor=operator, authorization=mother_copay, reason="本人申请撤销")
    assert revoked.status == "revoked"


def test_revoked_authorization_pays_nothing_afterwards(post, operator, family):
    from families.services import copay_revoke

    child, mother, *_ = family
    copay_revoke(actor=operator, authorization=family[3], reason="本人申请撤销")
    settlement = post(child, 100)
    assert not settlement.lines.filter(account__person=mother).exists()
