"""Counter PCs are shared: sessions end when the browser closes and after 15 minutes
without a request (each request renews the idle window)."""

import datetime
from unittest import mock

import pytest
from django.utils import timezone

from tests import factories

pytestmark = pytest.mark.django_db


def _at(minutes_from_now, start):
    return mock.patch("django.utils.timezone.now",
                      return_value=start + datetime.timedelta(minutes=minutes_from_now))


def test_settings_end_sessions_at_browser_close_and_after_15_idle_minutes(settings):
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    assert settings.SESSION_COOKIE_AGE == 15 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True


def test_session_cookie_has_no_expiry_so_it_dies_with_the_browser(client):
    client.force_login(factories.clerk())
    response = client.get("/admin/")
    cookie = response.cookies["sessionid"]
    assert cookie["expires"] == "" and cookie["max-age"] == ""


def test_session_survives_activity_and_expires_after_15_idle_minutes(client):
    client.force_login(factories.clerk())
    start = timezone.now()
    for minute in (14, 28, 42):  # each request within 15 minutes of the previous one
        with _at(minute, start):
            assert client.get("/admin/").status_code == 200, minute
    with _at(42 + 16, start):
        response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_idle_timeout_is_configurable(settings, client):
    settings.SESSION_COOKIE_AGE = 5 * 60
    client.force_login(factories.clerk())
    start = timezone.now()
    with _at(6, start):
        assert client.get("/admin/").status_code == 302
