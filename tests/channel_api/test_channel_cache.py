"""The channel and its keys are kept by each process for CHANNEL_CACHE_SECONDS (they are
read for every request): what the admin or the services change through the ORM takes
effect at once in that process, in the others within those seconds; nothing read inside
a transaction is kept (a rolled-back key never signs anything)."""

import time

import pytest
from django.db import transaction

from channel_api import authentication
from channel_api.models import ChannelClient
from channel_api.services import channel_key_add, channel_key_retire
from tests.channel_api.kit import body, channel_client, register

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_second_request_reads_no_channel(client, django_assert_num_queries):
    wechat = register()
    assert wechat.post(client, "/ping/", {}).status_code == 200
    with django_assert_num_queries(2):  # the nonce and the rate counter
        assert wechat.post(client, "/ping/", {}).status_code == 200


def test_disabling_the_channel_takes_effect_at_once(client):
    wechat = register()
    assert wechat.post(client, "/ping/", {}).status_code == 200
    wechat.client.enabled = False
    wechat.client.save()
    response = wechat.post(client, "/ping/", {})
    assert (response.status_code, body(response)["code"]) == (403, "channel_disabled")


def test_a_retired_key_signs_nothing_at_once(client):
    wechat = register()
    assert wechat.post(client, "/ping/", {}).status_code == 200
    channel_key_retire(actor=None, key=wechat.client.keys.get(), reason="轮换")
    response = wechat.post(client, "/ping/", {})
    assert (response.status_code, body(response)["code"]) == (401, "signature_invalid")


def test_a_change_made_by_another_process_counts_after_the_cache_time(client, monkeypatch):
    wechat = register()
    assert wechat.post(client, "/ping/", {}).status_code == 200
    ChannelClient.objects.filter(pk=wechat.client.pk).update(enabled=False)  # no signal here
    assert wechat.post(client, "/ping/", {}).status_code == 200
    later = time.monotonic() + 6
    monkeypatch.setattr(authentication.time, "monotonic", lambda: later)
    response = wechat.post(client, "/ping/", {})
    assert (response.status_code, body(response)["code"]) == (403, "channel_disabled")


def test_a_key_of_a_rolled_back_transaction_is_not_kept(client):
    wechat = register()
    private_pem, public_pem = channel_client.generate_key("ed25519")
    with pytest.raises(RuntimeError), transaction.atomic():
        channel_key_add(actor=None, client=wechat.client, public_key_pem=public_pem,
                        algorithm="ed25519", reason="轮换")
        wechat.signer = channel_client.Signer("wechat-01", private_pem)
        assert wechat.post(client, "/ping/", {}).status_code == 200  # read, not kept
        raise RuntimeError("rolled back")
    response = wechat.post(client, "/ping/", {})
    assert (response.status_code, body(response)["code"]) == (401, "signature_invalid")
