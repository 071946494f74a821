"""The supervisor's audit log: one timeline, filters, region scope, object history,
CSV export (logged), and a first page whose query count does not grow with rows."""

import csv
import datetime
import io
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.excel import excel_text
from audit.access import record_access_event
from audit.models import AuditEvent
from audit.services import save_audited
from families.models import CounterApplication
from tests import factories
from tests.accounts.audit_helpers import application, binding

pytestmark = pytest.mark.django_db

URL = "/admin/audit/auditevent/"
CHINA = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def world():
    bj_clerk = factories.clerk("bjclerk")
    hz_clerk = factories.clerk("hzclerk", hall_code="HZ01", region_code="330100")
    supervisor = factories.supervisor("bjsup")
    holder, member = factories.person("王持有", region_code="110100"), factories.person("王成员")
    hz_holder = factories.person("杭持有", region_code="330100")
    hz_member = factories.person("杭成员", region_code="330100")
    link = binding(holder, member, bj_clerk, reason="北京绑定")
    application(link, bj_clerk, number="BJ01-20260101-0001")
    hz_link = binding(hz_holder, hz_member, hz_clerk, reason="杭州绑定")
    return {"bj_clerk": bj_clerk, "hz_clerk": hz_clerk, "supervisor": supervisor,
            "holder": holder, "member": member, "link": link, "hz_link": hz_link}


def _page(client, user, **params):
    client.force_login(user)
    response = client.get(URL, params)
    assert response.status_code == 200, response.content.decode()[:500]
    return response


def _events(response):
    return list(response.context["cl"].result_list)


def test_supervisor_sees_only_own_region_newest_first(client, world):
    events = _events(_page(client, world["supervisor"]))
    assert events, "timeline is empty"
    assert all(e.region_id == world["holder"].insured_region_id for e in events)
    assert [e.pk for e in events] == sorted((e.pk for e in events), reverse=True)
    assert "杭州绑定" not in _page(client, world["supervisor"]).content.decode()


def test_clerk_has_no_audit_log(client, world):
    client.force_login(world["bj_clerk"])
    assert client.get(URL).status_code == 403


def test_filter_by_id_number_finds_events_of_both_parties(client, world):
    for who in ("holder", "member"):
        events = _events(_page(client, world["supervisor"], id_number=world[who].id_number))
        assert {e.model for e in events} >= {"families.binding", "families.counterapplication"}
        assert all(world[who].pk in (e.person_id, e.other_person_id) for e in events)
    lower = world["holder"].id_number.lower()
    assert _events(_page(client, world["supervisor"], id_number=f" {lower} "))


def test_filter_by_application_number(client, world):
    events = _events(_page(client, world["supervisor"], application_number="BJ01-20260101-0001"))
    assert [e.model for e in events] == ["families.counterapplication"]


def test_filter_by_staff_hall_action_and_model(client, world):
    sup = world["supervisor"]
    by_staff = _events(_page(client, sup, actor=world["bj_clerk"].pk))
    assert by_staff and all(e.actor_id == world["bj_clerk"].pk for e in by_staff)
    by_hall = _events(_page(client, sup, hall=world["bj_clerk"].hall_id))
    assert by_hall and all(e.hall_id == world["bj_clerk"].hall_id for e in by_hall)
    by_action = _events(_page(client, sup, action="binding_apply"))
    assert [e.object_id for e in by_action] == [str(world["link"].pk)]
    by_model = _events(_page(client, sup, model="families.person"))
    assert by_model and all(e.model == "families.person" for e in by_model)


def test_sysadmin_filters_by_region(client, world):
    admin_user = factories.sysadmin()
    hz = world["hz_link"].holder.insured_region_id
    events = _events(_page(client, admin_user, region=hz))
    assert events and all(e.region_id == hz for e in events)
    assert any(e.reason == "杭州绑定" for e in events)


def test_date_range_is_inclusive_in_china_time(client, world):
    sup = world["supervisor"]
    late = datetime.datetime(2026, 3, 31, 23, 30, tzinfo=CHINA)
    early = datetime.datetime(2026, 4, 1, 0, 0, tzinfo=CHINA)
    for when, reason in ((late, "三月最后"), (early, "四月最早")):
        AuditEvent.objects.create(occurred_at=when, action="export", reason=reason,
                                  region=world["holder"].insured_region)
    march = {e.reason for e in _events(_page(client, sup, date_from="2026-03-31",
                                             date_to="2026-03-31"))}
    april = {e.reason for e in _events(_page(client, sup, date_from="2026-04-01"))}
    assert "三月最后" in march and "四月最早" not in march
    assert "四月最早" in april and "三月最后" not in april


def test_row_opens_the_object_history_with_diffs(client, world):
    link = world["link"]
    link.status = "active"
    save_audited(link, actor=world["supervisor"], reason="原件核验无误",
                 action="binding_approve")
    event = AuditEvent.objects.filter(action="binding_approve").get()
    list_page = _page(client, world["supervisor"]).content.decode()
    assert f"{URL}{event.pk}/change/" in list_page
    page = client.get(f"{URL}{event.pk}/change/").content.decode()
    for text in ("审核通过", "绑定申请", "原件核验无误", "北京绑定", "待审核", "已绑定",
                 world["holder"].masked_id_number):
        assert text in page, text
    assert world["holder"].id_number not in page


