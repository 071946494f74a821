"""Every request is signed by the channel (issue 16): what the server refuses, with its
status and code."""

import time

import pytest

from channel_api.services import channel_key_add, channel_key_retire
from tests.channel_api.kit import body, channel_client, register

pytestmark = pytest.mark.django_db


@pytest.fixture
def wechat():
    return register()


def test_a_good_signature_is_accepted(client, wechat):
    response = wechat.post(client, "/ping/", {})
    assert response.status_code == 200
    assert body(response) == {"ok": True, "channel": "wechat-01"}


def test_rsa_2048_sha256_signatures_are_accepted():
    from django.test import Client

    bank = register("bank-01", "bank_app", algorithm="rsa-sha256")
    assert bank.post(Client(), "/ping/", {}).status_code == 200


def test_an_unsigned_request_is_refused_401(client, wechat):
    response = client.post("/api/channels/v1/ping/", {}, content_type="application/json")
    assert response.status_code == 401
    assert body(response)["code"] == "signature_missing"
    assert response["WWW-Authenticate"] == "YB-SIGNATURE"


def test_a_signature_by_another_key_is_refused_401(client, wechat):
    other_private, _public = channel_client.generate_key("ed25519")
    wechat.signer = channel_client.Signer("wechat-01", other_private)
    response = wechat.post(client, "/ping/", {})
    assert (response.status_code, body(response)["code"]) == (401, "signature_invalid")


def test_an_unknown_channel_is_refused_401(client, wechat):
    wechat.signer.channel_id = "nobody"
    response = wechat.post(client, "/ping/", {})
    assert (response.status_code, body(response)["code"]) == (401, "unknown_channel")


# 302, not 301: int(time.time()) drops up to a second, so "now + 301" can be 300.x
# seconds ahead by the time the server looks (it failed once that way).
@pytest.mark.parametrize("offset", [-302, 302])
def test_a_timestamp_outside_five_minutes_is_refused_401(client, wechat, offset):
    response = wechat.post(client, "/ping/", {}, timestamp=int(time.time()) + offset)
    assert (response.status_code, body(response)["code"]) == (401, "timestamp_expired")


def test_a_timestamp_within_five_minutes_is_accepted(client, wechat):
    response = wechat.post(client, "/ping/", {}, timestamp=int(time.time()) - 290)
    assert response.status_code == 200


def test_a_replayed_nonce_is_refused_401(client, wechat):
    assert wechat.post(client, "/ping/", {}, nonce="nonce-0001").status_code == 200
    response = wechat.post(client, "/ping/", {}, nonce="nonce-0001")
    assert (response.status_code, body(response)["code"]) == (401, "nonce_replayed")


def test_a_tampered_body_is_refused_401(client, wechat):
    response = wechat.post(client, "/ping/", body=b'{"a":2}', sign_body=b'{"a":1}')
    assert (response.status_code, body(response)["code"]) == (401, "signature_invalid")


def test_a_tampered_path_is_refused_401(client, wechat):
    response = wechat.post(client, "/ping/", {}, sign_path="/api/channels/v1/bindings/")
    assert (response.status_code, body(response)["code"]) == (401, "signature_invalid")


def test_a_disabled_channel_is_refused_403(client, wechat):
    wechat.client.enabled = False
    wechat.client.save()
    response = wechat.post(client, "/ping/", {})
    assert (response.status_code, body(response)["code"]) == (403, "channel_disabled")


def test_two_active_keys_both_work_during_a_rotation_and_a_retired_key_stops(client, wechat):
    new_private, new_public = channel_client.generate_key("rsa-sha256")
    channel_key_add(actor=None, client=wechat.client, public_key_pem=new_public,
                    algorithm="rsa-sha256", reason="密钥轮换")
    old_signer = wechat.signer
    assert wechat.post(client, "/ping/", {}).status_code == 200
    wechat.signer = channel_client.Signer("wechat-01", new_private)
    assert wechat.post(client, "/ping/", {}).status_code == 200

    channel_key_retire(actor=None, key=wechat.client.keys.order_by("pk").first(), reason="轮换完成")
    wechat.signer = old_signer
    response = wechat.post(client, "/ping/", {})
    assert (response.status_code, body(response)["code"]) == (401, "signature_invalid")


def test_a_third_active_key_is_refused(wechat):
    from accounts.errors import RuleViolation

    for _ in range(1):
        channel_key_add(actor=None, client=wechat.client, algorithm="ed25519", reason="轮换",
                        public_key_pem=channel_client.generate_key("ed25519")[1])
    with pytest.raises(RuleViolation) as exc:
        channel_key_add(actor=None, client=wechat.client, algorithm="ed25519", reason="轮换",
                        public_key_pem=channel_client.generate_key("ed25519")[1])
    assert exc.value.rule_code == "too_many_keys"


def test_an_unsigned_request_is_not_refused_by_csrf(client, wechat):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert wechat.post(strict, "/ping/", {}).status_code == 200


def test_a_nul_byte_in_the_json_is_a_400_not_a_500(client, wechat):
    from tests.channel_api.kit import adult_pair, binding_payload

    holder, member = adult_pair()
    payload = binding_payload(holder, member)
    payload["holder"]["name"] = "张\x00三"
    response = wechat.post(client, "/bindings/", payload)
    assert (response.status_code, body(response)["code"]) == (400, "invalid_request")


@pytest.mark.parametrize("content_type, raw", [
    ("application/x-www-form-urlencoded", b"holder=1"),
    ("multipart/form-data; boundary=xyz", b"--xyz\r\nContent-Disposition: form-data; "
                                          b"name=\"a\"\r\n\r\n1\r\n--xyz--\r\n"),
])
def test_a_body_that_is_not_json_is_refused_without_a_500(client, wechat, content_type, raw):
    path = "/api/channels/v1/bindings/eligibility/"
    headers = wechat.signer.headers("POST", path, raw)
    response = client.generic("POST", path, raw, content_type=content_type,
                              headers={k: v for k, v in headers.items() if k != "Content-Type"})
    assert response.status_code in (400, 415)
    assert body(response)["code"] in ("unsupported_media_type", "invalid_request")


def test_nonces_are_pruned_after_the_window_and_a_replay_stays_refused_by_time(client, wechat):
    import datetime

    from django.core.management import call_command
    from django.utils import timezone

    from channel_api.models import UsedNonce

    assert wechat.post(client, "/ping/", {}, nonce="nonce-old-1").status_code == 200
    UsedNonce.objects.update(seen_at=timezone.now() - datetime.timedelta(minutes=16))
    call_command("prune_channel_rows")
    assert not UsedNonce.objects.exists()
    # The old request itself can no longer pass: its timestamp is outside the window.
    response = wechat.post(client, "/ping/", {}, nonce="nonce-old-1",
                           timestamp=int(time.time()) - 16 * 60)
    assert (response.status_code, body(response)["code"]) == (401, "timestamp_expired")


def test_a_nul_byte_in_the_query_string_is_a_json_400(client, wechat):
    response = wechat.post(client, "/ping/?x=%00", {}, sign_path="/api/channels/v1/ping/?x=%00")
    assert response.status_code == 400
    assert body(response)["code"] == "invalid_request"


def test_a_nul_byte_elsewhere_keeps_the_plain_400_page(client):
    response = client.get("/admin/?q=%00")
    assert response.status_code == 400
    assert "text/html" in response["Content-Type"]
