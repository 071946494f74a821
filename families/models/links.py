from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from families.choices import Channel, ConsentMethod
from families.models.evidence import ChannelEvidenceFields


def _staff(verbose_name):
    return models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=verbose_name, db_index=False,
    )


class LinkLifecycle(ChannelEvidenceFields):
    """The life-cycle every link shares (亲情账户 binding, 家庭共济 authorization): how it
    was applied for, who decided it, how it ended. The steps that move a link through it
    are in families.services.links; the rules of its end in families.lifecycle. Each
    concrete link adds its parties, its status choices and its own fields."""

    channel = models.CharField(_("渠道"), max_length=16, choices=Channel.choices)
    consent_method = models.CharField(_("核验方式"), max_length=16, choices=ConsentMethod.choices)
    commitment_signed = models.BooleanField(_("已签署承诺书"), default=False)
    applied_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    applied_by = _staff(_("受理人"))
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    decided_by = _staff(_("审核人"))
    decision_reason = models.CharField(_("审核意见"), max_length=200, blank=True)
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    ended_by = _staff(_("结束经办人"))
    end_reason = models.CharField(_("结束原因"), max_length=200, blank=True)

    # families.lifecycle kind ("binding" / "copay") and the two parties' field names.
    LINK_KIND: str = ""
    PARTIES: tuple[str, str] = ("", "")

    class Meta:
        abstract = True

    @property
    def parties(self) -> tuple:
        return tuple(getattr(self, name) for name in self.PARTIES)

    @property
    def party_ids(self) -> tuple[int, int]:
        return tuple(getattr(self, f"{name}_id") for name in self.PARTIES)
