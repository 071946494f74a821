from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("人员与机构")

    def ready(self) -> None:
        from axes.signals import user_locked_out
        from django.contrib.auth.models import update_last_login
        from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
        from django.db.models.signals import post_migrate
        from simple_history.signals import post_create_historical_record

        from accounts import audit_log
        from accounts.roles import sync_role_permissions
        from accounts.signals import update_last_login_without_history
        from accounts.triggers import install_after_migrate

        # Permissions exist only after post_migrate, so role permission sets are synced
        # there (idempotent); the groups themselves come from a data migration.
        post_migrate.connect(sync_role_permissions, dispatch_uid="accounts.sync_roles")
        # Append-only triggers on every history table and the audit table, including
        # tables of apps migrated later (idempotent). Runs once, after all apps migrated.
        post_migrate.connect(
            install_after_migrate, sender=self, dispatch_uid="accounts.append_only_triggers"
        )
        user_logged_in.disconnect(update_last_login, dispatch_uid="update_last_login")
        user_logged_in.connect(
            update_last_login_without_history, dispatch_uid="accounts.update_last_login"
        )
        # Audit log: one event per history row, in the same transaction (infrastructure,
        # no business rule), and sign-in events.
        post_create_historical_record.connect(
            audit_log.record_history_event, dispatch_uid="accounts.audit_history_event"
        )
        user_logged_in.connect(audit_log.on_user_logged_in, dispatch_uid="accounts.audit_login")
        user_logged_out.connect(audit_log.on_user_logged_out, dispatch_uid="accounts.audit_logout")
        user_login_failed.connect(
            audit_log.on_user_login_failed, dispatch_uid="accounts.audit_login_failed"
        )
        user_locked_out.connect(audit_log.on_user_locked_out, dispatch_uid="accounts.audit_lockout")
