import pytest
from django.apps import apps
from django.core.management import call_command

from accounts.models import User

pytestmark = pytest.mark.django_db


def _row_counts() -> dict[str, int]:
    return {
        m._meta.label: m.objects.count()
        for m in apps.get_models()
        if m._meta.app_label in {"accounts", "families", "settlements"}
    }


def test_seed_demo_creates_documented_logins():
    call_command("seed_demo")
    for username in ("clerk1", "clerk2", "supervisor1", "admin"):
        user = User.objects.get(username=username)
        assert user.check_password("Hall-demo-2026")
        assert user.is_staff


def test_seed_demo_is_idempotent():
    call_command("seed_demo")
    first = _row_counts()
    call_command("seed_demo")
    assert _row_counts() == first
