"""The audit log (审计日志): one indexed `AuditEvent` table across all models, written
in the same transaction as each history row, plus access and sign-in events.

How rows get there
------------------
1. **Every history row** (simple-history) → one event, from the
   `post_create_historical_record` receiver `record_history_event` (connected in
   audit.apps). It runs inside `save()`, i.e. inside the caller's transaction. The
   action is `instance._audit_action` (set by `audit.services.save_audited`) or
   created/changed/deleted from the history type; actor = history user; reason = change
   reason; `changes` = field diff against the previous history row, with ID numbers and
   phone numbers masked.
2. **Bulk paths** do not send that signal; they must write their events themselves, in
   the same transaction as their history rows:
   - after `bulk_create_with_history` / `bulk_update_with_history` or a manual
     `HistoricalX.objects.bulk_create(rows)`:
         record_events_for_history(HistoricalBinding, rows_or_history_ids,
                                   action="binding_unbind")
     (Python, a constant number of queries per call, full field diffs);
   - after a set-based `INSERT INTO <history table> ... SELECT` (batch unbind):
         insert_events_from_history(
             HistoricalBinding.objects.filter(history_id__gt=last_id_before),
             action="binding_unbind",
             changes=[{"field": "status", "verbose_name": "状态",
                       "old": "已绑定", "new": "已解绑"}],
         )
     which is one `INSERT INTO accounts_auditevent (audit.AuditEvent) ... SELECT ... FROM <history table>`
     statement (actor, hall, reason, time, persons, region and application number all
     come from the history rows and `AUDIT_SUBJECTS` lookups; `changes` is the same
     summary for every row, the full row state is in the linked history row).
3. **Access events** (who looked / downloaded / exported):
       record_access_event(request.user, AuditAction.SCAN_DOWNLOAD, scan,
                           request=request, reason="...", details={...})
   `target` is a model instance, a model class (exports) or None.
4. **Sign-in events** (login, failed login, lockout, logout): receivers below.

What an event concerns (persons, region, application number) comes from the model's
`AuditSubject` registered in `<app>/audit.py` (see audit.registry.AuditSubject).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.db import connections, models, router
from django.db.models import F, Value
from django.db.models.functions import Cast, Coalesce

from audit.actions import AuditAction
from audit.diffs import (
    _format_changes,
    _Labels,
    _raw_changes,
    _want_labels,
    history_changes,
    previous_history_row,
)
from audit.models import AuditEvent
from audit.registry import SUBJECTS, AuditSubject, subject_model

HISTORY_TYPE_ACTIONS = {
    "+": AuditAction.CREATED,
    "~": AuditAction.CHANGED,
    "-": AuditAction.DELETED,
}

SUBJECT_FIELDS = ("person", "other_person", "region", "application_number")


# --- What an event concerns ------------------------------------------------------------


def subject_for(model: type[models.Model]) -> AuditSubject:
    """The registered AuditSubject of a tracked model (AuditSubject() when none)."""
    return SUBJECTS.get(model._meta.label, AuditSubject())


def _subject_values(queryset: models.QuerySet, key: str, subject: AuditSubject) -> dict:
    """{key value: {"person": id, ...}} for the rows of `queryset` in one query."""
    annotations = subject.annotations()
    if not annotations:
        return {}
    out = {}
    for row in queryset.annotate(**annotations).values(key, *annotations):
        out[row[key]] = {
            name: row.get(f"_audit_{name}") for name in SUBJECT_FIELDS
        }
    return out


def _clean_subject(values: dict, model: type[models.Model], object_id, deleted: bool) -> dict:
    """Model field values (person_id ...) of the event; a deleted Person/Region cannot be
    the target of the event's foreign key."""
    values = {k: v for k, v in values.items() if v is not None}
    if deleted:
        subject = subject_model()
        if subject and model._meta.label == subject.label and values.get("person") == object_id:
            values.pop("person")
        if model._meta.label == "accounts.Region" and values.get("region") == object_id:
            values.pop("region")
    out = {f"{k}_id": v for k, v in values.items() if k != "application_number"}
    out["application_number"] = values.get("application_number") or ""
    return out


# --- Writers ---------------------------------------------------------------------------------


def _label_of(model: type[models.Model]) -> str:
    return model._meta.label_lower


def _event_for_history_row(row, previous, subject: dict, action: str | None, labels_changes):
    model = row.instance_type
    pk = getattr(row, model._meta.pk.attname)
    actor_id = row.history_user_id
    return AuditEvent(
        occurred_at=row.history_date,
        actor_id=actor_id,
        action=action or HISTORY_TYPE_ACTIONS.get(row.history_type, AuditAction.CHANGED),
        model=_label_of(model),
        object_id=str(pk),
        reason=row.history_change_reason or "",
        changes=labels_changes,
        history_model=_label_of(type(row)),
        history_id=row.history_id,
        **_clean_subject(subject, model, pk, row.history_type == "-"),
    )


