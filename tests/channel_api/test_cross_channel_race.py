"""The counter and the channel API compete for the same limits under the same row locks
(DOMAIN binding rules 2-3, all channels). Real threads against PostgreSQL."""

import datetime

import pytest
from django.test import Client

from families.choices import BINDING_HOLDS_SLOT
from families.models import Binding
from tests import factories as f
from tests.channel_api.kit import binding_payload, body, register
from tests.concurrency import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _mixed_calls(member, wechat, clerk, n: int = 20):
    holders = [f.person(birth=datetime.date(1980, 1, 1)) for _ in range(n)]
    calls = []
    for i, holder in enumerate(holders):
        if i % 2:
            calls.append(lambda h=holder, i=i: wechat.post(
                Client(), "/bindings/", binding_payload(h, member, f"RACE-{i}")).status_code)
        else:
            calls.append(lambda h=holder: f.counter_application(
                h, member, actor=clerk, relationship="parent") and "counter")
    return calls


def _outcomes(results) -> list:
    return [getattr(r, "rule_code", r) for r in results]


def test_twenty_counter_and_api_applications_for_one_member_bind_exactly_the_member_limit():
    member = f.person(birth=datetime.date(1950, 1, 1))
    wechat, clerk = register(), f.clerk()
    results = _outcomes(race(_mixed_calls(member, wechat, clerk)))
    live = Binding.objects.filter(member=member, status__in=BINDING_HOLDS_SLOT)
    assert live.count() == 6, results
    assert results.count(201) + results.count("counter") == 6
    assert results.count(422) + results.count("member_limit") == 14, results
    assert {"wechat", "counter"} >= set(live.values_list("channel", flat=True))


def test_the_monthly_limit_holds_across_channels_under_concurrency():
    f.policy("110100", member_limit=20, monthly_limit=4)
    member = f.person(birth=datetime.date(1950, 1, 1))
    wechat, clerk = register(), f.clerk()
    results = _outcomes(race(_mixed_calls(member, wechat, clerk)))
    assert Binding.objects.filter(member=member).exclude(status="rejected").count() == 4
    assert results.count(201) + results.count("counter") == 4, results
    assert results.count("monthly_limit") + results.count(422) == 16, results


def test_api_refusals_in_the_race_carry_the_rule_code():
    member = f.person(birth=datetime.date(1950, 1, 1))
    wechat = register()
    holders = [f.person() for _ in range(8)]
    responses = race([lambda h=h, i=i: wechat.post(
        Client(), "/bindings/", binding_payload(h, member, f"R-{i}"))
        for i, h in enumerate(holders)])
    codes = sorted(body(r).get("code", "ok") for r in responses)
    assert codes == ["member_limit"] * 2 + ["ok"] * 6
