from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.history import HistoricalRecords
from families.choices import NEAR_RELATIONSHIPS, CoPayScope


def default_binding_relationships() -> list[str]:
    return [str(r) for r in NEAR_RELATIONSHIPS]


class RegionPolicy(models.Model):
    """Region policy, versioned by effective date: the version in force on the
    application date applies. Every number of DOMAIN.md is a field here, never a
    constant in code; defaults are the seeds'."""

    region = models.ForeignKey(
        "accounts.Region",
        on_delete=models.PROTECT,
        related_name="policies",
        verbose_name=_("统筹区"),
    )
    effective_from = models.DateField(_("生效日期"))

    # --- 亲情账户 bindings
    holder_limit = models.PositiveSmallIntegerField(
        _("每人最多绑定人数"), default=5, validators=[MinValueValidator(1)]
    )
    member_limit = models.PositiveSmallIntegerField(
        _("每人最多被绑定人数"), default=6, validators=[MinValueValidator(1)],
        help_text=_("跨所有渠道(APP、微信、支付宝、银行APP、窗口)合计。"),
    )
    monthly_limit = models.PositiveSmallIntegerField(
        _("每自然月最多新增被绑定次数"), default=6, validators=[MinValueValidator(1)]
    )
    binding_relationships = models.JSONField(
        _("允许绑定的亲属关系"), default=default_binding_relationships
    )
    face_verification_age = models.PositiveSmallIntegerField(
        _("需本人刷脸或核验的年龄"), default=16
    )
    birth_exemption_enabled = models.BooleanField(_("出生登记免材料绑定"), default=False)
    birth_exemption_cutoff = models.DateField(
        _("免材料出生日期起点"), null=True, blank=True,
        help_text=_("在本统筹区出生登记、且出生日期不早于此日的儿童可免材料绑定父母。"),
    )
    min_months_before_unbind = models.PositiveSmallIntegerField(
        _("绑定后最短解绑月数"), default=0
    )
    application_expiry_days = models.PositiveSmallIntegerField(
        _("线下申请待审核最长工作日数"), default=30, validators=[MinValueValidator(1)],
        help_text=_("按国家法定工作日(含调休)及本地工作日调整计算;超过后自动过期。"),
    )
    review_working_days = models.PositiveSmallIntegerField(
        _("审核时限(工作日)"), default=3, validators=[MinValueValidator(1)],
        help_text=_("受理回执承诺的审核期限;超过即在待审核队列中标为逾期。"),
    )
    review_claim_minutes = models.PositiveSmallIntegerField(
        _("审核领取有效时长(分钟)"), default=30, validators=[MinValueValidator(1)],
        help_text=_("审核员领取申请后,超过此时长未作决定,其他审核员可以接手。"),
    )

    # --- 家庭共济 co-pay
    copay_scope = models.CharField(
        _("共济亲属范围"), max_length=8, choices=CoPayScope.choices, default=CoPayScope.CORE
    )
    copay_cross_region_in_province = models.BooleanField(_("允许省内跨统筹区共济"), default=False)
    copay_cross_province = models.BooleanField(
        _("已加入跨省共济"), default=False, help_text=_("双方统筹区均加入时才可跨省共济。")
    )
    copay_beneficiary_limit = models.PositiveSmallIntegerField(
        _("每名授权人最多共济人数"), default=5, validators=[MinValueValidator(1)]
    )
    copay_filing_required = models.BooleanField(_("共济须先备案"), default=False)
    copay_min_balance = models.DecimalField(
        _("开通共济最低个人账户余额(元)"), max_digits=12, decimal_places=2,
        default=Decimal("0.00"), validators=[MinValueValidator(Decimal("0"))],
    )
    copay_min_months_before_revoke = models.PositiveSmallIntegerField(
        _("授权后最短撤销月数"), default=0
    )

    history = HistoricalRecords(verbose_name=_("统筹区政策历史"))

    class Meta:
        verbose_name = _("统筹区政策")
        verbose_name_plural = _("统筹区政策")
        ordering = ["region__code", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "effective_from"], name="policy_one_version_per_day"
            ),
            models.CheckConstraint(
                condition=models.Q(copay_min_balance__gte=0), name="policy_min_balance_gte_0"
            ),
            models.CheckConstraint(
                condition=models.Q(birth_exemption_enabled=False)
                | models.Q(birth_exemption_cutoff__isnull=False),
                name="policy_exemption_needs_cutoff",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.region} {self.effective_from:%Y-%m-%d}"
