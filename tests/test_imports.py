"""The import rules ([tool.importlinter] in pyproject.toml), checked with import-linter.

The first test runs ``lint-imports`` on the package as it is and fails with its
report. The others run it on a copy of the package with one rule broken on
purpose, so a rule that had stopped checking anything (a renamed room, a wrong
root package) would show here rather than pass in silence.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("importlinter", reason="import-linter is in the test extra: pip install -e '.[test]'")

ROOT = Path(__file__).resolve().parents[1]


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    """``lint-imports`` on the datapack package under ``root``, with the rules of ``root/pyproject.toml``."""
    env = {**os.environ, "PYTHONPATH": str(root)}  # grimp finds the package on the path: this copy, not another
    return subprocess.run(
        [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command as c; sys.exit(c())",
         str(root / "pyproject.toml"), "--no-cache"],
        cwd=root, env=env, capture_output=True, text=True, timeout=120)


def _report(result: subprocess.CompletedProcess) -> str:
    """lint-imports' report without its banner."""
    out = result.stdout
    return out[out.find("Contracts"):] if "Contracts" in out else out + result.stderr


def test_the_package_keeps_its_import_rules():
    result = lint_imports(ROOT)
    assert result.returncode == 0, f"lint-imports found imports that break the rules:\n{_report(result)}"
    assert "0 broken" in result.stdout, result.stdout


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """The package and its rules, copied to be broken."""
    shutil.copytree(ROOT / "datapack", tmp_path / "datapack", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _add_import(path: Path, line: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")


def _broken(copy: Path) -> str:
    result = lint_imports(copy)
    assert result.returncode != 0, f"the broken rule was not caught:\n{_report(result)}"
    return _report(result)


def test_an_upward_import_is_caught(copy):
    # the writer reaching up into the analysis for a helper, as it once did for slug
    _add_import(copy / "datapack" / "writer.py", "from datapack.analysis.text import month_label  # noqa")
    out = _broken(copy)
    assert "Rooms one way" in out and "BROKEN" in out
    assert "datapack.writer is not allowed to import datapack.analysis" in out, out


def test_a_circle_is_caught(copy):
    # the rules importing the module that runs them, as they once did
    _add_import(copy / "datapack" / "analysis" / "rules.py", "from datapack.analysis.enquiry import Finding  # noqa")
    out = _broken(copy)
    assert "No circles" in out and "BROKEN" in out
    assert "No cycles are allowed in datapack.analysis" in out and ".rules -> .enquiry" in out, out


def test_an_adapter_reading_the_configuration_is_caught(copy):
    _add_import(copy / "datapack" / "adapters" / "guard.py", "from datapack.config import Config  # noqa")
    out = _broken(copy)
    assert "datapack.adapters is not allowed to import datapack.config" in out, out


def test_a_module_with_no_room_is_caught(copy):
    (copy / "datapack" / "stray.py").write_text('"""A module nobody placed."""\n', encoding="utf-8")
    out = _broken(copy)
    assert "datapack.stray" in out, out
