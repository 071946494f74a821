"""What the citizen signs and takes home is specific to what he applied for; staff names
print family name first; the hall's phone is on the receipt; clerks get no 审核 link."""

import pytest
from django.urls import reverse

from accounts.models import staff_display_name
from tests import factories as f

pytestmark = pytest.mark.django_db

BINDING_WORDING = "添加至本人医保电子凭证亲情账户"
COPAY_WORDING = "使用本人职工医保个人账户余额支付"


def _letter(client, clerk, kind):
    holder, member = f.person("赵国庆"), f.person("赵小宝")
    client.force_login(clerk)
    return client.post(reverse("counter:commitment"), {
        "kind": kind, "holder_id_type": "resident_id", "holder_id_number": holder.id_number,
        "holder_name": holder.name, "member_id_type": "resident_id",
        "member_id_number": member.id_number, "member_name": member.name,
        "relationship": "child", "reserve": "0",
    }).content.decode()


def test_binding_commitment_letter_says_no_money_moves(client):
    html = _letter(client, f.clerk(), "binding")
    assert BINDING_WORDING in html and "不转移资金" in html and COPAY_WORDING not in html


def test_copay_commitment_letter_never_prints_the_binding_wording(client):
    html = _letter(client, f.clerk(), "copay")
    assert COPAY_WORDING in html and "预留金额" in html
    assert BINDING_WORDING not in html and "不转移资金" not in html


def test_staff_names_are_family_name_first():
    assert staff_display_name("王", "小明") == "王小明"
    assert staff_display_name("Smith", "John") == "Smith John"
    assert staff_display_name("", "小明") == "小明"
    clerk = f.clerk("name_clerk")
    clerk.last_name, clerk.first_name = "王", "小明"
    assert clerk.get_full_name() == "王小明" and str(clerk) == "王小明(name_clerk)"


def test_receipt_prints_the_halls_phone_and_the_clerk_family_name_first(client):
    clerk = f.clerk("receipt_clerk")
    clerk.last_name, clerk.first_name = "王", "小明"
    clerk.save()
    clerk.hall.phone = "010-65128000"
    clerk.hall.save()
    application = f.counter_application(actor=clerk)
    client.force_login(clerk)
    html = client.get(reverse("counter:receipt", args=[application.pk])).content.decode()
    assert "010-65128000" in html and "王小明" in html and "小明 王" not in html


def test_clerks_get_no_review_link_and_supervisors_none_on_their_own_intake(client):
    clerk, supervisor = f.clerk("list_clerk"), f.supervisor("list_supervisor")
    other = f.counter_application(actor=clerk)
    own = f.counter_application(actor=supervisor)
    url = reverse("admin:families_counterapplication_changelist")
    client.force_login(clerk)
    assert "/review/" not in client.get(url).content.decode()
    client.force_login(supervisor)
    html = client.get(url).content.decode()
    assert reverse("counter:review", args=[other.pk]) in html
    assert reverse("counter:review", args=[own.pk]) not in html
    queue = client.get(reverse("counter:queue")).content.decode()
    assert "本人受理" in queue


def test_review_page_of_a_decided_application_reads_well(client):
    supervisor = f.supervisor("decided_supervisor")
    application = f.counter_application()
    from families.services.counter import application_approve

    application_approve(actor=supervisor, application=application, reason="材料齐全")
    client.force_login(f.supervisor("second_supervisor"))
    html = client.get(reverse("counter:review", args=[application.pk])).content.decode()
    assert "已已" not in html
