"""Per-object history pages (the read-only simple-history base): Chinese headers,
labels instead of codes, China time to the second, nothing printed as "None" or as a
deleted object for an empty field, relationship labels instead of JSON, and never a
password."""

import re

import pytest

from audit.services import save_audited
from families.services import binding_unbind
from tests import factories

pytestmark = pytest.mark.django_db

UTC_OR_MICROSECONDS = re.compile(r"\d{2}:\d{2}:\d{2}\.\d|\+00:00")


def _history(client, user, url):
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def _assert_plain_chinese(page):
    for raw in ("CHANGES", "Changes", "None", "pk=None", "Deleted", "Change reason"):
        assert raw not in page, raw
    assert not UTC_OR_MICROSECONDS.search(page)


def test_binding_history_shows_labels_china_time_and_no_empty_object(client):
    supervisor = factories.supervisor("bjsup")
    link = factories.binding(factories.person("王持有"), factories.person("王成员"))
    binding_unbind(actor=supervisor, binding=link, reason="双方申请解绑")
    page = _history(client, supervisor, f"/admin/families/binding/{link.pk}/history/")
    _assert_plain_chinese(page)
    assert "已绑定 → 已解绑" in page.replace("&nbsp;", " ").replace("&rarr;", "→")
    assert "双方申请解绑" in page
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", page)
    row = link.history.order_by("-history_id").first()
    version = _history(client, supervisor,
                       f"/admin/families/binding/{link.pk}/history/{row.history_id}/")
    assert re.search(r"\d{1,2}:\d{2}:\d{2}", version)
    assert "unbound" not in version


def test_region_policy_history_lists_relationships_by_label(client):
    admin_user = factories.sysadmin("root")
    policy = factories.policy(binding_relationships=["spouse", "child"])
    policy.binding_relationships = ["spouse"]
    save_audited(policy, actor=admin_user, reason="收紧范围", action="changed")
    page = _history(client, admin_user, f"/admin/families/regionpolicy/{policy.pk}/history/")
    _assert_plain_chinese(page)
    assert '"spouse"' not in page and "&quot;spouse&quot;" not in page
    assert "配偶、子女" in page and "收紧范围" in page


def test_staff_history_never_shows_the_password(client):
    admin_user = factories.sysadmin("root")
    clerk = factories.clerk("bjclerk")
    clerk.set_password("a-secret-pass-123")
    clerk.first_name = "新名"
    save_audited(clerk, actor=admin_user, reason="重置密码", action="changed")
    page = _history(client, admin_user, f"/admin/accounts/user/{clerk.pk}/history/")
    _assert_plain_chinese(page)
    assert "新名" in page and "pbkdf2" not in page and clerk.password not in page
