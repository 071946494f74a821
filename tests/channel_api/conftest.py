import pytest


@pytest.fixture(scope="session")
def _live_server_without_media():
    """As in tests/browser/conftest.py: the live server's media handler cannot take the
    unset MEDIA_URL; a URL on another host makes it serve nothing."""
    from django.test import override_settings

    with override_settings(MEDIA_URL="http://media.invalid/"):
        yield


@pytest.fixture(scope="session")
def live_server(_live_server_without_media, django_db_setup, live_server):
    return live_server
