"""Ledger entries and settlement lines are append-only: the database itself rejects
UPDATE and DELETE of their rows.

PostgreSQL: BEFORE UPDATE OR DELETE row triggers. TRUNCATE is not a row operation, so
test-database flushes (pytest-django `transaction=True` uses TRUNCATE on PostgreSQL)
still work.

SQLite (demo and the fast local test run): only UPDATE is rejected. Django's flush for
`transaction=True` tests empties tables with DELETE on SQLite, and SQLite has no
TRUNCATE and no session flag a trigger could test, so a DELETE trigger would break every
transactional test. Production runs on PostgreSQL, where both are enforced.

Both databases report a rejected statement as django.db.IntegrityError (PostgreSQL
SQLSTATE 23001 restrict_violation, like the history-table guard in accounts/triggers.py).
"""

from django.db import migrations

TABLES = ["settlements_ledgerentry", "settlements_settlementline"]

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION settlements_reject_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING
        ERRCODE = 'restrict_violation',
        MESSAGE = 'append-only table ' || TG_TABLE_NAME || ': ' || TG_OP || ' is not allowed';
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FUNCTION, params=None)
        for table in TABLES:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION settlements_reject_change();"
            )
    elif vendor == "sqlite":
        for table in TABLES:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'append-only table {table}: UPDATE is not allowed'); "
                f"END;"
            )


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")
        schema_editor.execute("DROP FUNCTION IF EXISTS settlements_reject_change();")
    elif vendor == "sqlite":
        for table in TABLES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update;")


class Migration(migrations.Migration):
    dependencies = [("settlements", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
