"""`flush` that keeps working with the append-only guard (audit/triggers.py).

Django's flush empties every table. On PostgreSQL it uses TRUNCATE, which row triggers
do not see, so nothing changes there. On SQLite it uses DELETE, which the guard
rejects: the triggers are dropped for the flush and reinstalled afterwards (also when
the flush fails). pytest-django's transactional tests and live-server tests call this
command between tests.
"""

from django.core.management.commands.flush import Command as FlushCommand
from django.db import connections

from audit.triggers import (
    append_only_tables,
    drop_append_only_triggers,
    install_append_only_triggers,
)


class Command(FlushCommand):
    def handle(self, **options):
        connection = connections[options["database"]]
        if connection.vendor != "sqlite":
            return super().handle(**options)
        tables = append_only_tables(connection)
        drop_append_only_triggers(connection, tables)
        try:
            return super().handle(**options)
        finally:
            install_append_only_triggers(connection, tables)
