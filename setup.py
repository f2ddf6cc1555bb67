"""Build step: the wheel carries the top-level ``templates/`` as ``datapack/templates/``.

Everything else is declared in pyproject.toml. Analysts edit the templates where they look for
them, in ``templates/`` at the top of a checkout; a built (non-editable) wheel gets a copy of that
folder inside the package, so ``pip install`` alone can build a pack. An editable install
(``make install``) copies nothing: it reads ``templates/`` in the checkout, so an edit there shows
at the next build. ``datapack.render.html.project_templates`` finds whichever is there.
MANIFEST.in puts the folder in the sdist, so a wheel built from the sdist has it too.
"""

from __future__ import annotations

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
PACKAGED = Path("datapack") / "templates"  # inside the built package


def template_files(root: Path = TEMPLATES) -> list[Path]:
    """Every file under ``root`` the pack can use, sorted; caches, hidden and Word lock files left out."""
    def kept(path: Path) -> bool:
        parts = path.relative_to(root).parts
        return (path.is_file() and "__pycache__" not in parts and path.suffix not in {".pyc", ".pyo"}
                and not any(p.startswith((".", "~$")) for p in parts) and not path.name.endswith("~"))
    return sorted(p for p in root.rglob("*") if kept(p))


class BuildPyWithTemplates(build_py):
    """``build_py``, then ``templates/`` copied into the built package as ``datapack/templates/``."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the checkout's templates/ in place
        if not TEMPLATES.is_dir():
            raise SystemExit(f"templates/ not found beside {Path(__file__).name}: cannot build the package")
        for src in template_files():
            dest = Path(self.build_lib) / PACKAGED / src.relative_to(TEMPLATES)
            self.mkpath(str(dest.parent))
            self.copy_file(str(src), str(dest), preserve_mode=False)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        outputs = super().get_outputs(include_bytecode)
        if getattr(self, "editable_mode", False) or not TEMPLATES.is_dir():
            return outputs
        return outputs + [str(Path(self.build_lib) / PACKAGED / p.relative_to(TEMPLATES)) for p in template_files()]


setup(cmdclass={"build_py": BuildPyWithTemplates})
