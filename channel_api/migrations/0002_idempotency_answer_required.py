# The answer is stored with the record (channel_api.idempotency._store); before, the
# record was claimed and then updated in the same transaction, so no committed row lacks it.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("channel_api", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="idempotencyrecord",
            name="status_code",
            field=models.PositiveSmallIntegerField(),
        ),
        migrations.AlterField(
            model_name="idempotencyrecord",
            name="response_body",
            field=models.JSONField(),
        ),
    ]
