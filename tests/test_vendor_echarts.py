"""scripts/vendor_echarts.sh: the pinned ECharts tarball is checked against npm's sha512
integrity string, and no network or a wrong file fails loudly (non-zero exit, nothing
left in the static folder). Runs a copy of the script in a temporary tree: no network."""

import gzip
import io
import re
import shutil
import subprocess
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "vendor_echarts.sh"


def _pinned() -> tuple[str, str]:
    text = SCRIPT.read_text()
    version = re.search(r'^VERSION="([^"]+)"', text, re.M).group(1)
    integrity = re.search(r'^INTEGRITY="(sha512-[A-Za-z0-9+/=]+)"', text, re.M).group(1)
    return version, integrity


def _run(tmp_path: Path, **env: str) -> tuple[subprocess.CompletedProcess, Path]:
    (tmp_path / "scripts").mkdir()
    script = tmp_path / "scripts" / "vendor_echarts.sh"
    shutil.copy(SCRIPT, script)
    version, _integrity = _pinned()
    result = subprocess.run(["bash", str(script)], capture_output=True, text=True, timeout=60,
                            env={"PATH": "/usr/bin:/bin", **env})
    return result, tmp_path / "families/static/families/vendor" / f"echarts-{version}"


def _fake_tarball(path: Path) -> Path:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name in ("package/dist/echarts.min.js", "package/LICENSE", "package/NOTICE"):
            data = b"/* not echarts */"
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    path.write_bytes(gzip.compress(buffer.getvalue()))
    return path


def test_the_version_is_pinned_with_its_npm_integrity_and_the_page_loads_that_version():
    version, integrity = _pinned()
    assert re.fullmatch(r"\d+\.\d+\.\d+", version)
    assert len(integrity) == len("sha512-") + 88  # base64 of 64 bytes
    template = (ROOT / "templates/counter/dashboard.html").read_text()
    assert f"families/vendor/echarts-{version}/echarts.min.js" in template
    assert f"echarts@{version}" in (ROOT / "docs/third-party.md").read_text()


def test_no_network_fails_loudly_and_leaves_nothing(tmp_path):
    result, dest = _run(tmp_path, NPM_REGISTRY="http://127.0.0.1:9")
    assert result.returncode != 0
    assert "FAILED" in result.stderr and "offline" in result.stderr
    assert not dest.exists()


def test_a_tarball_with_another_hash_is_refused(tmp_path):
    fake = _fake_tarball(tmp_path / "echarts.tgz")
    result, dest = _run(tmp_path, ECHARTS_TARBALL=str(fake))
    assert result.returncode != 0
    assert "integrity mismatch" in result.stderr
    assert not dest.exists()
