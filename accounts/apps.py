from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("人员与机构")

    def ready(self) -> None:
        from django.contrib.auth.models import update_last_login
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_migrate

        from accounts.roles import sync_role_permissions
        from accounts.signals import update_last_login_without_history

        # Permissions exist only after post_migrate, so role permission sets are synced
        # there (idempotent); the groups themselves come from a data migration.
        post_migrate.connect(sync_role_permissions, dispatch_uid="accounts.sync_roles")
        user_logged_in.disconnect(update_last_login, dispatch_uid="update_last_login")
        user_logged_in.connect(
            update_last_login_without_history, dispatch_uid="accounts.update_last_login"
        )
