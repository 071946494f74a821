"""监管看板 in a real headless Chromium: the vendored ECharts draws every chart from the
json_script data, under the production Content-Security-Policy, with no violation."""

import datetime

import pytest
from django.utils import timezone

from tests import factories as f
from tests.browser.test_counter_flow import (  # noqa: F401 - fixtures
    CSP_VIOLATIONS,
    _orm_beside_playwright,
    _plain_http_cookies,
    browser,
    log_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_dashboard_draws_its_charts_without_a_csp_violation(browser, live_server):  # noqa: F811
    CSP_VIOLATIONS.clear()
    clerk, boss = f.clerk("clerk1"), f.supervisor("supervisor1")
    for days in (0, 2, 5):
        f.counter_application(actor=clerk,
                              at=timezone.now() - datetime.timedelta(days=days))
    page = log_in(browser, live_server, "supervisor1", "/admin/counter/dashboard/")
    assert boss.username == "supervisor1"
    page.wait_for_selector('[data-chart="daily"][data-rendered="1"] canvas')
    assert page.locator("[data-chart] canvas").count() >= 4
    assert page.locator('[data-rendered="1"]').count() == 4
    assert "各网点业务量" in page.inner_text("#content-main")
    assert not CSP_VIOLATIONS, CSP_VIOLATIONS
