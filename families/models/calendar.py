"""Calendar overrides: local holidays and make-up days, or a year the State Council
schedule in the `chinesecalendar` package does not cover yet. A row wins over the
package; a regional row wins over a national one (region empty)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.history import HistoricalRecords


class CalendarOverride(models.Model):
    day = models.DateField(_("日期"))
    is_working_day = models.BooleanField(
        _("是否工作日"), help_text=_("勾选表示当天上班(如调休补班),不勾选表示放假。")
    )
    region = models.ForeignKey(
        "accounts.Region", on_delete=models.PROTECT, null=True, blank=True,
        related_name="calendar_overrides", verbose_name=_("统筹区"),
        help_text=_("留空表示全国适用;填写表示仅该统筹区的地方假日或补班。"),
    )
    note = models.CharField(_("说明"), max_length=100, blank=True)

    history = HistoricalRecords(verbose_name=_("工作日调整历史"))

    class Meta:
        verbose_name = _("工作日调整")
        verbose_name_plural = _("工作日调整")
        ordering = ["-day"]
        constraints = [
            models.UniqueConstraint(fields=["day"], condition=models.Q(region__isnull=True),
                                    name="calendar_one_national_row_per_day"),
            models.UniqueConstraint(fields=["region", "day"],
                                    condition=models.Q(region__isnull=False),
                                    name="calendar_one_regional_row_per_day"),
        ]

    def __str__(self) -> str:
        kind = _("工作日") if self.is_working_day else _("休息日")
        return f"{self.day:%Y-%m-%d} {kind}"
