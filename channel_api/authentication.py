"""The signature check (DRF authentication class). Order: headers present → channel
known → timestamp within ±5 minutes → signature valid for one active key → channel
enabled → nonce not seen before. The user of a request is the channel's service account;
`request.auth` is the ChannelClient."""

import functools
import random
import re
import time
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http.request import RawPostDataException
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.authentication import BaseAuthentication

from channel_api import signing
from channel_api.errors import ChannelError
from channel_api.models import ChannelClient, ChannelKey, RateCounter, UsedNonce

NONCE_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
TIMESTAMP_RE = re.compile(r"^[0-9]{1,12}$")
CHANNEL_RE = re.compile(r"^[-a-zA-Z0-9_]{1,32}$")
# Nonces are kept well past the window a replay could still pass the timestamp check.
NONCE_RETENTION = timedelta(seconds=3 * signing.WINDOW_SECONDS)
PRUNE_PROBABILITY = 0.005


def _unauthorized(code: str, message: str, **figures) -> ChannelError:
    error = ChannelError(status.HTTP_401_UNAUTHORIZED, code, message, **figures)
    error.auth_header = signing.AUTH_SCHEME
    return error


@functools.lru_cache(maxsize=256)
def _public_key(key_id: int, pem: str, algorithm: str):
    return signing.load_public_key(pem, algorithm)


def prune_channel_rows(now=None) -> dict[str, int]:
    """Delete nonces past their retention and rate counters older than a day."""
    now = now or timezone.now()
    nonces, _n = UsedNonce.objects.filter(seen_at__lt=now - NONCE_RETENTION).delete()
    counters, _c = RateCounter.objects.filter(window_start__lt=now - timedelta(days=1)).delete()
    return {"nonces": nonces, "rate_counters": counters}


# The channels seen by this process with their active keys, for CHANNEL_CACHE_SECONDS:
# every request needs them and building their query costs more than the rest of a signed
# no-op. A save or delete of a channel, key or user through the ORM (admin, services)
# clears this process's copy at once; other processes see it within those seconds. Only
# rows read outside a transaction are kept (committed ones: a transaction that registers
# a key and is rolled back leaves nothing behind; tests, each one transaction, read).
_CHANNELS: dict[str, tuple[float, ChannelClient, list[ChannelKey]]] = {}


@receiver([post_save, post_delete], sender=ChannelClient)
@receiver([post_save, post_delete], sender=ChannelKey)
@receiver([post_save, post_delete], sender=settings.AUTH_USER_MODEL)
def forget_channels(**kwargs) -> None:
    _CHANNELS.clear()


def _client_and_keys(code: str) -> tuple[ChannelClient | None, list[ChannelKey]]:
    """The channel (with its service account) and its active public keys: from this
    process's copy while it is fresh, else read (unknown channels are not kept)."""
    cached = _CHANNELS.get(code)
    if cached is not None and time.monotonic() < cached[0]:
        return cached[1], cached[2]
    client, keys = _read_client_and_keys(code)
    if client is not None and not connection.in_atomic_block:
        _CHANNELS[code] = (time.monotonic() + settings.CHANNEL_CACHE_SECONDS, client, keys)
    return client, keys


def _read_client_and_keys(code: str) -> tuple[ChannelClient | None, list[ChannelKey]]:
    """The channel (with its service account) and its active public keys, in one query
    (the keys bring their channel); a second one only for a channel without active keys."""
    keys = list(ChannelKey.objects.select_related("client__service_account")
                .filter(client__code=code, active=True).order_by("pk"))
    if keys:
        return keys[0].client, keys
    client = ChannelClient.objects.select_related("service_account").filter(code=code).first()
    return client, []


def request_body(request) -> bytes:
    try:
        return request._request.body
    except RawPostDataException as exc:
        raise ChannelError(status.HTTP_400_BAD_REQUEST, "invalid_request",
                           _("请求体须为 application/json。")) from exc


class SignatureAuthentication(BaseAuthentication):
    def authenticate_header(self, request) -> str:
        return signing.AUTH_SCHEME

    def authenticate(self, request):
        meta = request._request.headers
        channel = meta.get(signing.HEADER_CHANNEL, "")
        timestamp = meta.get(signing.HEADER_TIMESTAMP, "")
        nonce = meta.get(signing.HEADER_NONCE, "")
        signature = signing.decode_signature(meta.get(signing.HEADER_SIGNATURE, ""))
        if not (channel and timestamp and nonce and signature):
            raise _unauthorized("signature_missing", _(
                "请求须带签名头 X-Channel-Id、X-Timestamp、X-Nonce、X-Signature。"))
        if not CHANNEL_RE.match(channel):
            raise _unauthorized("unknown_channel", _("渠道未注册。"))
        client, keys = _client_and_keys(channel)
        if client is None:
            raise _unauthorized("unknown_channel", _("渠道未注册。"))
        if not TIMESTAMP_RE.match(timestamp) or abs(time.time() - int(timestamp)) > (
                signing.WINDOW_SECONDS):
            raise _unauthorized(
                "timestamp_expired", _("请求时间戳与服务器时间相差超过 %(seconds)s 秒。")
                % {"seconds": signing.WINDOW_SECONDS}, window_seconds=signing.WINDOW_SECONDS)
        if not NONCE_RE.match(nonce):
            raise _unauthorized("nonce_invalid", _("随机串须为 8-64 位字母、数字、下划线或连字符。"))
        body = request_body(request)
        message = signing.message_to_sign(request.method, request._request.get_full_path(),
                                          timestamp, nonce, body)
        if not self._verified(keys, signature, message):
            raise _unauthorized("signature_invalid", _("签名验证失败。"))
        if not client.enabled or not client.service_account.is_active:
            raise ChannelError(status.HTTP_403_FORBIDDEN, "channel_disabled",
                               _("该渠道已停用。"))
        self._use_nonce(client, nonce)
        request._channel_body = body
        return client.service_account, client

    @staticmethod
    def _verified(keys: list[ChannelKey], signature: bytes, message: bytes) -> bool:
        for channel_key in keys:
            algorithm = channel_key.algorithm
            try:
                key = _public_key(channel_key.pk, channel_key.public_key_pem, algorithm)
            except signing.InvalidPublicKey:
                continue
            if signing.verify(key, algorithm, signature, message):
                return True
        return False

    @staticmethod
    def _use_nonce(client: ChannelClient, nonce: str) -> None:
        """INSERT ... ON CONFLICT DO NOTHING RETURNING id: no row back means the nonce
        was used before (or is being used by a concurrent request that commits first)."""
        table = connection.ops.quote_name(UsedNonce._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (client_id, nonce, seen_at) VALUES (%s, %s, %s) "  # noqa: S608
                "ON CONFLICT (client_id, nonce) DO NOTHING RETURNING id",
                [client.pk, nonce, connection.ops.adapt_datetimefield_value(timezone.now())])
            if cursor.fetchone() is None:
                raise _unauthorized("nonce_replayed", _("该随机串已使用过(重放请求)。"))
        if random.random() < PRUNE_PROBABILITY:  # noqa: S311 - not security relevant
            prune_channel_rows()

