"""Append-only guard on the history and audit tables that exist now; the post_migrate
receiver (accounts.triggers.install_after_migrate) covers tables added later."""

from django.db import migrations


def install(apps, schema_editor):
    from accounts.triggers import append_only_tables, install_append_only_triggers

    connection = schema_editor.connection
    install_append_only_triggers(connection, append_only_tables(connection, apps))


def uninstall(apps, schema_editor):
    from accounts.triggers import append_only_tables, drop_append_only_triggers

    connection = schema_editor.connection
    drop_append_only_triggers(connection, append_only_tables(connection, apps))


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_auditevent_user_m2m_history"), ("families", "0001_initial")]
    operations = [migrations.RunPython(install, uninstall)]
