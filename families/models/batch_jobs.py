"""批量处理 jobs started from the browser: a dry run first, then confirmation (a second
supervisor above a configurable size), then a background task on the task queue."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.history import HistoricalRecords


class BatchSource(models.TextChoices):
    PERSONS_CSV = "persons_csv", _("参保人清单(CSV)")
    PAIRS_CSV = "pairs_csv", _("两人清单(CSV)")
    DECEASED = "deceased", _("已登记死亡的参保人")
    TERMINATED = "terminated", _("参保状态为终止的参保人")
    REGISTRY_CSV = "registry_csv", _("参保登记信息导入(CSV)")


class BatchJobStatus(models.TextChoices):
    CHECKED = "checked", _("已试运行,待确认")
    AWAITING_SECOND = "awaiting_second", _("待第二名审核员确认")
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("处理中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


CONFIRMED_STATUSES = (BatchJobStatus.QUEUED, BatchJobStatus.RUNNING, BatchJobStatus.DONE,
                      BatchJobStatus.FAILED)


class BatchJob(models.Model):
    """One batch unbind (what to end: an uploaded list or a selection; why) or one
    registry import (an uploaded registry file), in a region; the dry run's counts; who
    confirmed; progress and the result."""

    source = models.CharField(_("处理对象"), max_length=16, choices=BatchSource.choices)
    reason = models.CharField(_("解除原因"), max_length=200)
    scope = models.CharField(_("范围"), max_length=16, default="all")
    region = models.ForeignKey(
        "accounts.Region", on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("统筹区"),
    )
    upload = models.FileField(_("上传文件"), upload_to="batch/uploads/", blank=True)
    upload_name = models.CharField(_("文件名"), max_length=200, blank=True)
    upload_sha256 = models.CharField(_("文件摘要"), max_length=64, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=BatchJobStatus.choices, default=BatchJobStatus.CHECKED,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("发起人"),
    )
    created_at = models.DateTimeField(_("发起时间"), default=timezone.now)
    dry_run_counts = models.JSONField(_("试运行结果"), default=dict, blank=True)
    bad_rows = models.JSONField(_("有误的行"), default=list, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("确认人"),
    )
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    second_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("第二确认人"),
    )
    second_confirmed_at = models.DateTimeField(_("第二确认时间"), null=True, blank=True)
    task_id = models.CharField(_("任务编号"), max_length=64, blank=True)
    runs = models.PositiveIntegerField(_("运行次数"), default=0)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    # Progress: written per chunk with .update() (no history row per chunk).
    total = models.PositiveIntegerField(_("总数"), default=0)
    done = models.PositiveIntegerField(_("已处理"), default=0)
    heartbeat_at = models.DateTimeField(_("最近进度时间"), null=True, blank=True)
    result_counts = models.JSONField(_("处理结果"), default=dict, blank=True)
    report = models.FileField(_("结果报告"), upload_to="batch/reports/", blank=True)
    error = models.CharField(_("错误"), max_length=500, blank=True)
    history = HistoricalRecords(
        verbose_name=_("批量处理历史"),
        excluded_fields=["done", "total", "heartbeat_at", "result_counts"],
    )

    class Meta:
        verbose_name = _("批量处理")
        verbose_name_plural = _("批量处理")
        ordering = ["-created_at", "-id"]
        permissions = [("run_batchjob", _("可发起和确认批量处理"))]
        constraints = [
            # The same upload is confirmed once: a second job from the same file is refused.
            models.UniqueConstraint(
                fields=["upload_sha256"],
                condition=models.Q(confirmed_at__isnull=False) & ~models.Q(upload_sha256=""),
                name="batch_job_upload_confirmed_once",
            ),
            # Four-eyes: the second confirmation is someone else's.
            models.CheckConstraint(
                condition=models.Q(second_confirmed_by__isnull=True)
                | ~models.Q(second_confirmed_by=models.F("confirmed_by")),
                name="batch_job_second_confirmer_differs",
            ),
        ]

    def __str__(self) -> str:
        return f"{_('批量处理')} #{self.pk} {self.get_source_display()} {self.reason}"