def record_history_event(sender, history_instance, instance=None, **kwargs) -> None:
    """post_create_historical_record receiver: the event of one history row. A creation
    or change is written by one INSERT ... SELECT from the history row (what it concerns,
    the actor's name and hall come with it); the labels of its foreign keys come from the
    related rows the instance already holds (audit.diffs.history_changes)."""
    row = history_instance
    model = row.instance_type
    previous = None if row.history_type == "+" else previous_history_row(row)
    action = getattr(instance, "_audit_action", None) if instance is not None else None
    changes = history_changes(row, previous, instance=instance)
    target = instance if instance is not None else row.instance
    using = kwargs.get("using") or router.db_for_write(AuditEvent)
    if row.history_type != "-":
        _insert_event_of_row(type(row), row.history_id, using=using, action=action,
                             changes=changes, object_repr=_truncate(str(target)))
        return
    subject = _subject_values(
        type(row)._default_manager.filter(history_id=row.history_id), "history_id",
        subject_for(model),
    ).get(row.history_id, {})
    event = _event_for_history_row(row, previous, subject, action, changes)
    user = row.history_user if row.history_user_id else None
    if user is not None:
        event.actor_username = user.get_username()
        event.hall_id = user.hall_id
    event.object_repr = _truncate(str(target))
    event.save(using=using)


def record_events_for_history(
    history_model: type[models.Model],
    rows_or_ids: Iterable,
    *,
    action: str | None = None,
    batch_size: int = 2000,
) -> int:
    """Events for history rows written without the signal (bulk_create_with_history,
    bulk_update_with_history, a manual bulk_create of history rows). Call it in the same
    transaction. Field diffs are computed against each row's previous history row.
    Returns the number of events written."""
    ids = [getattr(r, "history_id", r) for r in rows_or_ids]
    model = history_model.instance_type
    pk_name = model._meta.pk.attname
    subject = subject_for(model)
    written = 0
    for start in range(0, len(ids), batch_size):
        chunk = ids[start:start + batch_size]
        manager = history_model._default_manager
        rows = list(manager.filter(history_id__in=chunk).select_related("history_user"))
        subjects = _subject_values(manager.filter(history_id__in=chunk), "history_id", subject)
        object_ids = {getattr(r, pk_name) for r in rows}
        earlier = defaultdict(list)
        for r in manager.filter(**{f"{pk_name}__in": object_ids},
                                history_id__lt=max(chunk)).order_by("history_id"):
            earlier[getattr(r, pk_name)].append(r)
        labels = _Labels()
        raws = []
        for r in rows:
            prev = None
            for candidate in earlier[getattr(r, pk_name)]:
                if candidate.history_id < r.history_id:
                    prev = candidate
            raw = _raw_changes(r, prev)
            _want_labels(model, raw, labels)
            raws.append((r, prev, raw))
        labels.resolve()
        events = []
        for r, prev, raw in raws:
            event = _event_for_history_row(
                r, prev, subjects.get(r.history_id, {}), action,
                _format_changes(model, raw, labels),
            )
            if r.history_user_id:
                event.actor_username = r.history_user.get_username()
                event.hall_id = r.history_user.hall_id
            event.object_repr = _truncate(f"{model._meta.verbose_name} #{getattr(r, pk_name)}")
            events.append(event)
        AuditEvent.objects.bulk_create(events, batch_size=batch_size)
        written += len(events)
    return written


