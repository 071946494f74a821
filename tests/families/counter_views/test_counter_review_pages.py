"""Counter pages: review, withdrawal, lookup and history, scan downloads. Rule violations
are shown on the page, never a 500."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from families.choices import ApplicationStatus, BindingStatus
from tests import factories as f
from tests.families.counter_views.helpers import app_urls, as_user

pytestmark = pytest.mark.django_db


# --- review -----------------------------------------------------------------------------


def test_supervisor_approves_on_the_review_page(client, supervisor, application):
    page = as_user(client, supervisor).get(app_urls(application)["review"])
    html = page.content.decode()
    assert page.status_code == 200 and 'id="approve-button"' in html
    assert "✓" in html and reverse("counter:scan", args=[
        application.binding.proof.scans.get().pk]) in html
    response = client.post(app_urls(application)["review"],
                           {"decision": "approve", "reason": "材料齐全"})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED
    assert application.binding.status == BindingStatus.ACTIVE


def test_reject_without_reason_is_shown_on_the_page(client, supervisor, application):
    response = as_user(client, supervisor).post(app_urls(application)["review"],
                                                {"decision": "reject", "reason": ""})
    assert response.status_code == 200
    assert "请填写办理原因" in response.content.decode()
    application.refresh_from_db()
    assert application.status == ApplicationStatus.PENDING


def test_limit_reached_while_pending_is_shown_on_the_review_page(client, supervisor, clerk):
    member = f.person()
    for _ in range(5):
        f.binding(f.person(), member, applied_at=f.china(2024, 1, 10))
    app = f.counter_application(f.person(), member, actor=clerk)
    f.binding(f.person(), member, channel="alipay")
    as_user(client, supervisor)
    page = client.get(app_urls(app)["review"]).content.decode()
    assert "被绑定人已被绑定(含待审核)全部渠道 6 人,其中微信 5、支付宝 1,上限 6 人" in page
    response = client.post(app_urls(app)["review"], {"decision": "approve"})
    assert response.status_code == 200
    assert "上限 6 人" in response.context["form"].non_field_errors()[0]
    app.refresh_from_db()
    assert app.status == ApplicationStatus.PENDING


def test_submitter_sees_no_review_buttons_and_cannot_post_a_decision(client, supervisor):
    app = f.counter_application(actor=supervisor)
    as_user(client, supervisor)
    html = client.get(app_urls(app)["review"]).content.decode()
    assert 'id="approve-button"' not in html and "须由另一名审核员审核" in html
    response = client.post(app_urls(app)["review"], {"decision": "approve"})
    assert response.status_code == 200
    assert "受理人不能审核自己受理的申请" in response.content.decode()
    app.refresh_from_db()
    assert app.status == ApplicationStatus.PENDING


def test_queue_lists_pending_of_the_region_oldest_first_with_hall_filter(client, supervisor,
                                                                         clerk):
    clerk2 = f.clerk("clerk_bj_b", hall_code="BJ02")
    first = f.counter_application(actor=clerk, at=f.china(2026, 1, 5, 9))
    second = f.counter_application(actor=clerk2, at=f.china(2026, 1, 6, 9))
    decided = f.counter_application(actor=clerk, at=f.china(2026, 1, 4, 9))
    from families.services.counter import application_reject

    application_reject(actor=supervisor, application=decided, reason="材料不清")
    html = as_user(client, supervisor).get(reverse("counter:queue")).content.decode()
    assert html.index(first.number) < html.index(second.number)
    assert decided.number not in html
    filtered = client.get(reverse("counter:queue"), {"hall": second.hall_id}).content.decode()
    assert second.number in filtered and first.number not in filtered


def test_queue_query_count_does_not_grow_with_rows(client, supervisor, clerk):
    as_user(client, supervisor)
    f.counter_application(actor=clerk)
    client.get(reverse("counter:queue"))  # warm up (session, content types)
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("counter:queue")).status_code == 200
    for _ in range(5):
        f.counter_application(actor=clerk)
    with CaptureQueriesContext(connection) as many:
        html = client.get(reverse("counter:queue")).content.decode()
    assert html.count("/review/") == 6
    assert len(many.captured_queries) == len(few.captured_queries)


# --- withdrawal, lookup, history ---------------------------------------------------------


def test_clerk_withdraws_an_application_with_a_reason(client, clerk, application):
    url = app_urls(application)["withdraw"]
    as_user(client, f.clerk("clerk_bj2"))
    refused = client.post(url, {"reason": ""})
    assert refused.status_code == 200 and refused.context["form"].errors["reason"]
    response = client.post(url, {"reason": "本人改变主意"})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == ApplicationStatus.WITHDRAWN
    assert application.binding.status == BindingStatus.WITHDRAWN


def test_lookup_by_number_shows_status_and_history(client, clerk, supervisor, application):
    from families.services.counter import application_approve

    application_approve(actor=supervisor, application=application, reason="材料齐全")
    as_user(client, f.clerk("clerk_bj2"))
    response = client.get(reverse("counter:lookup"), {"number": application.number.lower()})
    assert response.status_code == 302
    html = client.get(response["Location"]).content.decode()
    assert "已通过" in html and "clerk_bj" in html and "supervisor_bj" in html
    assert "材料齐全" in html


def test_admin_index_links_to_the_counter_pages(client, supervisor):
    html = as_user(client, supervisor).get(reverse("admin:index")).content.decode()
    for name in ("counter:intake", "counter:queue", "counter:lookup"):
        assert reverse(name) in html


# --- scans -------------------------------------------------------------------------------


def test_scan_download_checks_region_and_serves_the_private_file(client, clerk, application,
                                                                 hz_clerk):
    scan = application.binding.proof.scans.get()
    url = app_urls(application)["scan"]
    response = as_user(client, f.clerk("clerk_bj2")).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == f.png_bytes()
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline")
    assert application.number in response["Content-Disposition"]
    assert scan.original_name not in response["Content-Disposition"]
    download = client.get(url, {"download": "1"})
    assert download["Content-Disposition"].startswith("attachment")
    assert as_user(client, hz_clerk).get(url).status_code == 404


def test_scan_download_is_logged(client, clerk, application):
    from audit.models import AuditEvent

    as_user(client, f.clerk("clerk_bj2")).get(app_urls(application)["scan"])
    event = AuditEvent.objects.filter(action="scan_download").get()
    assert event.actor.username == "clerk_bj2"
    assert event.application_number == application.number


def test_other_pages_keep_frame_denied(client, clerk, application):
    response = as_user(client, clerk).get(app_urls(application)["receipt"])
    assert response["X-Frame-Options"] == "DENY"


def test_application_admin_lists_region_rows_and_links_to_the_counter_pages(client):
    application = f.counter_application()
    client.force_login(f.supervisor("list_sup"))
    page = client.get("/admin/families/counterapplication/").content.decode()
    assert application.number in page
    assert f"/admin/counter/applications/{application.pk}/review/" in page
    opened = client.get(f"/admin/families/counterapplication/{application.pk}/change/")
    assert opened.status_code == 302
    assert opened["Location"] == f"/admin/counter/applications/{application.pk}/"
    client.force_login(f.supervisor("hz_sup", "HZ01", "330100"))
    assert application.number not in client.get(
        "/admin/families/counterapplication/").content.decode()
    assert client.get(
        f"/admin/families/counterapplication/{application.pk}/change/").status_code == 404


def test_a_review_page_view_is_one_event_and_its_thumbnails_add_none(client, supervisor,
                                                                     application):
    """Viewing the review page logs one 查看扫描件 event for its scans; the thumbnails
    and the full-size view behind the page's URLs are covered by it. A download, or a
    scan URL without the page's token (or with another user's), is logged each time."""
    import re

    from audit.models import AuditEvent

    scan = application.binding.proof.scans.get()
    page = as_user(client, supervisor).get(app_urls(application)["review"]).content.decode()
    views = AuditEvent.objects.filter(action="scan_view")
    assert views.count() == 1 and views.get().application_number == application.number
    assert views.get().details["scans"] == [scan.pk]
    inline = re.search(r'<img src="([^"]+)"', page).group(1).replace("&amp;", "&")
    for _ in range(3):
        assert client.get(inline).status_code == 200
    assert not AuditEvent.objects.filter(action="scan_download").exists()
    client.get(app_urls(application)["scan"], {"download": "1"})
    client.get(app_urls(application)["scan"])
    client.get(inline + "x")
    assert AuditEvent.objects.filter(action="scan_download").count() == 3
    as_user(client, f.supervisor("supervisor_bj2")).get(inline)
    assert AuditEvent.objects.filter(action="scan_download").count() == 4
    assert AuditEvent.objects.filter(action="scan_view").count() == 1
