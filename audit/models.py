from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Region, ServiceHall, User
from audit.actions import action_label


class AuditEvent(models.Model):
    """审计日志: one row per history row and per access/sign-in event, written in the
    same transaction. Append-only: a database trigger rejects UPDATE and DELETE (see
    audit/triggers.py); the admin is read-only for everyone. Writers live in
    audit/log.py."""

    occurred_at = models.DateTimeField(_("时间"), default=timezone.now)
    # The log's foreign keys are for joins and filters: no database constraint (batch
    # jobs write an event per changed row, and checking five constraints per event at
    # commit doubled their cost). Referenced staff, halls, regions and persons are never
    # deleted (PROTECT in the ORM; staff are deactivated). actor / hall / region lead
    # composite indexes below, so they have no single-column index either.
    actor = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("工作人员"), db_index=False, db_constraint=False,
    )
    actor_username = models.CharField(
        _("登录名"), max_length=150, blank=True,
        help_text=_("操作时的登录名;登录失败时为尝试的登录名。"),
    )
    hall = models.ForeignKey(
        ServiceHall, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("经办网点"), help_text=_("操作时工作人员所在网点。"), db_index=False,
        db_constraint=False,
    )
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("统筹区"), help_text=_("所涉参保人(或对象)所属统筹区。"), db_index=False,
        db_constraint=False,
    )
    # No `choices` on the column: new codes (settlements, later apps) need no migration;
    # labels come from audit.actions (`action_label`).
    action = models.CharField(_("操作"), max_length=32)
    model = models.CharField(_("对象类型"), max_length=100, blank=True)
    object_id = models.CharField(_("对象ID"), max_length=64, blank=True)
    object_repr = models.CharField(_("对象"), max_length=200, blank=True)
    # Ids of the registered subject model (audit.registry.SubjectModel, a person), no
    # foreign key: the audit log knows domain rows only by label and id. Indexed, for
    # the "by ID number" filter. (Same columns as when they were foreign keys.)
    person_id = models.BigIntegerField(_("参保人"), null=True, blank=True, db_index=True)
    other_person_id = models.BigIntegerField(
        _("关联参保人"), null=True, blank=True, db_index=True
    )
    application_number = models.CharField(_("受理编号"), max_length=32, blank=True)
    reason = models.TextField(_("原因"), blank=True)
    changes = models.JSONField(_("字段变更"), default=list, blank=True)
    details = models.JSONField(_("附加信息"), default=dict, blank=True)
    history_model = models.CharField(_("历史表"), max_length=100, blank=True)
    history_id = models.BigIntegerField(_("历史记录ID"), null=True, blank=True)

    class Meta:
        db_table = "accounts_auditevent"  # the table predates the audit app
        verbose_name = _("审计日志")
        verbose_name_plural = _("审计日志")
        ordering = ["-occurred_at", "-id"]
        # Nobody may add, change or delete audit rows, so those permissions do not exist.
        default_permissions = ("view",)
        permissions = [("export_auditevent", _("可导出审计日志"))]
        indexes = [
            models.Index(fields=["-occurred_at", "-id"], name="audit_timeline_idx"),
            models.Index(fields=["region", "-occurred_at", "-id"], name="audit_region_time_idx"),
            models.Index(fields=["actor", "-occurred_at"], name="audit_actor_time_idx"),
            models.Index(fields=["hall", "-occurred_at"], name="audit_hall_time_idx"),
            models.Index(fields=["action", "-occurred_at"], name="audit_action_time_idx"),
            models.Index(fields=["model", "object_id"], name="audit_object_idx"),
            models.Index(
                fields=["application_number"],
                condition=~models.Q(application_number=""),
                name="audit_application_idx",
            ),
        ]

    def __str__(self) -> str:
        when = timezone.localtime(self.occurred_at)
        return f"{when:%Y-%m-%d %H:%M:%S} {self.action_label} {self.object_repr}"

    @property
    def action_label(self) -> str:
        return action_label(self.action)
