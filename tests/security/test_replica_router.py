"""Read-replica routing with a second database alias (a TEST MIRROR of "default"):
audit-log reads and explicitly marked export reads go to "replica"; every write, every
locked read and every read inside a transaction (the services' rule checks) stays on
"default"."""

import pytest
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext

from accounts.db_router import REPLICA, ReplicaRouter, replica_reads
from audit.models import AuditEvent
from families.models import Binding, Person
from settlements.models import LedgerEntry
from tests import factories as f

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", REPLICA])


@pytest.fixture
def routed(settings):
    settings.DATABASE_ROUTERS = ["accounts.db_router.ReplicaRouter"]
    yield
    connections[REPLICA].close()


def _served(func):
    with CaptureQueriesContext(connections["default"]) as primary, \
            CaptureQueriesContext(connections[REPLICA]) as replica:
        result = func()
    return result, len(primary.captured_queries), len(replica.captured_queries)


def test_audit_log_reads_go_to_the_replica(routed):
    f.person("审计甲")
    (events, on_primary, on_replica) = _served(lambda: list(AuditEvent.objects.all()))
    assert events and on_replica == 1 and on_primary == 0
    assert events[0]._state.db == REPLICA


def test_rule_models_are_read_from_the_primary(routed):
    f.person("规则甲")
    for model in (Person, Binding, LedgerEntry):
        _rows, on_primary, on_replica = _served(lambda m=model: list(m.objects.all()))
        assert (on_primary, on_replica) == (1, 0), model


def test_marked_export_reads_go_to_the_replica_and_writes_never_do(routed):
    person = f.person("导出甲")

    def export():
        with replica_reads():
            rows = list(Person.objects.filter(pk=person.pk))
            f.person("导出中新增")  # a write inside the block still goes to the primary
            return rows
    rows, on_primary, on_replica = _served(export)
    assert rows[0]._state.db == REPLICA
    assert on_primary >= 1 and on_replica >= 1
    assert Person.objects.using("default").filter(name="导出中新增").exists()


def test_reads_inside_a_transaction_and_locked_reads_stay_on_the_primary(routed):
    f.person("锁定甲")

    def service_like():
        with replica_reads(), transaction.atomic():
            list(Person.objects.select_for_update().order_by("pk"))
            list(AuditEvent.objects.all()[:1])
            return list(Person.objects.all())
    rows, on_primary, on_replica = _served(service_like)
    assert rows and on_replica == 0 and on_primary >= 3


def test_statement_export_and_audit_export_read_from_the_replica(routed, client):
    supervisor = f.supervisor("r_supervisor")
    holder = f.person("对账甲")
    account = f.account(holder, 100)
    client.force_login(supervisor)
    with CaptureQueriesContext(connections[REPLICA]) as replica:
        response = client.get(f"/admin/settlements/personalaccount/{account.pk}/statement.csv")
    assert response.status_code == 200
    assert any("settlements_ledgerentry" in q["sql"] for q in replica.captured_queries)
    with CaptureQueriesContext(connections[REPLICA]) as replica:
        response = client.get("/admin/audit/auditevent/export/")
    assert response.status_code == 200
    assert any("accounts_auditevent" in q["sql"] for q in replica.captured_queries)


def test_router_never_migrates_the_replica_and_relates_both_aliases():
    router = ReplicaRouter()
    assert router.allow_migrate(REPLICA, "families") is False
    assert router.allow_migrate("default", "families") is True
    assert router.db_for_write(AuditEvent) == "default"


def test_without_a_replica_everything_reads_from_default(monkeypatch):
    monkeypatch.setattr("accounts.db_router.replica_configured", lambda: False)
    assert ReplicaRouter().db_for_read(AuditEvent) == "default"
