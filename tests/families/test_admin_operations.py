"""Admin operations for services that had no caller: a clerk records an e-voucher
activation (with a reason; shown on the person page and in the pre-check), a system
administrator adjusts a personal account (with a reason)."""

from decimal import Decimal

import pytest

from families.models import Person
from families.services import binding_eligibility
from settlements.models import LedgerEntry, PersonalAccount
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_clerk_records_an_evoucher_activation_with_a_reason(client):
    person = f.person(activated=False)
    client.force_login(f.clerk())
    data = {"action": "record_evoucher_activation", "_selected_action": [person.pk]}
    assert "办理原因" in client.post("/admin/families/person/", data).content.decode()
    client.post("/admin/families/person/", {**data, "confirm": "1", "reason": "线下核验本人后激活"})
    person = Person.objects.get(pk=person.pk)
    assert person.evoucher_activated_at is not None
    record = person.history.order_by("-history_id").first()
    assert record.history_change_reason == "线下核验本人后激活"
    assert record.history_user.username == "clerk"


def test_activation_without_a_reason_records_nothing(client):
    person = f.person(activated=False)
    client.force_login(f.clerk())
    client.post("/admin/families/person/", {
        "action": "record_evoucher_activation", "_selected_action": [person.pk],
        "confirm": "1", "reason": "  "})
    assert Person.objects.get(pk=person.pk).evoucher_activated_at is None


def test_the_pre_check_shows_an_inactive_evoucher_without_blocking():
    holder, member = f.person(), f.person(activated=False)
    checks = binding_eligibility(holder=f.ref(holder), member=f.ref(member),
                                 relationship="child", consent_method="face")
    notice = next(c for c in checks if c.code == "evoucher_activation")
    assert notice.passed and "未激活" in notice.message
    assert all(c.passed for c in checks)


def test_sysadmin_adjusts_an_account_with_a_reason(client):
    account = f.account(f.person(), 100)
    admin = f.sysadmin()
    client.force_login(admin)
    data = {"action": "adjust_balance", "_selected_action": [account.pk], "confirm": "1"}
    client.post("/admin/settlements/personalaccount/", {**data, "amount": "-30.50",
                                                         "reason": "重复划入冲正"})
    assert PersonalAccount.objects.get(pk=account.pk).balance == Decimal("69.50")
    entry = LedgerEntry.objects.filter(kind="adjustment").get()
    assert entry.created_by == admin and entry.memo == "重复划入冲正"
    client.post("/admin/settlements/personalaccount/", {**data, "amount": "-100",
                                                         "reason": "超额调减"})
    assert PersonalAccount.objects.get(pk=account.pk).balance == Decimal("69.50")


def test_a_clerk_cannot_adjust_an_account(client):
    account = f.account(f.person(), 100)
    client.force_login(f.supervisor())
    client.post("/admin/settlements/personalaccount/", {
        "action": "adjust_balance", "_selected_action": [account.pk], "confirm": "1",
        "amount": "10", "reason": "试图调整"})
    assert PersonalAccount.objects.get(pk=account.pk).balance == Decimal("100.00")
