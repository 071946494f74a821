"""Two clerks and a batch job hit the same person at the same second: the row locks taken
by the services keep every limit exact. Real threads against PostgreSQL."""

import pytest

from families.models import Binding
from families.services import binding_apply
from tests import factories as f
from tests.concurrency import race, rule_codes

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _apply(holder, member):
    return lambda: binding_apply(
        actor=None, holder=f.ref(holder), member=f.ref(member), relationship="sibling",
        channel="alipay", consent_method="face", reason="并发申请",
    )


def test_twenty_holders_binding_one_member_at_once_admit_exactly_the_limit():
    member = f.person()
    holders = [f.person() for _ in range(20)]
    outcomes = rule_codes(race([_apply(h, member) for h in holders]))
    assert outcomes.count("ok") == 6
    assert set(outcomes) - {"ok"} <= {"member_limit", "monthly_limit"}
    assert len(outcomes) == 20
    assert Binding.objects.filter(member=member, status="active").count() == 6


def test_one_holder_binding_twenty_members_at_once_admits_exactly_the_limit():
    holder = f.person()
    members = [f.person() for _ in range(20)]
    outcomes = rule_codes(race([_apply(holder, m) for m in members]))
    assert outcomes.count("ok") == 5
    assert set(outcomes) - {"ok"} == {"holder_limit"}
    assert Binding.objects.filter(holder=holder, status="active").count() == 5


def test_the_same_pair_applied_twice_at_once_binds_once():
    holder, member = f.person(), f.person()
    outcomes = rule_codes(race([_apply(holder, member) for _ in range(5)]))
    assert outcomes.count("ok") == 1
    assert set(outcomes) - {"ok"} == {"duplicate_binding"}
