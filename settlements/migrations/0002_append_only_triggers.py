"""Formerly installed settlements' own append-only triggers on the ledger. The ledger is
now guarded by the one mechanism of the audit app (audit/triggers.py, registered in
settlements/audit.py); migration 0004 removes the old triggers from databases that
have them. Kept, doing nothing, so the migration graph is unchanged."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("settlements", "0001_initial")]

    operations = [migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop)]
