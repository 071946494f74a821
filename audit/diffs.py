"""Field diffs of history rows for the audit log: labels for foreign keys and m2m
targets (one query per model), masking of the registered masked fields."""

from __future__ import annotations

import datetime
import decimal
import functools
import json
from collections import defaultdict
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from simple_history.utils import get_m2m_reverse_field_name

from audit.registry import ITEM_LABELS, MASKED_FIELDS


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


def _items(labels: dict, value: Any) -> str:
    """A JSON list of codes (allowed relationships) by their labels."""
    if not isinstance(value, list):
        return _plain(value)
    return "、".join(str(labels.get(item, item)) for item in value)


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


@functools.cache
def _field_texts(model: type[models.Model], name: str, language: str | None):
    """(field, verbose name, {choice code: label}) of a model field in `language`: the
    Chinese texts of an event's changes, evaluated once per process instead of once per
    field of every audited write."""
    field = model._meta.get_field(name)
    labels = {code: _plain(label) for code, label in field.flatchoices} if field.choices else {}
    return field, str(field.verbose_name), labels


def _format_changes(
    model: type[models.Model], raw: list[tuple[str, Any, Any]], labels: _Labels
) -> list[dict]:
    out = []
    language = get_language()
    for name, old, new in raw:
        field, verbose_name, choices = _field_texts(model, name, language)
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
            old_s = choices.get(old, _plain(old)) if old not in (None, "") else ""
            new_s = choices.get(new, _plain(new)) if new not in (None, "") else ""
        elif name in ITEM_LABELS:
            old_s, new_s = _items(ITEM_LABELS[name], old), _items(ITEM_LABELS[name], new)
        else:
            old_s, new_s = _plain(old), _plain(new)
        out.append({"field": name, "verbose_name": verbose_name, "old": old_s, "new": new_s})
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


def _labels_at_hand(model, raw, labels: _Labels, instance) -> None:
    """Labels of new foreign-key values whose rows the saved instance already holds (the
    service set them: binding.holder, .applied_by ...): no query for those."""
    for name, _old, new in raw:
        field = model._meta.get_field(name)
        if (field.many_to_one and new is not None and field.is_cached(instance)
                and getattr(instance, field.attname) == new):
            related = field.get_cached_value(instance)
            if related is not None:
                labels.found[(field.related_model, new)] = str(related)


def history_changes(current, previous=None, instance=None) -> list[dict]:
    """Masked field-level changes of a history row against the previous row; `instance`
    (the saved row, when at hand) lends the related rows it holds for the labels."""
    model = current.instance_type
    raw = _raw_changes(current, previous)
    labels = _Labels()
    if instance is not None:
        _labels_at_hand(model, raw, labels, instance)
    _want_labels(model, raw, labels)
    labels.resolve()
    return _format_changes(model, raw, labels)


def page_changes(rows) -> list[list[dict]]:
    """The changes of each history row of one object against the row before it, for
    a per-object history page (rows newest first, as the page lists them): masked,
    choice and relationship labels, China time; foreign keys resolved in one query per
    model for the whole page. The oldest row of the object lists its initial values."""
    rows = list(rows)
    raws = []
    labels = _Labels()
    for i, row in enumerate(rows):
        if i + 1 < len(rows):
            previous = rows[i + 1]
        else:
            previous = None if row.history_type == "+" else previous_history_row(row)
        raw = _raw_changes(row, previous)
        _want_labels(row.instance_type, raw, labels)
        raws.append(raw)
    labels.resolve()
    return [_format_changes(row.instance_type, raw, labels)
            for row, raw in zip(rows, raws, strict=True)]


def previous_history_row(row):
    manager = type(row)._default_manager
    pk_name = row.instance_type._meta.pk.attname
    return (
        manager.filter(**{pk_name: getattr(row, pk_name)}, history_id__lt=row.history_id)
        .order_by("-history_id")
        .first()
    )