def insert_events_from_history(
    history_queryset: models.QuerySet,
    *,
    action: str | None = None,
    changes: Sequence[dict] | None = None,
    object_repr: str | None = None,
) -> int:
    """Set-based path for batch jobs: one `INSERT INTO accounts_auditevent (...) SELECT
    ... FROM <history table>` for the history rows of `history_queryset` (e.g.
    `HistoricalBinding.objects.filter(history_id__gt=last_id)`), in the caller's
    transaction. `action` defaults to created/changed/deleted from the history type;
    `changes` is one summary stored on every event, `object_repr` one text (by default
    "<verbose name> #<id>"). Returns the number of rows."""
    sql, params = _insert_select(history_queryset, action, changes, object_repr)
    with connections[history_queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


# The statement of one history row (the signal's path, once per audited save) differs
# from the last one of the same model only in its parameters: built once per process
# with marker values and then filled in (building it costs ten times running it).
_ONE_ROW: dict[tuple, tuple[str, list, dict[str, int]] | None] = {}
_MARKERS = {"history_id": 2_147_418_113, "action": "\x00audit-action",  # ids: in int range
            "changes": '[{"\x00audit-changes": 1}]', "object_repr": "\x00audit-repr"}


def _insert_event_of_row(history_model, history_id: int, *, using: str, action: str | None,
                         changes: Sequence[dict], object_repr: str) -> None:
    key = (history_model, using, action is None)
    if key not in _ONE_ROW:
        sql, params = _insert_select(
            history_model._default_manager.using(using).filter(
                history_id=_MARKERS["history_id"]),
            None if action is None else _MARKERS["action"], _MARKERS["changes"],
            _MARKERS["object_repr"])
        slots = {name: [i for i, p in enumerate(params) if p == marker]
                 for name, marker in _MARKERS.items()}
        complete = all(len(found) == 1 for name, found in slots.items()
                       if name != "action" or action is not None)
        _ONE_ROW[key] = (sql, params, {n: f[0] for n, f in slots.items() if f}) \
            if complete else None
    cached = _ONE_ROW[key]
    if cached is None:  # a statement whose parameters cannot be told apart: build each time
        insert_events_from_history(
            history_model._default_manager.using(using).filter(history_id=history_id),
            action=action, changes=changes, object_repr=object_repr)
        return
    sql, template, slots = cached
    params = list(template)
    values = {"history_id": history_id, "action": action,
              "changes": json.dumps(list(changes or []), ensure_ascii=False),
              "object_repr": object_repr}
    for name, index in slots.items():
        params[index] = values[name]
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)


def _insert_select(history_queryset: models.QuerySet, action: str | None,
                   changes: Sequence[dict] | str | None, object_repr: str | None
                   ) -> tuple[str, list]:
    """The INSERT INTO accounts_auditevent ... SELECT of insert_events_from_history
    (`changes` as a list or as its JSON text)."""
    history_model = history_queryset.model
    model = history_model.instance_type
    pk_name = model._meta.pk.attname
    connection = connections[history_queryset.db]
    text = models.CharField()
    if action is None:
        action_expr = models.Case(
            *[models.When(history_type=t, then=Value(str(a))) for t, a in HISTORY_TYPE_ACTIONS.items()],
            default=Value(str(AuditAction.CHANGED)),
            output_field=text,
        )
    else:
        action_expr = Value(str(action), output_field=text)
    changes_json = changes if isinstance(changes, str) else json.dumps(
        list(changes or []), ensure_ascii=False)
    if connection.vendor == "postgresql":
        changes_expr = Cast(Value(changes_json), models.JSONField())
        details_expr = Cast(Value("{}"), models.JSONField())
    else:
        changes_expr = Value(changes_json, output_field=text)
        details_expr = Value("{}", output_field=text)
    subject = subject_for(model).annotations()
    empty = Value("", output_field=text)
    columns = {
        "occurred_at": F("history_date"),
        "actor_id": F("history_user_id"),
        "actor_username": Coalesce(F("history_user__username"), empty, output_field=text),
        "hall_id": F("history_user__hall_id"),
        "region_id": subject.get("_audit_region", Value(None, output_field=models.BigIntegerField())),
        "action": action_expr,
        "model": Value(_label_of(model), output_field=text),
        "object_id": Cast(F(pk_name), text),
        "object_repr": Value(object_repr, output_field=text) if object_repr is not None
        else models.functions.Concat(
            Value(f"{model._meta.verbose_name} #", output_field=text), Cast(F(pk_name), text),
            output_field=text,
        ),
        "person_id": subject.get("_audit_person", Value(None, output_field=models.BigIntegerField())),
        "other_person_id": subject.get(
            "_audit_other_person", Value(None, output_field=models.BigIntegerField())
        ),
        "application_number": Coalesce(
            subject.get("_audit_application_number", empty), empty, output_field=text
        ),
        "reason": Coalesce(F("history_change_reason"), empty, output_field=text),
        "changes": changes_expr,
        "details": details_expr,
        "history_model": Value(_label_of(history_model), output_field=text),
        "history_id": F("history_id"),
    }
    aliases = {f"_ae_{name}": expr for name, expr in columns.items()}
    select = history_queryset.order_by().annotate(**aliases).values_list(*aliases)
    sql, params = select.query.sql_with_params()
    qn = connection.ops.quote_name
    target = ", ".join(qn(name) for name in columns)
    return f"INSERT INTO {qn(AuditEvent._meta.db_table)} ({target}) {sql}", list(params)


def _truncate(text: str, length: int = 200) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


