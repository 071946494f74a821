"""Rate limits per channel, counted in the database (shared by every process)."""

import pytest

from tests.channel_api.kit import body, register

pytestmark = pytest.mark.django_db


def test_the_request_after_the_limit_in_the_window_gets_429_with_retry_after(client):
    wechat = register(rate_limit=5, rate_window_seconds=3600)
    for _ in range(5):
        assert wechat.post(client, "/ping/", {}).status_code == 200
    response = wechat.post(client, "/ping/", {})
    assert (response.status_code, body(response)["code"]) == (429, "rate_limited")
    assert 1 <= int(response["Retry-After"]) <= 3600


def test_the_limit_is_per_channel(client):
    wechat = register(rate_limit=1, rate_window_seconds=3600)
    alipay = register("alipay-01", "alipay", rate_limit=1, rate_window_seconds=3600)
    assert wechat.post(client, "/ping/", {}).status_code == 200
    assert alipay.post(client, "/ping/", {}).status_code == 200
    assert wechat.post(client, "/ping/", {}).status_code == 429


def test_a_new_window_starts_a_new_count():
    from channel_api.throttling import hit

    wechat = register(rate_limit=1, rate_window_seconds=60)
    assert hit(wechat.client, now=120.0)[0] == 1
    assert hit(wechat.client, now=179.0) == (2, 1.0)
    assert hit(wechat.client, now=180.0)[0] == 1
