"""Admin pages at scale (README "Scale", bench/admin_pages.py): every page the counter
staff open all day runs a fixed number of queries, whatever the number of rows shown
(a page of 100 rows runs as many as a page of 10: no N+1 from list columns, __str__,
inlines or filters), and never more than 15. Runs on SQLite and PostgreSQL."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.admin import AuditEventAdmin
from audit.models import AuditEvent
from families.admin.bindings import BindingAdmin
from families.admin.persons import PersonAdmin
from tests import factories as f

pytestmark = pytest.mark.django_db

MAX_QUERIES = 15


def _queries(client, path, params=None) -> int:
    client.get(path, params)  # warm up: session, content types, permission caches
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path, params)
    assert response.status_code == 200, response.content.decode()[:300]
    if response.streaming:
        b"".join(response.streaming_content)
    return len(ctx.captured_queries)


def _rows(client, path, params=None) -> int:
    return len(client.get(path, params).context["cl"].result_list)


@pytest.fixture
def registry():
    """120 persons of Beijing named 张…, each holding a binding to the next one."""
    persons = [f.person(f"张{i:03d}") for i in range(120)]
    for holder, member in zip(persons, persons[1:], strict=False):
        f.binding(holder, member, status="active", applied_at=f.china(2025, 3, 1))
    return persons


def _same_queries_for_10_and_100_rows(client, monkeypatch, admin_class, path, params=None):
    monkeypatch.setattr(admin_class, "list_per_page", 10)
    assert _rows(client, path, params) == 10
    few = _queries(client, path, params)
    monkeypatch.setattr(admin_class, "list_per_page", 100)
    assert _rows(client, path, params) == 100
    many = _queries(client, path, params)
    assert many == few, f"{path}: {few} queries for 10 rows, {many} for 100"
    assert many <= MAX_QUERIES
    return many


def test_person_changelist_runs_the_same_queries_for_10_and_100_rows(
        client, registry, monkeypatch):
    client.force_login(f.clerk())
    _same_queries_for_10_and_100_rows(client, monkeypatch, PersonAdmin, "/admin/families/person/")


def test_name_prefix_search_runs_the_same_queries_for_10_and_100_rows(
        client, registry, monkeypatch):
    client.force_login(f.clerk())
    _same_queries_for_10_and_100_rows(client, monkeypatch, PersonAdmin,
                                      "/admin/families/person/", {"q": "张"})


def test_binding_changelist_filtered_by_status_runs_the_same_queries_for_10_and_100_rows(
        client, registry, monkeypatch):
    client.force_login(f.clerk())
    _same_queries_for_10_and_100_rows(client, monkeypatch, BindingAdmin,
                                      "/admin/families/binding/", {"status__exact": "active"})


def test_binding_search_by_either_party_runs_few_queries(client, registry):
    client.force_login(f.supervisor())
    member = registry[5]
    page = client.get("/admin/families/binding/", {"q": member.id_number})
    found = list(page.context["cl"].result_list)
    # as member of one binding and holder of the next
    assert {b.pk for b in found} == {b.pk for b in member.bindings_as_member.all()} | {
        b.pk for b in member.bindings_as_holder.all()}
    assert len(found) == 2
    assert _queries(client, "/admin/families/binding/", {"q": member.id_number}) <= MAX_QUERIES


def test_exact_id_search_runs_few_queries(client, registry):
    client.force_login(f.clerk())
    assert _queries(client, "/admin/families/person/",
                    {"q": registry[0].id_number}) <= MAX_QUERIES


def test_audit_log_runs_the_same_queries_for_10_and_100_rows(client, registry, monkeypatch):
    assert AuditEvent.objects.filter(region__code="110100").count() > 100
    client.force_login(f.supervisor())
    _same_queries_for_10_and_100_rows(client, monkeypatch, AuditEventAdmin,
                                      "/admin/audit/auditevent/")


def test_audit_log_filtered_by_id_number_runs_few_queries_whatever_the_rows(client):
    holder = f.person("李持有")
    client.force_login(f.supervisor())
    url = "/admin/audit/auditevent/"
    f.binding(holder, f.person("李一"))
    few = _queries(client, url, {"id_number": holder.id_number})
    for k in range(8):
        f.binding(holder, f.person(f"李{k}"), status="unbound")
    assert _rows(client, url, {"id_number": holder.id_number}) >= 9
    many = _queries(client, url, {"id_number": holder.id_number})
    assert many == few <= MAX_QUERIES


def test_audit_csv_export_runs_the_same_queries_for_5_and_60_rows(client):
    supervisor = f.supervisor()
    client.force_login(supervisor)
    url = "/admin/audit/auditevent/export/"
    f.person("赵一")
    few = _queries(client, url, {"model": "families.person"})
    for k in range(60):
        f.person(f"赵{k:02d}")
    many = _queries(client, url, {"model": "families.person"})
    assert many == few <= MAX_QUERIES


def test_person_page_with_bindings_runs_the_same_queries_for_1_and_8_bindings(client):
    person = f.person("王家长")
    f.binding(person, f.person("王一"))
    client.force_login(f.clerk())
    url = f"/admin/families/person/{person.pk}/change/"
    few = _queries(client, url)
    for k in range(4):
        f.binding(person, f.person(f"王子{k}"), status="unbound")
        f.binding(f.person(f"王父{k}"), person, relationship="parent")
    page = client.get(url).content.decode()
    assert all(f"王子{k}" in page and f"王父{k}" in page for k in range(4))
    many = _queries(client, url)
    assert many == few <= MAX_QUERIES


def test_review_queue_runs_the_same_queries_for_1_and_8_applications(client):
    supervisor = f.supervisor()
    clerk = f.clerk()
    f.counter_application(actor=clerk, at=datetime.datetime.now(datetime.UTC))
    client.force_login(supervisor)
    few = _queries(client, reverse("counter:queue"))
    for _ in range(7):
        f.counter_application(actor=clerk)
    assert client.get(reverse("counter:queue")).content.decode().count("/review/") == 8
    many = _queries(client, reverse("counter:queue"))
    assert many == few <= MAX_QUERIES
