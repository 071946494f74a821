"""Audited writes. Every change to a domain row goes through `save_audited` so that
its history row carries the acting staff member, the reason and the business action;
the history row's audit event (accounts.audit_log) is written in the same transaction.

This module also declares, per model of this app, what an audit event concerns
(`AUDIT_SUBJECTS`, see `AuditSubject`). Every app with history models has an
`<app>/audit.py` with its own `AUDIT_SUBJECTS` (families/audit.py, settlements/audit.py);
a test fails when a history-tracked model has no entry.
"""

from dataclasses import dataclass, fields

from django.db import models
from django.db.models import Expression, F


def save_audited(
    instance: models.Model,
    *,
    actor,
    reason: str,
    action: str,
    update_fields: list[str] | None = None,
) -> None:
    """Save `instance` with `actor` as history user, `reason` as change reason and
    `action` (an accounts.models.AuditAction code such as "binding_apply") as the
    audit action. Call it inside the service's transaction."""
    instance._history_user = actor
    instance._change_reason = reason
    instance._audit_action = action
    try:
        instance.save(update_fields=update_fields)
    finally:
        for attr in ("_history_user", "_change_reason", "_audit_action"):
            instance.__dict__.pop(attr, None)


@dataclass(frozen=True)
class AuditSubject:
    """What an audit event of a model concerns, as lookups evaluated on the model's
    *history* table (and on the live table for access events), so the per-row signal,
    the bulk helpers and the SQL INSERT ... SELECT path all agree.

    Each attribute is a lookup path string ("holder_id", "holder__insured_region_id")
    or a query expression (e.g. a Subquery with OuterRef("id")); None when it does not
    apply. `person`/`other_person` are families.Person ids (both parties of a link, so a
    search by either ID number finds the event); `region` is an accounts.Region id (the
    region of the person concerned, used for region scoping of the audit log);
    `application_number` a counter application number.
    """

    person: str | Expression | None = None
    other_person: str | Expression | None = None
    region: str | Expression | None = None
    application_number: str | Expression | None = None

    def annotations(self, prefix: str = "_audit_") -> dict[str, Expression]:
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None:
                out[prefix + f.name] = F(value) if isinstance(value, str) else value
        return out


AUDIT_SUBJECTS: dict[str, AuditSubject] = {
    "accounts.Region": AuditSubject(region="id"),
    "accounts.ServiceHall": AuditSubject(region="region_id"),
    "accounts.User": AuditSubject(region="hall__region_id"),
}
