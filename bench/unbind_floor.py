"""The database's floor for the writes of a batch unbind (bench/batch_unbind.py).

The same writes as `batch_unbind --deceased`, as plain set-based SQL: per link table, the
selected ids into a temporary table, then one statement — ``UPDATE ... FROM ids ...
RETURNING`` feeding the history ``INSERT ... SELECT`` and the audit-event ``INSERT ...
SELECT`` (same tables, so the same indexes, triggers and columns) — one transaction per
table per connection, the ids split by ``id % workers`` over that many connections at
once. No report, no chunks, no per-link checks.
"""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

# (link table, history table, first, second, end status, action, model label, label)
TABLES = (
    ("families_binding", "families_historicalbinding", "holder_id", "member_id", "unbound",
     "binding_unbind", "families.binding", "亲情账户绑定", "binding_id"),
    ("families_copayauthorization", "families_historicalcopayauthorization", "authorizer_id",
     "beneficiary_id", "revoked", "copay_revoke", "families.copayauthorization",
     "家庭共济授权", "copay_id"),
)


def _columns(conn, table: str) -> list[str]:
    return [r[0] for r in conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
        "ORDER BY ordinal_position", [table]).fetchall()]


def statements(conn, operator_id: int, reason: str, workers: int, part: int) -> list[str]:
    """The SQL one connection runs for its share (`id % workers = part`) of both tables."""
    out = []
    for (table, history, first, second, status, action, label, verbose,
         app_link) in TABLES:
        link_cols = _columns(conn, table)
        history_cols = [c for c in _columns(conn, history) if c != "history_id"]
        extra = {"history_date": "now()", "history_change_reason": "%(reason)s",
                 "history_type": "'~'", "history_user_id": str(operator_id)}
        select = ", ".join(f"u.{c}" if c in link_cols else extra[c] for c in history_cols)
        changes = json.dumps([
            {"field": "status", "verbose_name": "状态", "old": "有效", "new": status},
            {"field": "end_reason", "verbose_name": "解除原因", "old": "", "new": reason},
        ], ensure_ascii=False).replace("'", "''")
        temp = f"floor_ids_{part}"
        out.append(
            f"CREATE TEMPORARY TABLE {temp} (id bigint PRIMARY KEY) ON COMMIT DROP;"
            f"INSERT INTO {temp} (id) SELECT l.id FROM {table} l "
            f"JOIN families_person a ON a.id = l.{first} "
            f"JOIN families_person b ON b.id = l.{second} "
            f"WHERE l.status = 'active' AND (a.death_date IS NOT NULL OR b.death_date IS NOT NULL) "
            f"AND mod(l.id, {workers}) = {part};"
            f"WITH u AS (UPDATE {table} l SET status = '{status}', ended_at = now(), "
            f"ended_by_id = {operator_id}, end_reason = %(reason)s FROM {temp} i "
            f"WHERE l.id = i.id AND l.status = 'active' RETURNING l.*), "
            f"h AS (INSERT INTO {history} ({', '.join(history_cols)}) SELECT {select} FROM u "
            f"RETURNING history_id, id, {first}, {second}, history_date, history_user_id, "
            f"history_change_reason) "
            "INSERT INTO accounts_auditevent (occurred_at, actor_id, actor_username, hall_id, "
            "region_id, action, model, object_id, object_repr, person_id, other_person_id, "
            "application_number, reason, changes, details, history_model, history_id) "
            f"SELECT h.history_date, h.history_user_id, s.username, s.hall_id, "
            f"p.insured_region_id, '{action}', '{label}', h.id::text, "
            f"'{verbose} #' || h.id::text, h.{first}, h.{second}, coalesce(ca.number, ''), "
            f"coalesce(h.history_change_reason, ''), '{changes}'::jsonb, '{{}}'::jsonb, "
            f"'{history.replace('families_', 'families.')}', h.history_id FROM h "
            f"JOIN families_person p ON p.id = h.{first} "
            f"LEFT JOIN accounts_user s ON s.id = h.history_user_id "
            f"LEFT JOIN families_counterapplication ca ON ca.{app_link} = h.id")
    return out


def run_floor(connect, operator: str, reason: str, workers: int) -> float:
    """Seconds for the whole floor: `workers` connections at once (connect() opens one)."""
    conns = [connect() for _ in range(workers)]
    operator_id = conns[0].execute("SELECT id FROM accounts_user WHERE username = %s",
                                   [operator]).fetchone()[0]
    plans = [statements(conns[0], operator_id, reason, workers, part) for part in range(workers)]
    barrier = threading.Barrier(workers + 1)

    def work(conn, plan):
        barrier.wait()
        for sql in plan:
            with conn.transaction():
                for statement in sql.split(";"):
                    conn.execute(statement.replace("%(reason)s", "%s"),
                                 [reason] * statement.count("%(reason)s"))

    with ThreadPoolExecutor(workers) as pool:
        futures = [pool.submit(work, c, p) for c, p in zip(conns, plans, strict=True)]
        barrier.wait()
        started = time.perf_counter()
        for future in futures:
            future.result()  # re-raises a connection's error
        seconds = time.perf_counter() - started
    for conn in conns:
        conn.close()
    return seconds
