"""Sign-in events in the audit log and lockout by username (django-axes): 5 failures
lock the username for 30 minutes, a success resets the count, and a supervisor sees
and lifts the lock from the admin (audited)."""

import pytest
from axes.models import AccessAttempt

from audit.models import AuditEvent
from tests import factories

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/?next=/admin/"
PASSWORD = "Test-pass-2026"


def _login(client, username, password, ip="10.0.0.1"):
    return client.post(LOGIN, {"username": username, "password": password},
                       REMOTE_ADDR=ip)


def test_successful_login_and_logout_are_audit_events(client):
    clerk = factories.clerk()
    assert _login(client, clerk.username, PASSWORD).status_code == 302
    login = AuditEvent.objects.get(action="login")
    assert (login.actor, login.hall, login.region) == (clerk, clerk.hall, clerk.hall.region)
    assert login.details["ip"] == "10.0.0.1"
    assert login.action_label == "登录"
    assert client.get("/admin/logout/").status_code == 405  # logout is POST only
    assert client.post("/admin/logout/").status_code == 200
    logout = AuditEvent.objects.get(action="logout")
    assert logout.actor == clerk and logout.action_label == "退出"


def test_failed_login_is_an_event_with_the_attempted_username(client):
    clerk = factories.clerk()
    assert _login(client, clerk.username, "wrong").status_code == 200
    event = AuditEvent.objects.get(action="login_failed")
    assert event.actor is None
    assert event.actor_username == clerk.username
    assert event.object_id == str(clerk.pk)
    assert event.region == clerk.hall.region
    _login(client, "nobody-such", "wrong")
    unknown = AuditEvent.objects.get(action="login_failed", actor_username="nobody-such")
    assert unknown.object_id == "" and unknown.region is None


def test_five_failures_lock_the_username_even_with_the_right_password(client):
    clerk = factories.clerk()
    for _ in range(5):
        _login(client, clerk.username, "wrong")
    response = _login(client, clerk.username, PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="locked_out", actor_username=clerk.username)


def test_the_lock_is_by_username_not_by_the_shared_hall_ip(client):
    clerk, colleague = factories.clerk(), factories.clerk("colleague")
    for _ in range(5):
        _login(client, clerk.username, "wrong", ip="10.1.1.1")
    assert _login(client, colleague.username, PASSWORD, ip="10.1.1.1").status_code == 302


def test_a_success_resets_the_failure_count(client):
    clerk = factories.clerk()
    for _ in range(4):
        _login(client, clerk.username, "wrong")
    assert _login(client, clerk.username, PASSWORD).status_code == 302
    client.post("/admin/logout/")
    for _ in range(4):
        _login(client, clerk.username, "wrong")
    assert _login(client, clerk.username, PASSWORD).status_code == 302


def test_the_lock_expires_after_thirty_minutes(settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME == 0.5
    assert settings.AXES_LOCKOUT_PARAMETERS == ["username"]
    assert settings.AXES_RESET_ON_SUCCESS is True


def test_supervisor_sees_and_lifts_a_lock_and_the_unlock_is_audited(client):
    clerk, supervisor = factories.clerk(), factories.supervisor()
    for _ in range(5):
        _login(client, clerk.username, "wrong")
    attempt = AccessAttempt.objects.get(username=clerk.username)
    client.force_login(supervisor)
    page = client.get("/admin/axes/accessattempt/")
    assert page.status_code == 200
    html = page.content.decode()
    assert clerk.username in html and "连续失败次数" in html
    response = client.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()
    unlock = AuditEvent.objects.get(action="unlock")
    assert unlock.actor == supervisor and unlock.object_id == str(clerk.pk)
    client.logout()
    assert _login(client, clerk.username, PASSWORD).status_code == 302


def test_clerk_cannot_see_locks(client):
    client.force_login(factories.clerk())
    assert client.get("/admin/axes/accessattempt/").status_code == 403


def test_a_supervisor_sees_only_his_own_regions_locks(client):
    clerk = factories.clerk()
    for _ in range(5):
        _login(client, clerk.username, "wrong")
    attempt = AccessAttempt.objects.get(username=clerk.username)
    client.force_login(factories.supervisor("hz_sup", "HZ01", "330100"))
    assert clerk.username not in client.get("/admin/axes/accessattempt/").content.decode()
    client.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert AccessAttempt.objects.filter(pk=attempt.pk).exists()


def test_the_lockout_page_is_chinese_says_how_long_and_leads_back_to_sign_in(client):
    clerk = factories.clerk()
    for _ in range(5):
        _login(client, clerk.username, "wrong")
    response = _login(client, clerk.username, PASSWORD)
    html = response.content.decode()
    assert response.status_code == 429
    assert "已暂时锁定" in html and "30 分钟" in html and clerk.username in html
    assert 'href="/admin/login/"' in html


def test_the_lock_record_page_is_chinese_without_form_data_in_china_time(client):
    clerk, supervisor = factories.clerk(), factories.supervisor()
    for _ in range(5):
        _login(client, clerk.username, "secret-typo")
    attempt = AccessAttempt.objects.get(username=clerk.username)
    client.force_login(supervisor)
    html = client.get(f"/admin/axes/accessattempt/{attempt.pk}/change/").content.decode()
    for english in ("Attempted Access", "Meta Data", "Form Data", "POST", "Axes"):
        assert english not in html
    assert "secret-typo" not in html and "登录安全" in html
    assert "北京时间" in html and "." not in html.split("北京时间")[-1][:200].split("<")[0]
