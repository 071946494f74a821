"""Audited writes. Every change to a domain row goes through `save_audited` so that
its history row carries the acting staff member, the reason and the business action;
the history row's audit event (audit.log) is written in the same transaction.

What an audit event concerns is declared per model in `<app>/audit.py`
(`audit.registry.register(subjects=...)`); a test fails when a history-tracked model
has no entry.
"""

from django.db import models

from accounts.errors import require_reason
from audit.actions import is_declared


def save_audited(
    instance: models.Model,
    *,
    actor,
    reason: str,
    action: str,
    update_fields: list[str] | None = None,
) -> None:
    """Save `instance` with `actor` as history user, `reason` as change reason and
    `action` (an action code such as "binding_apply", see audit.actions) as the
    audit action. Call it inside the service's transaction. This is the one write path:
    the reason is required, stripped and bounded here (accounts.errors.require_reason)
    and only declared actions are taken, so no service can store an unchecked reason."""
    reason = require_reason(reason)
    if not is_declared(action):
        raise ValueError(f"undeclared audit action {action!r}: register it in <app>/audit.py")
    instance._history_user = actor
    instance._change_reason = reason
    instance._audit_action = action
    try:
        instance.save(update_fields=update_fields)
    finally:
        for attr in ("_history_user", "_change_reason", "_audit_action"):
            instance.__dict__.pop(attr, None)


def bulk_create_audited(
    instances: list[models.Model], *, actor, reason: str, action: str
) -> list[models.Model]:
    """Insert many new rows of one model the way `save_audited` inserts one: the rows,
    their "+" history rows (actor, reason) and one audit event each (audit.log's
    `record_events_for_history`, the same event the signal writes), in the caller's
    transaction. For feeds that create thousands of rows (the registry import), where a
    save per row costs a round trip per table and per savepoint."""
    from audit.log import record_events_for_history

    reason = require_reason(reason)
    if not is_declared(action):
        raise ValueError(f"undeclared audit action {action!r}: register it in <app>/audit.py")
    if not instances:
        return []
    model = type(instances[0])
    created = model._default_manager.bulk_create(instances)
    history = model.history.bulk_history_create(
        created, default_user=actor, default_change_reason=reason)
    record_events_for_history(type(history[0]), history, action=action)
    return created
