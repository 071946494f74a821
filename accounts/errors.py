"""The one domain exception. Every violated business rule raises `RuleViolation` with a
stable `code` (tests and callers rely on the code, never on message text) and a Chinese
message that carries the figures. The list of codes is documented in docs/rule-codes.md.
"""

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


def require_reason(reason: str) -> str:
    """Every change of state says why (audit): the reason stripped and cut to the 200
    characters the models keep, or `reason_required`."""
    from django.utils.translation import gettext as _

    reason = (reason or "").strip()
    if not reason:
        raise RuleViolation("reason_required", _("请填写办理原因。"))
    return reason[:200]
