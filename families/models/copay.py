from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.history import HistoricalRecords
from families.choices import CoPayStatus, Relationship
from families.models.links import LinkLifecycle


class CoPayAuthorization(LinkLifecycle):
    """家庭共济授权: the authorizer lets the beneficiary spend his personal account."""

    LINK_KIND = "copay"
    PARTIES = ("authorizer", "beneficiary")

    authorizer = models.ForeignKey(
        "families.Person", on_delete=models.PROTECT, related_name="copays_given",
        verbose_name=_("授权人"), db_index=False,  # leading column of an index below
    )
    beneficiary = models.ForeignKey(
        "families.Person", on_delete=models.PROTECT, related_name="copays_received",
        verbose_name=_("共济人"), db_index=False,  # leading column of an index below
    )
    relationship = models.CharField(
        _("共济人是授权人的"), max_length=16, choices=Relationship.choices
    )
    proof = models.ForeignKey(
        "families.KinshipProof", on_delete=models.PROTECT, null=True, blank=True,
        related_name="copays", verbose_name=_("亲属关系证明"),
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=CoPayStatus.choices, default=CoPayStatus.PENDING
    )
    reserve = models.DecimalField(
        _("授权人预留金额(元)"), max_digits=12, decimal_places=2, default=Decimal("0.00"),
        help_text=_("共济支付不会使授权人个人账户余额低于此金额。"),
    )
    filing_number = models.CharField(_("备案编号"), max_length=64, blank=True)
    filed_at = models.DateTimeField(_("备案时间"), null=True, blank=True)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("备案经办人"), db_index=False,
    )
    suspended_reason = models.CharField(_("暂停原因"), max_length=200, blank=True)
    history = HistoricalRecords(
        verbose_name=_("共济授权历史"),
        user_db_constraint=False,  # batch unbinds write one row per link (see AuditEvent)
        no_db_index=["authorizer", "beneficiary", "proof", "filed_by", "applied_by",
                     "decided_by", "ended_by"],
    )

    class Meta:
        verbose_name = _("家庭共济授权")
        verbose_name_plural = _("家庭共济授权")
        permissions = [
            ("revoke_copayauthorization", _("可撤销家庭共济授权")),
            ("record_filing_copayauthorization", _("可登记家庭共济备案")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(authorizer=models.F("beneficiary")), name="copay_not_self"
            ),
            models.CheckConstraint(condition=models.Q(reserve__gte=0), name="copay_reserve_gte_0"),
            models.UniqueConstraint(
                fields=["authorizer", "beneficiary"],
                condition=models.Q(status__in=["pending", "active", "suspended"]),
                name="copay_one_live_per_pair",
            ),
        ]
        indexes = [
            models.Index(fields=["authorizer", "status"], name="copay_authorizer_status_idx"),
            models.Index(fields=["beneficiary", "status"], name="copay_beneficiary_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.authorizer} ⇒ {self.beneficiary}"
