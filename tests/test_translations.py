"""Chinese first: every translatable string has its zh_Hans entry, compiled."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parent.parent
ZH_PO = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
ZH_MO = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.mo"


@pytest.fixture(scope="module")
def fresh_catalog(tmp_path_factory) -> polib.POFile:
    """makemessages over a copy of the current source tree."""
    if shutil.which("xgettext") is None:
        if os.environ.get("CI"):
            pytest.fail("GNU gettext is required in CI (apt-get install gettext)")
        pytest.skip("GNU gettext not installed")
    copy = tmp_path_factory.mktemp("src") / "src"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(
        ".venv", "var", ".git", "__pycache__", "tests", "bench", "staticfiles", "*.mo"))
    env = {**os.environ, "DEBUG": "1", "SECRET_KEY": "t"}
    env.pop("DATABASE_URL", None)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-location",
         "--ignore=bench/*", "--ignore=scripts/*"],
        cwd=copy, env=env, check=True, capture_output=True,
    )
    return polib.pofile(str(copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))


def test_every_translatable_string_is_in_the_committed_chinese_catalog(fresh_catalog):
    committed = {(e.msgctxt, e.msgid) for e in polib.pofile(str(ZH_PO))}
    missing = sorted(
        e.msgid for e in fresh_catalog if (e.msgctxt, e.msgid) not in committed
    )
    assert not missing, f"run `make messages`; missing: {missing[:10]}"


def test_every_chinese_entry_is_translated_and_compiled():
    catalog = polib.pofile(str(ZH_PO))
    assert catalog.percent_translated() == 100
    compiled = {(e.msgctxt, e.msgid) for e in polib.mofile(str(ZH_MO))}
    assert {(e.msgctxt, e.msgid) for e in catalog} <= compiled


def test_admin_pages_render_in_chinese(client):
    page = client.get("/admin/login/").content.decode()
    assert "用户名" in page and "登录" in page


def test_an_english_browser_still_gets_the_chinese_back_office(client):
    page = client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert 'lang="zh-hans"' in page and "用户名" in page


def test_english_only_by_explicit_choice(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/admin/login/"})
    assert response.status_code == 302
    page = client.get("/admin/login/").content.decode()
    assert 'lang="en"' in page and "Username" in page
