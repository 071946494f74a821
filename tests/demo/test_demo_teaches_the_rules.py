"""The demo data a newcomer learns the rules from: no orphan rows, and a person for each
rule the README's "Demo citizens" table lists."""

import pytest
from django.core.management import call_command

from families.idnumbers import parse_resident_id
from families.models import Binding, CounterApplication, Person
from settlements.models import LedgerEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", stdout=None)


def person(name):
    return Person.objects.get(name=name)


def test_every_counter_binding_has_its_application(demo):
    assert not Binding.objects.filter(channel="counter", application__isnull=True).exists()
    assert set(CounterApplication.objects.values_list("status", flat=True)) == {
        "pending", "approved", "rejected", "withdrawn", "expired"}


def test_a_deceased_person_whose_links_ended_with_the_death(demo):
    dead = person("钱守仁")
    assert dead.death_date is not None
    assert set(Binding.objects.filter(holder=dead).values_list("status", flat=True)) == {
        "unbound"}
    assert set(dead.copays_given.values_list("status", flat=True)) == {"revoked"}


def test_a_member_at_the_member_limit_and_a_holder_at_the_holder_limit(demo):
    assert Binding.objects.filter(member=person("钟秀兰"), status="active").count() == 6
    assert Binding.objects.filter(holder=person("钟大明"), status="active").count() == 5


def test_a_minor_and_a_resident_insured_person(demo):
    assert person("张子涵").insurance_type == "resident"
    assert person("曹颖").birth_date.year >= 2010


def test_ledger_entries_are_made_by_staff_of_the_persons_region(demo):
    for region_code, hall_region in LedgerEntry.objects.values_list(
            "account__person__insured_region__code", "created_by__hall__region__code"):
        assert region_code == hall_region


def test_demo_id_numbers_are_valid(demo):
    for number in Person.objects.values_list("id_number", flat=True):
        parse_resident_id(number)
