"""The one domain exception. Every violated business rule raises `RuleViolation` with a
stable `code` (tests and callers rely on the code, never on message text) and a Chinese
message that carries the figures. The list of codes is documented in docs/rule-codes.md.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError


class RuleViolation(ValidationError):
    def __init__(self, code: str, message: str, **figures: Any) -> None:
        super().__init__(message, code=code)
        self.rule_code = code
        self.figures = figures

    @property
    def text(self) -> str:
        return str(self.messages[0])

    def __str__(self) -> str:
        return f"[{self.rule_code}] {self.text}"


@dataclass(frozen=True)
class Check:
    """The one rule-result type of every app's pure rules (`<app>/rules.py`): a stable
    code, passed or not, a Chinese message with the figures, and the figures. The
    pre-check screen lists them; services raise the first failure (`raise_failure`)."""

    code: str
    passed: bool
    message: str
    figures: dict[str, Any] = field(default_factory=dict)


def refusal(code: str, message: str, figures: dict[str, Any] | None = None) -> Check:
    """A failed check (rules that only ever answer "refused, because ...")."""
    return Check(code, False, message, dict(figures or {}))


def first_failure(checks: Iterable[Check | None]) -> Check | None:
    return next((c for c in checks if c is not None and not c.passed), None)


def raise_failure(checks: Check | Iterable[Check | None] | None) -> None:
    """The one raise helper: `RuleViolation` for the first failed check of `checks`
    (one check, None, or a list of them); nothing when all passed."""
    if checks is None:
        return
    failure = first_failure([checks] if isinstance(checks, Check) else checks)
    if failure is not None:
        raise RuleViolation(failure.code, failure.message, **failure.figures)


def require_reason(reason: str) -> str:
    """Every change of state says why (audit): the reason stripped and cut to the 200
    characters the models keep, or `reason_required`."""
    from django.utils.translation import gettext as _

    reason = (reason or "").strip()
    if not reason:
        raise RuleViolation("reason_required", _("请填写办理原因。"))
    return reason[:200]
