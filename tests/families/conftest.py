import pytest


@pytest.fixture
def immediate_tasks(settings):
    """Run batch jobs in the request that starts them, on the test's own connection."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.BATCH_FOUR_EYES_THRESHOLD = 1000
    # One connection: the test's data is uncommitted (other connections cannot see it).
    settings.BATCH_JOB_WORKERS = 1
