"""DOMAIN.md binding rules 1-3 and 5: limits per holder, per member, per natural month."""

import datetime

import pytest

from accounts.errors import RuleViolation
from families.services import binding_apply
from tests import factories as f

pytestmark = pytest.mark.django_db


def apply(holder, member, *, relationship="child", at=None, consent="face", actor=None):
    return binding_apply(
        actor=actor, holder=f.ref(holder), member=f.ref(member), relationship=relationship,
        channel="wechat", consent_method=consent, reason="渠道申请", applied_at=at,
    )


def test_fifth_member_is_accepted_and_sixth_rejected_for_one_holder():
    holder = f.person("张建国", birth=datetime.date(1950, 1, 1))
    members = [f.person() for _ in range(6)]
    for member in members[:4]:
        f.binding(holder, member)
    assert apply(holder, members[4]).status == "active"
    with pytest.raises(RuleViolation) as exc:
        apply(holder, members[5])
    assert exc.value.rule_code == "holder_limit"
    assert exc.value.figures == {"count": 5, "limit": 5}
    assert "上限 5 人" in exc.value.text


def test_pending_application_holds_its_slot_in_the_holder_limit():
    holder = f.person()
    for _ in range(4):
        f.binding(holder, f.person())
    f.binding(holder, f.person(), status="pending", consent_method="counter")
    with pytest.raises(RuleViolation) as exc:
        apply(holder, f.person())
    assert exc.value.rule_code == "holder_limit"


def test_sixth_holder_is_accepted_and_seventh_rejected_for_one_member():
    member = f.person()
    holders = [f.person() for _ in range(7)]
    # five bound in earlier months so the monthly limit does not interfere
    for holder in holders[:5]:
        f.binding(holder, member, applied_at=f.china(2026, 9, 1))
    assert apply(holders[5], member, at=f.china(2026, 11, 2)).status == "active"
    with pytest.raises(RuleViolation) as exc:
        apply(holders[6], member, at=f.china(2026, 11, 3))
    assert exc.value.rule_code == "member_limit"
    assert exc.value.figures == {"count": 6, "limit": 6, "by_channel": {"wechat": 6}}


def test_member_limit_counts_every_channel_including_pending_counter_applications():
    member = f.person()
    for channel in ["national_app", "wechat", "alipay", "bank_app", "counter"]:
        f.binding(f.person(), member, channel=channel, applied_at=f.china(2026, 8, 1))
    f.binding(f.person(), member, status="pending", consent_method="counter",
              applied_at=f.china(2026, 8, 2))
    with pytest.raises(RuleViolation) as exc:
        apply(f.person(), member, at=f.china(2026, 11, 3))
    assert exc.value.rule_code == "member_limit"


def _fill_november(member, count, last_at):
    """`count` bindings applied in November, already unbound (so only the monthly limit
    is in play); the last one at `last_at`."""
    for i in range(count - 1):
        f.binding(f.person(), member, status="unbound", applied_at=f.china(2026, 11, 1 + i))
    f.binding(f.person(), member, status="unbound", applied_at=last_at)


def test_binding_at_2330_on_30_november_counts_for_november():
    member = f.person()
    _fill_november(member, 6, f.china(2026, 11, 30, 23, 30))
    with pytest.raises(RuleViolation) as exc:
        apply(f.person(), member, at=f.china(2026, 11, 30, 23, 50))
    assert exc.value.rule_code == "monthly_limit"
    assert exc.value.text == "本月已新增被绑定 6 次,上限 6 次"


def test_binding_at_0010_on_1_december_counts_for_december():
    member = f.person()
    _fill_november(member, 6, f.china(2026, 11, 30, 23, 30))
    # 00:10 China time on 1 December is still 30 November in UTC
    at = f.china(2026, 12, 1, 0, 10)
    assert at.astimezone(datetime.UTC).day == 30
    assert apply(f.person(), member, at=at).status == "active"


def test_unbound_this_month_still_counts_toward_the_monthly_limit():
    member = f.person()
    _fill_november(member, 6, f.china(2026, 11, 20))
    with pytest.raises(RuleViolation) as exc:
        apply(f.person(), member, at=f.china(2026, 11, 21))
    assert exc.value.rule_code == "monthly_limit"


def test_rejected_withdrawn_and_expired_applications_do_not_count_this_month():
    member = f.person()
    _fill_november(member, 5, f.china(2026, 11, 10))
    for status in ("rejected", "withdrawn", "expired"):
        f.binding(f.person(), member, status=status, consent_method="counter",
                  applied_at=f.china(2026, 11, 11))
    assert apply(f.person(), member, at=f.china(2026, 11, 21)).status == "active"
    with pytest.raises(RuleViolation) as exc:
        apply(f.person(), member, at=f.china(2026, 11, 22))
    assert exc.value.rule_code == "monthly_limit"


def test_limits_are_region_policy_not_constants():
    f.policy("110100", holder_limit=2, member_limit=3, monthly_limit=3)
    holder = f.person()
    f.binding(holder, f.person())
    apply(holder, f.person())
    with pytest.raises(RuleViolation) as exc:
        apply(holder, f.person())
    assert exc.value.figures == {"count": 2, "limit": 2}


def test_policy_version_in_force_on_the_application_date_applies():
    f.policy("110100", effective_from=datetime.date(2020, 1, 1), holder_limit=1)
    f.policy("110100", effective_from=datetime.date(2026, 12, 1), holder_limit=5)
    holder = f.person()
    f.binding(holder, f.person())
    with pytest.raises(RuleViolation):
        apply(holder, f.person(), at=f.china(2026, 11, 30, 23, 59))
    assert apply(holder, f.person(), at=f.china(2026, 12, 1, 0, 1)).status == "active"


def test_second_live_binding_of_the_same_pair_is_a_duplicate():
    holder, member = f.person(), f.person()
    apply(holder, member)
    with pytest.raises(RuleViolation) as exc:
        apply(holder, member)
    assert exc.value.rule_code == "duplicate_binding"


def test_a_pair_may_bind_again_after_unbinding():
    holder, member = f.person(), f.person()
    f.binding(holder, member, status="unbound")
    assert apply(holder, member).status == "active"


def test_database_holds_one_live_binding_per_pair_even_without_the_service():
    from django.db import IntegrityError, transaction

    holder, member = f.person(), f.person()
    f.binding(holder, member)
    with pytest.raises(IntegrityError), transaction.atomic():
        f.binding(holder, member, status="pending")


def test_database_rejects_binding_a_person_to_himself():
    from django.db import IntegrityError, transaction

    p = f.person()
    with pytest.raises(IntegrityError), transaction.atomic():
        f.binding(p, p)
