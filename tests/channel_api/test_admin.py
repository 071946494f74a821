"""Channel clients are registered by system administrators only, with a reason."""

import pytest

from channel_api.models import ChannelClient
from tests import factories as f
from tests.channel_api.kit import channel_client

pytestmark = pytest.mark.django_db

ADD_URL = "/admin/channel_api/channelclient/add/"


def _form(public_pem: str, **extra) -> dict:
    return {
        "code": "alipay-01", "name": "支付宝", "kind": "alipay", "enabled": "on",
        "rate_limit": "600", "rate_window_seconds": "60", "change_reason": "新渠道接入",
        "keys-TOTAL_FORMS": "1", "keys-INITIAL_FORMS": "0",
        "keys-MIN_NUM_FORMS": "0", "keys-MAX_NUM_FORMS": "1000",
        "keys-0-algorithm": "ed25519", "keys-0-public_key_pem": public_pem,
        "keys-0-active": "on", **extra,
    }


def test_a_sysadmin_registers_a_channel_with_its_key_and_a_service_account(client):
    admin_user = f.sysadmin()
    client.force_login(admin_user)
    response = client.post(ADD_URL, _form(channel_client.generate_key()[1]))
    assert response.status_code == 302, response.content.decode()[:2000]
    channel = ChannelClient.objects.get(code="alipay-01")
    assert channel.service_account.username == "channel-alipay-01"
    assert not channel.service_account.has_usable_password()
    assert channel.keys.get().active
    assert channel.history.get().history_change_reason == "新渠道接入"
    assert channel.history.get().history_user == admin_user


def test_an_invalid_public_key_is_refused_in_the_form(client):
    client.force_login(f.sysadmin())
    response = client.post(ADD_URL, _form("not a key"))
    assert response.status_code == 200
    assert not ChannelClient.objects.exists()


@pytest.mark.parametrize("make_user", [f.clerk, f.supervisor])
def test_clerks_and_supervisors_cannot_see_channel_clients(client, make_user):
    client.force_login(make_user())
    assert client.get("/admin/channel_api/channelclient/").status_code == 403
