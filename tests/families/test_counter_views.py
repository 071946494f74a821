"""Counter pages: roles, region scoping, intake (pre-check, uploads), receipt, review,
withdrawal, scan downloads, lookup. Rule violations are shown on the page, never a 500."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from families.choices import ApplicationStatus, BindingStatus
from families.models import Binding, CounterApplication, KinshipProof, ProofScan
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk():
    return f.clerk("clerk_bj")


@pytest.fixture
def supervisor():
    return f.supervisor("supervisor_bj")


@pytest.fixture
def application(clerk):
    return f.counter_application(f.person("张建国"), f.person("张秀英"), actor=clerk)


@pytest.fixture
def hz_clerk():
    return f.clerk("clerk_hz", hall_code="HZ01", region_code="330100")


@pytest.fixture
def hz_supervisor():
    return f.supervisor("supervisor_hz", hall_code="HZ01", region_code="330100")


def as_user(client, user):
    client.force_login(user)
    return client


def stored_files(settings) -> list:
    root = settings.PRIVATE_MEDIA_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def parties(holder, member, **overrides):
    data = {
        "kind": "binding",
        "holder_id_type": holder.id_type, "holder_id_number": holder.id_number,
        "holder_name": holder.name,
        "member_id_type": member.id_type, "member_id_number": member.id_number,
        "member_name": member.name,
        "relationship": "child",
    }
    data.update(overrides)
    return data


def verification(**overrides):
    data = {
        "no_face_reason": "elderly", "holder_id_seen": "on", "member_id_seen": "on",
        "proof_seen": "on", "proof_type": "household_register", "proof_number": "HK0001",
        "commitment_signed": "on",
    }
    data.update(overrides)
    return data


def submit(client, holder, member, scans, **overrides):
    data = {**parties(holder, member), **verification(**overrides), "action": "submit",
            "scans": scans}
    return client.post(reverse("counter:intake"), data)


def app_urls(app) -> dict[str, str]:
    scan = app.binding.proof.scans.first()
    return {
        "receipt": reverse("counter:receipt", args=[app.pk]),
        "detail": reverse("counter:detail", args=[app.pk]),
        "review": reverse("counter:review", args=[app.pk]),
        "withdraw": reverse("counter:withdraw", args=[app.pk]),
        "scan": reverse("counter:scan", args=[scan.pk]),
    }


# --- who may open what ------------------------------------------------------------------


def test_every_page_sends_anonymous_users_to_the_login_page(client, application):
    urls = [reverse("counter:intake"), reverse("counter:queue"), reverse("counter:lookup"),
            *app_urls(application).values()]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("admin:login")), url


def test_clerk_cannot_open_the_queue_or_the_review_page(client, clerk, application):
    as_user(client, f.clerk("clerk_bj2"))
    assert client.get(reverse("counter:queue")).status_code == 403
    assert client.get(app_urls(application)["review"]).status_code == 403
    assert client.post(app_urls(application)["review"], {"decision": "approve"}).status_code == 403
    application.refresh_from_db()
    assert application.status == ApplicationStatus.PENDING


def test_supervisor_without_intake_rights_is_refused(client, application):
    as_user(client, f.sysadmin())
    assert client.get(reverse("counter:intake")).status_code == 403
    assert client.get(app_urls(application)["scan"]).status_code == 403


def test_other_region_gets_404_for_every_application_page(client, application, hz_clerk,
                                                          hz_supervisor):
    urls = app_urls(application)
    as_user(client, hz_clerk)
    for name in ("receipt", "detail", "withdraw", "scan"):
        assert client.get(urls[name]).status_code == 404, name
    as_user(client, hz_supervisor)
    assert client.get(urls["review"]).status_code == 404
    assert client.post(urls["review"], {"decision": "approve"}).status_code == 404
    queue = client.get(reverse("counter:queue"))
    assert application.number not in queue.content.decode()
    lookup = client.get(reverse("counter:lookup"), {"number": application.number})
    assert lookup.status_code == 200 and "没有受理编号" in lookup.content.decode()
    application.refresh_from_db()
    assert application.status == ApplicationStatus.PENDING


# --- intake ------------------------------------------------------------------------------


def test_intake_page_is_inside_the_admin(client, clerk):
    response = as_user(client, clerk).get(reverse("counter:intake"))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="user-tools"' in html and "窗口受理" in html and "资格预检" in html


def test_precheck_shows_every_rule_with_figures(client, clerk):
    holder, member = f.person(), f.person()
    for _ in range(6):
        f.binding(f.person(), member, status="unbound")
    response = as_user(client, clerk).post(reverse("counter:intake"),
                                           {**parties(holder, member), "action": "precheck"})
    html = response.content.decode()
    assert "本月已新增被绑定 6 次,上限 6 次" in html
    assert "绑定人已绑定(含待审核)0 人,上限 5 人" in html
    assert 'id="submit-button"' not in html  # a failed pre-check does not open step 2


def test_precheck_name_mismatch_says_which_field_without_the_registry_value(client, clerk):
    holder, member = f.person("李建华"), f.person("李秀梅")
    response = as_user(client, clerk).post(
        reverse("counter:intake"),
        {**parties(holder, member, member_name="李秀美"), "action": "precheck"})
    html = response.content.decode()
    assert "姓名与证件号码登记信息不一致" in html and "李秀梅" not in html


def test_passed_precheck_opens_step_two_with_proofs_of_the_relationship(client, clerk):
    holder, member = f.person(), f.person()
    response = as_user(client, clerk).post(
        reverse("counter:intake"),
        {**parties(holder, member, relationship="spouse"), "action": "precheck"})
    html = response.content.decode()
    assert 'id="submit-button"' in html
    assert 'value="marriage_certificate"' in html
    assert 'value="household_register"' not in html  # a household register does not prove a marriage


def test_submit_creates_the_application_and_shows_the_receipt(client, clerk, settings):
    holder, member = f.person("王建国"), f.person("王淑芬")
    response = submit(as_user(client, clerk), holder, member, [f.scan_file()])
    app = CounterApplication.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("counter:receipt", args=[app.pk])
    receipt = client.get(response["Location"])
    html = receipt.content.decode()
    assert app.number in html and "网点BJ01" in html and "clerk_bj" in html
    assert holder.masked_id_number in html and holder.id_number not in html
    assert "个工作日内" in html
    assert "@page { size: A4" in html and "@media print" in html
    assert app.binding.status == BindingStatus.PENDING
    assert len(stored_files(settings)) == 1


@pytest.mark.parametrize("name, content, message", [
    ("证明.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 300,
     "不是 PDF、JPEG 或 PNG 文件"),
    ("证明.pdf", b"", "是空文件"),
    ("big.png", f.png_bytes((100, 100)) + b"\x00" * 5000, "超过上限"),
])
def test_bad_uploads_are_refused_with_a_message_and_nothing_is_saved(
        client, clerk, settings, name, content, message):
    settings.SCAN_MAX_BYTES = 4000
    holder, member = f.person(), f.person()
    response = submit(as_user(client, clerk), holder, member,
                      [f.scan_file(name, content, "application/pdf")])
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not CounterApplication.objects.exists() and not Binding.objects.exists()
    assert not KinshipProof.objects.exists() and not ProofScan.objects.exists()
    assert stored_files(settings) == []


def test_one_bad_file_among_good_ones_saves_nothing(client, clerk, settings):
    holder, member = f.person(), f.person()
    response = submit(as_user(client, clerk), holder, member,
                      [f.scan_file("a.png"), f.scan_file("b.pdf", b"not a pdf at all")])
    assert response.status_code == 200
    assert not ProofScan.objects.exists()
    # only the good file stays, staged for the clerk's next try (test_scan_uploads.py)
    assert [p.parent.parent.name for p in stored_files(settings)] == ["staging"]


def test_missing_confirmation_is_a_form_error(client, clerk):
    holder, member = f.person(), f.person()
    data = verification()
    del data["proof_seen"]
    response = as_user(client, clerk).post(reverse("counter:intake"), {
        **parties(holder, member), **data, "action": "submit", "scans": [f.scan_file()]})
    assert response.status_code == 200
    assert response.context["verification"].errors["proof_seen"]
    assert not CounterApplication.objects.exists()


def test_rule_violation_at_submit_is_shown_never_a_500(client, clerk):
    holder, member = f.person(region_code="330100"), f.person(region_code="330100")
    response = submit(as_user(client, clerk), holder, member, [f.scan_file()])
    assert response.status_code == 200
    assert "均不在本网点所属统筹区参保" in response.content.decode()
    assert not CounterApplication.objects.exists()


def test_service_rule_violation_becomes_a_form_error(client, clerk, monkeypatch):
    from accounts.errors import RuleViolation
    from families.views import intake

    def refuse(**kwargs):
        raise RuleViolation("monthly_limit", "本月已新增被绑定 6 次,上限 6 次")

    monkeypatch.setattr(intake, "application_submit", refuse)
    response = submit(as_user(client, clerk), f.person(), f.person(), [f.scan_file()])
    assert response.status_code == 200
    assert response.context["verification"].non_field_errors() == [
        "本月已新增被绑定 6 次,上限 6 次"]


def test_commitment_letter_is_prefilled_with_masked_ids(client, clerk):
    holder, member = f.person("赵国庆"), f.person("赵桂兰")
    response = as_user(client, clerk).post(reverse("counter:commitment"),
                                           parties(holder, member, relationship="parent"))
    html = response.content.decode()
    assert "承诺书" in html and "赵国庆" in html and "赵桂兰" in html
    assert holder.masked_id_number in html and holder.id_number not in html


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
