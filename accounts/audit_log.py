"""The audit log (审计日志): one indexed `AuditEvent` table across all models, written
in the same transaction as each history row, plus access and sign-in events.

How rows get there
------------------
1. **Every history row** (simple-history) → one event, from the
   `post_create_historical_record` receiver `record_history_event` (connected in
   accounts.apps). It runs inside `save()`, i.e. inside the caller's transaction. The
   action is `instance._audit_action` (set by `accounts.audit.save_audited`) or
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
     which is one `INSERT INTO accounts_auditevent ... SELECT ... FROM <history table>`
     statement (actor, hall, reason, time, persons, region and application number all
     come from the history rows and `AUDIT_SUBJECTS` lookups; `changes` is the same
     summary for every row, the full row state is in the linked history row).
3. **Access events** (who looked / downloaded / exported):
       record_access_event(request.user, AuditAction.SCAN_DOWNLOAD, scan,
                           request=request, reason="...", details={...})
   `target` is a model instance, a model class (exports) or None.
4. **Sign-in events** (login, failed login, lockout, logout): receivers below.

What an event concerns (persons, region, application number) comes from the model's
`AUDIT_SUBJECTS` entry in `<app>/audit.py` (see accounts.audit.AuditSubject).
"""

from __future__ import annotations

import datetime
import decimal
import importlib
import importlib.util
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from django.apps import apps
from django.db import connections, models, router
from django.db.models import F, Value
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import get_m2m_reverse_field_name

from accounts.audit import AuditSubject
from accounts.models import AuditAction, AuditEvent, User
from families.idnumbers import mask_id_number, mask_phone

HISTORY_TYPE_ACTIONS = {
    "+": AuditAction.CREATED,
    "~": AuditAction.CHANGED,
    "-": AuditAction.DELETED,
}

# Field names whose values are masked wherever they appear in a diff.
MASKED_FIELDS = {"id_number": mask_id_number, "phone": mask_phone}

SUBJECT_FIELDS = ("person", "other_person", "region", "application_number")


# --- What an event concerns ------------------------------------------------------------


def subject_for(model: type[models.Model]) -> AuditSubject:
    """The AUDIT_SUBJECTS entry of a tracked model (AuditSubject() when none)."""
    return subjects_of_app(model._meta.app_label).get(model._meta.label, AuditSubject())


_SUBJECTS: dict[str, dict[str, AuditSubject]] = {}


def subjects_of_app(app_label: str) -> dict[str, AuditSubject]:
    if app_label not in _SUBJECTS:
        module_name = f"{apps.get_app_config(app_label).name}.audit"
        found: dict[str, AuditSubject] = {}
        if importlib.util.find_spec(module_name) is not None:
            found = getattr(importlib.import_module(module_name), "AUDIT_SUBJECTS", {})
        _SUBJECTS[app_label] = found
    return _SUBJECTS[app_label]


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
        if model._meta.label == "families.Person" and values.get("person") == object_id:
            values.pop("person")
        if model._meta.label == "accounts.Region" and values.get("region") == object_id:
            values.pop("region")
    out = {f"{k}_id": v for k, v in values.items() if k != "application_number"}
    out["application_number"] = values.get("application_number") or ""
    return out


# --- Field diffs --------------------------------------------------------------------------


