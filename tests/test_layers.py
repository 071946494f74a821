"""The layers contract (pyproject.toml, import-linter; `make lint` runs it) refuses a
wrong-way import: a copy of the project's packages with one import from the base
(accounts) up into the domain (settlements) breaks the contract."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ["config", "demo", "channel_api", "settlements", "families", "audit", "accounts"]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _copy_project(target: Path) -> None:
    for package in PACKAGES:
        shutil.copytree(ROOT / package, target / package,
                        ignore=shutil.ignore_patterns("*.pyc", "__pycache__", "migrations"))
    shutil.copy(ROOT / "pyproject.toml", target / "pyproject.toml")


def _lint(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=cwd, capture_output=True, text=True,
        env={"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin"}, timeout=300,
    )


@pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter not installed")
def test_an_import_from_accounts_up_into_settlements_breaks_the_layers_contract(tmp_path):
    _copy_project(tmp_path)
    models = tmp_path / "accounts" / "models.py"
    models.write_text(models.read_text() + "\nimport settlements.models  # noqa\n")
    result = _lint(tmp_path)
    assert result.returncode != 0
    assert "accounts is not allowed to import settlements" in result.stdout


@pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter not installed")
def test_an_import_from_families_up_into_settlements_breaks_the_layers_contract(tmp_path):
    _copy_project(tmp_path)
    rules = tmp_path / "families" / "rules.py"
    rules.write_text(rules.read_text() + "\nfrom settlements import selectors  # noqa\n")
    result = _lint(tmp_path)
    assert result.returncode != 0
    assert "families is not allowed to import settlements" in result.stdout
