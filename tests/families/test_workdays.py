"""Official working days: the State Council schedule (chinesecalendar), the override table
that wins over it, and the Monday–Friday fallback that the pages flag."""

import datetime

import pytest

from families.selectors import work_calendar
from families.workdays import (
    OFFICIAL,
    WorkCalendar,
    add_working_days,
    latest_start_older_than,
    working_days_between,
)
from tests import factories as f

D = datetime.date

# 2026 as published by the State Council (国办发明电〔2025〕7号): for every holiday, the
# last working day before it, its first and last day off, the first working day after it.
HOLIDAYS_2026 = {
    "元旦": (D(2025, 12, 31), D(2026, 1, 1), D(2026, 1, 3), D(2026, 1, 4)),
    "春节": (D(2026, 2, 14), D(2026, 2, 15), D(2026, 2, 23), D(2026, 2, 24)),
    "清明节": (D(2026, 4, 3), D(2026, 4, 4), D(2026, 4, 6), D(2026, 4, 7)),
    "劳动节": (D(2026, 4, 30), D(2026, 5, 1), D(2026, 5, 5), D(2026, 5, 6)),
    "端午节": (D(2026, 6, 18), D(2026, 6, 19), D(2026, 6, 21), D(2026, 6, 22)),
    "中秋节": (D(2026, 9, 24), D(2026, 9, 25), D(2026, 9, 27), D(2026, 9, 28)),
    "国庆节": (D(2026, 9, 30), D(2026, 10, 1), D(2026, 10, 7), D(2026, 10, 8)),
}
# 调休 make-up working days on a weekend, with the weekend day next to each.
MAKE_UP_DAYS_2026 = {
    D(2026, 1, 4): D(2026, 1, 3),
    D(2026, 2, 14): D(2026, 2, 15),
    D(2026, 2, 28): D(2026, 3, 1),
    D(2026, 5, 9): D(2026, 5, 10),
    D(2026, 9, 20): D(2026, 9, 19),
    D(2026, 10, 10): D(2026, 10, 11),
}


@pytest.mark.parametrize("name", list(HOLIDAYS_2026))
def test_every_2026_holiday_is_off_and_the_days_around_it_are_working_days(name):
    before, first, last, after = HOLIDAYS_2026[name]
    assert OFFICIAL.is_working_day(before) and OFFICIAL.is_working_day(after)
    day = first
    while day <= last:
        assert not OFFICIAL.is_working_day(day), day
        day += datetime.timedelta(days=1)
    assert working_days_between(before, after) == 1
    assert add_working_days(before, 1) == after


@pytest.mark.parametrize("make_up, weekend", list(MAKE_UP_DAYS_2026.items()))
def test_every_2026_make_up_day_is_a_working_day_and_its_weekend_neighbour_is_not(
        make_up, weekend):
    assert make_up.weekday() >= 5
    assert OFFICIAL.is_working_day(make_up)
    assert not OFFICIAL.is_working_day(weekend)


def test_an_application_on_30_september_2026_is_due_on_the_make_up_saturday_after_guoqing():
    # 10-08 (1), 10-09 (2), Saturday 10-10 make-up day (3); Monday–Friday would say 10-05.
    assert add_working_days(D(2026, 9, 30), 3) == D(2026, 10, 10)
    assert working_days_between(D(2026, 9, 30), D(2026, 10, 9)) == 2
    assert working_days_between(D(2026, 9, 30), D(2026, 10, 10)) == 3
    assert working_days_between(D(2026, 9, 30), D(2026, 10, 11)) == 3


def test_an_application_before_chunjie_2026_counts_the_make_up_saturday_and_skips_the_holiday():
    # Friday 02-13: Saturday 02-14 make-up (1), 02-24 (2), 02-25 (3).
    assert add_working_days(D(2026, 2, 13), 3) == D(2026, 2, 25)
    assert working_days_between(D(2026, 2, 13), D(2026, 2, 23)) == 1


def test_ordinary_weeks_still_skip_weekends():
    friday = D(2026, 3, 6)
    assert working_days_between(friday, friday) == 0
    assert working_days_between(friday, D(2026, 3, 8)) == 0
    assert working_days_between(friday, D(2026, 3, 9)) == 1
    assert add_working_days(friday, 3) == D(2026, 3, 11)


def test_latest_start_older_than_is_the_boundary_of_working_days_between():
    today = D(2026, 10, 12)
    last = latest_start_older_than(today, 3)
    assert working_days_between(last, today) == 4
    assert working_days_between(last + datetime.timedelta(days=1), today) == 3


def test_a_year_outside_the_package_falls_back_to_monday_to_friday_and_says_so():
    assert not OFFICIAL.knows_year(2099)
    assert OFFICIAL.falls_back(D(2099, 9, 30), D(2099, 10, 8))
    assert not OFFICIAL.falls_back(D(2026, 9, 30), D(2026, 10, 10))
    assert OFFICIAL.is_working_day(D(2099, 10, 1))  # a Thursday, no schedule known
    assert add_working_days(D(2099, 10, 2), 1) == D(2099, 10, 5)


def test_an_override_wins_over_the_package():
    calendar = WorkCalendar(overrides={D(2026, 10, 10): False, D(2026, 10, 1): True})
    assert not calendar.is_working_day(D(2026, 10, 10))
    assert calendar.is_working_day(D(2026, 10, 1))
    assert add_working_days(D(2026, 9, 30), 1, calendar) == D(2026, 10, 1)
    assert add_working_days(D(2026, 9, 30), 3, calendar) == D(2026, 10, 9)


@pytest.mark.django_db
def test_the_override_table_merges_national_and_regional_rows_regional_winning():
    from families.models import CalendarOverride

    bj, hz = f.region("110100"), f.region("330100")
    CalendarOverride.objects.create(day=D(2026, 10, 9), is_working_day=False, note="全国")
    CalendarOverride.objects.create(day=D(2026, 10, 9), is_working_day=True, region=hz,
                                    note="杭州照常上班")
    CalendarOverride.objects.create(day=D(2026, 10, 12), is_working_day=False, region=bj,
                                    note="北京地方假日")
    beijing, hangzhou = work_calendar(bj.pk), work_calendar(hz.pk)
    assert not beijing.is_working_day(D(2026, 10, 9))
    assert hangzhou.is_working_day(D(2026, 10, 9))
    assert not beijing.is_working_day(D(2026, 10, 12))
    assert hangzhou.is_working_day(D(2026, 10, 12))


@pytest.mark.django_db
def test_national_rows_for_a_year_the_package_lacks_make_that_year_known():
    from families.models import CalendarOverride

    CalendarOverride.objects.create(day=D(2099, 10, 1), is_working_day=False, note="国庆")
    calendar = work_calendar(None)
    assert calendar.knows_year(2099) and not calendar.falls_back(D(2099, 9, 30), D(2099, 10, 8))
    assert not calendar.is_working_day(D(2099, 10, 1))


@pytest.mark.django_db
def test_building_a_calendar_is_one_query(django_assert_num_queries):
    with django_assert_num_queries(1):
        calendar = work_calendar(None)
    with django_assert_num_queries(0):
        working_days_between(D(2026, 1, 1), D(2026, 12, 31), calendar)
