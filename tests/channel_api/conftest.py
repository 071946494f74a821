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


@pytest.fixture(autouse=True)
def _forget_cached_channels():
    """Channels read outside a transaction (live server, transaction=True tests) are kept
    by the process for a few seconds; a test starts without them."""
    from channel_api.authentication import forget_channels

    forget_channels()
    yield
    forget_channels()
