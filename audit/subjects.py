"""The persons an audit event concerns, as the log shows them: `AuditEvent.person_id`
and `other_person_id` hold ids of the registered subject model
(audit.registry.SubjectModel, registered by the domain app that owns persons); their
texts (name and masked ID number) are loaded for a whole page in one query."""

from collections.abc import Sequence

from django.apps import apps
from django.db.models import OuterRef, Subquery

from audit import registry


def attach_subject_texts(events: Sequence, *, annotated: bool = False) -> None:
    """Set `event.subject_texts` = (person text, other person text) on every event
    (`annotated`: the rows come from `with_subject_fields`, no query)."""
    subject = registry.subject_model()
    ids = {pk for e in events for pk in (e.person_id, e.other_person_id) if pk is not None}
    texts: dict[int, str] = {}
    if annotated and subject is not None:
        model = apps.get_model(subject.label)
        for e in events:
            for column in ("person_id", "other_person_id"):
                pk = getattr(e, column)
                if pk is not None:
                    values = {n: getattr(e, f"_subject_{column}_{n}") for n in subject.fields}
                    texts[pk] = subject.text(model(pk=pk, **values))
    elif subject is not None and ids:
        model = apps.get_model(subject.label)
        rows = model._default_manager.filter(pk__in=ids)
        if subject.fields:
            rows = rows.only(*subject.fields)
        texts = {row.pk: subject.text(row) for row in rows}
    for e in events:
        e.subject_texts = tuple(
            texts.get(pk, f"#{pk}") if pk is not None else ""
            for pk in (e.person_id, e.other_person_id)
        )


def with_subject_fields(queryset):
    """`queryset` with the subject model's fields of both persons as subqueries, for
    long lists (the CSV export) where one more query per chunk is not wanted; then call
    `attach_subject_texts(rows, annotated=True)`."""
    subject = registry.subject_model()
    if subject is None or not subject.fields:
        return queryset
    model = apps.get_model(subject.label)
    annotations = {}
    for column in ("person_id", "other_person_id"):
        for name in subject.fields:
            annotations[f"_subject_{column}_{name}"] = Subquery(
                model._default_manager.filter(pk=OuterRef(column)).values(name)[:1]
            )
    return queryset.annotate(**annotations)
