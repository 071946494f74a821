"""What the audit log knows about the apps above it, registered by those apps.

`audit` imports no domain module (as `django.contrib.admin`'s `LogEntry` knows rows
only by content type and id). Each app that has audited models declares in its own
`<app>/audit.py` what the log needs from it and calls `register(...)` there; the
audit app imports every `<app>/audit.py` at start-up (`AuditConfig.ready`, like
`admin.autodiscover()`).

What an app registers:
- `subjects`: per model label, an `AuditSubject` (which person(s), region and
  application number an event of that model concerns);
- `actions`: a `TextChoices` of the app's action codes with their Chinese labels;
- `masked_fields`: field name -> masking function, applied wherever a value of that
  field appears in a diff or a version;
- `item_labels`: field name -> choices of the items of a JSON list field (a region
  policy's allowed relationships), shown by their labels in diffs and versions;
- `subject_model` (one app): the model whose ids are stored in `AuditEvent.person_id`
  / `other_person_id`, with `subject_text(name, id_number)` for the pages and the CSV;
- `list_filters`: extra list filters of the audit log (e.g. "by ID number");
- `append_only`: model labels whose tables get the append-only guard (audit/triggers.py)
  besides the history tables and the audit table (e.g. the ledger).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields

from django.db import models
from django.db.models import Expression, F


@dataclass(frozen=True)
class AuditSubject:
    """What an audit event of a model concerns, as lookups evaluated on the model's
    *history* table (and on the live table for access events), so the per-row signal,
    the bulk helpers and the SQL INSERT ... SELECT path all agree.

    Each attribute is a lookup path string ("holder_id", "holder__insured_region_id")
    or a query expression (e.g. a Subquery with OuterRef("id")); None when it does not
    apply. `person`/`other_person` are ids of the registered subject model (both
    parties of a link, so a search by either ID number finds the event); `region` is an
    accounts.Region id (used for region scoping of the audit log); `application_number`
    a counter application number.
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


@dataclass(frozen=True)
class SubjectModel:
    """The model whose ids AuditEvent.person_id / other_person_id hold."""

    label: str  # "app_label.ModelName"
    text: Callable[[models.Model], str]  # what the log shows for one row (masked)
    fields: tuple[str, ...] = ()  # fields `text` needs (only these are loaded)


SUBJECTS: dict[str, AuditSubject] = {
    # The base app (accounts) sits below audit and cannot register itself.
    "accounts.Region": AuditSubject(region="id"),
    "accounts.ServiceHall": AuditSubject(region="region_id"),
    "accounts.User": AuditSubject(region="hall__region_id"),
}
ACTION_LABELS: dict[str, object] = {}
MASKED_FIELDS: dict[str, Callable[[str], str]] = {}
ITEM_LABELS: dict[str, dict] = {}
LIST_FILTERS: list = []
APPEND_ONLY: set[str] = set()
_subject_model: list[SubjectModel] = []


def register(
    *,
    subjects: dict[str, AuditSubject] | None = None,
    actions: type[models.TextChoices] | None = None,
    masked_fields: dict[str, Callable[[str], str]] | None = None,
    item_labels: dict[str, Iterable[tuple]] | None = None,
    subject_model: SubjectModel | None = None,
    list_filters: Iterable = (),
    append_only: Iterable[str] = (),
) -> None:
    """Called once per app from its `<app>/audit.py` (imported at start-up)."""
    SUBJECTS.update(subjects or {})
    if actions is not None:
        ACTION_LABELS.update({value: label for value, label in actions.choices})
    MASKED_FIELDS.update(masked_fields or {})
    for name, choices in (item_labels or {}).items():
        ITEM_LABELS[name] = dict(choices)
    if subject_model is not None:
        _subject_model[:] = [subject_model]
    for list_filter in list_filters:
        if list_filter not in LIST_FILTERS:
            LIST_FILTERS.append(list_filter)
    APPEND_ONLY.update(append_only)


def subject_model() -> SubjectModel | None:
    return _subject_model[0] if _subject_model else None


def registered_subjects() -> dict[str, AuditSubject]:
    return dict(SUBJECTS)
