import time
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def _live_server_without_media():
    """Django's live server always wraps a media-files handler built from MEDIA_URL,
    which this project leaves unset (scans are private, no URL serves them) and which
    the handler cannot take. A URL on another host makes that handler serve nothing."""
    from django.test import override_settings

    with override_settings(MEDIA_URL="http://media.invalid/"):
        yield


@pytest.fixture(scope="session")
def live_server(_live_server_without_media, django_db_setup, live_server):
    # Depending on django_db_setup makes the server stop (and close its connections)
    # before the test database is dropped.
    return live_server


SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
_SESSION_START = time.time()


def pytest_terminal_summary(terminalreporter):
    """Where the screenshots of this run are (tests/browser/test_counter_pages_1366.py)."""
    if not SCREENSHOTS.is_dir():
        return
    fresh = [p for p in SCREENSHOTS.glob("*.png") if p.stat().st_mtime >= _SESSION_START]
    if fresh:
        terminalreporter.write_line(f"browser screenshots: {SCREENSHOTS} ({len(fresh)} files)")
