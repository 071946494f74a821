"""generate_load_data: PostgreSQL only; the rows it writes obey the model's rules."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, F

from audit.models import AuditEvent
from families.idnumbers import parse_resident_id
from families.models import Binding, CounterApplication, Person


@pytest.mark.django_db
def test_refuses_anything_but_postgresql():
    if connection.vendor == "postgresql":
        pytest.skip("SQLite behaviour")
    with pytest.raises(CommandError, match="只支持 PostgreSQL"):
        call_command("generate_load_data", "--persons", "10", verbosity=0)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_generated_rows_are_valid_and_consistent(tmp_path):
    report = tmp_path / "load.json"
    call_command("generate_load_data", "--persons", "300", "--links-per-person", "2",
                 "--copay-per-person", "0.2", "--report", str(report), verbosity=0)
    persons = list(Person.objects.values_list("id_number", flat=True))
    assert len(persons) == 300 == len(set(persons))
    for number in persons:
        parse_resident_id(number)  # valid check digit, birth date, shape
    assert Binding.objects.count() == 600
    live = (Binding.objects.filter(status__in=["pending", "active"])
            .values("holder", "member").annotate(n=Count("id")).filter(n__gt=1))
    assert not live.exists()
    assert not Binding.objects.filter(holder=F("member")).exists()
    for model in (Person, Binding):  # one audit event per history row
        label = model.history.model._meta.label_lower
        assert AuditEvent.objects.filter(history_model=label).count() == model.history.count()
    counter = Binding.objects.filter(channel="counter")
    assert CounterApplication.objects.filter(binding__in=counter).count() == counter.count()
    assert "families_person" in report.read_text()

