"""A second database alias, "replica", for the read-replica router tests: a TEST MIRROR
of "default" (same test database, its own connection), as a real replica would be.
Added before the test databases are set up; unused (and unrouted) by every other test,
because the router is only switched on inside the replica tests."""

import copy

from django.conf import settings
from django.db import connections

from accounts.db_router import REPLICA

if REPLICA not in settings.DATABASES:
    replica = copy.deepcopy(connections.settings["default"])
    replica["TEST"] = {**replica.get("TEST", {}), "MIRROR": "default"}
    connections.settings[REPLICA] = replica
    if REPLICA not in settings.DATABASES:  # same dict object in current Django
        settings.DATABASES[REPLICA] = replica
