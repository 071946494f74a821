"""Database plumbing of the load generator: COPY streams on their own connections,
the DDL dropped and rebuilt around a load, and the set-based history / audit inserts."""

from __future__ import annotations

import json
from collections import Counter

from django.db import connection

from families.loadgen.data import BINDING_DECISION, COPAY_DECISION
from families.models import Binding, Person

# --- COPY plumbing ---------------------------------------------------------------------------


class CopyStream:
    """One COPY ... FROM STDIN on its own connection. Columns are the model's concrete
    columns; `write(values)` takes a dict, missing columns get the field default."""

    def __init__(self, model, conn_factory, counter: Counter):
        self.model = model
        self.table = model._meta.db_table
        self.columns = [f.column for f in model._meta.concrete_fields]
        self.defaults = {}
        for f in model._meta.concrete_fields:
            if f.has_default():
                value = f.get_default()
                self.defaults[f.column] = (json.dumps(value) if isinstance(value, (list, dict))
                                           else value)
            elif f.null:
                self.defaults[f.column] = None
            elif f.get_internal_type() in ("CharField", "TextField"):
                self.defaults[f.column] = ""
        self.conn = conn_factory()
        self.cursor = self.conn.cursor()
        cols = ", ".join(f'"{c}"' for c in self.columns)
        self._cm = self.cursor.copy(f'COPY "{self.table}" ({cols}) FROM STDIN')
        self.copy = self._cm.__enter__()
        self.counter = counter
        self.buffer: list[str] = []

    def write(self, values: dict) -> None:
        """One text-format COPY line (cheaper than per-value adaptation). Values are
        str()-ed; None is NULL; booleans are passed as "t"/"f". Generated values never
        contain tabs, newlines or backslashes."""
        defaults = self.defaults
        self.buffer.append("\t".join([
            "\\N" if v is None else str(v)
            for v in [values[c] if c in values else defaults[c] for c in self.columns]
        ]))
        if len(self.buffer) >= 5000:
            self.flush()

    def flush(self) -> None:
        if self.buffer:
            self.counter[self.table] += len(self.buffer)
            self.copy.write("\n".join(self.buffer) + "\n")
            self.buffer = []

    def close(self) -> None:
        self.flush()
        self._cm.__exit__(None, None, None)
        self.conn.commit()
        self.conn.close()


def _raw_connection_factory(replica: bool):
    import psycopg

    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)

    def factory():
        conn = psycopg.connect(**params)
        if replica:
            conn.execute("SET session_replication_role = replica")
        conn.execute("SET synchronous_commit = off")
        conn.execute("SET work_mem = '256MB'")
        return conn

    return factory


def _is_superuser() -> bool:
    with connection.cursor() as cur:
        cur.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        return bool(cur.fetchone()[0])


# --- indexes and constraints around the load -------------------------------------------------


