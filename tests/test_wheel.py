"""An installed wheel carries the top-level templates/ and builds a pack with nothing else.

The wheel is built the way ``pip install .`` builds it (pip, build isolation, setuptools from the
package index), from a copy of only the files a package build may read. It is then unpacked into
a temporary folder and run by an interpreter that sees that folder and the test environment's
installed dependencies alone (``-S``: no site-packages ``.pth`` file, so no editable install of a
checkout), from a working folder outside the project. The expected file list is the project's own
(``git ls-files templates``, or the folder walked where there is no git), not the build step's.
"""

from __future__ import annotations

import io
import os
import shutil
import site
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import docx
import pytest

from conftest import ROOT

#: What a package build may read: pyproject.toml and setup.py, the README and licence they name,
#: the sdist manifest, the package and templates/. Anything else the build needed would fail here.
BUILD_INPUTS = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "LICENSE", "datapack", "templates")
PACKAGED = "datapack/templates/"


def project_templates() -> dict[str, bytes]:
    """The files of the project's templates/ (tracked by git where it is a checkout), by relative path."""
    tracked = subprocess.run(["git", "ls-files", "-z", "templates"], cwd=ROOT, capture_output=True)
    if tracked.returncode == 0 and tracked.stdout:
        names = [n for n in tracked.stdout.decode().split("\0") if n]
    else:  # an unpacked sdist or a copy without .git
        names = [p.relative_to(ROOT).as_posix() for p in (ROOT / "templates").rglob("*")
                 if p.is_file() and "__pycache__" not in p.parts]
    return {n.removeprefix("templates/"): (ROOT / n).read_bytes() for n in sorted(names)}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The project's wheel, built by pip from a copy of the build inputs."""
    src = tmp_path_factory.mktemp("src")
    caches = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")

    def ignore(folder: str, names: list[str]) -> set[str]:
        stale = {"templates"} if Path(folder) == ROOT / "datapack" else set()  # a copy a build left behind
        return set(caches(folder, names)) | (stale & set(names))

    for name in BUILD_INPUTS:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name, ignore=ignore)
        else:
            shutil.copy2(ROOT / name, src / name)
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "--quiet",
                           "--disable-pip-version-check", "-w", str(out)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"pip wheel failed:\n{done.stdout}\n{done.stderr}"
    (built,) = out.glob("datapack-*.whl")
    return built


def test_wheel_carries_exactly_the_templates(wheel):
    expected = project_templates()
    assert {"pack.html.j2", "pack.docx", "make_docx_template.py", "html/style.css"} <= set(expected)
    with zipfile.ZipFile(wheel) as archive:
        shipped = {n.removeprefix(PACKAGED): archive.read(n) for n in archive.namelist()
                   if n.startswith(PACKAGED) and not n.endswith("/")}
        record = archive.read(next(n for n in archive.namelist() if n.endswith(".dist-info/RECORD"))).decode()
    assert sorted(shipped) == sorted(expected)
    for name, data in expected.items():
        assert shipped[name] == data, f"{name}: the wheel's copy differs from templates/{name}"
        assert f"{PACKAGED}{name}," in record  # installed and uninstalled with the package


def _unpacked(wheel: Path, into: Path) -> Path:
    site_dir = into / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site_dir)
    return site_dir


def _run(args: list[str], site_dir: Path, cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess:
    """``python -S`` with only the unpacked wheel and the environment's dependencies importable."""
    deps = dict.fromkeys([*site.getsitepackages(), sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "DATAPACK"))}
    env["PYTHONPATH"] = os.pathsep.join([str(site_dir), *deps])
    env["MPLBACKEND"] = "Agg"
    env["SOURCE_DATE_EPOCH"] = "1791072000"
    return subprocess.run([sys.executable, "-S", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)


def test_installed_wheel_finds_its_own_templates(wheel, tmp_path):
    site_dir = _unpacked(wheel, tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    done = _run(["-c", "import datapack, datapack.render as r; print(datapack.__file__); print(r.project_templates())"],
                site_dir, work)
    assert done.returncode == 0, done.stderr
    package, templates = (Path(line) for line in done.stdout.splitlines())
    assert package == site_dir / "datapack" / "__init__.py"  # not the checkout, not an editable install
    assert templates == site_dir / "datapack" / "templates"


def test_checkout_reads_top_level_templates():
    """Analysts edit templates/ where they look: a checkout has no packaged copy and reads it in place."""
    from datapack.render import project_templates, template_dirs

    if (ROOT / "datapack" / "templates").exists():
        pytest.skip("a packaged copy lies in this checkout's datapack/ (left by a build); delete it")
    assert project_templates() == ROOT / "templates"
    assert template_dirs(Path("/org")) == [Path("/org"), ROOT / "templates"]
    assert template_dirs() == [ROOT / "templates"]


@pytest.mark.slow
def test_installed_wheel_builds_html_and_word_packs(wheel, tmp_path):
    site_dir = _unpacked(wheel, tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    demo = _run(["-m", "datapack", "demo", "--out", "estate", "--facilities", "2", "--months", "12", "--quiet"],
                site_dir, work)
    assert demo.returncode == 0, demo.stderr
    build = _run(["-m", "datapack", "build", "--config", "estate/datapack.yaml", "--output", "packs",
                  "--format", "html", "--format", "docx", "--jobs", "1", "--quiet"], site_dir, work)
    assert build.returncode == 0, f"{build.stdout}\n{build.stderr}"
    packs = sorted(p.parent for p in (work / "packs").glob("*/datapack.html"))
    assert len(packs) == 2, sorted(p.name for p in (work / "packs").iterdir())
    facility_names = []
    for pack in packs:
        html = (pack / "datapack.html").read_text(encoding="utf-8")
        assert html.startswith("<!DOCTYPE html>") and "</html>" in html
        # the inlined stylesheet is html/style.css from the wheel
        style = (site_dir / PACKAGED / "html" / "style.css").read_text(encoding="utf-8")
        first_rule = next(line for line in style.splitlines() if "{" in line).strip()
        assert first_rule in html
        word = docx.Document(io.BytesIO((pack / "datapack.docx").read_bytes()))
        text = "\n".join(p.text for p in word.paragraphs)
        assert "{{" not in text and "{%" not in text  # every tag of pack.docx was filled in
        assert word.paragraphs and word.core_properties is not None
        facility_names.append(pack.name)
    assert (work / "packs" / "index.html").is_file()  # index.html.j2, from the wheel too
    assert len(set(facility_names)) == 2


def test_shipped_generator_remakes_the_word_template(wheel, tmp_path):
    """make_docx_template.py ships with the templates and, run from the wheel, writes pack.docx byte for byte."""
    site_dir = _unpacked(wheel, tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    done = _run(["-m", "datapack.templates.make_docx_template", "made.docx"], site_dir, work)
    assert done.returncode == 0, done.stderr
    assert (work / "made.docx").read_bytes() == (ROOT / "templates" / "pack.docx").read_bytes()
