"""The ledger moves to the one append-only guard of the audit app (audit/triggers.py):
drop the triggers settlements 0002 used to create (PostgreSQL: *_append_only and the
settlements_reject_change() function; SQLite: *_no_update, which never guarded DELETE).
The audit app's post_migrate receiver then installs the common guard (UPDATE and DELETE
refused, on both databases) on every guarded table that lacks it."""

from django.db import migrations

TABLES = ["settlements_ledgerentry", "settlements_settlementline"]


def drop_legacy(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        elif vendor == "sqlite":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
    if vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS settlements_reject_change()")


class Migration(migrations.Migration):
    dependencies = [("settlements", "0003_admin_list_indexes")]

    operations = [migrations.RunPython(drop_legacy, migrations.RunPython.noop)]
