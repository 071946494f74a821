"""Delete used nonces past the signature window and old rate-limit counters (the API also
prunes now and then on its own; run this from cron for a steady table size)."""

from django.core.management.base import BaseCommand

from channel_api.authentication import prune_channel_rows


class Command(BaseCommand):
    help = "清理过期的渠道请求随机串(nonce)与限流计数。"

    def handle(self, *args, **options):
        deleted = prune_channel_rows()
        self.stdout.write(
            f"nonces {deleted['nonces']}, rate counters {deleted['rate_counters']} deleted")
