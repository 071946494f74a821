"""Personal accounts, the append-only ledger, settlements and their lines.

Invariants held by the database where it can (check constraints, partial unique
indexes, append-only triggers in migration 0002) and by `settlements.services`:
for every account, the last ledger entry's `balance_after` equals `balance` equals the
sum of its entries, and no balance is ever negative.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.history import HistoricalRecords
from settlements.money import format_yuan

MONEY = {"max_digits": 12, "decimal_places": 2}
PERIOD_REGEX = r"^(19|20)[0-9]{2}(0[1-9]|1[0-2])$"


class LedgerKind(models.TextChoices):
    ALLOCATION = "allocation", _("划入")
    COPAY_DEBIT = "copay_debit", _("共济支付")
    OWN_DEBIT = "own_debit", _("本人支付")
    REVERSAL = "reversal", _("冲正")
    ADJUSTMENT = "adjustment", _("调整")


class SettlementCategory(models.TextChoices):
    """The only allowed uses of personal-account money (DOMAIN.md settlement rule 2)."""

    OUTPATIENT = "outpatient", _("门诊")
    INPATIENT = "inpatient", _("住院")
    PHARMACY = "pharmacy", _("药店购药")
    RESIDENT_PREMIUM = "resident_premium", _("居民医保缴费")


class SettlementStatus(models.TextChoices):
    PENDING = "pending", _("待结算(在院)")
    SETTLED = "settled", _("已结算")
    REVERSED = "reversed", _("已冲正")


class LineKind(models.TextChoices):
    OWN = "own", _("本人个人账户")
    COPAY = "copay", _("家庭共济")
    CASH = "cash", _("现金")


class PersonalAccount(models.Model):
    """个人账户: one per employee-insured person."""

    person = models.OneToOneField(
        "families.Person", on_delete=models.PROTECT, related_name="personal_account",
        verbose_name=_("参保人"),
    )
    balance = models.DecimalField(_("余额(元)"), default=Decimal("0.00"), **MONEY)
    opened_at = models.DateTimeField(_("开户时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("最后变动时间"), default=timezone.now)
    history = HistoricalRecords(verbose_name=_("个人账户历史"))

    class Meta:
        verbose_name = _("个人账户")
        verbose_name_plural = _("个人账户")
        permissions = [("export_statement", _("可导出个人账户对账单"))]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(balance__gte=0), name="account_balance_gte_0"
            ),
        ]
        indexes = [  # the admin's newest-first list
            models.Index(fields=["-updated_at", "-id"], name="account_recent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.person} {format_yuan(self.balance)}"


class Settlement(models.Model):
    """一笔医药费用结算 as posted by a designated institution."""

    beneficiary = models.ForeignKey(
        "families.Person", on_delete=models.PROTECT, related_name="settlements",
        verbose_name=_("就医人"),
    )
    institution_name = models.CharField(_("定点机构名称"), max_length=100)
    institution_code = models.CharField(_("定点机构编码"), max_length=32)
    category = models.CharField(_("费用类别"), max_length=20, choices=SettlementCategory.choices)
    amount = models.DecimalField(_("个人自付金额(元)"), **MONEY)
    reference = models.CharField(
        _("机构结算流水号"), max_length=64, unique=True,
        help_text=_("同一流水号重复提交只支付一次。"),
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=SettlementStatus.choices,
        default=SettlementStatus.SETTLED,
    )
    created_at = models.DateTimeField(_("提交时间"), default=timezone.now, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("经办人"),
    )
    settled_at = models.DateTimeField(_("结算完成时间"), null=True, blank=True)
    reversed_at = models.DateTimeField(_("冲正时间"), null=True, blank=True)
    reversed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("冲正经办人"),
    )
    reverse_reason = models.CharField(_("冲正原因"), max_length=200, blank=True)
    history = HistoricalRecords(verbose_name=_("结算历史"))

    class Meta:
        verbose_name = _("结算")
        verbose_name_plural = _("结算")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("reverse_settlement", _("可冲正结算")),
            ("finalize_settlement", _("可完成住院结算")),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="settlement_amount_gt_0"),
            models.CheckConstraint(
                condition=models.Q(category__in=[c.value for c in SettlementCategory]),
                name="settlement_category_allowed",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="pending") | models.Q(category="inpatient"),
                name="settlement_pending_only_inpatient",
            ),
        ]
        indexes = [
            models.Index(fields=["beneficiary", "created_at"], name="settlement_benef_idx"),
            models.Index(fields=["status", "created_at"], name="settlement_status_idx"),
            models.Index(fields=["-created_at", "-id"], name="settlement_recent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {format_yuan(self.amount)}"


class SettlementLine(models.Model):
    """Where one part of a settlement was paid from, or why a source was skipped
    (amount 0 with `skip_code`/`skip_reason`). Written once, never changed."""

    settlement = models.ForeignKey(
        Settlement, on_delete=models.PROTECT, related_name="lines", verbose_name=_("结算")
    )
    position = models.PositiveSmallIntegerField(_("顺序"))
    kind = models.CharField(_("支付来源"), max_length=8, choices=LineKind.choices)
    account = models.ForeignKey(
        PersonalAccount, on_delete=models.PROTECT, null=True, blank=True,
        related_name="settlement_lines", verbose_name=_("支付账户"),
    )
    authorization = models.ForeignKey(
        "families.CoPayAuthorization", on_delete=models.PROTECT, null=True, blank=True,
        related_name="settlement_lines", verbose_name=_("共济授权"),
    )
    amount = models.DecimalField(_("金额(元)"), **MONEY)
    skip_code = models.CharField(_("跳过代码"), max_length=40, blank=True)
    skip_reason = models.CharField(_("未支付原因"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("结算明细")
        verbose_name_plural = _("结算明细")
        ordering = ["settlement_id", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["settlement", "position"], name="line_unique_position"
            ),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="line_amount_gte_0"),
            models.CheckConstraint(
                condition=models.Q(skip_code="") | models.Q(amount=0),
                name="line_skipped_pays_nothing",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(kind="cash", account__isnull=True, authorization__isnull=True)
                    | models.Q(kind="own", authorization__isnull=True)
                    | models.Q(kind="copay", authorization__isnull=False)
                ),
                name="line_source_matches_kind",
            ),
            models.CheckConstraint(
                condition=models.Q(amount=0) | ~models.Q(kind="own") | models.Q(
                    account__isnull=False
                ),
                name="line_own_paid_from_account",
            ),
            models.CheckConstraint(
                condition=models.Q(amount=0) | ~models.Q(kind="copay") | models.Q(
                    account__isnull=False
                ),
                name="line_copay_paid_from_account",
            ),
        ]
        indexes = [
            models.Index(fields=["authorization", "settlement"], name="line_authorization_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {format_yuan(self.amount)}"


class LedgerEntry(models.Model):
    """个人账户明细: append-only; the ledger is the account's history. Rows are never
    updated or deleted (triggers in migration 0002)."""

    account = models.ForeignKey(
        PersonalAccount, on_delete=models.PROTECT, related_name="entries",
        verbose_name=_("个人账户"),
    )
    kind = models.CharField(_("类型"), max_length=16, choices=LedgerKind.choices)
    amount = models.DecimalField(_("发生额(元)"), **MONEY, help_text=_("收入为正,支出为负。"))
    balance_after = models.DecimalField(_("变动后余额(元)"), **MONEY)
    settlement = models.ForeignKey(
        Settlement, on_delete=models.PROTECT, null=True, blank=True,
        related_name="ledger_entries", verbose_name=_("结算"),
    )
    line = models.ForeignKey(
        SettlementLine, on_delete=models.PROTECT, null=True, blank=True,
        related_name="ledger_entries", verbose_name=_("结算明细"),
    )
    period = models.CharField(_("所属期(年月)"), max_length=6, blank=True)
    memo = models.CharField(_("摘要"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("记账时间"), default=timezone.now, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("经办人"),
    )

    class Meta:
        verbose_name = _("个人账户明细")
        verbose_name_plural = _("个人账户明细")
        ordering = ["account_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(balance_after__gte=0), name="ledger_balance_after_gte_0"
            ),
            models.CheckConstraint(condition=~models.Q(amount=0), name="ledger_amount_not_0"),
            models.UniqueConstraint(
                fields=["account", "period"],
                condition=models.Q(kind="allocation"),
                name="ledger_one_allocation_per_period",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="allocation")
                | models.Q(amount__gt=0, period__regex=PERIOD_REGEX),
                name="ledger_allocation_credit_with_period",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind__in=["copay_debit", "own_debit"])
                | models.Q(amount__lt=0, line__isnull=False),
                name="ledger_debit_negative_with_line",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="reversal") | models.Q(amount__gt=0, line__isnull=False),
                name="ledger_reversal_credit_with_line",
            ),
            # A line is debited once and credited back at most once.
            models.UniqueConstraint(
                fields=["line", "kind"], condition=models.Q(line__isnull=False),
                name="ledger_one_entry_per_line_kind",
            ),
        ]
        indexes = [
            models.Index(fields=["account", "created_at"], name="ledger_account_time_idx"),
            models.Index(fields=["-created_at", "-id"], name="ledger_recent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {format_yuan(self.amount)}"
