"""Audited writes. Every change to a domain row goes through `save_audited` so that
its history row carries the acting staff member, the reason and the business action.
"""

from django.db import models


def save_audited(
    instance: models.Model,
    *,
    actor,
    reason: str,
    action: str,
    update_fields: list[str] | None = None,
) -> None:
    instance._history_user = actor
    instance._change_reason = reason
    instance._audit_action = action
    try:
        instance.save(update_fields=update_fields)
    finally:
        for attr in ("_history_user", "_change_reason", "_audit_action"):
            instance.__dict__.pop(attr, None)
