"""Receipt due dates, queue age, overdue flags and expiry follow the official working days
(State Council schedule with make-up days, plus overrides) and the region's review period."""

import datetime
from types import SimpleNamespace

import pytest
from django.urls import reverse

from families.models import CalendarOverride
from families.services.deadlines import expiry_cutoff, review_deadline
from tests import factories as f

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def clerk():
    return f.clerk("clerk_bj")


def test_the_receipt_of_an_application_on_30_september_2026_promises_10_october(client, clerk):
    app = f.counter_application(actor=clerk, at=f.china(2026, 9, 30, 10))
    client.force_login(clerk)
    html = client.get(reverse("counter:receipt", args=[app.pk])).content.decode()
    assert "3 个工作日内(预计 2026年10月10日 前)" in html
    assert "按周一至周五计算" not in html


def test_the_review_period_is_region_policy(clerk):
    f.policy("110100", review_working_days=5)
    app = f.counter_application(actor=clerk, at=f.china(2026, 9, 30, 10))
    deadline = review_deadline(app, today=D(2026, 10, 1))
    assert (deadline.review_days, deadline.due) == (5, D(2026, 10, 13))


def test_queue_age_and_overdue_follow_the_holiday(clerk):
    app = f.counter_application(actor=clerk, at=f.china(2026, 9, 30, 10))
    on_friday = review_deadline(app, today=D(2026, 10, 9))
    assert (on_friday.age, on_friday.overdue) == (2, False)
    on_make_up_saturday = review_deadline(app, today=D(2026, 10, 10))
    assert (on_make_up_saturday.age, on_make_up_saturday.overdue) == (3, False)
    on_monday = review_deadline(app, today=D(2026, 10, 12))
    assert (on_monday.age, on_monday.overdue) == (4, True)


def test_a_local_holiday_in_the_override_table_moves_the_due_date(clerk):
    region = f.region("110100")
    CalendarOverride.objects.create(day=D(2026, 10, 9), is_working_day=False, region=region,
                                    note="地方假日")
    app = f.counter_application(actor=clerk, at=f.china(2026, 9, 30, 10))
    assert review_deadline(app, today=D(2026, 10, 1)).due == D(2026, 10, 12)


def test_a_due_date_in_a_year_without_a_schedule_is_flagged():
    hall = f.hall("BJ01")
    app = SimpleNamespace(hall=hall, submitted_at=f.china(2099, 9, 30, 10))
    deadline = review_deadline(app, today=D(2099, 9, 30))
    assert deadline.fallback and deadline.due == D(2099, 10, 5)


def test_the_detail_page_says_when_it_counts_monday_to_friday(client, clerk):
    CalendarOverride.objects.all().delete()
    app = f.counter_application(actor=clerk, at=f.china(2026, 12, 30, 10))
    client.force_login(clerk)
    html = client.get(reverse("counter:detail", args=[app.pk])).content.decode()
    # due 2027-01-04 or later: the package has no 2027 schedule (until it does)
    from families.workdays import OFFICIAL

    assert ("按周一至周五计算" in html) == (not OFFICIAL.knows_year(2027))


def test_expiry_counts_working_days_across_guoqing():
    region = f.region("110100")
    f.policy("110100", application_expiry_days=3)
    days, cutoff = expiry_cutoff(region.pk, f.china(2026, 10, 12, 12))
    assert days == 3
    # Taken on 09-30 or during the holiday: waited 4 working days (10-08, 10-09, the
    # make-up Saturday 10-10, 10-12), expired; taken on 10-08: waited 3, still pending.
    assert cutoff == f.china(2026, 10, 8, 0)
