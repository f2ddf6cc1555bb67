"""Parsed sources cached by content hash, so an unchanged export is not read again.

The key covers the file's bytes, the adapter, the settings that change how
it reads (sheet, header row, options ...) and the datapack version, so any
change to one of them reads the file afresh.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

from datapack import __version__


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
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
            self.misses += 1
            return None
        self.hits += 1
        return value

    def put(self, key: str, value: Any) -> None:
        if self.folder is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        # Write then rename, so an interrupted run never leaves a half-written entry.
        fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, self.folder / f"{key}.pickle")
