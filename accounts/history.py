"""The history every tracked model keeps (django-simple-history), with one saving.

simple-history's `instance.history` descriptor builds a new manager class on every access
(`HistoryManager.from_queryset(...)`, an inspect.getmembers over QuerySet); every saved
row reads it once to find its historical model, which cost about 0.5 ms per write. The
manager class here is built once per queryset class. Models import HistoricalRecords
from this module; its options are simple-history's own."""

import functools

from simple_history import manager, models


class HistoryManager(manager.HistoryManager):
    @classmethod
    def from_queryset(cls, queryset_class, class_name=None):
        return _manager_class(cls, queryset_class, class_name)


@functools.cache
def _manager_class(cls, queryset_class, class_name):
    return super(HistoryManager, cls).from_queryset(queryset_class, class_name)


class HistoricalRecords(models.HistoricalRecords):
    def __init__(self, *args, history_manager=HistoryManager, **kwargs):
        super().__init__(*args, history_manager=history_manager, **kwargs)
