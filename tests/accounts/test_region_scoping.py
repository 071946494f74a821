import pytest

from accounts.models import User
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_regions():
    beijing = factories.hall("BJ01", "110100")
    hangzhou = factories.hall("HZ01", "330100")
    return beijing, hangzhou


def test_beijing_clerk_lists_only_beijing_halls(client, two_regions):
    beijing, hangzhou = two_regions
    client.force_login(factories.clerk("bj_clerk", "BJ01"))
    page = client.get("/admin/accounts/servicehall/").content.decode()
    assert beijing.name in page
    assert hangzhou.name not in page


def test_beijing_clerk_cannot_open_or_change_a_hangzhou_hall(client, two_regions):
    _, hangzhou = two_regions
    client.force_login(factories.clerk("bj_clerk", "BJ01"))
    opened = client.get(f"/admin/accounts/servicehall/{hangzhou.pk}/change/")
    assert opened.status_code == 302  # admin's "does not exist" redirect, never the page
    changed = client.post(
        f"/admin/accounts/servicehall/{hangzhou.pk}/change/",
        {"code": "HZ01", "name": "改名", "region": hangzhou.region_id},
    )
    assert changed.status_code in (302, 403)
    hangzhou.refresh_from_db()
    assert hangzhou.name != "改名"


def test_beijing_supervisor_sees_only_beijing_staff(client, two_regions):
    factories.clerk("hz_clerk", "HZ01", "330100")
    factories.clerk("bj_clerk", "BJ01")
    client.force_login(factories.supervisor("bj_sup", "BJ01"))
    page = client.get("/admin/accounts/user/").content.decode()
    assert "bj_clerk" in page
    assert "hz_clerk" not in page
    hz = User.objects.get(username="hz_clerk")
    assert client.get(f"/admin/accounts/user/{hz.pk}/change/").status_code == 302


def test_sysadmin_sees_every_region(client, two_regions):
    beijing, hangzhou = two_regions
    client.force_login(factories.sysadmin())
    page = client.get("/admin/accounts/servicehall/").content.decode()
    assert beijing.name in page and hangzhou.name in page
