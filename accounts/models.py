from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.history import HistoricalRecords

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
