"""Cells of CSV files that staff open in Excel (exports, reports, statements)."""

from decimal import Decimal

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def excel_text(value) -> str:
    """A text cell Excel shows as text: a leading = + - @ (or tab/CR) would make it a
    formula (CSV injection), so such cells get a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def excel_number(value: Decimal | None) -> str:
    """A plain number Excel parses: no currency sign, no thousands separator."""
    return "" if value is None else f"{value:.2f}"
