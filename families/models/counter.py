from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.history import HistoricalRecords
from families.choices import ApplicationKind, ApplicationStatus, NoFaceReason


class CounterApplication(models.Model):
    """窗口受理: an offline counter verification, reviewed by a different supervisor."""

    number = models.CharField(_("受理编号"), max_length=32, unique=True)
    kind = models.CharField(_("业务类型"), max_length=16, choices=ApplicationKind.choices)
    hall = models.ForeignKey(
        "accounts.ServiceHall", on_delete=models.PROTECT, related_name="applications",
        verbose_name=_("受理网点"),
    )
    binding = models.OneToOneField(
        "families.Binding", on_delete=models.PROTECT, null=True, blank=True,
        related_name="application", verbose_name=_("亲情账户绑定"),
    )
    copay = models.OneToOneField(
        "families.CoPayAuthorization", on_delete=models.PROTECT, null=True, blank=True,
        related_name="application", verbose_name=_("家庭共济授权"),
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=ApplicationStatus.choices,
        default=ApplicationStatus.PENDING,
    )
    no_face_reason = models.CharField(
        _("无法刷脸原因"), max_length=16, choices=NoFaceReason.choices
    )
    no_face_reason_other = models.CharField(_("其他原因说明"), max_length=200, blank=True)
    holder_id_seen = models.BooleanField(_("已核验申请人证件原件"), default=False)
    member_id_seen = models.BooleanField(_("已核验被绑定人/共济人证件原件"), default=False)
    proof_seen = models.BooleanField(_("已核验亲属关系证明原件"), default=False)
    commitment_signed = models.BooleanField(_("已签署承诺书"), default=False)
    submitted_at = models.DateTimeField(_("受理时间"), default=timezone.now)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("受理人"),
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("审核人"),
    )
    review_reason = models.CharField(_("审核意见"), max_length=200, blank=True)
    # 审核中: the supervisor who took the application for review, and since when
    # (families.services.claims; ends on decision, release, or after the region's time).
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("审核中(领取人)"),
    )
    claimed_at = models.DateTimeField(_("领取时间"), null=True, blank=True)
    history = HistoricalRecords(verbose_name=_("窗口受理历史"))

    class Meta:
        verbose_name = _("窗口受理")
        verbose_name_plural = _("窗口受理")
        permissions = [("review_counterapplication", _("可审核窗口受理申请"))]
        constraints = [
            # Four-eyes in the database too: the submitter can never be the reviewer.
            models.CheckConstraint(
                condition=models.Q(reviewed_by__isnull=True)
                | ~models.Q(reviewed_by=models.F("submitted_by")),
                name="application_four_eyes",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(kind="binding", binding__isnull=False, copay__isnull=True)
                    | models.Q(kind="copay", copay__isnull=False, binding__isnull=True)
                ),
                name="application_one_target",
            ),
            models.CheckConstraint(
                condition=models.Q(claimed_by__isnull=True, claimed_at__isnull=True)
                | models.Q(claimed_by__isnull=False, claimed_at__isnull=False),
                name="application_claim_complete",
            ),
        ]
        indexes = [
            models.Index(
                fields=["hall", "submitted_at"],
                condition=models.Q(status="pending"),
                name="application_queue_idx",
            ),
            models.Index(fields=["status", "submitted_at"], name="application_status_idx"),
            # The supervisor dashboard: intakes and decisions of a hall in a time range.
            models.Index(fields=["hall", "submitted_at"], name="application_hall_intake_idx"),
            models.Index(fields=["hall", "reviewed_at"],
                         condition=models.Q(reviewed_at__isnull=False),
                         name="application_hall_decided_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    # Display helpers: the two kinds name their parties differently.
    @property
    def target(self):
        return self.binding if self.kind == ApplicationKind.BINDING else self.copay

    @property
    def applicant(self):
        """The holder of a binding / the authorizer of a co-pay authorization."""
        return self.binding.holder if self.kind == ApplicationKind.BINDING else (
            self.copay.authorizer)

    @property
    def relative(self):
        """The member of a binding / the beneficiary of a co-pay authorization."""
        return self.binding.member if self.kind == ApplicationKind.BINDING else (
            self.copay.beneficiary)

    @property
    def relative_label(self) -> str:
        return _("被绑定人") if self.kind == ApplicationKind.BINDING else _("共济人")


class ApplicationSequence(models.Model):
    """Per hall and China-time day counter behind readable numbers (BJ01-20261122-0007).
    Incremented under a row lock, so two clerks never get the same number."""

    hall = models.ForeignKey("accounts.ServiceHall", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("受理编号序列")
        verbose_name_plural = _("受理编号序列")
        constraints = [
            models.UniqueConstraint(fields=["hall", "day"], name="sequence_one_per_hall_day")
        ]

    def __str__(self) -> str:
        return f"{self.hall_id} {self.day} {self.last}"
