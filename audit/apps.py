from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = _("审计")

    def ready(self) -> None:
        from axes.signals import user_locked_out
        from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
        from django.db.models.signals import post_migrate
        from django.utils.module_loading import autodiscover_modules
        from simple_history.signals import post_create_historical_record

        from accounts.history_admin import set_changes_formatter
        from accounts.signals import login_lock_lifted
        from audit import access, diffs, log
        from audit.triggers import install_after_migrate

        # Every app's <app>/audit.py registers what the log needs from it
        # (audit.registry.register), as every admin.py registers with admin.site.
        autodiscover_modules("audit")
        # Per-object history pages show changes as the audit log does.
        set_changes_formatter(diffs.page_changes)
        # Append-only triggers on every history table, the audit table and the
        # registered append-only tables (the ledger) that lack them: new tables and tables
        # SQLite rebuilt. Runs once, after all apps migrated.
        post_migrate.connect(
            install_after_migrate, sender=self, dispatch_uid="audit.append_only_triggers"
        )
        # One event per history row, in the same transaction (infrastructure, no
        # business rule), and sign-in / unlock events.
        post_create_historical_record.connect(
            log.record_history_event, dispatch_uid="audit.history_event"
        )
        user_logged_in.connect(access.on_user_logged_in, dispatch_uid="audit.login")
        user_logged_out.connect(access.on_user_logged_out, dispatch_uid="audit.logout")
        user_login_failed.connect(access.on_user_login_failed, dispatch_uid="audit.login_failed")
        user_locked_out.connect(access.on_user_locked_out, dispatch_uid="audit.lockout")
        login_lock_lifted.connect(access.on_login_lock_lifted, dispatch_uid="audit.unlock")
