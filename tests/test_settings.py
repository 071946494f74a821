import os
import subprocess
import sys
from pathlib import Path

import environ

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "p" * 20 + "roduction-secret-key-with-enough-entropy-1234567890",
    "ALLOWED_HOSTS": "yibao.example.cn",
    "SECURE_SSL_REDIRECT": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "DATABASE_URL": "postgres://app@db.internal:5432/yibao",
}


def _run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DEBUG"}}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**clean, **env},
        capture_output=True, text=True, timeout=120,
    )


def test_default_database_is_an_embedded_sqlite_file_with_immediate_transactions():
    code = (
        "from django.conf import settings as s; d = s.DATABASES['default'];"
        "print(d['ENGINE'], d['NAME'], d['OPTIONS']['transaction_mode'])"
    )
    result = _run_manage("shell", "-c", code, env={"SECRET_KEY": "x"})
    assert result.returncode == 0, result.stderr
    engine, name, mode = result.stdout.strip().splitlines()[-1].split()
    assert engine == "django.db.backends.sqlite3"
    assert name.endswith("var/db.sqlite3")
    assert mode == "IMMEDIATE"


def test_postgres_url_is_parsed_into_psycopg_settings():
    parsed = environ.Env.db_url_config("postgres://app:secret@db.internal:6432/yibao")
    assert parsed["ENGINE"] == "django.db.backends.postgresql"
    assert (parsed["HOST"], parsed["PORT"], parsed["NAME"]) == ("db.internal", 6432, "yibao")


def test_secret_key_is_required_when_debug_is_off():
    result = _run_manage("check", env={"DEBUG": "0", "SECRET_KEY": ""})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_check_deploy_is_clean_with_the_documented_production_environment():
    result = _run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_language_and_time_zone_are_chinese_first(settings):
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.USE_TZ is True
    assert "en" in dict(settings.LANGUAGES)


def test_postgres_binds_on_the_server_and_prepares_repeated_statements_unless_turned_off():
    code = ("from django.conf import settings as s; o = s.DATABASES['default']['OPTIONS'];"
            "print(o.get('server_side_binding'), o.get('prepare_threshold'))")
    url = {"SECRET_KEY": "x", "DATABASE_URL": "postgres://app@db.internal:5432/yibao"}
    on = _run_manage("shell", "-c", code, env=url)
    off = _run_manage("shell", "-c", code, env={**url, "DB_PREPARED_STATEMENTS": "0"})
    assert on.returncode == off.returncode == 0, on.stderr + off.stderr
    assert on.stdout.split()[-2:] == ["True", "2"]
    assert off.stdout.split()[-2:] == ["None", "None"]
