"""Money is Decimal yuan with fen precision (0.01), never float."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext as _

from accounts.errors import RuleViolation

FEN = Decimal("0.01")
ZERO = Decimal("0.00")
# What the money columns hold (numeric(12,2): amounts, balances, reserves). An amount
# above it is a rule error, never a database error (tests/settlements/test_money_bounds.py
# checks every money column against it).
MAX_DIGITS = 12
MAX_AMOUNT = Decimal(10) ** (MAX_DIGITS - 2) - FEN


def too_large(value) -> RuleViolation:
    return RuleViolation(
        "invalid_amount",
        _("金额 %(value)s 元超过上限 %(max)s 元。") % {"value": value, "max": MAX_AMOUNT},
        value=value, max=MAX_AMOUNT,
    )


def to_money(value, *, allow_zero: bool = False) -> Decimal:
    """Parse an amount in yuan. Accepts Decimal, int or a numeric string; a float is a
    programming error (binary fractions are not money). More than two decimal places,
    a negative amount, (unless `allow_zero`) zero, or more than the money columns hold
    (MAX_AMOUNT) is refused with `invalid_amount`."""
    if isinstance(value, float | bool):
        raise TypeError("money must be Decimal, int or str, never float")
    try:
        amount = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
    except (InvalidOperation, ValueError):
        raise RuleViolation(
            "invalid_amount", _("金额“%(value)s”不是有效数字。") % {"value": value}, value=value
        ) from None
    if not amount.is_finite():
        raise RuleViolation(
            "invalid_amount", _("金额“%(value)s”不是有效数字。") % {"value": value}, value=value
        )
    if abs(amount) > MAX_AMOUNT:
        raise too_large(value)
    try:
        rounded = amount.quantize(FEN, rounding=ROUND_HALF_UP)
    except InvalidOperation:  # more digits than the decimal context holds (e.g. 4e77)
        raise RuleViolation(
            "invalid_amount", _("金额“%(value)s”不是有效数字。") % {"value": value}, value=value
        ) from None
    if amount != rounded:
        raise RuleViolation(
            "invalid_amount",
            _("金额 %(value)s 超过两位小数(最小单位为分)。") % {"value": amount},
            value=amount,
        )
    amount = amount.quantize(FEN)
    if amount < 0 or (amount == 0 and not allow_zero):
        raise RuleViolation(
            "invalid_amount", _("金额应大于0元,实际为 %(value)s 元。") % {"value": amount},
            value=amount,
        )
    return amount


def format_yuan(amount: Decimal | None) -> str:
    """¥1,234.50 (negative: -¥12.00); blank for None."""
    if amount is None:
        return ""
    sign = "-" if amount < 0 else ""
    return f"{sign}¥{abs(amount).quantize(FEN):,.2f}"
