"""Fixtures of the tests in tests/families/counter_services/."""


import pytest

from tests import factories as f


@pytest.fixture
def clerk():
    return f.clerk("clerk_a")


@pytest.fixture
def supervisor():
    return f.supervisor("supervisor_a")
