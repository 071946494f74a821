"""Fixtures of the tests in tests/families/counter_views/."""

import pytest

from tests import factories as f


@pytest.fixture
def clerk():
    return f.clerk("clerk_bj")


@pytest.fixture
def supervisor():
    return f.supervisor("supervisor_bj")


@pytest.fixture
def application(clerk):
    return f.counter_application(f.person("张建国"), f.person("张秀英"), actor=clerk)


@pytest.fixture
def hz_clerk():
    return f.clerk("clerk_hz", hall_code="HZ01", region_code="330100")


@pytest.fixture
def hz_supervisor():
    return f.supervisor("supervisor_hz", hall_code="HZ01", region_code="330100")
