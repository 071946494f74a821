"""The estimated-count paginator: exact on SQLite, on small tables and on small filtered
results; PostgreSQL statistics (pg_class.reltuples, EXPLAIN) only where an exact count
would read a big table."""

import pytest
from django.db import connection

from accounts import paginator as pg
from accounts.paginator import EstimatedCountPaginator
from families.models import Person
from tests import factories as f

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql",
                                   reason="statistics estimates are PostgreSQL's")


@pytest.fixture
def persons():
    beijing = [f.person(f"京{i}") for i in range(30)]
    hangzhou = [f.person(f"杭{i}", region_code="330100") for i in range(5)]
    return beijing, hangzhou


def _analyze():
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE families_person")


def test_counts_are_exact_on_sqlite_and_for_small_tables(persons):
    _analyze()
    paginator = EstimatedCountPaginator(Person.objects.order_by("-id"), 10)
    assert paginator.count == 35
    assert paginator.estimated is False
    assert paginator.num_pages == 4


def test_filtered_small_results_are_counted_exactly(persons, monkeypatch):
    _analyze()
    monkeypatch.setattr(EstimatedCountPaginator, "threshold", 100)
    paginator = EstimatedCountPaginator(
        Person.objects.filter(insured_region__code="330100").order_by("-id"), 10)
    assert paginator.count == 5
    assert paginator.estimated is False


def test_sqlite_never_estimates_even_over_the_threshold(persons, monkeypatch):
    if connection.vendor == "postgresql":
        pytest.skip("SQLite behaviour")
    monkeypatch.setattr(EstimatedCountPaginator, "threshold", 3)
    for qs in (Person.objects.all(), Person.objects.filter(name__startswith="京")):
        paginator = EstimatedCountPaginator(qs.order_by("-id"), 10)
        assert (paginator.count, paginator.estimated) == (qs.count(), False)


@postgres_only
def test_unfiltered_big_table_uses_the_table_statistics(persons, monkeypatch):
    _analyze()
    monkeypatch.setattr(EstimatedCountPaginator, "threshold", 10)
    queries = []
    with connection.execute_wrapper(lambda run, sql, *a: queries.append(sql) or run(sql, *a)):
        paginator = EstimatedCountPaginator(Person.objects.order_by("-id"), 10)
        count = paginator.count
    assert paginator.estimated is True
    assert 30 <= count <= 40
    assert not any("COUNT(" in sql.upper() for sql in queries)


@postgres_only
def test_filtered_big_result_uses_the_planner_estimate(persons, monkeypatch):
    _analyze()
    monkeypatch.setattr(EstimatedCountPaginator, "threshold", 10)
    region = persons[0][0].insured_region_id  # as the region scope filters: on the column
    paginator = EstimatedCountPaginator(
        Person.objects.filter(insured_region=region).order_by("-id"), 10)
    assert paginator.estimated is False
    assert 20 <= paginator.count <= 40
    assert paginator.estimated is True


@postgres_only
def test_an_estimate_below_the_real_count_is_corrected_by_the_capped_count(
        persons, monkeypatch):
    monkeypatch.setattr(EstimatedCountPaginator, "threshold", 10)
    monkeypatch.setattr(pg, "plan_estimate", lambda queryset: 2)
    paginator = EstimatedCountPaginator(
        Person.objects.filter(name__startswith="京").order_by("-id"), 10)
    assert paginator.count == 11  # counted up to threshold + 1, never further
    assert paginator.estimated is True


@postgres_only
def test_never_analyzed_table_is_counted_exactly(monkeypatch):
    monkeypatch.setattr(pg, "table_estimate", lambda queryset: None)
    monkeypatch.setattr(EstimatedCountPaginator, "threshold", 1)
    f.person("甲")
    f.person("乙")
    paginator = EstimatedCountPaginator(Person.objects.order_by("-id"), 10)
    assert (paginator.count, paginator.estimated) == (2, False)


@postgres_only
def test_person_changelist_says_the_count_is_an_estimate(client, persons, monkeypatch):
    _analyze()
    monkeypatch.setattr(EstimatedCountPaginator, "threshold", 10)
    client.force_login(f.clerk())
    page = client.get("/admin/families/person/")
    assert page.context["cl"].paginator.estimated is True
    assert "约" in page.content.decode()
    # a search result is small: exact, no "约"
    found = client.get("/admin/families/person/", {"q": persons[0][0].id_number})
    assert found.context["cl"].paginator.estimated is False
    assert found.context["cl"].result_count == 1
