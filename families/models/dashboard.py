"""Light, append-only counters the supervisor dashboard (监管看板) reads: pre-check
refusals per hall, China day and rule code. No personal data."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PrecheckRefusal(models.Model):
    hall = models.ForeignKey("accounts.ServiceHall", on_delete=models.PROTECT,
                             related_name="+", verbose_name=_("受理网点"))
    day = models.DateField(_("日期(北京时间)"))
    code = models.CharField(_("规则代码"), max_length=40)
    count = models.PositiveIntegerField(_("未通过次数"), default=0)

    class Meta:
        verbose_name = _("预检未通过计数")
        verbose_name_plural = _("预检未通过计数")
        permissions = [("view_dashboard", _("可查看监管看板"))]
        constraints = [
            models.UniqueConstraint(fields=["hall", "day", "code"],
                                    name="precheck_refusal_one_row"),
        ]
        indexes = [models.Index(fields=["day", "hall"], name="precheck_refusal_day_idx")]

    def __str__(self) -> str:
        return f"{self.hall_id} {self.day} {self.code} {self.count}"
