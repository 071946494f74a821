"""Append-only guard, the one mechanism for every append-only table: database triggers
that reject UPDATE and DELETE on every history table, on the audit table and on the
tables apps register as append-only (the settlements ledger: `append_only=` in
`<app>/audit.py`), so nobody (superusers, raw SQL, a buggy batch job) can rewrite the
answer to "who changed this, when, why, and what did it look like", or a ledger entry.

Which tables: every model whose class name starts with "Historical" (simple-history,
including its m2m history tables), audit.AuditEvent and the registered models, found
through the app registry, so history tables of apps added later are covered without
code changes.

When they are installed: by a post_migrate receiver (audit.apps) after every
`migrate`, on the guarded tables that lack the guard, i.e. tables created (or, on
SQLite, rebuilt by an ALTER) since the last run; tables that have it are left alone.

PostgreSQL: one plpgsql function raises SQLSTATE 23001 (restrict_violation), attached
BEFORE UPDATE OR DELETE ... FOR EACH ROW. TRUNCATE does not fire row triggers: that is
how `manage.py flush` (and pytest-django's flush between transactional tests) still
empties a test database; production revokes TRUNCATE, UPDATE and DELETE from the
application role (README, "Audit").
SQLite: BEFORE UPDATE / BEFORE DELETE triggers with RAISE(ABORT, ...). SQLite's flush
runs DELETE, so `audit/management/commands/flush.py` (the only caller of
`drop_append_only_triggers`) removes the triggers for the duration of the flush and
reinstalls them. Emptying the whole database is the only path that bypasses the
guard; no application code path can switch it off.

Both databases raise django.db.IntegrityError on a rejected statement.
"""

from collections.abc import Iterable

from django.apps import apps as global_apps
from django.db import connections

from audit import registry

PG_FUNCTION = "append_only_reject"
PG_TRIGGER = "append_only_guard"
MESSAGE = "审计与历史记录只允许追加,禁止修改或删除 (append-only table)"


def append_only_models(app_registry=global_apps) -> list:
    """History models of every installed app, the audit table's model and the models
    registered as append-only (audit.registry.register(append_only=...))."""
    found = [m for m in app_registry.get_models() if m.__name__.startswith("Historical")]
    for label in ["audit.AuditEvent", *sorted(registry.APPEND_ONLY)]:
        try:
            found.append(app_registry.get_model(label))
        except LookupError:
            pass
    return found


def append_only_tables(connection, app_registry=global_apps) -> list[str]:
    """Tables to guard that exist in the database behind `connection`."""
    existing = set(connection.introspection.table_names())
    return sorted({m._meta.db_table for m in append_only_models(app_registry)} & existing)


def _sqlite_names(table: str) -> tuple[str, str]:
    return f"{table}__append_only_upd", f"{table}__append_only_del"


def install_append_only_triggers(connection, tables: Iterable[str]) -> None:
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"""
                CREATE OR REPLACE FUNCTION {PG_FUNCTION}() RETURNS trigger
                LANGUAGE plpgsql AS $$
                BEGIN
                    RAISE EXCEPTION USING
                        ERRCODE = 'restrict_violation',
                        MESSAGE = '{MESSAGE}: ' || TG_OP || ' ' || TG_TABLE_NAME;
                END;
                $$
                """
            )
            for table in tables:
                cursor.execute(f"DROP TRIGGER IF EXISTS {PG_TRIGGER} ON {qn(table)}")
                cursor.execute(
                    f"CREATE TRIGGER {PG_TRIGGER} BEFORE UPDATE OR DELETE ON {qn(table)} "
                    f"FOR EACH ROW EXECUTE FUNCTION {PG_FUNCTION}()"
                )
        elif connection.vendor == "sqlite":
            for table in tables:
                for name, event in zip(_sqlite_names(table), ("UPDATE", "DELETE"), strict=True):
                    cursor.execute(f"DROP TRIGGER IF EXISTS {qn(name)}")
                    cursor.execute(
                        f"CREATE TRIGGER {qn(name)} BEFORE {event} ON {qn(table)} "
                        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
                    )
        else:  # pragma: no cover - only PostgreSQL and SQLite are supported
            raise NotImplementedError(connection.vendor)


def drop_append_only_triggers(connection, tables: Iterable[str]) -> None:
    """Only for emptying a whole database (the flush command). Never call it elsewhere."""
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in tables:
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS {PG_TRIGGER} ON {qn(table)}")
            else:
                for name in _sqlite_names(table):
                    cursor.execute(f"DROP TRIGGER IF EXISTS {qn(name)}")


def guarded_tables(connection) -> set[str]:
    """Tables that currently have the guard (for tests and `check`)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE t.tgname = %s AND NOT t.tgisinternal AND t.tgenabled <> 'D' "
                "AND pg_catalog.pg_table_is_visible(c.oid)",
                [PG_TRIGGER],
            )
            return {row[0] for row in cursor.fetchall()}
        cursor.execute(
            "SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger' "
            "AND name LIKE '%\\_\\_append\\_only\\_%' ESCAPE '\\'"
        )
        names: dict[str, set[str]] = {}
        for table, name in cursor.fetchall():
            names.setdefault(table, set()).add(name)
        return {t for t, n in names.items() if n == set(_sqlite_names(t))}


def install_after_migrate(sender=None, using="default", apps=global_apps, **kwargs) -> None:
    """post_migrate receiver: install the guard on every guarded table that lacks it
    (new tables, tables SQLite rebuilt); the others keep theirs untouched."""
    connection = connections[using]
    missing = set(append_only_tables(connection, global_apps)) - guarded_tables(connection)
    install_append_only_triggers(connection, sorted(missing))
