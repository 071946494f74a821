"""Set-based SQL for batch paths, on PostgreSQL and SQLite."""

import datetime
import itertools
from collections.abc import Iterable, Iterator, Sequence

from django.db import OperationalError, connection, models
from django.db.models import Q
from django.db.models.expressions import RawSQL

from families.services.batch.types import _Kind

# --- SQL helpers (PostgreSQL and SQLite) ------------------------------------------------


def id_array(ids: Sequence[int]) -> str:
    """PostgreSQL: `ids` as one array literal ('{1,2,3}', cast with ::bigint[]). Django's
    psycopg cursors bind on the client, where a list of 10,000 ints is quoted element by
    element in Python (about 25 ms per chunk and statement); one string is escaped in C."""
    return "{" + ",".join(map(str, ids)) + "}"


def _in(column: str, ids: Sequence[int]) -> tuple[str, list]:
    """`column` is one of `ids`: one array parameter on PostgreSQL (a list of 5,000
    placeholders costs more to build and parse than the statement's work)."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s::bigint[])", [id_array(ids)]
    return f"{column} IN ({', '.join(['%s'] * len(ids))})", list(ids)


def _q_in(field: str, ids: Sequence[int]) -> Q:
    if connection.vendor == "postgresql":
        return Q(**{f"{field}__in": RawSQL("SELECT unnest(%s::bigint[])", [id_array(ids)])})
    return Q(**{f"{field}__in": list(ids)})


def _filter_ids(queryset: models.QuerySet, field: str, ids: Sequence[int]) -> models.QuerySet:
    return queryset.filter(_q_in(field, ids))


def _temp_table(kind: _Kind) -> str:
    schema = "pg_temp" if connection.vendor == "postgresql" else "temp"
    return f"{schema}.batch_unbind_{kind.key}_ids"


def _is_deadlock(exc: OperationalError) -> bool:
    return getattr(exc.__cause__, "sqlstate", None) in {"40P01", "40001"}


def _batched(iterable: Iterable, n: int) -> Iterator[list]:
    it = iter(iterable)
    while batch := list(itertools.islice(it, n)):
        yield batch


def update_with_history(model, assignments: dict, where: str, params: list,
                        now: datetime.datetime, *, actor_id: int,
                        reason: str) -> tuple[list[int], list[int]]:
    """One set-based UPDATE ... RETURNING id, then INSERT ... SELECT of the history
    rows of exactly those rows (history user = operator, reason = the batch reason).
    Returns (updated ids, history ids)."""
    history = model.history.model
    qn = connection.ops.quote_name
    when = connection.ops.adapt_datetimefield_value(now)
    values = [when if isinstance(v, datetime.datetime) else v for v in assignments.values()]
    sets = ", ".join(f"{qn(column)} = %s" for column in assignments)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {qn(model._meta.db_table)} SET {sets} WHERE {where} RETURNING id",
            [*values, *params])
        updated = [r[0] for r in cursor.fetchall()]
        if not updated:
            return [], []
        source = {f.column for f in model._meta.concrete_fields}
        columns, select, select_params = [], [], []
        extra = {"history_date": when, "history_change_reason": reason[:200],
                 "history_type": "~", "history_user_id": actor_id}
        for f in history._meta.concrete_fields:
            if f.column == "history_id":
                continue
            columns.append(qn(f.column))
            if f.column in source:
                select.append(qn(f.column))
            else:
                select.append("%s")
                select_params.append(extra[f.column])
        id_where, id_params = _in("id", updated)
        cursor.execute(
            f"INSERT INTO {qn(history._meta.db_table)} ({', '.join(columns)}) "
            f"SELECT {', '.join(select)} FROM {qn(model._meta.db_table)} "
            f"WHERE {id_where} RETURNING history_id",
            [*select_params, *id_params])
        history_ids = [r[0] for r in cursor.fetchall()]
    return updated, history_ids

