"""The output folder: which folders may be used, one run at a time, and what a killed run left.

Every command that writes opens its folder with :func:`open_output`:

1. :func:`check_target` refuses values that name no folder of its own: empty,
   the top of the file system, the home folder (or one holding it), the
   project folder (or one holding it), the current folder, a file;
2. the :class:`~datapack.writer.Writer` claims the folder (empty, or marked
   as datapack's; anything else is refused, see :mod:`datapack.writer`);
3. :class:`OutputLock` takes a lock (``fcntl.flock`` on ``.datapack-lock``
   in the folder, released by the system when the process ends, however
   it ends); a second run is refused, told who holds it;
4. :func:`recover` removes what a killed run left: staging folders, the
   earlier pack of a swap cut short (put back), temporary files.

A run that writes nothing leaves the folder as it found it.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import re
import shlex
import shutil
import socket
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from datapack.writer import LOCK, MARKER, NEW, OLD, TMP, OutputRefused, Writer

__all__ = ["BadTarget", "EXIT_BUSY", "OutputBusy", "OutputLock", "check_target", "open_output", "recover"]

#: Exit status of a command refused because another run holds the folder (EX_TEMPFAIL: try again later).
EXIT_BUSY = 75
_WHAT_TO_DO = ("name a folder of its own for the outputs, for example --output packs (datapack writes only into "
               "an empty folder or one it made).")


class BadTarget(OutputRefused):
    """A value that names no folder the outputs could have to themselves."""


class OutputBusy(OutputRefused):
    """Another run holds the output folder's lock."""


def check_target(value: str | Path | None, project: Path | None = None) -> Path:
    """The folder ``value`` names, resolved; :class:`BadTarget` when it is no place for outputs."""
    text = "" if value is None else str(value)
    if not text.strip():
        raise BadTarget(f"the output folder is empty ({text!r}); {_WHAT_TO_DO}")
    path = Path(text).expanduser().resolve()
    home = Path.home().resolve()
    where = project.resolve() if project is not None else None
    if path == Path(path.anchor):
        reason = "is the top of the file system"
    elif path == home:
        reason = "is your home folder"
    elif path in home.parents:
        reason = "holds your home folder"
    elif where is not None and path == where:
        reason = "is the project folder (it holds the configuration and sources)"
    elif where is not None and path in where.parents:
        reason = "holds the project folder"
    elif path == Path.cwd().resolve():
        reason = "is the current folder"
    elif path.exists() and not path.is_dir():
        reason = "is a file, not a folder"
    else:
        return path
    raise BadTarget(f"{text!r} {reason}; {_WHAT_TO_DO}")


def command_line() -> str:
    """This process's command line, as the lock reports it to a second run."""
    return shlex.join([Path(sys.argv[0]).name, *sys.argv[1:]]) if sys.argv else "python"


#: Descriptors of the locks this process holds; a forked child (a render worker) closes its copies, so
#: that a worker outliving a killed build cannot keep the folder locked.
_HELD: set[int] = set()


def _close_held_in_child() -> None:
    for fd in _HELD:
        try:
            os.close(fd)
        except OSError:
            pass
    _HELD.clear()


os.register_at_fork(after_in_child=_close_held_in_child)


class OutputLock:
    """An exclusive lock on one output folder, held until :meth:`release` or the end of the process."""

    def __init__(self, folder: Path, command: str):
        self.path = Path(folder) / LOCK
        self.command = command
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock, or raise :class:`OutputBusy` saying who holds it."""
        for _ in range(10):
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            except OSError as exc:
                raise OutputRefused(f"cannot lock {self.path}: {exc.strerror or exc}; name a folder you can "
                                    "write to.") from exc
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _holder(fd)
                os.close(fd)
                raise OutputBusy(f"{self.path.parent} is in use by another datapack run: {holder}. Nothing was "
                                 "changed; wait for it to finish, or name another folder for the outputs.") from None
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(self.path))
            except FileNotFoundError:
                same = False
            if same:  # else the last holder removed the file as we opened it: take the new one
                break
            os.close(fd)
        else:
            raise OutputBusy(f"could not lock {self.path}; try again.")
        about = {"pid": os.getpid(), "host": socket.gethostname(), "command": self.command,
                 "since": dt.datetime.now().astimezone().isoformat(timespec="seconds")}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(about).encode(), 0)
        self._fd = fd
        _HELD.add(fd)

    def release(self, remove: bool = False) -> None:
        """Let the lock go (removing the lock file first when ``remove``, while it is still held)."""
        if self._fd is None:
            return
        if remove:
            self.path.unlink(missing_ok=True)
        _HELD.discard(self._fd)
        os.close(self._fd)
        self._fd = None


def _holder(fd: int) -> str:
    try:
        about = json.loads(os.pread(fd, 4096, 0) or b"{}")
        return (f"{about['command']} (process {about['pid']} on {about['host']}, since {about['since']})")
    except (OSError, ValueError, KeyError, TypeError):
        return "a run that has only just started"


#: Staging and temporary names of datapack versions from before the marker: ``.<name>-`` or
#: ``.<name>-old-`` and eight characters (as :func:`tempfile.mkdtemp` makes them).
_LEGACY = re.compile(r"^\.(?P<name>.+?)-(?P<old>old-)?[a-z0-9_]{8}$")
_OLD = re.compile(rf"^{re.escape(OLD)}(?P<name>.+)-[a-z0-9_]{{8}}$")


def recover(writer: Writer) -> list[str]:
    """Remove what killed runs left in the folder; put back an earlier pack a killed swap had moved aside.

    Call only while holding the folder's lock: the staging of a run in
    progress looks the same. Returns the names removed.
    """
    listed = set(writer.listed())
    legacy = writer.adopted()  # older versions' names are recognised only in a folder they built
    removed = []
    for entry in sorted(writer.root.iterdir()):
        name = entry.name
        if name.startswith((NEW, TMP)):
            target = None
        elif (old := _OLD.match(name)) is not None:
            target = old["name"]
        elif legacy and (older := _LEGACY.match(name)) is not None and older["name"] in listed:
            target = older["name"] if older["old"] else None
        else:
            continue
        if target in listed and (entry / "pack").is_dir() and not (writer.root / target).exists():
            os.replace(entry / "pack", writer.root / target)  # the earlier pack, whole
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed.append(name)
    return removed


@contextmanager
def open_output(target: str | Path | None, project: Path | None = None, command: str | None = None,
                retire: tuple[str, ...] = ()) -> Iterator[Writer]:
    """The checked, claimed and locked output folder's writer, for one run (see the module's docstring).

    ``retire`` names entries removed just before the run first changes
    anything (:meth:`Writer.retire_first`). Raises :class:`BadTarget`,
    :class:`OutputBusy` or :class:`~datapack.writer.OutputRefused`.
    """
    writer = Writer(check_target(target, project), retire)
    writer.claim()
    lock = OutputLock(writer.root, command or command_line())
    lock.acquire()
    if not (writer.root / MARKER).is_file():  # the last holder left the folder as it found it
        writer.claim()
    try:
        recover(writer)
        yield writer
    finally:
        untouched = bool(writer.created) and not writer.changed
        if untouched:
            (writer.root / MARKER).unlink(missing_ok=True)
        lock.release(remove=untouched)
        if untouched and writer.root in writer.created:
            try:
                writer.root.rmdir()
            except OSError:  # something else is in it now: leave it
                pass
