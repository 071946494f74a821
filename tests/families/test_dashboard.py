"""监管看板: exact numbers against a known history, region scope, CSV export, the
pre-check refusal counter, and a query count that does not grow with the data."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from families.chinatime import china_date
from families.dashboard import build_dashboard, percentile
from families.models import CounterApplication, PrecheckRefusal
from families.rules import Check
from families.services.counter import (
    application_approve,
    application_expire,
    application_reject,
    application_withdraw,
)
from families.services.precheck_stats import precheck_refusals_record
from tests import factories as f

pytestmark = pytest.mark.django_db
HOUR = datetime.timedelta(hours=1)


def decided_after(app, hours: float) -> None:
    CounterApplication.objects.filter(pk=app.pk).update(
        reviewed_at=app.submitted_at + hours * HOUR)


@pytest.fixture
def history():
    """BJ01: 4 intakes today-2 days; 2 approved (2 h, 6 h), 1 rejected (10 h), 1
    withdrawn. BJ02: 1 intake, pending. Hangzhou: 1 intake (never on a Beijing board)."""
    clerk, clerk2 = f.clerk("clerk_bj"), f.clerk("clerk_bj2", hall_code="BJ02")
    boss = f.supervisor("boss")
    now = timezone.now()
    apps = [f.counter_application(actor=clerk, at=now - 50 * HOUR) for _ in range(4)]
    application_approve(actor=boss, application=apps[0])
    application_approve(actor=boss, application=apps[1])
    application_reject(actor=boss, application=apps[2], reason="材料不清")
    application_withdraw(actor=clerk, application=apps[3], reason="本人撤回")
    for app, hours in zip(apps[:3], (2, 6, 10), strict=True):
        decided_after(app, hours)
    pending = f.counter_application(actor=clerk2, at=now - HOUR)
    f.counter_application(f.person(region_code="330100"), f.person(region_code="330100"),
                          actor=f.clerk("clerk_hz", hall_code="HZ01", region_code="330100"))
    return {"apps": apps, "pending": pending, "boss": boss}


def test_the_board_counts_the_known_history_exactly(history):
    board = build_dashboard(region_id=f.region("110100").pk, today=china_date())
    rows = {r.hall.code: r for r in board.halls}
    bj, bj2 = rows["BJ01"], rows["BJ02"]
    assert (bj.month["intakes"], bj.month["approvals"], bj.month["rejections"],
            bj.month["withdrawals"], bj.month["expiries"]) == (4, 2, 1, 1, 0)
    assert (bj2.month["intakes"], bj2.pending, bj2.today["intakes"]) == (1, 1, 1)
    assert bj.hours and bj.median_hours == 6.0 and bj.p90_hours == 10.0
    assert board.median_hours == 6.0
    assert board.reject_reasons == [("材料不清", 1)]
    assert sum(n for _label, n in board.pending_ages) == 1
    assert "HZ01" not in rows


def test_percentile_is_nearest_rank():
    assert percentile(list(range(1, 11)), 90) == 9
    assert percentile([5.0], 90) == 5.0 and percentile([], 90) is None


def test_precheck_refusals_are_counted_per_hall_day_and_code_without_personal_data():
    hall = f.hall("BJ01")
    failed = [Check("member_limit", False, "x"), Check("holder_limit", True, "y")]
    precheck_refusals_record(hall=hall, checks=failed)
    precheck_refusals_record(hall=hall, checks=failed)
    row = PrecheckRefusal.objects.get()
    assert (row.code, row.count, row.day) == ("member_limit", 2, china_date())


def test_the_page_shows_the_region_and_exports_excel_safe_csv_with_bom(client, history):
    precheck_refusals_record(hall=f.hall("BJ01"), checks=[Check("=cmd", False, "x")])
    client.force_login(history["boss"])
    page = client.get(reverse("counter:dashboard"))
    html = page.content.decode()
    assert page.status_code == 200 and 'id="dashboard-data"' in html
    assert "<script>" not in html.split('id="dashboard-data"')[0][-200:]
    csv_response = client.get(reverse("counter:dashboard"), {"export": "refusals"})
    body = csv_response.content.decode("utf-8")
    assert body.startswith("\ufeff") and "'=cmd" in body
    assert client.get(reverse("counter:dashboard"), {"export": "nope"}).status_code == 404


def test_clerks_cannot_open_the_board(client):
    client.force_login(f.clerk())
    assert client.get(reverse("counter:dashboard")).status_code == 403


QUERY_BUDGET = 15  # bench/admin_pages.py's target for every admin page


def board_queries(client, user, params=None) -> int:
    client.force_login(user)
    client.get(reverse("counter:dashboard"), params)  # session and permission caches warm
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("counter:dashboard"), params).status_code == 200
    return len(ctx.captured_queries)


def busy_month(boss) -> None:
    """Rows of every kind the board reads, in several halls and days: intakes, pending,
    approvals, rejections with reasons, withdrawals, expiries, refusal counters."""
    clerks = [f.clerk(f"busy_{code}", hall_code=code) for code in ("BJ01", "BJ02", "BJ03")]
    for i in range(12):
        clerk = clerks[i % 3]
        app = f.counter_application(actor=clerk, at=timezone.now() - (i * 53 + 5) * HOUR)
        match i % 5:
            case 0:
                application_approve(actor=boss, application=app)
            case 1:
                application_reject(actor=boss, application=app, reason=f"材料不清{i}")
            case 2:
                application_withdraw(actor=clerk, application=app, reason="本人撤回")
            case 3:
                application_expire(actor=boss, application=app, reason="超过受理有效期")
        precheck_refusals_record(hall=clerk.hall, checks=[Check(f"rule_{i}", False, "")],
                                 at=timezone.now() - i * 24 * HOUR)


def test_query_count_is_flat_and_within_the_budget(client):
    boss = f.supervisor("boss")
    f.counter_application(actor=f.clerk("clerk_bj"))
    one = board_queries(client, boss)
    busy_month(boss)
    many = board_queries(client, boss)
    assert one == many <= QUERY_BUDGET, (one, many)
    board = build_dashboard(region_id=f.region("110100").pk, today=china_date())
    totals = {m: sum(r.month[m] for r in board.halls) for m in (
        "intakes", "approvals", "rejections", "withdrawals", "expiries")}
    assert totals == {"intakes": 13, "approvals": 3, "rejections": 3, "withdrawals": 2,
                      "expiries": 2}
    assert sum(r.pending for r in board.halls) == 3 and len(board.refusals) == 12


def test_query_count_is_flat_and_within_the_budget_for_a_system_administrator(client):
    admin_user = f.sysadmin("root")
    boss = f.supervisor("boss")
    f.counter_application(actor=f.clerk("clerk_bj"))
    one = board_queries(client, admin_user, {"region": "110100"})
    busy_month(boss)
    f.hall("HZ01", region_code="330100")
    many = board_queries(client, admin_user, {"region": "110100"})
    assert one == many <= QUERY_BUDGET, (one, many)
