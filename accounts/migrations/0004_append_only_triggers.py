"""Formerly installed the append-only guard from here. The guard is now the audit app's
(audit/triggers.py): its post_migrate receiver installs it on every guarded table that
lacks it, so this migration does nothing (kept so the migration graph is unchanged)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_auditevent_user_m2m_history"), ("families", "0001_initial")]
    operations = [migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop)]
