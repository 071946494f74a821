"""PostgreSQL: a chunk's writes in one statement, as the database's floor does them
(bench/unbind_floor.py): ``UPDATE ... RETURNING`` feeds the history ``INSERT ... SELECT``,
whose ``RETURNING`` feeds the audit-event ``INSERT ... SELECT``. One round trip per chunk
and status instead of three, no id lists shipped back and forth, and the audit rows are
joined to the few rows just written instead of re-reading the history table.

The audit columns are those `audit.log.insert_events_from_history` writes for a
link (subject: the holder / authorizer and his insured region, the member / beneficiary,
the counter application's number); tests compare both paths.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Sequence

from django.db import connection

from families.services.batch.sql import id_array
from families.services.batch.types import _Kind


def _label(model) -> str:
    return model._meta.label_lower


def end_links_returning(kind: _Kind, *, old_status: str, ids: Sequence[int],
                        assignments: dict, now: datetime.datetime, actor, reason: str,
                        action: str, changes: list[dict]) -> list[int]:
    """End the links `ids` still in `old_status`; one history row and one audit event
    each. Returns the ended ids."""
    from audit.models import AuditEvent
    from families.models import CounterApplication, Person

    model = kind.model
    history = model.history.model
    qn = connection.ops.quote_name
    source = {f.column for f in model._meta.concrete_fields}
    extra = {"history_date": now, "history_change_reason": reason[:200], "history_type": "~",
             "history_user_id": actor.pk}
    columns, select, select_params = [], [], []
    for f in history._meta.concrete_fields:
        if f.column == "history_id":
            continue
        columns.append(qn(f.column))
        if f.column in source:
            select.append(f"u.{qn(f.column)}")
        else:
            select.append("%s")
            select_params.append(extra[f.column])
    sets = ", ".join(f"{qn(c)} = %s" for c in assignments)
    first, second = qn(f"{kind.first}_id"), qn(f"{kind.second}_id")
    event_columns = ("occurred_at", "actor_id", "actor_username", "hall_id", "region_id",
                     "action", "model", "object_id", "object_repr", "person_id",
                     "other_person_id", "application_number", "reason", "changes",
                     "details", "history_model", "history_id")
    sql = (
        f"WITH u AS (UPDATE {qn(model._meta.db_table)} SET {sets} "
        f"WHERE id = ANY(%s::bigint[]) AND status = %s RETURNING *), "
        f"h AS (INSERT INTO {qn(history._meta.db_table)} ({', '.join(columns)}) "
        f"SELECT {', '.join(select)} FROM u "
        f"RETURNING history_id, id, {first}, {second}, history_date, history_user_id, "
        f"history_change_reason), "
        f"e AS (INSERT INTO {qn(AuditEvent._meta.db_table)} "
        f"({', '.join(qn(c) for c in event_columns)}) "
        f"SELECT h.history_date, h.history_user_id, %s, %s, p.insured_region_id, %s, %s, "
        f"h.id::varchar, %s || h.id::varchar, h.{first}, h.{second}, "
        f"COALESCE((SELECT ca.number FROM {qn(CounterApplication._meta.db_table)} ca "
        f"WHERE ca.{qn(kind.key + '_id')} = h.id LIMIT 1), ''), "
        f"COALESCE(h.history_change_reason, ''), %s::jsonb, '{{}}'::jsonb, %s, h.history_id "
        f"FROM h LEFT JOIN {qn(Person._meta.db_table)} p ON p.id = h.{first}) "
        f"SELECT id FROM h")
    params = [*assignments.values(), id_array(ids), old_status, *select_params,
              actor.get_username(), actor.hall_id, action, _label(model),
              f"{model._meta.verbose_name} #", json.dumps(changes, ensure_ascii=False),
              _label(history)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [r[0] for r in cursor.fetchall()]
