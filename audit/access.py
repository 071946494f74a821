"""Access and sign-in events of the audit log: who looked at, downloaded or exported
what (no history row involved), and logins, failed logins, lockouts, logouts
(receivers connected in audit.apps)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import models
from django.utils.translation import gettext as _

from audit.actions import AuditAction
from audit.log import _clean_subject, _label_of, _subject_values, _truncate, subject_for
from audit.models import AuditEvent


def _client_ip(request) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def record_access_event(
    actor,
    action: str,
    target: models.Model | type[models.Model] | None = None,
    *,
    reason: str = "",
    request=None,
    details: dict | None = None,
    application_number: str = "",
    actor_username: str = "",
    save: bool = True,
) -> AuditEvent:
    """Record who looked at / downloaded / exported what (no history row involved).
    `target`: the instance concerned (a Person, a ProofScan ...), a model class for an
    export of a list, or None. Persons, region and application number come from the
    target's AUDIT_SUBJECTS entry; for a model class or None, the actor's region."""
    actor = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    details = dict(details or {})
    ip = _client_ip(request)
    if ip:
        details.setdefault("ip", ip)
    event = AuditEvent(
        actor=actor,
        actor_username=actor.get_username() if actor else actor_username,
        hall_id=actor.hall_id if actor else None,
        action=action,
        reason=reason,
        details=details,
        application_number=application_number,
    )
    if isinstance(target, models.Model):
        model = target._meta.model  # request.user is a lazy proxy: not type(target)
        event.model = _label_of(model)
        event.object_id = str(target.pk)
        event.object_repr = _truncate(str(target))
        values = _subject_values(
            model._default_manager.filter(pk=target.pk), "pk", subject_for(model)
        ).get(target.pk, {})
        values = _clean_subject(values, model, target.pk, deleted=False)
        if application_number:
            values["application_number"] = application_number
        for name, value in values.items():
            setattr(event, name, value)
    elif isinstance(target, type) and issubclass(target, models.Model):
        event.model = _label_of(target)
        event.object_repr = _truncate(str(target._meta.verbose_name_plural))
    if event.region_id is None and actor is not None and actor.hall_id:
        event.region_id = actor.hall.region_id
    if save:
        event.save()
    return event


# --- Sign-in events --------------------------------------------------------------------------
# Connected in audit.apps. The actor of a failed login is unknown: the attempted
# username is kept in actor_username, and the account it names (if any) is the target.


def on_user_logged_in(sender, request, user, **kwargs) -> None:
    record_access_event(user, AuditAction.LOGIN, user, request=request)


def on_user_logged_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        record_access_event(user, AuditAction.LOGOUT, user, request=request)


def _named_user(username: str):
    if not username:
        return None
    return get_user_model().objects.select_related("hall").filter(username=username).first()


def on_user_login_failed(sender, credentials, request=None, **kwargs) -> None:
    username = str(credentials.get("username") or "")[:150]
    user = _named_user(username)
    event = record_access_event(
        None, AuditAction.LOGIN_FAILED, user, request=request, actor_username=username,
        save=False,
    )
    event.hall_id = user.hall_id if user else None
    event.save()


def on_user_locked_out(sender, request, username, ip_address=None, **kwargs) -> None:
    user = _named_user(username)
    event = record_access_event(
        None, AuditAction.LOCKED_OUT, user, request=request, actor_username=username or "",
        save=False,
    )
    event.hall_id = user.hall_id if user else None
    event.save()


def on_login_lock_lifted(sender, request, attempt, user, **kwargs) -> None:
    record_access_event(
        request.user, AuditAction.UNLOCK, user, request=request,
        reason=_("解除登录锁定:%(username)s") % {"username": attempt.username},
        details={"username": attempt.username, "failures": attempt.failures_since_start},
    )
