"""Two counters of one hall take applications at the same second: the locked
sequence row gives each one its own number. Real threads against PostgreSQL."""

import pytest

from families.services.counter import application_approve, next_application_number
from tests import factories as f
from tests.concurrency import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_simultaneous_numbers_of_one_hall_and_day_are_unique_and_gapless():
    hall = f.hall("BJ01")
    at = f.china(2026, 4, 1, 10)
    numbers = race([lambda: next_application_number(hall, at) for _ in range(12)])
    assert sorted(numbers) == [f"BJ01-20260401-{n:04d}" for n in range(1, 13)]


def test_two_supervisors_approving_at_once_decide_the_application_once():
    app = f.counter_application(actor=f.clerk("clerk_a"))
    first, second = f.supervisor("supervisor_a"), f.supervisor("supervisor_b")
    results = race([
        lambda: application_approve(actor=first, application=app),
        lambda: application_approve(actor=second, application=app),
    ])
    codes = sorted(getattr(r, "rule_code", "ok") for r in results)
    assert codes == ["invalid_state", "ok"]
    assert app.binding.history.filter(status="active").count() == 1


def test_two_supervisors_claiming_at_once_leave_one_claim():
    from families.services.claims import application_claim

    app = f.counter_application(actor=f.clerk("clerk_a"))
    first, second = f.supervisor("supervisor_a"), f.supervisor("supervisor_b")
    results = race([
        lambda: application_claim(actor=first, application=app),
        lambda: application_claim(actor=second, application=app),
    ])
    codes = sorted(getattr(r, "rule_code", "ok") for r in results)
    assert codes == ["claim_held", "ok"]
    app.refresh_from_db()
    winner = next(r for r in results if not isinstance(r, Exception))
    assert app.claimed_by_id == winner.claimed_by_id
    assert app.history.exclude(claimed_by=None).count() == 1
