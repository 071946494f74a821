"""Security headers, cookies and CSRF on real responses; error pages without traceback."""

import pytest
from django.db import OperationalError
from django.test import Client
from django.urls import path

from tests import factories as f

pytestmark = pytest.mark.django_db


def _csp(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    out = {}
    for part in header.split(";"):
        name, *values = part.strip().split()
        out[name] = values
    return out


@pytest.fixture
def clerk_client(client):
    client.force_login(f.clerk("h_clerk"))
    return client


def test_login_page_has_csp_frame_deny_nosniff_referrer_and_coop(client):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    csp = _csp(response)
    assert csp["default-src"] == ["'self'"]
    assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"] and csp["form-action"] == ["'self'"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_counter_pages_carry_the_same_policy(clerk_client):
    response = clerk_client.get("/admin/counter/intake/")
    assert response.status_code == 200
    assert _csp(response)["frame-ancestors"] == ["'none'"]
    assert response["X-Frame-Options"] == "DENY"
    assert "no-cache" in response["Cache-Control"] or "private" in response["Cache-Control"]


def test_a_scan_is_sandboxed_never_sniffed_and_never_framed(clerk_client):
    application = f.counter_application(actor=f.clerk("h_clerk2"))
    scan = application.binding.proof.scans.get()
    response = clerk_client.get(f"/admin/counter/scans/{scan.pk}/")
    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"
    assert _csp(response)["sandbox"] == []
    assert _csp(response)["default-src"] == ["'none'"]
    assert response["X-Content-Type-Options"] == "nosniff"


def test_no_inline_script_in_admin_and_counter_pages_except_the_hashed_print_handler(
        clerk_client):
    import re

    application = f.counter_application(actor=f.clerk("h_clerk3"))
    for url in ("/admin/", "/admin/counter/intake/", "/admin/families/person/",
                f"/admin/counter/applications/{application.pk}/receipt/"):
        html = clerk_client.get(url).content.decode()
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag or 'type="application/json"' in tag, (url, tag)
        handlers = re.findall(r"\son[a-z]+=\"([^\"]*)\"", html)
        assert set(handlers) <= {"window.print()"}, (url, handlers)


def test_session_and_csrf_cookies_are_secure_httponly_and_end_with_the_browser(client):
    f.clerk("h_login")
    client.get("/admin/login/")
    response = client.post("/admin/login/?next=/admin/",
                           {"username": "h_login", "password": "Test-pass-2026"})
    assert response.status_code == 302
    session = response.cookies["sessionid"]
    assert session["secure"] and session["httponly"]
    assert session["samesite"] == "Lax"
    assert not session["expires"] and not session["max-age"]  # a browser-session cookie
    csrf = client.cookies["csrftoken"]
    assert csrf["secure"] and csrf["httponly"]


def test_hsts_and_ssl_redirect_follow_the_environment(settings, client):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/admin/login/")
    assert response.status_code == 301 and response["Location"].startswith("https://")
    response = client.get("/admin/login/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


def test_every_post_needs_a_csrf_token_and_logout_is_post_only():
    clerk = f.clerk("h_csrf")
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(clerk)
    for url in ("/admin/logout/", "/admin/counter/intake/", "/admin/counter/intake/commitment-letter/",
                "/admin/password_change/"):
        response = strict.post(url, {})
        assert response.status_code == 403, url
        assert "请求已过期" in response.content.decode(), url
    assert strict.get("/admin/logout/").status_code == 405
    assert strict.get("/admin/counter/intake/").status_code == 200  # still signed in
    anonymous = Client(enforce_csrf_checks=True)
    assert anonymous.post("/admin/login/", {"username": "h_csrf",
                                            "password": "Test-pass-2026"}).status_code == 403


def _boom_db(request):
    raise OperationalError("server closed the connection unexpectedly")


def _boom(request):
    raise RuntimeError("secret internals: /etc/passwd")


urlpatterns = [path("boom-db/", _boom_db), path("boom/", _boom)]
handler500 = "config.errors.server_error"  # as in config/urls.py


@pytest.mark.urls("tests.security.test_headers")
def test_a_database_outage_is_a_chinese_503_without_traceback():
    client = Client(raise_request_exception=False)
    response = client.get("/boom-db/")
    body = response.content.decode()
    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    assert "系统繁忙,请稍后重试" in body
    assert "Traceback" not in body and "connection" not in body


@pytest.mark.urls("tests.security.test_headers")
def test_any_other_error_is_a_plain_chinese_500_without_traceback():
    client = Client(raise_request_exception=False)
    response = client.get("/boom/")
    body = response.content.decode()
    assert response.status_code == 500
    assert "系统出现错误" in body
    assert "secret internals" not in body and "Traceback" not in body
    assert "Content-Security-Policy" in response


def test_unknown_pages_and_hosts_answer_in_chinese(client):
    client.force_login(f.clerk("h_404"))
    assert "页面不存在" in client.get("/admin/counter/applications/999999/").content.decode()
    response = Client().get("/admin/login/", HTTP_HOST="evil.example.com")
    assert response.status_code == 400
    assert "请求无效" in response.content.decode()
