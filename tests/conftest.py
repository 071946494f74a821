import os
import shutil

import pytest
from django.db import connection


def pytest_collection_modifyitems(config, items):
    on_postgres = connection.vendor == "postgresql"
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL (row locks / real concurrency)")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip_pg)


@pytest.fixture(scope="session", autouse=True)
def _require_postgres_when_asked():
    # `make test-postgres` and CI set REQUIRE_POSTGRES: a run that silently fell back to
    # SQLite would skip every concurrency test and still look green.
    if os.environ.get("REQUIRE_POSTGRES") and connection.vendor != "postgresql":
        pytest.fail("REQUIRE_POSTGRES is set but the database is not PostgreSQL")


@pytest.fixture
def chromium_path():
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(path):
        if os.environ.get("CI"):
            pytest.fail("Chromium is required for browser tests in CI (apt-get install chromium)")
        pytest.skip("Chromium not installed (apt-get install chromium); browser tests skipped")
    return path


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Production hashes with PBKDF2 (about a second per password on this hardware);
    # tests create many staff users and sign in often, and test no hashing strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    """Scans go to a per-test private directory."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private-media"), "base_url": None},
        },
    }
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private-media"
