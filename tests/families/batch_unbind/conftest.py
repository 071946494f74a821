"""Fixtures of the tests in tests/families/batch_unbind/."""


import pytest

from tests import factories as f
from tests.families.batch_unbind.helpers import DEAD


@pytest.fixture
def operator():
    return f.supervisor("batch_operator")


@pytest.fixture
def dead_family():
    """A deceased holder with links in every live status on both sides, and an unrelated
    live binding that must stay."""
    dead = f.person("王死者", death_date=DEAD)
    spouse, child, parent = f.person("李配偶"), f.person("王子"), f.person("王父")
    links = {
        "active_binding": f.binding(dead, child),
        "pending_binding": f.binding(parent, dead, relationship="child", status="pending"),
        "unbound_binding": f.binding(dead, spouse, relationship="spouse", status="unbound"),
        "active_copay": f.active_copay(dead, child, relationship="child"),
        "suspended_copay": f.active_copay(spouse, dead, relationship="spouse",
                                          status="suspended"),
        "pending_copay": f.active_copay(parent, dead, relationship="child", status="pending"),
    }
    other = f.binding(spouse, child, relationship="child")
    return dead, links, other
