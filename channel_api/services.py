"""Registering channel clients and their keys (admin and tests call these)."""

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.errors import RuleViolation, require_reason
from accounts.models import User
from audit.services import save_audited
from channel_api import signing
from channel_api.models import ChannelClient, ChannelKey

MAX_ACTIVE_KEYS = 2


def service_account_for(code: str, *, actor, reason: str) -> User:
    """The staff-less user a channel's writes are recorded under (cannot sign in)."""
    user = User(username=f"channel-{code}", is_staff=False, is_active=True)
    user.set_unusable_password()
    save_audited(user, actor=actor, reason=reason, action="created")
    return user


def channel_key_add(*, actor, client: ChannelClient, public_key_pem: str, algorithm: str,
                    reason: str) -> ChannelKey:
    """Register a public key; at most two are active at once (rotation)."""
    reason = require_reason(reason)
    try:
        signing.load_public_key(public_key_pem, algorithm)
    except signing.InvalidPublicKey as exc:
        raise RuleViolation("invalid_public_key", _("公钥无效:%(error)s") % {"error": exc}) from exc
    with transaction.atomic():
        ChannelClient.objects.select_for_update().get(pk=client.pk)
        active = client.keys.filter(active=True).count()
        if active >= MAX_ACTIVE_KEYS:
            raise RuleViolation(
                "too_many_keys", _("每个渠道最多同时有 %(limit)s 个有效公钥,请先停用旧公钥。")
                % {"limit": MAX_ACTIVE_KEYS}, limit=MAX_ACTIVE_KEYS, count=active)
        key = ChannelKey(client=client, public_key_pem=public_key_pem.strip() + "\n",
                         algorithm=algorithm, active=True)
        save_audited(key, actor=actor, reason=reason, action="created")
        return key


def channel_key_retire(*, actor, key: ChannelKey, reason: str) -> ChannelKey:
    reason = require_reason(reason)
    with transaction.atomic():
        key = ChannelKey.objects.select_for_update().get(pk=key.pk)
        key.active = False
        save_audited(key, actor=actor, reason=reason, action="changed")
        return key


def channel_client_register(
    *, actor, code: str, name: str, kind: str, reason: str, rate_limit: int = 600,
    rate_window_seconds: int = 60, public_key_pem: str = "", algorithm: str = "ed25519",
) -> ChannelClient:
    """A new channel client with its service account and, if given, its first key."""
    reason = require_reason(reason)
    with transaction.atomic():
        client = ChannelClient(
            code=code, name=name, kind=kind, rate_limit=rate_limit,
            rate_window_seconds=rate_window_seconds,
            service_account=service_account_for(code, actor=actor, reason=reason))
        save_audited(client, actor=actor, reason=reason, action="created")
        if public_key_pem:
            channel_key_add(actor=actor, client=client, public_key_pem=public_key_pem,
                            algorithm=algorithm, reason=reason)
        return client
