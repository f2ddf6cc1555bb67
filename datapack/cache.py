"""Parsed sources cached by content hash, so an unchanged export is not read again.

The key covers the file's bytes, the adapter, the settings that change how
it reads (sheet, header row, options ...) and the datapack version, so any
change to one of them reads the file afresh.

An entry is written to a temporary file, locked while it is written, then
renamed into place, so a reader never sees half an entry; temporary files
left by a killed run (unlocked, since the system let the lock go) are
removed when the cache is next opened.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

from datapack import __version__

#: Temporary entries: ``.datapack-tmp-*.tmp``, and ``tmp*.tmp`` from versions before that name.
_TMP_PREFIX, _TMP_SUFFIX = ".datapack-tmp-", ".tmp"


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class RawCache:
    """Pickled adapter output in a folder; ``None`` folder turns caching off."""

    def __init__(self, folder: Path | None):
        self.folder = folder
        self.hits = 0
        self.misses = 0
        self.swept = self.sweep()

    def key(self, sha256: str, adapter: str, settings: dict[str, Any]) -> str:
        blob = json.dumps({"sha": sha256, "adapter": adapter, "settings": settings, "version": __version__},
                          sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()

    def get(self, key: str) -> Any | None:
        if self.folder is None:
            return None
        path = self.folder / f"{key}.pickle"
        try:
            with path.open("rb") as handle:
                value = pickle.load(handle)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError):
            self.misses += 1
            return None
        self.hits += 1
        return value

    def put(self, key: str, value: Any) -> None:
        """Store ``value``; a cache that cannot be written (disk full, folder gone) is only slower."""
        if self.folder is None:
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=_TMP_PREFIX, suffix=_TMP_SUFFIX)
        except OSError:
            return
        try:
            with os.fdopen(fd, "wb") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX)  # so sweep() leaves it alone while this process lives
                pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
                handle.flush()
                os.replace(tmp, self.folder / f"{key}.pickle")
        except BaseException as exc:
            Path(tmp).unlink(missing_ok=True)
            if not isinstance(exc, OSError):
                raise

    def sweep(self) -> int:
        """Remove temporary entries that no live process is writing (left by killed runs); say how many."""
        if self.folder is None or not self.folder.is_dir():
            return 0
        removed = 0
        for path in self.folder.iterdir():
            name = path.name
            if not name.endswith(_TMP_SUFFIX) or not name.startswith((_TMP_PREFIX, "tmp")) or path.is_symlink():
                continue
            try:
                with path.open("rb") as handle:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    path.unlink()
                    removed += 1
            except OSError:  # being written by a live run (locked), or already gone
                continue
        return removed


class KeptCharts(RawCache):
    """Charts drawn before, by :func:`datapack.charts.chart_key` (a folder of their own, beside the parsed sources).

    Reading an entry marks it used (its time is set to now); :meth:`prune` removes entries no
    build has used for ``days`` days, so the folder holds what recent builds drew, not every
    chart ever drawn.
    """

    def get(self, key: str) -> Any | None:
        value = super().get(key)
        if value is not None:
            try:
                os.utime(self.folder / f"{key}.pickle")
            except OSError:
                pass
        return value

    def prune(self, days: float = 30.0) -> int:
        """Remove entries not used for ``days`` days; say how many."""
        import time

        if self.folder is None or not self.folder.is_dir():
            return 0
        cutoff, removed = time.time() - days * 86400, 0
        for path in self.folder.glob("*.pickle"):
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
            except OSError:
                continue
        return removed


# --- packs left as they are when nothing they show has changed ------------------------------------------------

#: The packages whose versions change the bytes of a rendered pack (charts, Word, spreadsheet, templates).
_RENDERING_PACKAGES = ("matplotlib", "docxtpl", "python-docx", "openpyxl", "Jinja2", "Pillow")


def renderer_sha256(template_dirs: list[Path]) -> str:
    """Fingerprint of everything that turns a pack's context into its files, bar the context itself.

    The template files (every file under each folder, by path and bytes), the code that draws
    and renders (the ``.py`` files of :mod:`datapack.charts` and :mod:`datapack.render`), the
    datapack version and the versions of the rendering libraries. Worked out once per build.
    """
    from importlib import metadata

    digest = hashlib.sha256(f"datapack {__version__}\n".encode())
    for package in _RENDERING_PACKAGES:
        try:
            digest.update(f"{package} {metadata.version(package)}\n".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{package} -\n".encode())
    here = Path(__file__).resolve().parent
    code = [p for sub in ("charts", "render") for p in sorted((here / sub).rglob("*.py"))]
    for i, folder in enumerate(template_dirs):
        folder = Path(folder)
        files = sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []
        for path in files:
            digest.update(f"template {i} {path.relative_to(folder).as_posix()}\n".encode())
            digest.update(file_sha256(path).encode())
    for path in code:
        digest.update(f"code {path.relative_to(here).as_posix()}\n".encode())
        digest.update(file_sha256(path).encode())
    return digest.hexdigest()


def pack_sha256(pack_json: bytes, formats: tuple[str, ...], renderer: str) -> str:
    """The key of one pack's files: its context (``pack.json``, the whole context), formats and renderer.

    Two builds giving the same key would write the same files (bar the manifest, which dates and
    lists the inputs and is always written afresh), so the second may keep the first's.
    """
    digest = hashlib.sha256(renderer.encode())
    digest.update(("formats " + ",".join(sorted(formats)) + "\n").encode())
    digest.update(pack_json)
    return digest.hexdigest()
