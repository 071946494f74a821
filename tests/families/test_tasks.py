"""The families app's background tasks call the same services as the commands."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from families.models import Person
from families.tasks import import_persons_task
from tests import factories as f
from tests.families.test_import_persons import HEADER, number

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]


def test_the_registry_import_task_upserts_the_file_and_reports_refused_rows():
    f.region("110100")
    operator = f.supervisor("import_operator")
    name = default_storage.save("imports/registry.csv", ContentFile(
        (HEADER + f"{number(1)},张三,employee,110100,normal,,\n"
         + f"{number(2)},李四,no-such-type,110100,normal,,\n").encode("utf-8-sig")))
    result = import_persons_task.enqueue(name, operator.pk)
    assert result.status == "SUCCESSFUL", result.errors
    assert result.return_value == {"created": 1, "refused": 1, "last_line": 3}
    person = Person.objects.get(id_number=number(1))
    assert person.history.get().history_user == operator
