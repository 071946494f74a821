"""Upgrade safety of the audit app move (issue 13): a PostgreSQL database populated at
the schema before it (AuditEvent in accounts, settlements' own ledger triggers) migrates
forward with every row kept, the one append-only guard on history, audit and ledger
tables, and the audit log still showing the old events with their persons."""

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from audit.models import AuditEvent
from audit.triggers import guarded_tables
from settlements.services import settlement_post
from tests import factories

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

# The leaf nodes before the move, per app it touched.
BEFORE = [
    ("audit", None),
    ("accounts", "0006_servicehall_phone"),
    ("settlements", "0003_admin_list_indexes"),
]
TABLES = [
    "families_person", "families_historicalperson", "families_binding",
    "families_historicalbinding", "families_copayauthorization",
    "families_counterapplication", "families_historicalcounterapplication",
    "accounts_auditevent", "settlements_personalaccount", "settlements_ledgerentry",
    "settlements_settlement", "settlements_settlementline",
]
LEDGER = ["settlements_ledgerentry", "settlements_settlementline"]
# What settlements 0002 installed before the move.
LEGACY_FUNCTION = """
CREATE OR REPLACE FUNCTION settlements_reject_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'restrict_violation',
        MESSAGE = 'append-only table ' || TG_TABLE_NAME || ': ' || TG_OP || ' is not allowed';
END;
$$ LANGUAGE plpgsql;
"""


def _migrate_back_to_the_old_schema() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    with connection.cursor() as cursor:
        cursor.execute(LEGACY_FUNCTION)
        for table in LEDGER:
            cursor.execute(f"DROP TRIGGER IF EXISTS append_only_guard ON {table}")
            cursor.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION settlements_reject_change()"
            )
        cursor.execute("SELECT app_label FROM django_content_type WHERE model = 'auditevent'")
        assert cursor.fetchall() == [("accounts",)]


def _populate() -> dict:
    clerk, supervisor = factories.clerk(), factories.supervisor()
    holder, member = factories.person("王老人"), factories.person("王小孙")
    factories.binding(holder, member, applied_by=clerk)
    factories.counter_application(factories.person("李申请"), factories.person("李家属"))
    factories.account(holder, 500)
    factories.active_copay(holder, member)
    settlement_post(
        actor=factories.ledger_operator(), beneficiary=member, institution_name="北京协和医院",
        institution_code="H11010100001", category="outpatient", amount=factories.yuan(100),
        reference="REF-UPGRADE-1", reason="定点机构结算",
    )
    with connection.cursor() as cursor:  # an export event written before the move
        cursor.execute(
            "INSERT INTO accounts_auditevent (occurred_at, actor_username, action, model, "
            "object_id, object_repr, application_number, reason, changes, details, "
            "history_model, person_id, other_person_id) VALUES (now(), 'supervisor', "
            "'export', 'accounts.auditevent', '', '审计日志', '', '', '[]', '{}', '', %s, %s)",
            [holder.pk, member.pk],
        )
    return {"holder": holder, "member": member, "supervisor": supervisor}


def _counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        out = {}
        for table in TABLES:
            cursor.execute(f"SELECT count(*) FROM {table}")
            out[table] = cursor.fetchone()[0]
    return out


def _refused(sql: str) -> bool:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    except IntegrityError:
        return True
    return False


def test_upgrade_keeps_every_row_guards_every_table_and_shows_old_events(client):
    _migrate_back_to_the_old_schema()
    world = _populate()
    before = _counts()
    assert [t for t in TABLES if not before[t]] == []

    call_command("migrate", verbosity=0)

    assert _counts() == before
    with connection.cursor() as cursor:
        cursor.execute("SELECT app_label FROM django_content_type WHERE model = 'auditevent'")
        assert cursor.fetchall() == [("audit",)]
        cursor.execute("SELECT count(*) FROM pg_proc WHERE proname = 'settlements_reject_change'")
        assert cursor.fetchone()[0] == 0  # the legacy mechanism is gone
    assert set(LEDGER + ["accounts_auditevent", "families_historicalbinding"]) <= guarded_tables(
        connection)
    for table in [*LEDGER, "accounts_auditevent", "families_historicalbinding"]:
        assert _refused(f"UPDATE {table} SET id = id"), table
        assert _refused(f"DELETE FROM {table}"), table

    supervisor = world["supervisor"]
    assert supervisor.has_perm("audit.view_auditevent")
    client.force_login(supervisor)
    page = client.get("/admin/audit/auditevent/", {"id_number": world["holder"].id_number})
    assert page.status_code == 200
    text = page.content.decode()
    assert world["holder"].name in text and world["member"].name in text
    assert world["holder"].masked_id_number in text
    assert AuditEvent.objects.filter(model="accounts.auditevent", action="export").exists()
    old_url = client.get("/admin/accounts/auditevent/?action=export")
    assert old_url.status_code == 301
    assert old_url["Location"] == "/admin/audit/auditevent/?action=export"
