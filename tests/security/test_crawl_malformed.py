"""Hostile input never makes a 5xx: as each role, every admin page (changelist with bad
page numbers, orderings, dates and filters; change, history, history version and delete
pages with malformed ids) and every counter page with malformed ids and queries answers
with a page or a 4xx."""

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import NoReverseMatch, reverse

from tests import factories as f

pytestmark = pytest.mark.django_db

BAD_IDS = ["abc", "-1", "0", "99999999999999999999", "1.5", "%00", "1%27", "😀"]
BAD_QUERIES = [
    "p=abc", "p=-1", "p=99999999", "o=abc", "o=99", "o=-1.2.x", "q=%27%22%3C", "e=1",
    "all=", "_changelist_filters=p%3Dabc", "date_from=2026-02-30", "date_to=9999-12-31",
    "date_from=0000-01-01", "date_to=abc", "submitted_at__gte=9999-99-99",
    "applied_at__gte=abc", "occurred_at__gte=abc", "status=%00", "hall__id__exact=abc",
    "id__in=1,abc", "region=abc", "action=nope", "page=abc", "page=-5", "page=99999999",
]


@pytest.fixture
def users():
    return {"clerk": f.clerk("crawl_clerk"), "supervisor": f.supervisor("crawl_supervisor"),
            "sysadmin": f.sysadmin("crawl_admin")}


@pytest.fixture
def data(users):
    application = f.counter_application(actor=users["clerk"])
    return {"application": application}


def _admin_urls() -> list[str]:
    urls = []
    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        try:
            changelist = reverse("admin:{}_{}_changelist".format(*info))
        except NoReverseMatch:
            continue
        urls.append(changelist)
        urls += [f"{changelist}?{query}" for query in BAD_QUERIES]
        for bad in BAD_IDS:
            urls += [f"{changelist}{bad}/change/", f"{changelist}{bad}/history/",
                     f"{changelist}{bad}/delete/", f"{changelist}1/history/{bad}/"]
    return urls


def _counter_urls(application) -> list[str]:
    urls = [reverse("counter:intake"), reverse("counter:queue"), reverse("counter:lookup")]
    urls += [reverse("counter:queue") + f"?{q}" for q in BAD_QUERIES]
    urls += [reverse("counter:lookup") + "?number=" + q for q in ("%00", "x" * 500, "%27")]
    for name in ("detail", "receipt", "review", "withdraw"):
        pattern = reverse(f"counter:{name}", args=[application.pk])
        urls.append(pattern)
        urls += [pattern.replace(f"/{application.pk}/", f"/{bad}/") for bad in BAD_IDS]
    return urls


@pytest.mark.parametrize("role", ["clerk", "supervisor", "sysadmin"])
def test_no_page_answers_hostile_input_with_a_server_error(users, data, role):
    client = Client(raise_request_exception=False)
    client.force_login(users[role])
    failures = []
    for url in _admin_urls() + _counter_urls(data["application"]):
        status = client.get(url).status_code
        if status >= 500:
            failures.append((status, url))
    assert failures == []
