"""Counter pages: who may open what (roles, region scoping) and intake (pre-check, uploads,
receipt). Rule violations are shown on the page, never a 500."""

import pytest
from django.urls import reverse

from families.choices import ApplicationStatus, BindingStatus
from families.models import Binding, CounterApplication, KinshipProof, ProofScan
from tests import factories as f
from tests.families.counter_views.helpers import (
    app_urls,
    as_user,
    parties,
    stored_files,
    submit,
    verification,
)

pytestmark = pytest.mark.django_db


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


def test_precheck_counts_the_member_limit_across_channels_and_per_channel(client, clerk):
    holder, member = f.person(), f.person()
    for channel in ["wechat", "wechat", "wechat", "counter", "counter", "alipay"]:
        f.binding(f.person(), member, channel=channel)
    response = as_user(client, clerk).post(reverse("counter:intake"),
                                           {**parties(holder, member), "action": "precheck"})
    html = response.content.decode()
    assert "全部渠道 6 人,其中微信 3、窗口 2、支付宝 1,上限 6 人" in html
    assert 'id="submit-button"' not in html


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
