from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SettlementsConfig(AppConfig):
    name = "settlements"
    verbose_name = _("个人账户与结算")

    def ready(self) -> None:
        from families.settlement_facts import SettlementFacts, register
        from settlements import selectors

        # What co-pay (families, below us) asks about settlements.
        register(SettlementFacts(
            has_pending_settlements=selectors.has_pending_settlements,
            pending_settlement_lines=selectors.pending_settlement_lines,
            personal_account_balance=selectors.personal_account_balance,
        ))
