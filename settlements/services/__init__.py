"""Settlement services (writes). Keyword-only, an `actor` and a `reason` each, one
transaction each; domain refusals raise `accounts.errors.RuleViolation`."""

from settlements.services.accounts import (
    AllocationRow,
    account_adjust,
    account_open,
    allocation_post,
    allocation_row_validate,
)
from settlements.services.settlements import (
    settlement_finalize,
    settlement_post,
    settlement_reverse,
)

__all__ = [
    "AllocationRow",
    "account_adjust",
    "account_open",
    "allocation_post",
    "allocation_row_validate",
    "settlement_finalize",
    "settlement_post",
    "settlement_reverse",
]
