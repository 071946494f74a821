"""Helpers shared by the tests in this package."""


import pytest

from accounts.errors import RuleViolation


def code_of(call) -> str:
    with pytest.raises(RuleViolation) as exc:
        call()
    return exc.value.rule_code


def stored_files(settings) -> list:
    root = settings.PRIVATE_MEDIA_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []
