"""Every API write is in history with the channel's service account as the actor and the
channel's request number in the reason; the supervisor's audit log filters by channel
and the binding list by channel (issue 16)."""

import pytest

from audit.models import AuditEvent
from families.models import Binding
from tests import factories as f
from tests.channel_api.kit import adult_pair, binding_payload, body, register

pytestmark = pytest.mark.django_db

AUDIT = "/admin/audit/auditevent/"


@pytest.fixture
def two_channels(client):
    wechat, alipay = register("wechat-01", "wechat"), register("alipay-01", "alipay")
    holder, member = adult_pair()
    other_holder, other_member = adult_pair()
    wx = wechat.post(client, "/bindings/", binding_payload(holder, member, "WX-0001"))
    ali = alipay.post(client, "/bindings/", binding_payload(other_holder, other_member, "ALI-7"))
    assert (wx.status_code, ali.status_code) == (201, 201), (body(wx), body(ali))
    counter_link = f.binding(f.person("窗口持有"), f.person("窗口成员"), channel="counter",
                             applied_by=f.clerk())
    return {"wechat": wechat, "alipay": alipay, "wx": body(wx)["id"], "ali": body(ali)["id"],
            "counter": counter_link.pk}


def test_every_api_write_is_audited_under_the_service_account_with_the_request_number(
        two_channels):
    wechat = two_channels["wechat"]
    events = AuditEvent.objects.filter(model="families.binding",
                                       object_id=str(two_channels["wx"]))
    assert events.count() == 1
    event = events.get()
    assert event.actor_id == wechat.client.service_account_id
    assert event.actor_username == "channel-wechat-01"
    assert "WX-0001" in event.reason


def test_supervisor_filters_the_audit_log_by_channel(client, two_channels):
    client.force_login(f.supervisor())
    page = client.get(AUDIT)
    assert page.status_code == 200
    html = page.content.decode()
    assert "渠道(接口)" in html and "?channel=wechat" in html and "?channel=counter" not in html

    response = client.get(AUDIT, {"channel": "wechat"})
    events = list(response.context["cl"].result_list)
    assert events, "the channel's writes are missing"
    assert {e.actor_id for e in events} == {two_channels["wechat"].client.service_account_id}
    assert str(two_channels["wx"]) in {e.object_id for e in events}
    assert str(two_channels["ali"]) not in {e.object_id for e in events}
    assert str(two_channels["counter"]) not in {e.object_id for e in events}

    alipay = list(client.get(AUDIT, {"channel": "alipay"}).context["cl"].result_list)
    assert [e.object_id for e in alipay if e.model == "families.binding"] == [
        str(two_channels["ali"])]


def test_an_unknown_channel_is_an_invalid_filter_not_an_error(client, two_channels):
    client.force_login(f.supervisor())
    response = client.get(AUDIT, {"channel": "nope"})
    assert response.status_code == 302 and "e=1" in response["Location"]


def test_the_channel_filter_reaches_the_csv_export(client, two_channels):
    client.force_login(f.supervisor())
    response = client.get(f"{AUDIT}export/", {"channel": "alipay"})
    assert response.status_code == 200
    text = response.content.decode("utf-8")
    assert "ALI-7" in text and "WX-0001" not in text


def test_supervisor_sees_bindings_by_channel(client, two_channels):
    client.force_login(f.supervisor())
    response = client.get("/admin/families/binding/", {"channel__exact": "alipay"})
    assert response.status_code == 200
    shown = [b.pk for b in response.context["cl"].result_list]
    assert shown == [two_channels["ali"]]
    html = response.content.decode()
    assert "支付宝" in html and "column-channel" in html
    counter = client.get("/admin/families/binding/", {"channel__exact": "counter"})
    assert [b.pk for b in counter.context["cl"].result_list] == [two_channels["counter"]]
    assert Binding.objects.count() == 3
