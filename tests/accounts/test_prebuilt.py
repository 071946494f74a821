"""A query compiled once answers exactly what the ORM answers for every later value."""

import datetime
import threading

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.db.models import Q
from django.db.transaction import TransactionManagementError

from accounts.models import Region
from accounts.prebuilt import PrebuiltQuery
from families.models import Binding, Person
from tests import factories as f

pytestmark = pytest.mark.django_db


def _persons_with_regions(*ids):
    return (Person.objects.select_related("insured_region", "birth_region")
            .filter(pk__in=ids).order_by("pk"))


def test_instances_equal_the_orm_with_their_select_related_rows_for_each_new_value():
    query = PrebuiltQuery(_persons_with_regions, -1, -2)
    born_elsewhere = f.person("李四")
    born_elsewhere.birth_region = f.region("310100")
    born_elsewhere.save()
    pairs = [(f.person("张三").pk, born_elsewhere.pk), (born_elsewhere.pk, 10**9)]
    for pair in pairs:
        expected = list(_persons_with_regions(*pair))
        got = query.instances(*pair)
        assert got == expected
        for mine, theirs in zip(got, expected, strict=True):
            assert mine.birth_date == theirs.birth_date  # converted like the ORM
            assert mine.insured_region.code == theirs.insured_region.code
            assert mine.birth_region_id is None or mine.birth_region.code == "310100"
            assert "insured_region" in mine._state.fields_cache  # no query to read it


def test_a_region_read_costs_no_query_after_the_prebuilt_read(django_assert_num_queries):
    person = f.person()
    query = PrebuiltQuery(_persons_with_regions, -1, -2)
    with django_assert_num_queries(1):
        (found,) = query.instances(person.pk, -5)
        assert found.insured_region.code == person.insured_region.code


def test_tuples_keep_constants_of_the_query_and_convert_values():
    holder, member = f.person(), f.person()
    f.binding(holder, member)
    query = PrebuiltQuery(
        lambda holder_id: Binding.objects.filter(
            Q(holder_id=holder_id, status__in=["pending", "active"]))
        .values_list("member_id", "status", "applied_at"), -1)
    ((member_id, status, applied_at),) = query.tuples(holder.pk)
    assert (member_id, status) == (member.pk, "active")
    assert isinstance(applied_at, datetime.datetime) and applied_at.tzinfo is not None
    assert query.tuples(member.pk) == []


def test_each_statement_is_counted_like_an_orm_query(django_assert_num_queries):
    query = PrebuiltQuery(lambda pk: Region.objects.filter(pk=pk), -1)
    region = f.region()
    with django_assert_num_queries(2):
        assert query.instances(region.pk) == [region]
        assert query.instances(region.pk + 1000) == []


def test_a_locking_query_outside_a_transaction_is_refused_as_by_the_orm(transactional_db):
    query = PrebuiltQuery(lambda pk: Region.objects.select_for_update().filter(pk=pk), -1)
    region = f.region()
    with transaction.atomic():
        assert query.instances(region.pk) == [region]
    if connection.features.has_select_for_update:
        with pytest.raises(TransactionManagementError):
            query.instances(region.pk)


def test_a_sample_that_is_not_a_parameter_is_refused_at_the_first_run():
    query = PrebuiltQuery(lambda pk, unused: Region.objects.filter(pk=pk), -1, -2)
    with pytest.raises(ImproperlyConfigured):
        query.instances(1, 2)


@pytest.mark.parametrize("samples", [(-1, -1), (datetime.date(2026, 1, 1),), (1.5,)])
def test_samples_must_be_distinct_ints_or_strings(samples):
    with pytest.raises(ImproperlyConfigured):
        PrebuiltQuery(_persons_with_regions, *samples)


def test_one_plan_serves_every_thread_on_its_own_connection(transactional_db):
    query = PrebuiltQuery(lambda pk: Region.objects.filter(pk=pk), -1)
    region = f.region()
    assert query.instances(region.pk) == [region]
    found = []

    def other_thread():
        try:
            found.extend(query.instances(region.pk))
        finally:
            connection.close()

    thread = threading.Thread(target=other_thread)
    thread.start()
    thread.join()
    assert found == [region]
