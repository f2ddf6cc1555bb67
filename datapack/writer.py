"""The one place that writes to the output folder.

Paths are built from slugs and checked to stay inside the output folder; a
facility's pack is written to a temporary folder first and swapped in whole,
so a failure never leaves a half-written pack behind.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from datapack.analysis.text import slug as slugify

__all__ = ["UnsafePath", "Writer", "slugify"]


class UnsafePath(ValueError):
    """A path that would land outside the output folder."""


class Writer:
    """Writes packs under ``root`` and nowhere else."""

    def __init__(self, root: Path):
        self.root = Path(root).resolve()

    def path(self, *parts: str) -> Path:
        """``root/parts...``, refused when it would escape ``root``."""
        for part in parts:
            if not part or part in (".", "..") or "/" in part or "\\" in part or "\x00" in part:
                raise UnsafePath(f"refusing to write to {part!r}: not a plain file or folder name")
        target = self.root.joinpath(*parts).resolve()
        if target != self.root and self.root not in target.parents:
            raise UnsafePath(f"refusing to write outside {self.root}: {target}")
        return target

    def write_folder(self, name: str, files: dict[str, bytes]) -> Path:
        """Write ``files`` as folder ``name``, replacing any earlier one only once all are written."""
        target = self.path(name)
        self.root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=self.root))
        try:
            for filename, data in files.items():
                (staging / self.path(name, filename).name).write_bytes(data)
            if target.exists():
                old = Path(tempfile.mkdtemp(prefix=f".{name}-old-", dir=self.root))
                os.replace(target, old / "pack")
                os.replace(staging, target)
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.replace(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return target

    def write_file(self, filename: str, data: bytes) -> Path:
        """Write one file at the top of the output folder (atomically)."""
        target = self.path(filename)
        self.root.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{filename}-", dir=self.root)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, target)
        return target
