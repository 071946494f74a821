"""Registered channel clients and the rows the signed, idempotent API keeps in the
database (so every process and host sees the same nonces, request numbers and counters).
The server stores only public keys, never a shared secret."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.history import HistoricalRecords
from families.choices import Channel


class KeyAlgorithm(models.TextChoices):
    RSA_SHA256 = "rsa-sha256", _("RSA-2048 SHA-256 (PKCS#1 v1.5)")
    ED25519 = "ed25519", _("Ed25519")


class ChannelClient(models.Model):
    """A channel partner (the national app, WeChat, Alipay, a bank app) allowed to call
    /api/channels/v1/. Its writes are recorded with `service_account` as the actor."""

    code = models.SlugField(
        _("渠道编号"), max_length=32, unique=True,
        help_text=_("请求头 X-Channel-Id 的取值,如 wechat-01。"),
    )
    name = models.CharField(_("渠道名称"), max_length=100)
    kind = models.CharField(
        _("渠道类型"), max_length=16,
        choices=[c for c in Channel.choices if c[0] != Channel.COUNTER],
    )
    enabled = models.BooleanField(_("启用"), default=True)
    rate_limit = models.PositiveIntegerField(
        _("每分钟请求上限"), default=600, help_text=_("超出后返回 429 和 Retry-After。"),
    )
    rate_window_seconds = models.PositiveIntegerField(_("限流窗口(秒)"), default=60)
    service_account = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="channel_client",
        verbose_name=_("服务账号"),
        help_text=_("审计日志中记录为该渠道办理业务的操作人。"),
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    history = HistoricalRecords(verbose_name=_("渠道历史"))

    class Meta:
        verbose_name = _("渠道客户端")
        verbose_name_plural = _("渠道客户端")
        constraints = [
            models.CheckConstraint(condition=models.Q(rate_limit__gte=1),
                                   name="channel_rate_limit_gte_1"),
            models.CheckConstraint(condition=models.Q(rate_window_seconds__gte=1),
                                   name="channel_rate_window_gte_1"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class ChannelKey(models.Model):
    """A channel's public key for request signatures. Two active keys at once allow a
    rotation without downtime (register the new key, switch the channel, retire the old)."""

    client = models.ForeignKey(ChannelClient, on_delete=models.PROTECT, related_name="keys",
                               verbose_name=_("渠道"))
    algorithm = models.CharField(_("算法"), max_length=16, choices=KeyAlgorithm.choices)
    public_key_pem = models.TextField(_("公钥(PEM)"))
    active = models.BooleanField(_("有效"), default=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    history = HistoricalRecords(verbose_name=_("渠道公钥历史"))

    class Meta:
        verbose_name = _("渠道公钥")
        verbose_name_plural = _("渠道公钥")
        indexes = [models.Index(fields=["client", "active"], name="channel_key_active_idx")]

    def __str__(self) -> str:
        return f"{self.client.code} #{self.pk} {self.algorithm}"


class UsedNonce(models.Model):
    """A nonce seen within the timestamp window: a second use is a replay. Rows older
    than the window are pruned (`prune_channel_rows`)."""

    client = models.ForeignKey(ChannelClient, on_delete=models.CASCADE, related_name="+",
                               db_index=False)
    nonce = models.CharField(max_length=64)
    seen_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "nonce"],
                                               name="channel_nonce_unique")]

    def __str__(self) -> str:
        return self.nonce


class IdempotencyRecord(models.Model):
    """The first result of a write, by the channel's request number. Written at the end
    of the transaction that does the write, so a retry after a crash between commit and
    response finds it; a concurrent duplicate waits on the unique index, then is rolled
    back and answered with this result (channel_api.idempotency)."""

    client = models.ForeignKey(ChannelClient, on_delete=models.PROTECT, related_name="+",
                               db_index=False)
    request_number = models.CharField(_("渠道请求编号"), max_length=64)
    operation = models.CharField(_("操作"), max_length=32)
    body_sha256 = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response_body = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("幂等记录")
        verbose_name_plural = _("幂等记录")
        constraints = [models.UniqueConstraint(fields=["client", "request_number"],
                                               name="channel_request_number_unique")]

    def __str__(self) -> str:
        return self.request_number


class RateCounter(models.Model):
    """Requests of a channel in a fixed window (shared by every process and host)."""

    client = models.ForeignKey(ChannelClient, on_delete=models.CASCADE, related_name="+",
                               db_index=False)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "window_start"],
                                               name="channel_rate_window_unique")]

    def __str__(self) -> str:
        return f"{self.window_start:%H:%M:%S} {self.count}"
