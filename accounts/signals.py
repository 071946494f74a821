"""Infrastructure signal receivers (no business rules here)."""

from django.dispatch import Signal
from django.utils import timezone


def update_last_login_without_history(sender, user, **kwargs) -> None:
    # Django's own receiver calls user.save(), which would write a history row with no
    # acting user on every sign-in; last_login is excluded from history anyway, and
    # sign-ins are recorded as audit events.
    type(user).objects.filter(pk=user.pk).update(last_login=timezone.now())


# Sent when a sysadmin lifts a login lock (accounts.admin.AccessAttemptAdmin); the audit
# app records it (accounts imports nothing above it). Arguments: request, attempt, user
# (the locked account, or None when the attempted username names nobody).
login_lock_lifted = Signal()
