from django.db import models
from django.utils.translation import gettext_lazy as _


class ChannelEvidenceFields(models.Model):
    """Channel-side facts recorded with a link made on an online channel (DOMAIN
    "Channels"): the channel's request number and its face-verification reference and
    time. Empty for counter links."""

    channel_request_number = models.CharField(_("渠道请求编号"), max_length=64, blank=True)
    face_verification_ref = models.CharField(_("刷脸认证流水号"), max_length=64, blank=True)
    face_verified_at = models.DateTimeField(_("刷脸认证时间"), null=True, blank=True)

    class Meta:
        abstract = True
