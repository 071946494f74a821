import pytest
from django.contrib.auth.models import Group

from accounts import roles
from tests import factories

pytestmark = pytest.mark.django_db


def _perms(group_name: str) -> set[str]:
    group = Group.objects.get(name=group_name)
    return {
        f"{p.content_type.app_label}.{p.codename}"
        for p in group.permissions.select_related("content_type")
    }


@pytest.mark.parametrize("role", [roles.CLERK, roles.SUPERVISOR, roles.SYSADMIN])
def test_each_role_group_has_exactly_its_declared_permissions(role):
    assert _perms(role) == roles.ROLE_PERMISSIONS[role]


def test_every_declared_permission_exists():
    from django.contrib.auth.models import Permission

    existing = {
        f"{p.content_type.app_label}.{p.codename}"
        for p in Permission.objects.select_related("content_type")
    }
    for role, wanted in roles.ROLE_PERMISSIONS.items():
        assert wanted <= existing, (role, wanted - existing)


def test_clerk_cannot_review_or_unbind_and_supervisor_can():
    assert "families.review_counterapplication" not in _perms(roles.CLERK)
    assert "families.unbind_binding" not in _perms(roles.CLERK)
    assert {"families.review_counterapplication", "families.unbind_binding"} <= _perms(
        roles.SUPERVISOR
    )


def test_only_sysadmin_edits_region_policy_and_staff():
    for role in (roles.CLERK, roles.SUPERVISOR):
        assert "families.change_regionpolicy" not in _perms(role)
        assert "accounts.change_user" not in _perms(role)
    assert {"families.change_regionpolicy", "accounts.change_user"} <= _perms(roles.SYSADMIN)


@pytest.mark.parametrize(
    "make_user", [factories.clerk, factories.supervisor, factories.sysadmin]
)
def test_each_role_logs_in_and_sees_the_admin_index_in_chinese(client, make_user):
    user = make_user()
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": user.username, "password": "Test-pass-2026"},
    )
    assert response.status_code == 302, response.content.decode()[:500]
    response = client.get("/admin/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "医保经办大厅业务管理系统" in page
    assert 'lang="zh-hans"' in page


def test_login_page_is_in_chinese(client):
    page = client.get("/admin/login/").content.decode()
    assert "登录" in page