def _plain(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


class _Labels:
    """Resolves foreign keys and m2m targets to their str() in one query per model."""

    def __init__(self) -> None:
        self.wanted: dict[type[models.Model], set] = defaultdict(set)
        self.found: dict[tuple[type[models.Model], Any], str] = {}

    def want(self, model: type[models.Model], pk: Any) -> None:
        if pk is not None:
            self.wanted[model].add(pk)

    def resolve(self) -> None:
        for model, pks in self.wanted.items():
            pks = {pk for pk in pks if (model, pk) not in self.found}
            if pks:
                for obj in model._default_manager.filter(pk__in=pks):
                    self.found[(model, obj.pk)] = str(obj)
        self.wanted.clear()

    def label(self, model: type[models.Model], pk: Any) -> str:
        if pk is None:
            return ""
        return self.found.get((model, pk), f"#{pk}")


def _raw_changes(current, previous) -> list[tuple[str, Any, Any]]:
    """(field name, old, new) of one history row against the previous one."""
    if current.history_type == "-":
        return []
    if previous is None:
        return [
            (f.name, None, getattr(current, f.attname))
            for f in current.tracked_fields
            if f.editable and not f.primary_key
            and getattr(current, f.attname) not in (None, "", [], {})
        ]
    delta = current.diff_against(previous)
    return [(c.field, c.old, c.new) for c in delta.changes]


def _m2m_ids(rows, field) -> list:
    if rows is None:
        return []
    key = get_m2m_reverse_field_name(field)
    return [row[key] for row in rows]


def _format_changes(
    model: type[models.Model], raw: list[tuple[str, Any, Any]], labels: _Labels
) -> list[dict]:
    out = []
    for name, old, new in raw:
        field = model._meta.get_field(name)
        if name in MASKED_FIELDS:
            mask = MASKED_FIELDS[name]
            old_s, new_s = mask(old or ""), mask(new or "")
        elif field.many_to_many:
            target = field.related_model
            names = [labels.label(target, pk) for pk in _m2m_ids(old, field)]
            old_s = "、".join(sorted(names))
            names = [labels.label(target, pk) for pk in _m2m_ids(new, field)]
            new_s = "、".join(sorted(names))
        elif field.is_relation:
            old_s = labels.label(field.related_model, old)
            new_s = labels.label(field.related_model, new)
        elif field.choices:
            choices = dict(field.flatchoices)
            old_s = _plain(choices.get(old, old)) if old not in (None, "") else ""
            new_s = _plain(choices.get(new, new)) if new not in (None, "") else ""
        else:
            old_s, new_s = _plain(old), _plain(new)
        out.append(
            {"field": name, "verbose_name": str(field.verbose_name), "old": old_s, "new": new_s}
        )
    return out


def _want_labels(model, raw, labels: _Labels) -> None:
    for name, old, new in raw:
        field = model._meta.get_field(name)
        if name in MASKED_FIELDS:
            continue
        if field.many_to_many:
            for pk in [*_m2m_ids(old, field), *_m2m_ids(new, field)]:
                labels.want(field.related_model, pk)
        elif field.is_relation:
            labels.want(field.related_model, old)
            labels.want(field.related_model, new)


def history_changes(current, previous=None) -> list[dict]:
    """Masked field-level changes of a history row against the previous row."""
    model = current.instance_type
    raw = _raw_changes(current, previous)
    labels = _Labels()
    _want_labels(model, raw, labels)
    labels.resolve()
    return _format_changes(model, raw, labels)


def previous_history_row(row):
    manager = type(row)._default_manager
    pk_name = row.instance_type._meta.pk.attname
    return (
        manager.filter(**{pk_name: getattr(row, pk_name)}, history_id__lt=row.history_id)
        .order_by("-history_id")
        .first()
    )


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


def record_history_event(sender, history_instance, instance=None, **kwargs) -> AuditEvent:
    """post_create_historical_record receiver: the event of one history row."""
    row = history_instance
    model = row.instance_type
    subject = _subject_values(
        type(row)._default_manager.filter(history_id=row.history_id), "history_id",
        subject_for(model),
    ).get(row.history_id, {})
    previous = None if row.history_type == "+" else previous_history_row(row)
    action = getattr(instance, "_audit_action", None) if instance is not None else None
    event = _event_for_history_row(row, previous, subject, action, history_changes(row, previous))
    user = row.history_user if row.history_user_id else None
    if user is not None:
        event.actor_username = user.get_username()
        event.hall_id = user.hall_id
    target = instance if instance is not None else row.instance
    event.object_repr = _truncate(str(target))
    event.save(using=kwargs.get("using") or router.db_for_write(AuditEvent))
    return event


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
) -> int:
    """Set-based path for batch jobs: one `INSERT INTO accounts_auditevent (...) SELECT
    ... FROM <history table>` for the history rows of `history_queryset` (e.g.
    `HistoricalBinding.objects.filter(history_id__gt=last_id)`), in the caller's
    transaction. `action` defaults to created/changed/deleted from the history type;
    `changes` is one summary stored on every event. Returns the number of rows."""
    history_model = history_queryset.model
    model = history_model.instance_type
    pk_name = model._meta.pk.attname
    db = history_queryset.db
    connection = connections[db]
    text = models.CharField()
    if action is None:
        action_expr = models.Case(
            *[models.When(history_type=t, then=Value(str(a))) for t, a in HISTORY_TYPE_ACTIONS.items()],
            default=Value(str(AuditAction.CHANGED)),
            output_field=text,
        )
    else:
        action_expr = Value(str(action), output_field=text)
    changes_json = json.dumps(list(changes or []), ensure_ascii=False)
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
        "object_repr": models.functions.Concat(
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
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {qn(AuditEvent._meta.db_table)} ({target}) {sql}", params)
        return cursor.rowcount


def _truncate(text: str, length: int = 200) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def _client_ip(request) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def record_access_event(
    actor,
    action: str,
    target: models.Model | type[models.Model] | None = None,
    *,
    reason: str = "",
    request=None,
    details: dict | None = None,
    application_number: str = "",
    actor_username: str = "",
    save: bool = True,
) -> AuditEvent:
    """Record who looked at / downloaded / exported what (no history row involved).
    `target`: the instance concerned (a Person, a ProofScan ...), a model class for an
    export of a list, or None. Persons, region and application number come from the
    target's AUDIT_SUBJECTS entry; for a model class or None, the actor's region."""
    actor = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    details = dict(details or {})
    ip = _client_ip(request)
    if ip:
        details.setdefault("ip", ip)
    event = AuditEvent(
        actor=actor,
        actor_username=actor.get_username() if actor else actor_username,
        hall_id=actor.hall_id if actor else None,
        action=action,
        reason=reason,
        details=details,
        application_number=application_number,
    )
    if isinstance(target, models.Model):
        model = target._meta.model  # request.user is a lazy proxy: not type(target)
        event.model = _label_of(model)
        event.object_id = str(target.pk)
        event.object_repr = _truncate(str(target))
        values = _subject_values(
            model._default_manager.filter(pk=target.pk), "pk", subject_for(model)
        ).get(target.pk, {})
        values = _clean_subject(values, model, target.pk, deleted=False)
        if application_number:
            values["application_number"] = application_number
        for name, value in values.items():
            setattr(event, name, value)
    elif isinstance(target, type) and issubclass(target, models.Model):
        event.model = _label_of(target)
        event.object_repr = _truncate(str(target._meta.verbose_name_plural))
    if event.region_id is None and actor is not None and actor.hall_id:
        event.region_id = actor.hall.region_id
    if save:
        event.save()
    return event


# --- Sign-in events --------------------------------------------------------------------------
# Connected in accounts.apps. The actor of a failed login is unknown: the attempted
# username is kept in actor_username, and the account it names (if any) is the target.


def on_user_logged_in(sender, request, user, **kwargs) -> None:
    record_access_event(user, AuditAction.LOGIN, user, request=request)


def on_user_logged_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        record_access_event(user, AuditAction.LOGOUT, user, request=request)


def _named_user(username: str):
    if not username:
        return None
    return User.objects.select_related("hall").filter(username=username).first()


def on_user_login_failed(sender, credentials, request=None, **kwargs) -> None:
    username = str(credentials.get("username") or "")[:150]
    user = _named_user(username)
    event = record_access_event(
        None, AuditAction.LOGIN_FAILED, user, request=request, actor_username=username,
        save=False,
    )
    event.hall_id = user.hall_id if user else None
    event.save()


def on_user_locked_out(sender, request, username, ip_address=None, **kwargs) -> None:
    user = _named_user(username)
    event = record_access_event(
        None, AuditAction.LOCKED_OUT, user, request=request, actor_username=username or "",
        save=False,
    )
    event.hall_id = user.hall_id if user else None
    event.save()