def test_other_region_event_detail_is_not_found(client, world):
    hz_event = AuditEvent.objects.filter(reason="杭州绑定").first()
    client.force_login(world["supervisor"])
    assert client.get(f"{URL}{hz_event.pk}/change/").status_code == 404


def test_first_page_query_count_is_small_and_does_not_grow_with_rows(
        client, world, django_assert_max_num_queries):
    sup = world["supervisor"]
    client.force_login(sup)

    def count_queries():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(URL).status_code == 200
        return len(ctx.captured_queries)

    few = count_queries()
    for _ in range(15):
        binding(factories.person(), factories.person(), world["bj_clerk"])
    assert _events(_page(client, sup)).__len__() == 50
    many = count_queries()
    assert many == few
    with django_assert_max_num_queries(15):
        client.get(URL)


def test_page_count_is_capped_not_a_full_table_count(client, world, monkeypatch):
    from audit.admin import CappedCountPaginator

    monkeypatch.setattr(CappedCountPaginator, "cap", 5)
    page = _page(client, world["supervisor"]).content.decode()
    assert "超过 5 条记录" in page


def test_csv_export_is_excel_friendly_filtered_and_logged(client, world):
    sup = world["supervisor"]
    save_audited(world["link"], actor=sup, reason="=HYPERLINK(\"http://x\")",
                 action="binding_reject")
    client.force_login(sup)
    response = client.get(f"{URL}export/", {"model": "families.binding"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[0][:3] == ["时间", "工作人员", "登录名"]
    data = rows[1:]
    assert len(data) == 2 and all(r[7] == "亲情账户绑定" for r in data)
    assert data[0][13] == "'=HYPERLINK(\"http://x\")"
    assert world["holder"].id_number not in body
    assert world["holder"].masked_id_number in body
    logged = AuditEvent.objects.get(action="export")
    assert logged.actor == sup
    assert logged.details["rows"] == 2
    assert "model=families.binding" in logged.details["filters"]
    assert logged.model == "audit.auditevent"


def test_export_needs_the_export_permission(client, world):
    client.force_login(world["bj_clerk"])
    assert client.get(f"{URL}export/").status_code == 403


@pytest.mark.parametrize("value,expected", [
    ("=1+1", "'=1+1"), ("+86", "'+86"), ("-3", "'-3"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("正常", "正常"), ("", ""), (None, ""),
])
def test_csv_cells_that_look_like_formulas_are_neutralized(value, expected):
    assert excel_text(value) == expected


def test_record_access_event_for_a_scan_download_concerns_both_persons(world):
    from families.models import KinshipProof

    proof = KinshipProof(proof_type="household_register", document_number="HK-1",
                         person_a=world["holder"], person_b=world["member"],
                         relationship="child", created_by=world["bj_clerk"])
    save_audited(proof, actor=world["bj_clerk"], reason="登记", action="proof_register")
    event = record_access_event(world["supervisor"], "scan_download", proof,
                                reason="审核查看扫描件")
    assert (event.person_id, event.other_person_id) == (world["holder"].pk, world["member"].pk)
    assert event.region == world["holder"].insured_region
    assert event.action_label == "下载扫描件"
    assert event.hall == world["supervisor"].hall


def test_event_about_a_staff_account_opens_without_its_password(client, world):
    """HistoricalUser does not track the password: the detail page lists only tracked
    fields (it was a 500 reading `password` from the history row)."""
    clerk = world["bj_clerk"]
    clerk.first_name = "新名"
    clerk.set_password("a-secret-pass-123")
    save_audited(clerk, actor=factories.sysadmin("root"), reason="更正姓名", action="changed")
    event = AuditEvent.objects.filter(model="accounts.user", reason="更正姓名").get()
    client.force_login(factories.User.objects.get(username="root"))
    response = client.get(f"{URL}{event.pk}/change/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "新名" in page and "更正姓名" in page
    assert clerk.password not in page and "pbkdf2" not in page


def test_action_filter_offers_each_label_once_and_finds_every_action_behind_it(client, world):
    sup = world["supervisor"]
    link = world["link"]
    link.status = "active"
    save_audited(link, actor=sup, reason="绑定审核通过", action="binding_approve")
    app = CounterApplication.objects.get(binding=link)
    app.status = "approved"
    save_audited(app, actor=sup, reason="受理审核通过", action="application_approve")
    page = _page(client, sup)
    action_filter = next(spec for spec in page.context["cl"].filter_specs
                         if getattr(spec, "parameter_name", None) == "action")
    labels = [str(label) for _value, label in action_filter.lookup_choices]
    assert len(labels) == len(set(labels))
    approve = next(value for value, label in action_filter.lookup_choices
                   if str(label) == "审核通过")
    assert set(approve.split(",")) == {"binding_approve", "application_approve"}
    reasons = {e.reason for e in _events(_page(client, sup, action=approve))}
    assert reasons == {"绑定审核通过", "受理审核通过"}
    html = page.content.decode()
    assert html.count("<option value=\"binding_approve,application_approve\"") == 1


def test_exact_searches_come_before_the_choice_lists(client, world):
    titles = [str(spec.title) for spec in
              _page(client, world["supervisor"]).context["cl"].filter_specs]
    assert titles.index("参保人证件号码(精确)") < titles.index("操作")
    assert titles.index("受理编号") < titles.index("工作人员")
