"""Statements per channel request (issue 16 benchmark: apply at >= 50 % of the signed
no-op's throughput). Counted with the test transaction's savepoints (each nested atomic
block is a SAVEPOINT and a RELEASE); the counts do not grow with the persons' bindings.

ping         channel and its keys (one query), nonce, rate counter
eligibility  + both persons (one query), the policies (one), the four counts (one)
apply        + the persons found and locked (one), policies, counts, the binding, its
             history row, its audit event (one INSERT ... SELECT), the answer stored under
             the request number (one INSERT); savepoints of run_once and the service
"""

import pytest

from tests import factories as f
from tests.channel_api.kit import adult_pair, binding_payload, body, ref, register

pytestmark = pytest.mark.django_db

PING, ELIGIBILITY, APPLY = 3, 6, 14


@pytest.fixture
def wechat(client):
    channel = register()
    holder, member = adult_pair()
    assert channel.post(client, "/bindings/", binding_payload(holder, member, "WARM")
                        ).status_code == 201  # caches (content types ...) warm
    return channel


def _member_with_bindings(n: int):
    holder, member = adult_pair()
    for channel in ["wechat", "counter", "alipay", "bank_app"][:n]:
        f.binding(f.person(), member, channel=channel)
    return holder, member


@pytest.mark.parametrize("existing", [0, 4])
def test_apply_runs_a_fixed_small_number_of_statements(client, wechat, existing,
                                                       django_assert_max_num_queries):
    holder, member = _member_with_bindings(existing)
    with django_assert_max_num_queries(APPLY):
        response = wechat.post(client, "/bindings/",
                               binding_payload(holder, member, f"Q-{existing}"))
    assert response.status_code == 201, body(response)


@pytest.mark.parametrize("existing", [0, 4])
def test_eligibility_runs_a_fixed_small_number_of_statements(client, wechat, existing,
                                                             django_assert_max_num_queries):
    holder, member = _member_with_bindings(existing)
    payload = {"holder": ref(holder), "member": ref(member), "relationship": "parent"}
    with django_assert_max_num_queries(ELIGIBILITY):
        response = wechat.post(client, "/bindings/eligibility/", payload)
    assert response.status_code == 200 and body(response)["eligible"] is True


def test_the_floor_is_three_statements(client, wechat, django_assert_max_num_queries):
    with django_assert_max_num_queries(PING):
        assert wechat.post(client, "/ping/", {}).status_code == 200


def test_a_refused_apply_stops_after_the_counts(client, wechat, django_assert_max_num_queries):
    holder, member = adult_pair()
    for _ in range(6):
        f.binding(f.person(), member)
    # No binding, history or audit row; the service's savepoint is rolled back.
    with django_assert_max_num_queries(APPLY - 3 + 1):
        response = wechat.post(client, "/bindings/", binding_payload(holder, member, "Q-FULL"))
    assert (response.status_code, body(response)["code"]) == (422, "member_limit")
