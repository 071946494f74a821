"""Per-channel rate limit in a fixed window, counted in the database so every process
and host shares it: one INSERT ... ON CONFLICT DO UPDATE ... RETURNING per request."""

import datetime
import math
import time

from django.db import connection
from rest_framework.throttling import BaseThrottle

from channel_api.models import ChannelClient, RateCounter


def hit(client: ChannelClient, now: float | None = None) -> tuple[int, float]:
    """Count one request; returns (requests in the current window, seconds left in it)."""
    now = time.time() if now is None else now
    window = client.rate_window_seconds
    start = math.floor(now / window) * window
    window_start = datetime.datetime.fromtimestamp(start, tz=datetime.UTC)
    table = connection.ops.quote_name(RateCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (client_id, window_start, count) VALUES (%s, %s, 1) "  # noqa: S608
            f"ON CONFLICT (client_id, window_start) DO UPDATE SET count = {table}.count + 1 "
            "RETURNING count",
            [client.pk, connection.ops.adapt_datetimefield_value(window_start)],
        )
        count = cursor.fetchone()[0]
    return count, start + window - now


class ChannelRateThrottle(BaseThrottle):
    """429 with Retry-After once a channel has made `rate_limit` requests in its window."""

    def allow_request(self, request, view) -> bool:
        client = request.auth
        if not isinstance(client, ChannelClient):
            return True
        count, left = hit(client)
        self._wait = max(1, math.ceil(left))
        return count <= client.rate_limit

    def wait(self) -> float | None:
        return getattr(self, "_wait", None)
