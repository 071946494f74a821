"""What co-pay needs to know about settlements, through an interface families owns.

families sits below settlements and never imports it; settlements registers its
implementation at start-up (`SettlementsConfig.ready` -> `register(...)`), as apps
register their ModelAdmins with `django.contrib.admin`. Co-pay asks:
- is a settlement paid from this authorization still pending (co-pay rule 9)?
- which of these authorizations have such a settlement (batch chunks, one query)?
- what is this person's personal-account balance (co-pay rule 8)?
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ImproperlyConfigured
from django.db import models


@dataclass(frozen=True)
class SettlementFacts:
    # authorization -> True while a pending settlement has a line paid from it
    has_pending_settlements: Callable[[models.Model], bool]
    # settlement lines of pending settlements that paid something, with an
    # `authorization_id` column (a queryset the caller narrows to its ids)
    pending_settlement_lines: Callable[[], models.QuerySet]
    # person -> personal-account balance, or None without an account
    personal_account_balance: Callable[[models.Model], Decimal | None]


_registered: list[SettlementFacts] = []


def register(facts: SettlementFacts) -> None:
    _registered[:] = [facts]


def settlement_facts() -> SettlementFacts:
    if not _registered:
        raise ImproperlyConfigured("settlements is not installed: no SettlementFacts registered")
    return _registered[0]
