"""Every tracked model keeps its history through accounts.history (one manager class per
model, not one per access: building it cost about 0.5 ms on every write)."""

from django.apps import apps

from accounts.history import HistoryManager
from families.models import Person


def _tracked_models():
    return [m for m in apps.get_models() if hasattr(m._meta, "simple_history_manager_attribute")]


def test_every_tracked_model_uses_the_history_manager_of_accounts_history():
    assert len(_tracked_models()) >= 15
    for model in _tracked_models():
        descriptor = model.__dict__[model._meta.simple_history_manager_attribute]
        assert issubclass(descriptor.manager_class, HistoryManager), model


def test_the_history_manager_class_is_built_once():
    first, second = Person().history, Person().history
    assert first is not second and type(first) is type(second)
    assert issubclass(type(first), HistoryManager)