def _secondary_ddl(tables: list[str]) -> tuple[list[str], list[str]]:
    """(drop statements, create statements) for the non-primary-key indexes and unique
    constraints of `tables`."""
    drops, creates = [], []
    with connection.cursor() as cur:
        cur.execute(
            """SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)
                 FROM pg_constraint c WHERE c.contype = 'u' AND c.conrelid::regclass::text = ANY(%s)""",
            [tables])
        constraint_names = set()
        for table, name, definition in cur.fetchall():
            constraint_names.add(name)
            drops.append(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
            creates.append(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
        cur.execute(
            """SELECT i.tablename, i.indexname, i.indexdef FROM pg_indexes i
                 JOIN pg_class ci ON ci.relname = i.indexname
                 JOIN pg_index x ON x.indexrelid = ci.oid
                WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s)
                  AND NOT x.indisprimary""",
            [tables])
        for _table, name, definition in cur.fetchall():
            if name in constraint_names:
                continue
            drops.append(f'DROP INDEX "{name}"')
            creates.append(definition)
    return drops, creates


HISTORY_FIELDS = ("history_id", "history_date", "history_change_reason", "history_type",
                  "history_user_id")


def _history_insert(model, history_type: str, where: str, params: list, *, date: str,
                    reason: str, user: str, overrides: dict | None = None) -> tuple[str, list]:
    history = model.history.model
    columns = [f.column for f in history._meta.concrete_fields if f.column not in HISTORY_FIELDS]
    overrides = overrides or {}
    select = [overrides.get(c, f'"{c}"') for c in columns]
    target = ", ".join(f'"{c}"' for c in columns)
    sql = (f'INSERT INTO "{history._meta.db_table}" ({target}, history_date, '
           f"history_change_reason, history_type, history_user_id) "
           f"SELECT {', '.join(select)}, {date}, {reason}, '{history_type}', {user} "
           f'FROM "{model._meta.db_table}" WHERE {where} ORDER BY id')
    return sql, params


def _label_case(column: str, choices) -> str:
    whens = " ".join(f"WHEN '{value}' THEN '{label}'" for value, label in choices)
    return f"CASE {column} {whens} ELSE {column} END"


def _audit_insert(model, first_history: int) -> tuple[str, list]:
    """INSERT ... SELECT of audit events for history rows of `model` from `first_history`."""
    history = model.history.model
    label, history_label = model._meta.label_lower, history._meta.label_lower
    columns = ("occurred_at, actor_id, actor_username, hall_id, region_id, action, model, "
               "object_id, object_repr, person_id, other_person_id, application_number, "
               "reason, changes, details, history_model, history_id")
    common = (f"'{label}', h.id::text, {{repr}}, {{person}}, {{other}}, {{number}}, "
              f"COALESCE(h.history_change_reason, ''), {{changes}}, '{{{{}}}}'::jsonb, "
              f"'{history_label}', h.history_id")
    users = "LEFT JOIN accounts_user u ON u.id = h.history_user_id"
    if model is Person:
        masked = ("left(h.id_number, 6) || repeat('*', greatest(length(h.id_number) - 10, 0))"
                  " || right(h.id_number, 4)")
        select = ("SELECT h.history_date, NULL, '', NULL, h.insured_region_id, "
                  "'person_import', " + common.format(
                      repr=f"h.name || '(' || {masked} || ')'", person="h.id", other="NULL",
                      number="''", changes="'[]'::jsonb")
                  + f' FROM "{history._meta.db_table}" h WHERE h.history_id >= %s')
    else:
        is_binding = model is Binding
        a, b = ("holder_id", "member_id") if is_binding else ("authorizer_id", "beneficiary_id")
        decisions = BINDING_DECISION if is_binding else COPAY_DECISION
        apply_action = "binding_apply" if is_binding else "copay_apply"
        action = ("CASE WHEN h.history_type = '+' THEN '" + apply_action + "' ELSE "
                  + _label_case("h.status", decisions.items()) + " END")
        status_label = _label_case("h.status", [(v, str(lbl)) for v, lbl in (
            model._meta.get_field("status").choices)])
        changes = ("CASE WHEN h.history_type = '+' THEN '[]'::jsonb ELSE jsonb_build_array("
                   "jsonb_build_object('field', 'status', 'verbose_name', '状态', 'old', "
                   f"'待审核', 'new', {status_label})) END")
        link = "binding_id" if is_binding else "copay_id"
        verbose = str(model._meta.verbose_name)
        select = (
            f"SELECT h.history_date, h.history_user_id, COALESCE(u.username, ''), u.hall_id, "
            f"p.insured_region_id, {action}, " + common.format(
                repr=f"'{verbose} #' || h.id", person=f"h.{a}", other=f"h.{b}",
                number="COALESCE(a.number, '')", changes=changes)
            + f' FROM "{history._meta.db_table}" h JOIN families_person p ON p.id = h.{a} '
            f"{users} LEFT JOIN families_counterapplication a ON a.{link} = h.id "
            "WHERE h.history_id >= %s")
    return (f"INSERT INTO accounts_auditevent ({columns}) {select} ORDER BY h.history_date",
            [first_history])
