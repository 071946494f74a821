from django.db import models
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from accounts.history import HistoricalRecords
from families.choices import IdType, InsuranceStatus, InsuranceType, Sex
from families.idnumbers import mask_id_number, mask_phone


class Person(models.Model):
    """参保人: an insured person as held in the registry (fed by `import_persons`)."""

    id_type = models.CharField(
        _("证件类型"), max_length=16, choices=IdType.choices, default=IdType.RESIDENT_ID
    )
    id_number = models.CharField(_("证件号码"), max_length=32)
    name = models.CharField(_("姓名"), max_length=100)
    sex = models.CharField(_("性别"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("出生日期"))
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    insurance_type = models.CharField(_("险种"), max_length=16, choices=InsuranceType.choices)
    insured_region = models.ForeignKey(
        "accounts.Region",
        on_delete=models.PROTECT,
        related_name="insured_persons",
        verbose_name=_("参保统筹区"),
    )
    insurance_status = models.CharField(
        _("参保状态"),
        max_length=16,
        choices=InsuranceStatus.choices,
        default=InsuranceStatus.NORMAL,
    )
    evoucher_activated_at = models.DateTimeField(_("电子凭证激活时间"), null=True, blank=True)
    death_date = models.DateField(_("死亡日期"), null=True, blank=True)
    birth_region = models.ForeignKey(
        "accounts.Region",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="born_persons",
        verbose_name=_("出生登记统筹区"),
        help_text=_("用于出生登记免材料绑定。"),
    )
    history = HistoricalRecords(verbose_name=_("参保人历史"))

    class Meta:
        verbose_name = _("参保人")
        verbose_name_plural = _("参保人")
        permissions = [("reveal_person_identity", _("可查看完整证件号码和电话"))]
        constraints = [
            models.UniqueConstraint(fields=["id_type", "id_number"], name="person_unique_id"),
            models.CheckConstraint(
                condition=models.Q(id_number=Upper("id_number")),
                name="person_id_number_uppercase",
            ),
        ]
        indexes = [
            models.Index(fields=["id_number"], name="person_id_number_idx"),
            models.Index(fields=["name"], name="person_name_idx"),
            models.Index(fields=["insured_region", "insurance_status"], name="person_region_idx"),
            # Admin scale (README "Scale"): a region's persons newest first (the clerk's
            # changelist), and name-prefix search (LIKE 'x%') whatever the collation.
            models.Index(fields=["insured_region", "-id"], name="person_region_recent_idx"),
            models.Index(fields=["name"], opclasses=["varchar_pattern_ops"],
                         name="person_name_prefix_idx"),
            models.Index(fields=["insured_region", "name"],
                         opclasses=["int8_ops", "varchar_pattern_ops"],
                         name="person_region_name_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name}({self.masked_id_number})"

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def is_deceased(self) -> bool:
        return self.death_date is not None
