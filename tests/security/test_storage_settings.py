"""Production settings built from the environment: S3 media storage, static manifest,
read replica (subprocesses, so the test settings stay untouched)."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRINT = (
    "import json; from django.conf import settings as s;"
    "print(json.dumps({'storages': s.STORAGES, 'dbs': {k: {kk: str(vv) for kk, vv in v.items()}"
    " for k, v in s.DATABASES.items()}, 'routers': getattr(s, 'DATABASE_ROUTERS', [])},"
    " default=str))"
)


def _settings(**env) -> dict:
    clean = {k: v for k, v in os.environ.items()
             if k not in {"DATABASE_URL", "DEBUG", "MEDIA_STORAGE", "DATABASE_REPLICA_URL"}}
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", PRINT], cwd=ROOT,
        env={**clean, "SECRET_KEY": "x", **env}, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_scans_go_to_a_private_s3_bucket_when_media_storage_is_s3():
    found = _settings(MEDIA_STORAGE="s3", S3_BUCKET="yibao-scans",
                      S3_ENDPOINT_URL="https://oss-cn-beijing.aliyuncs.com",
                      S3_REGION="cn-beijing", S3_ACCESS_KEY="AK", S3_SECRET_KEY="SK")
    media = found["storages"]["default"]
    assert media["BACKEND"] == "storages.backends.s3.S3Storage"
    options = media["OPTIONS"]
    assert options["bucket_name"] == "yibao-scans"
    assert options["endpoint_url"] == "https://oss-cn-beijing.aliyuncs.com"
    assert options["default_acl"] == "private" and options["querystring_auth"] is True
    assert options["file_overwrite"] is False and options["location"] == "scans"


def test_default_media_storage_is_a_private_local_directory_and_static_is_plain():
    found = _settings()
    assert found["storages"]["default"]["BACKEND"].endswith("FileSystemStorage")
    assert found["storages"]["default"]["OPTIONS"]["base_url"] is None
    assert found["storages"]["staticfiles"]["BACKEND"].endswith("StaticFilesStorage")
    assert "replica" not in found["dbs"] and found["routers"] == []


def test_production_static_files_are_hashed_and_compressed_for_whitenoise():
    found = _settings(STATIC_MANIFEST="1")
    assert found["storages"]["staticfiles"]["BACKEND"] == (
        "whitenoise.storage.CompressedManifestStaticFilesStorage")


def test_a_replica_url_adds_the_alias_and_the_router():
    found = _settings(DATABASE_URL="postgres://app@primary.internal:5432/yibao",
                      DATABASE_REPLICA_URL="postgres://reader@replica.internal:5432/yibao")
    assert found["dbs"]["replica"]["HOST"] == "replica.internal"
    assert found["dbs"]["replica"]["CONN_HEALTH_CHECKS"] == "True"
    assert found["routers"] == ["accounts.db_router.ReplicaRouter"]

