from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

region_code_validator = RegexValidator(
    r"^[1-9]\d{5}$", _("统筹区编码应为6位数字(行政区划代码)。"), code="invalid_region_code"
)


class Region(models.Model):
    """统筹区: a pooling region, usually a prefecture-level city. Policy is set per region."""

    code = models.CharField(
        _("统筹区编码"), max_length=6, unique=True, validators=[region_code_validator]
    )
    name = models.CharField(_("名称"), max_length=50)
    history = HistoricalRecords(verbose_name=_("统筹区历史"))

    class Meta:
        verbose_name = _("统筹区")
        verbose_name_plural = _("统筹区")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(code__regex=r"^[1-9][0-9]{5}$"), name="region_code_6_digits"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}({self.code})"

    @property
    def province_code(self) -> str:
        """The province is the first two digits of the administrative division code."""
        return self.code[:2]


class ServiceHall(models.Model):
    """医保经办大厅 / 服务网点."""

    code = models.CharField(
        _("网点编码"),
        max_length=8,
        unique=True,
        validators=[RegexValidator(r"^[A-Z0-9]{2,8}$", _("网点编码为2-8位大写字母或数字。"))],
        help_text=_("用于受理编号,例如 BJ01。"),
    )
    name = models.CharField(_("名称"), max_length=100)
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="halls", verbose_name=_("统筹区")
    )
    address = models.CharField(_("地址"), max_length=200, blank=True)
    phone = models.CharField(
        _("咨询电话"), max_length=30, blank=True,
        validators=[RegexValidator(r"^[0-9+()\- ]{5,30}$", _("电话只能包含数字、空格、+、-和括号。"))],
        help_text=_("印在受理回执上,供群众查询办理进度,例如 010-12345678。"),
    )
    history = HistoricalRecords(verbose_name=_("经办网点历史"))

    class Meta:
        verbose_name = _("经办网点")
        verbose_name_plural = _("经办网点")
        ordering = ["region__code", "code"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A staff member. Region follows the hall they work at."""

    hall = models.ForeignKey(
        ServiceHall,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name=_("所在网点"),
    )
    # Password hash and last login never enter history (secrets / noise); sign-ins are
    # audit events instead.
    # Role and permission changes are history too (m2m history rows); the password hash
    # and last login never are.
    history = HistoricalRecords(
        excluded_fields=["password", "last_login"],
        m2m_fields=["groups", "user_permissions"],
        verbose_name=_("工作人员历史"),
    )

    class Meta(AbstractUser.Meta):
        verbose_name = _("工作人员")
        verbose_name_plural = _("工作人员")
        permissions = [
            ("view_all_regions", _("可查看所有统筹区的数据")),
        ]

    @property
    def region(self) -> Region | None:
        return self.hall.region if self.hall_id else None

    def get_full_name(self) -> str:
        """Chinese order, family name first (王小明); see `staff_display_name`."""
        return staff_display_name(self.last_name, self.first_name)

    def get_short_name(self) -> str:
        return self.get_full_name() or self.username

    def __str__(self) -> str:
        full = self.get_full_name()
        return f"{full}({self.username})" if full else self.username


def staff_display_name(family_name: str, given_name: str) -> str:
    """The one place that orders a staff member's name: family name first, no space
    between Chinese names (王小明), one space between Latin ones (Smith John)."""
    family, given = (family_name or "").strip(), (given_name or "").strip()
    if not family or not given:
        return family or given
    joiner = " " if (family + given).isascii() else ""
    return f"{family}{joiner}{given}"


class AuditAction(models.TextChoices):
    """Stable action codes of the audit log. Codes never change (exports, filters and
    batch jobs rely on them); labels are translatable. Services pass the code as
    `save_audited(..., action=...)`; an unknown code is stored as is and shown raw."""

    CREATED = "created", _("新增")
    CHANGED = "changed", _("修改")
    DELETED = "deleted", _("删除")
    BINDING_APPLY = "binding_apply", _("绑定申请")
    BINDING_APPROVE = "binding_approve", _("审核通过")
    BINDING_REJECT = "binding_reject", _("审核驳回")
    BINDING_UNBIND = "binding_unbind", _("解绑")
    BINDING_WITHDRAW = "binding_withdraw", _("撤回")
    BINDING_EXPIRE = "binding_expire", _("过期")
    APPLICATION_SUBMIT = "application_submit", _("窗口受理")
    APPLICATION_APPROVE = "application_approve", _("审核通过")
    APPLICATION_REJECT = "application_reject", _("审核驳回")
    APPLICATION_WITHDRAW = "application_withdraw", _("撤回")
    APPLICATION_EXPIRE = "application_expire", _("过期")
    PERSON_IMPORT = "person_import", _("参保信息导入")
    PERSON_DEATH = "person_death", _("死亡登记")
    EVOUCHER_ACTIVATE = "evoucher_activate", _("电子凭证激活")
    PROOF_REGISTER = "proof_register", _("登记亲属关系证明")
    SCAN_UPLOAD = "scan_upload", _("上传扫描件")
    COPAY_APPLY = "copay_apply", _("共济授权申请")
    COPAY_APPROVE = "copay_approve", _("共济审核通过")
    COPAY_REJECT = "copay_reject", _("共济审核驳回")
    COPAY_FILING = "copay_filing", _("共济备案")
    COPAY_SUSPEND = "copay_suspend", _("共济暂停")
    COPAY_RESUME = "copay_resume", _("共济恢复")
    COPAY_REVOKE = "copay_revoke", _("共济撤销")
    COPAY_WITHDRAW = "copay_withdraw", _("共济撤回")
    COPAY_EXPIRE = "copay_expire", _("共济过期")
    ACCOUNT_OPENED = "account_opened", _("个人账户开户")
    SETTLEMENT_POSTED = "settlement_posted", _("结算")
    SETTLEMENT_FINALIZED = "settlement_finalized", _("结算完成")
    SETTLEMENT_REVERSED = "settlement_reversed", _("冲正")
    LEDGER_ALLOCATION = "ledger_allocation", _("个人账户划入")
    LEDGER_COPAY_DEBIT = "ledger_copay_debit", _("共济支付")
    LEDGER_OWN_DEBIT = "ledger_own_debit", _("本人支付")
    LEDGER_REVERSAL = "ledger_reversal", _("冲正退回")
    LEDGER_ADJUSTMENT = "ledger_adjustment", _("账户调整")
    LOGIN = "login", _("登录")
    LOGIN_FAILED = "login_failed", _("登录失败")
    LOCKED_OUT = "locked_out", _("账号锁定")
    UNLOCK = "unlock", _("解除锁定")
    LOGOUT = "logout", _("退出")
    REVEAL_IDENTITY = "reveal_identity", _("显示完整证件号")
    SCAN_DOWNLOAD = "scan_download", _("下载扫描件")
    EXPORT = "export", _("导出")
    PRINT_RECEIPT = "print_receipt", _("打印回执")
    BATCH_CHECK = "batch_check", _("批量处理试运行")
    BATCH_CONFIRM = "batch_confirm", _("批量处理确认")
    BATCH_CONFIRM_SECOND = "batch_confirm_second", _("批量处理第二人确认")
    BATCH_START = "batch_start", _("批量处理开始")
    BATCH_RESUME = "batch_resume", _("批量处理继续")
    BATCH_DONE = "batch_done", _("批量处理完成")
    BATCH_FAIL = "batch_fail", _("批量处理失败")
    BATCH_REPORT = "batch_report", _("下载批量处理报告")


class AuditEvent(models.Model):
    """审计日志: one row per history row and per access/sign-in event, written in the
    same transaction. Append-only: a database trigger rejects UPDATE and DELETE (see
    accounts/triggers.py); the admin is read-only for everyone. Writers live in
    accounts/audit_log.py."""

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
    # labels come from AuditAction (`action_label`).
    action = models.CharField(_("操作"), max_length=32)
    model = models.CharField(_("对象类型"), max_length=100, blank=True)
    object_id = models.CharField(_("对象ID"), max_length=64, blank=True)
    object_repr = models.CharField(_("对象"), max_length=200, blank=True)
    person = models.ForeignKey(
        "families.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("参保人"), db_constraint=False,
    )
    other_person = models.ForeignKey(
        "families.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("关联参保人"), db_constraint=False,
    )
    application_number = models.CharField(_("受理编号"), max_length=32, blank=True)
    reason = models.TextField(_("原因"), blank=True)
    changes = models.JSONField(_("字段变更"), default=list, blank=True)
    details = models.JSONField(_("附加信息"), default=dict, blank=True)
    history_model = models.CharField(_("历史表"), max_length=100, blank=True)
    history_id = models.BigIntegerField(_("历史记录ID"), null=True, blank=True)

    class Meta:
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


def action_label(code: str) -> str:
    """Chinese label of an action code; an unknown code is shown as is."""
    try:
        return str(AuditAction(code).label)
    except ValueError:
        return code
