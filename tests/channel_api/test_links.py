"""Channel applications, unbinds and revocations go through the same services and rules
as the counter, with the channel's service account as the actor (issue 16)."""

import datetime

import pytest

from families.models import Binding, CoPayAuthorization
from tests import factories as f
from tests.channel_api.kit import adult_pair, binding_payload, body, face, ref, register

pytestmark = pytest.mark.django_db


@pytest.fixture
def wechat():
    return register()


def test_eligibility_shows_every_check_with_figures_and_writes_nothing(client, wechat):
    holder, member = adult_pair()
    payload = {"holder": ref(holder), "member": ref(member), "relationship": "parent"}
    response = wechat.post(client, "/bindings/eligibility/", payload)
    assert response.status_code == 200
    data = body(response)
    assert data["eligible"] is True
    limit = next(c for c in data["checks"] if c["code"] == "member_limit")
    assert limit["figures"]["count"] == 0 and limit["figures"]["limit"] == 6
    assert not Binding.objects.exists()


def test_a_face_verified_application_is_active_at_once_with_the_channel_facts(client, wechat):
    holder, member = adult_pair()
    response = wechat.post(client, "/bindings/", binding_payload(holder, member, "WX-0001"))
    assert response.status_code == 201, body(response)
    data = body(response)
    assert (data["status"], data["channel"], data["kind"]) == ("active", "wechat", "binding")
    binding = Binding.objects.get(pk=data["id"])
    assert binding.channel_request_number == "WX-0001"
    assert binding.face_verification_ref == "FACE-WX-0001"
    assert binding.face_verified_at is not None
    history = binding.history.get()
    assert history.history_user == wechat.client.service_account
    assert "WX-0001" in history.history_change_reason
    assert holder.id_number not in response.content.decode()


def test_identity_mismatch_names_the_field_and_never_the_registry_value(client, wechat):
    holder, member = adult_pair()
    payload = binding_payload(holder, member)
    payload["member"]["name"] = "别人"
    response = wechat.post(client, "/bindings/", payload)
    data = body(response)
    assert (response.status_code, data["code"]) == (422, "identity_mismatch")
    assert data["figures"] == {"field": "name"}
    assert member.name not in response.content.decode()


def test_an_unknown_person_is_404_not_insured(client, wechat):
    holder, _member = adult_pair()
    payload = binding_payload(holder, holder)
    payload["member"]["id_number"] = "11010119900307001X"
    response = wechat.post(client, "/bindings/", payload)
    assert response.status_code in (404, 422)
    assert body(response)["code"] in ("not_insured", "invalid_id_number")


def test_the_seventh_holder_is_refused_with_member_limit_across_channels(client, wechat):
    member = f.person(birth=datetime.date(1950, 1, 1))
    for channel in ["counter", "counter", "alipay", "wechat", "wechat", "bank_app"]:
        f.binding(f.person(), member, relationship="parent", channel=channel,
                  applied_at=f.china(2024, 1, 5))
    response = wechat.post(client, "/bindings/", binding_payload(f.person(), member))
    data = body(response)
    assert (response.status_code, data["code"]) == (422, "member_limit")
    assert data["figures"]["count"] == 6 and data["figures"]["limit"] == 6


def test_face_evidence_is_required_and_must_be_recent(client, wechat):
    holder, member = adult_pair()
    payload = binding_payload(holder, member)
    del payload["face_verification_ref"]
    payload["face_verified_at"] = (datetime.datetime.now(datetime.UTC)
                                   - datetime.timedelta(hours=2)).isoformat()
    response = wechat.post(client, "/bindings/", payload)
    data = body(response)
    assert (response.status_code, data["code"]) == (400, "invalid_request")
    assert set(data["figures"]["fields"]) == {"face_verification_ref", "face_verified_at"}


