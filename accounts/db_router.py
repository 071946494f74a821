"""Read replica routing (used only when DATABASE_REPLICA_URL is set).

Only reads that tolerate replication lag go to the "replica" alias:

- every read of a model in REPLICA_READ_MODELS (the audit log: its list, detail and CSV
  export), and
- any read inside `with replica_reads():` (exports and reports, e.g. the account
  statement CSV).

Everything else reads from "default", in particular every model the services check
rules against (persons, bindings, authorizations, accounts, ledger): the services lock
with `select_for_update()` inside `transaction.atomic()`, which Django sends through
`db_for_write`, and any read made while "default" is inside an atomic block stays on
"default" as well, so a rule never sees stale rows. Writes always go to "default".
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"
REPLICA_READ_MODELS = frozenset({"audit.auditevent"})

_replica_reads: ContextVar[bool] = ContextVar("replica_reads", default=False)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


@contextmanager
def replica_reads() -> Iterator[None]:
    """Send the reads made inside this block to the replica (when one is configured).
    For read-only exports and reports; never around a service call."""
    token = _replica_reads.set(True)
    try:
        yield
    finally:
        _replica_reads.reset(token)


class ReplicaRouter:
    def db_for_read(self, model, **hints) -> str:
        if not replica_configured() or connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        if model._meta.label_lower in REPLICA_READ_MODELS or _replica_reads.get():
            return REPLICA
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool | None:
        both = {obj1._state.db, obj2._state.db}
        if both <= {DEFAULT_DB_ALIAS, REPLICA, None}:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, model_name=None, **hints) -> bool:
        # The replica is a copy made by PostgreSQL replication; never migrate it.
        return db != REPLICA
