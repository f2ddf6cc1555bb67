"""The one place that writes to the output folder.

The output folder belongs to datapack only once it says so: a marker file
(``.datapack-output``) lists every entry datapack wrote there. A folder that
is neither empty nor marked is refused, and in a marked folder an entry that
is not on the list (a user's own notes, say) is never replaced or removed.

Paths are built from slugs and checked to stay inside the output folder; a
folder (a facility's pack) is written to a staging folder first and swapped
in whole, and a file is written beside its target and renamed over it, so a
failure never leaves a half-written pack behind. What a killed run leaves
(staging, ``-old-`` folders, temporary files) is named so that the next run
can recognise it (:func:`datapack.output_dir.recover`).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from datapack.slugs import slug as slugify

__all__ = ["MARKER", "LOCK", "NotOurs", "OutputRefused", "UnsafePath", "Writer", "slugify"]

#: The file that makes a folder datapack's, listing the entries it wrote.
MARKER = ".datapack-output"
#: The lock file of :mod:`datapack.output_dir`, inside the output folder.
LOCK = ".datapack-lock"
#: Prefixes of what a write in progress leaves when it is killed: new folders, replaced ones, temporary files.
NEW, OLD, TMP = ".datapack-new-", ".datapack-old-", ".datapack-tmp-"
_OURS = {MARKER, LOCK}
#: Empty files a repository keeps so that an empty folder is committed (``output/.gitkeep`` in a clone):
#: they do not make the folder a user's, and datapack never writes, moves or removes them.
PLACEHOLDERS = (".gitkeep", ".keep")
_UMASK = os.umask(0o022)
os.umask(_UMASK)
#: Modes of what is written: as any other file or folder would get (tempfile's are private to the user).
FILE_MODE, FOLDER_MODE = 0o666 & ~_UMASK, 0o777 & ~_UMASK


class OutputRefused(Exception):
    """The output folder cannot be used as asked; nothing was changed. The message says what to do."""


class UnsafePath(OutputRefused, ValueError):
    """A path that would land outside the output folder."""


class NotOurs(OutputRefused, FileExistsError):
    """An entry in the output folder that datapack did not write, so will not replace."""


class Writer:
    """Writes under ``root`` and nowhere else, replacing or removing only what it wrote there."""

    def __init__(self, root: Path, retire: tuple[str, ...] = ()):
        self.root = Path(root).resolve()
        self.changed = False          # anything written or removed by this writer
        self.created: list[Path] = []  # the folder and marker this writer made (undone if nothing is written)
        self._retire = list(retire)   # removed just before the first change (see :meth:`retire_first`)

    # --- paths and ownership ------------------------------------------------------------------------------------

    def path(self, *parts: str) -> Path:
        """``root/parts...``, refused when it would escape ``root``."""
        for part in parts:
            _plain(part)
        target = self.root.joinpath(*parts).resolve()
        if target != self.root and self.root not in target.parents:
            raise UnsafePath(f"refusing to write outside {self.root}: {target}")
        return target

    def claim(self) -> None:
        """Make ``root`` datapack's: create it (and the marker) when absent or empty, else require the marker.

        A folder built by a datapack older than the marker (a top-level
        ``manifest.json`` written by datapack) is adopted, with the entries
        that version wrote. Anything else is refused with what to do.
        """
        if (self.root / MARKER).is_file():
            return
        if self.root.exists() and not self.root.is_dir():
            raise OutputRefused(f"{self.root} is a file, not a folder; name a folder for the outputs.")
        try:  # a lock file alone is a run's that left the folder as it found it
            present = sorted(p.name for p in self.root.iterdir()
                             if p.name != LOCK and not _placeholder(p)) if self.root.is_dir() else []
        except OSError as exc:
            raise OutputRefused(f"{self.root} cannot be read: {exc.strerror or exc}.") from exc
        entries = _legacy_entries(self.root) if present else []
        if present and entries is None:
            shown = ", ".join(present[:5]) + (f" and {len(present) - 5} more" if len(present) > 5 else "")
            raise OutputRefused(
                f"{self.root} already holds files that datapack did not write ({shown}); nothing was changed. "
                f"datapack writes only into an empty folder or one it made (marked by a {MARKER} file): "
                "name a new or empty folder for the outputs, or move those files elsewhere.")
        try:
            if not self.root.exists():
                self.root.mkdir(parents=True)
                self.created.append(self.root)
            self._save(entries or [], legacy=bool(entries))
        except OSError as exc:
            raise OutputRefused(f"{self.root} cannot be used for the outputs: {exc.strerror or exc}; name a folder "
                                "you can write to.") from exc
        self.created.append(self.root / MARKER)

    def entries(self) -> list[str]:
        """Names of the entries datapack wrote in ``root`` (from the marker), those still there."""
        return [n for n in self.listed() if (self.root / n).exists()]

    def listed(self) -> list[str]:
        """Every name the marker lists, whether or not it is still there (a killed run may have moved it)."""
        listed = self._marker().get("entries", [])
        return sorted(n for n in listed if isinstance(n, str) and n not in (".", "..") and "/" not in n)

    def adopted(self) -> bool:
        """Whether the folder was built by a datapack from before the marker (and may hold its leftovers)."""
        return self._marker().get("legacy") is True

    def _marker(self) -> dict:
        try:
            body = json.loads((self.root / MARKER).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return body if isinstance(body, dict) else {}

    def owns(self, name: str) -> bool:
        """Whether datapack wrote the entry ``name`` (so may replace or remove it)."""
        return name in self.entries()

    # --- writing ------------------------------------------------------------------------------------------------

    def write_folder(self, name: str, files: dict[str, bytes]) -> Path:
        """Write ``files`` as folder ``name``, replacing any earlier one only once all are written."""
        target = self._begin(name)
        staging = Path(tempfile.mkdtemp(prefix=f"{NEW}{name}-", dir=self.root))
        try:
            staging.chmod(FOLDER_MODE)
            for filename, data in files.items():
                (staging / self.path(name, filename).name).write_bytes(data)
            if target.exists():
                old = Path(tempfile.mkdtemp(prefix=f"{OLD}{name}-", dir=self.root))
                os.replace(target, old / "pack")  # a kill between these two renames is undone by recover()
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
        target = self._begin(filename)
        fd, tmp = tempfile.mkstemp(prefix=f"{TMP}{filename}-", dir=self.root)
        try:
            os.fchmod(fd, FILE_MODE)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return target

    def remove(self, name: str) -> bool:
        """Remove the entry ``name`` if datapack wrote it (renamed away first, so it goes whole); say if it did."""
        target = self.path(name)
        if not target.exists() or not self.owns(name):
            return False
        self._change()
        if target.is_dir():
            old = Path(tempfile.mkdtemp(prefix=f"{OLD}{name}-", dir=self.root))
            os.replace(target, old / "removed")
            self._forget(name)
            shutil.rmtree(old, ignore_errors=True)
        else:
            target.unlink()
            self._forget(name)
        return True

    def retire_first(self, names: tuple[str, ...]) -> None:
        """Remove ``names`` (those datapack wrote) just before this writer first changes anything.

        A build retires its index, manifest and comparison this way, so that
        if it is killed half-way no summary is left describing other packs
        than the ones beside it; they are written again, last.
        """
        self._retire = list(names)

    def _begin(self, name: str) -> Path:
        """Check ``name`` may be written, then record it in the marker before anything is written."""
        if _plain(name) in _OURS or name.startswith((NEW, OLD, TMP)):
            raise UnsafePath(f"refusing to write {name!r}: the name is datapack's own bookkeeping")
        self.claim()
        there = self.root / name  # before resolving: a link of the user's is theirs, wherever it points
        if (there.exists() or there.is_symlink()) and not self.owns(name):
            raise NotOurs(f"{there} was not written by datapack, so it was left as it is; move it elsewhere "
                          "(or name another folder for the outputs) and run again.")
        target = self.path(name)
        self._change()
        listed = self.entries()
        if name not in listed:
            self._save(listed + [name])  # recorded first: a kill after the write still leaves it datapack's
        return target

    def _change(self) -> None:
        self.changed = True
        retire, self._retire = self._retire, []
        for name in retire:
            self.remove(name)

    def _forget(self, name: str) -> None:
        self._save([n for n in self.entries() if n != name])

    def _save(self, entries: list[str], legacy: bool | None = None) -> None:
        body = {"tool": "datapack", "about": "This folder is written by datapack. It replaces or removes only "
                "the entries listed here; anything else in the folder is left as it is.",
                "entries": sorted(set(entries) - _OURS),
                "legacy": self.adopted() if legacy is None else legacy}
        fd, tmp = tempfile.mkstemp(prefix=f"{TMP}marker-", dir=self.root)
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(body, handle, indent=2)
        os.replace(tmp, self.root / MARKER)


def _plain(part: str) -> str:
    """``part`` when it is a plain file or folder name; else :class:`UnsafePath`."""
    if not part or part in (".", "..") or "/" in part or "\\" in part or "\x00" in part:
        raise UnsafePath(f"refusing to write to {part!r}: not a plain file or folder name")
    return part


#: Top-level names written by datapack versions from before the marker.
_LEGACY_FILES = ("index.html", "manifest.json", "digest.html", "digest.json", "schedule.html", "schedule.xlsx",
                 "comparison.html", "comparison.docx", "comparison.xlsx", "comparison.json")


def _legacy_entries(root: Path) -> list[str] | None:
    """What an unmarked folder built by an earlier datapack holds of datapack's, or None if it was not one."""
    if not _by_datapack(root / "manifest.json"):
        return None
    entries = [n for n in _LEGACY_FILES if (root / n).is_file()]
    entries += [p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")
                and (_by_datapack(p / "manifest.json") or (p / "datapackage.json").is_file())]
    return entries


def _by_datapack(manifest: Path) -> bool:
    try:
        return json.loads(manifest.read_text(encoding="utf-8")).get("tool") == "datapack"
    except (OSError, ValueError, AttributeError):
        return False


def _placeholder(entry: Path) -> bool:
    """Whether ``entry`` is an empty placeholder file such as ``.gitkeep`` (see :data:`PLACEHOLDERS`)."""
    try:
        return entry.name in PLACEHOLDERS and entry.is_file() and not entry.is_symlink() and entry.stat().st_size == 0
    except OSError:
        return False