def test_either_side_may_unbind_with_a_reason_and_the_request_number(client, wechat):
    holder, member = adult_pair()
    binding_id = body(wechat.post(client, "/bindings/", binding_payload(holder, member)))["id"]
    response = wechat.post(client, "/bindings/unbind/", {
        "request_number": "WX-UNBIND-1", "binding_id": binding_id,
        "requested_by": ref(member), "reason": "本人申请解绑"})
    assert response.status_code == 200, body(response)
    binding = Binding.objects.get(pk=binding_id)
    assert binding.status == "unbound"
    assert binding.ended_by == wechat.client.service_account
    assert "WX-UNBIND-1" in binding.end_reason and "本人申请解绑" in binding.end_reason


def test_a_person_who_is_not_a_party_cannot_unbind_404(client, wechat):
    holder, member = adult_pair()
    binding_id = body(wechat.post(client, "/bindings/", binding_payload(holder, member)))["id"]
    stranger = f.person()
    response = wechat.post(client, "/bindings/unbind/", {
        "request_number": "WX-UNBIND-2", "binding_id": binding_id,
        "requested_by": ref(stranger), "reason": "解绑"})
    assert (response.status_code, body(response)["code"]) == (404, "not_found")
    assert Binding.objects.get(pk=binding_id).status == "active"


def test_unbinding_twice_is_409_invalid_state(client, wechat):
    holder, member = adult_pair()
    binding_id = body(wechat.post(client, "/bindings/", binding_payload(holder, member)))["id"]
    for number, expected in [("U-1", 200), ("U-2", 409)]:
        response = wechat.post(client, "/bindings/unbind/", {
            "request_number": number, "binding_id": binding_id,
            "requested_by": ref(holder), "reason": "解绑"})
        assert response.status_code == expected


def test_copay_authorization_and_revocation(client, wechat):
    authorizer = f.person(birth=datetime.date(1960, 1, 1))
    beneficiary = f.person(birth=datetime.date(1990, 1, 1))
    f.account(authorizer, 1000)
    payload = {"authorizer": ref(authorizer), "beneficiary": ref(beneficiary),
               "relationship": "child", "reserve": "300.00", **face("CP-1")}
    eligibility = wechat.post(client, "/copays/eligibility/", payload)
    assert body(eligibility)["eligible"] is True, body(eligibility)
    response = wechat.post(client, "/copays/", payload)
    assert response.status_code == 201, body(response)
    authorization = CoPayAuthorization.objects.get(pk=body(response)["id"])
    assert (authorization.status, authorization.channel_request_number) == ("active", "CP-1")
    revoke = wechat.post(client, "/copays/revoke/", {
        "request_number": "CP-2", "authorization_id": authorization.pk,
        "requested_by": ref(authorizer), "reason": "不再共济"})
    assert revoke.status_code == 200, body(revoke)
    authorization.refresh_from_db()
    assert authorization.status == "revoked"


def test_links_list_both_sides_and_the_e_voucher_activation(client, wechat):
    holder, member = adult_pair()
    member.evoucher_activated_at = None
    member.save()
    wechat.post(client, "/bindings/", binding_payload(holder, member))
    response = wechat.post(client, "/persons/links/", {"person": ref(member)})
    data = body(response)
    assert response.status_code == 200
    assert data["person"]["evoucher_activated"] is False
    [link] = data["links"]
    assert (link["kind"], link["status"], link["usable"]) == ("binding", "active", False)
    assert member.id_number not in response.content.decode()


def test_the_member_limit_figures_count_each_channel(client, wechat):
    member = f.person(birth=datetime.date(1950, 1, 1))
    for channel in ["wechat", "wechat", "wechat", "counter", "counter", "alipay"]:
        f.binding(f.person(), member, relationship="parent", channel=channel)
    payload = {"holder": ref(f.person()), "member": ref(member), "relationship": "parent"}
    check = next(c for c in body(wechat.post(client, "/bindings/eligibility/", payload))["checks"]
                 if c["code"] == "member_limit")
    assert check["passed"] is False
    assert check["figures"] == {"count": 6, "limit": 6,
                                "by_channel": {"wechat": 3, "counter": 2, "alipay": 1}}
    assert "全部渠道 6 人,其中微信 3、窗口 2、支付宝 1" in check["message"]
