from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.history import HistoricalRecords
from families.choices import BindingStatus, Relationship
from families.models.links import LinkLifecycle


class Binding(LinkLifecycle):
    """亲情账户绑定: the holder may show the member's e-voucher. Never moves money."""

    LINK_KIND = "binding"
    PARTIES = ("holder", "member")

    # Single-column indexes on holder/member would duplicate the leading columns of the
    # (holder, status) / (member, ...) indexes below; batch jobs pay for every index.
    holder = models.ForeignKey(
        "families.Person", on_delete=models.PROTECT, related_name="bindings_as_holder",
        verbose_name=_("绑定人"), db_index=False,
    )
    member = models.ForeignKey(
        "families.Person", on_delete=models.PROTECT, related_name="bindings_as_member",
        verbose_name=_("被绑定人"), db_index=False,
    )
    relationship = models.CharField(
        _("被绑定人是绑定人的"), max_length=16, choices=Relationship.choices
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=BindingStatus.choices, default=BindingStatus.PENDING
    )
    proof = models.ForeignKey(
        "families.KinshipProof", on_delete=models.PROTECT, null=True, blank=True,
        related_name="bindings", verbose_name=_("亲属关系证明"),
    )
    # History is read per binding (by id); its copies of the foreign keys need no index.
    history = HistoricalRecords(
        verbose_name=_("绑定历史"),
        user_db_constraint=False,  # batch unbinds write one row per link (see AuditEvent)
        no_db_index=["holder", "member", "proof", "applied_by", "decided_by", "ended_by"],
    )

    class Meta:
        verbose_name = _("亲情账户绑定")
        verbose_name_plural = _("亲情账户绑定")
        permissions = [("unbind_binding", _("可解除亲情账户绑定"))]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(holder=models.F("member")), name="binding_not_self"
            ),
            models.UniqueConstraint(
                fields=["holder", "member"],
                condition=models.Q(status__in=["pending", "active"]),
                name="binding_one_live_per_pair",
            ),
        ]
        indexes = [
            models.Index(fields=["holder", "status"], name="binding_holder_status_idx"),
            models.Index(fields=["member", "status"], name="binding_member_status_idx"),
            models.Index(fields=["member", "applied_at"], name="binding_member_month_idx"),
            models.Index(fields=["status", "applied_at"], name="binding_status_applied_idx"),
            # Admin changelist ordering (newest applications first, README "Scale").
            models.Index(fields=["-applied_at", "-id"], name="binding_recent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.holder} → {self.member}"
