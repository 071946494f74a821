"""Each write carries the channel's request number: the same number and body returns the
first result; the same number with another body is refused (issue 16)."""

import pytest
from django.test import Client

from channel_api.models import IdempotencyRecord
from families.models import Binding
from tests.channel_api.kit import adult_pair, binding_payload, body, register
from tests.concurrency import race


@pytest.fixture
def wechat(db):
    return register()


@pytest.mark.django_db
def test_the_same_request_number_twice_makes_one_binding_and_the_same_answer(client, wechat):
    holder, member = adult_pair()
    payload = binding_payload(holder, member, "WX-42")
    first = wechat.post(client, "/bindings/", payload)
    second = wechat.post(client, "/bindings/", payload)
    assert (first.status_code, second.status_code) == (201, 201)
    assert body(first) == body(second)
    assert (first["Idempotent-Replayed"], second["Idempotent-Replayed"]) == ("false", "true")
    assert Binding.objects.count() == 1


@pytest.mark.django_db
def test_a_refusal_is_answered_the_same_on_retry(client, wechat):
    holder, member = adult_pair()
    payload = binding_payload(holder, member, "WX-43")
    payload["member"]["name"] = "别人"
    first, second = (wechat.post(client, "/bindings/", payload) for _ in range(2))
    assert first.status_code == second.status_code == 422
    assert body(first) == body(second)


@pytest.mark.django_db
def test_the_same_request_number_with_another_body_is_idempotency_conflict(client, wechat):
    holder, member = adult_pair()
    assert wechat.post(client, "/bindings/", binding_payload(holder, member, "WX-44")
                       ).status_code == 201
    other = binding_payload(holder, member, "WX-44", relationship="sibling")
    response = wechat.post(client, "/bindings/", other)
    assert (response.status_code, body(response)["code"]) == (409, "idempotency_conflict")


@pytest.mark.django_db
def test_a_retry_after_the_binding_ended_answers_the_first_result_and_binds_nothing(
        client, wechat):
    # The write runs before its number is stored: here the redo would succeed (the pair
    # is free again), and it must be rolled back, not kept.
    holder, member = adult_pair()
    payload = binding_payload(holder, member, "WX-45")
    first = wechat.post(client, "/bindings/", payload)
    Binding.objects.filter(pk=body(first)["id"]).update(status="unbound")
    again = wechat.post(client, "/bindings/", payload)
    assert (again.status_code, body(again), again["Idempotent-Replayed"]) == (
        201, body(first), "true")
    assert Binding.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1


@pytest.mark.django_db
def test_a_conflicting_number_leaves_no_trace_of_the_second_request(client, wechat):
    holder, member = adult_pair()
    other_holder, other_member = adult_pair()
    assert wechat.post(client, "/bindings/", binding_payload(holder, member, "WX-46")
                       ).status_code == 201
    response = wechat.post(client, "/bindings/",
                           binding_payload(other_holder, other_member, "WX-46"))
    assert (response.status_code, body(response)["code"]) == (409, "idempotency_conflict")
    assert list(Binding.objects.values_list("holder", flat=True)) == [holder.pk]


@pytest.mark.django_db
def test_request_numbers_are_per_channel(client, wechat):
    alipay = register("alipay-01", "alipay")
    holder, member = adult_pair()
    second_holder, _ = adult_pair()
    assert wechat.post(client, "/bindings/", binding_payload(holder, member, "N-1")
                       ).status_code == 201
    assert alipay.post(client, "/bindings/", binding_payload(second_holder, member, "N-1")
                       ).status_code == 201
    assert IdempotencyRecord.objects.count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_request_sent_by_eight_threads_at_once_binds_once(wechat):
    holder, member = adult_pair()
    payload = binding_payload(holder, member, "WX-RACE")
    outcomes = race([lambda: wechat.post(Client(), "/bindings/", payload) for _ in range(8)])
    statuses = [getattr(o, "status_code", repr(o)) for o in outcomes]
    assert statuses == [201] * 8
    assert all(body(o) == body(outcomes[0]) for o in outcomes)
    assert sorted(o["Idempotent-Replayed"] for o in outcomes) == ["false"] + ["true"] * 7
    assert Binding.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_number_sent_at_once_with_different_bodies_keeps_only_the_first(wechat):
    pairs = [adult_pair() for _ in range(6)]
    outcomes = race([
        lambda pair=pair: wechat.post(Client(), "/bindings/",
                                      binding_payload(*pair, "WX-RACE-2"))
        for pair in pairs])
    answers = sorted((o.status_code, body(o).get("code")) for o in outcomes)
    assert answers == [(201, None)] + [(409, "idempotency_conflict")] * 5
    assert Binding.objects.count() == 1
