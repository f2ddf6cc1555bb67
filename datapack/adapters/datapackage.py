"""A Frictionless data package (``datapackage.json``): one CSV resource read as a source.

The configured ``path`` is the package descriptor; ``options: {resource: NAME}`` chooses the
resource. Cells come back typed by the resource's Table Schema (numbers, dates, true/false), blank
for its missing values; the leading quote datapack's export puts before text that a spreadsheet
would run as a formula is removed again. Mapping and checking happen centrally, as for any source.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path, PurePosixPath
from typing import Any, Callable

import pandas as pd

from datapack.adapters import guard, register
from datapack.adapters.base import ROW, RawTable
from datapack.adapters.csv_text import decode, read_rows
from datapack.problems import InputError, Problem


def _number(text: str) -> float:
    return float(text.replace(",", "")) if text.upper() not in ("NAN", "INF", "-INF") else float(text.lower())


def _boolean(text: str) -> bool:
    if text.lower() in ("true", "yes", "1"):
        return True
    if text.lower() in ("false", "no", "0"):
        return False
    raise ValueError(text)


_READERS: dict[str, Callable[[str], Any]] = {
    "integer": int, "number": _number, "boolean": _boolean,
    "date": lambda t: dt.datetime.strptime(t, "%Y-%m-%d"),
    "datetime": lambda t: pd.Timestamp(t).tz_localize(None).to_pydatetime(),
}


@register
class DataPackageAdapter:
    """One resource of a Frictionless data package, typed by its Table Schema."""

    name = "datapackage"
    description = "A resource of a Frictionless data package (path: datapackage.json), typed by its Table Schema."
    extensions: tuple[str, ...] = ()
    options = {"resource": "Name of the resource to read (required); the error lists those in the package."}

    def read(self, path: Path, source: Any) -> list[RawTable]:
        descriptor = _descriptor(path)
        resources = {r.get("name"): r for r in descriptor.get("resources", []) if isinstance(r, dict)}
        wanted = source.options.get("resource")
        if wanted not in resources:
            raise InputError([Problem("resource-unknown", f"the package has no resource {wanted!r}", file=path.name,
                                      hint=f"set options.resource to one of: {', '.join(map(str, resources))}")])
        resource = resources[wanted]
        data_path = _data_path(path, resource)
        encoding = str(resource.get("encoding") or "utf-8")
        guard.check_file(data_path)
        data, problems = data_path.read_bytes(), []
        algorithm, _, expected = str(resource.get("hash", "")).rpartition(":")
        if algorithm == "sha256" and hashlib.sha256(data).hexdigest() != expected:
            problems.append(Problem("resource-changed", "the file differs from the hash in the descriptor",
                                    file=data_path.name, sheet=wanted, severity="warning",
                                    hint="it was changed after export: check with the body that sent it"))
        text, _ = decode(data, data_path,
                         None if encoding.lower().replace("-", "") == "utf8" else encoding)
        dialect = resource.get("dialect") or {}
        delimiter = dialect.get("delimiter", ",") if isinstance(dialect, dict) else ","
        if not isinstance(delimiter, str) or len(delimiter) != 1:
            raise InputError([Problem("datapackage", f"resource {wanted!r}: dialect delimiter {delimiter!r} is not "
                                      "one character", file=path.name, hint="export the package again")])
        rows = read_rows(text, delimiter, data_path.name)
        if not rows:
            raise InputError([Problem("empty-file", "the resource has no rows, not even a header",
                                      file=data_path.name, sheet=wanted, hint="export the package again")])
        schema = resource.get("schema") or {}
        types = {f.get("name"): f.get("type", "string") for f in schema.get("fields", [])}
        missing = set(schema.get("missingValues", [""]))
        unescape = resource.get("textEscape") == "leading-quote"
        header = rows[0]
        columns = []
        for j, name in enumerate(header):
            cells = [r[j] if j < len(r) else "" for r in rows[1:]]
            columns.append([_typed(c, types.get(name, "string"), missing, unescape, problems,
                                   (data_path.name, wanted, i + 2, name)) for i, c in enumerate(cells)])
        frame = pd.DataFrame(dict(zip(header, columns)), columns=header)
        frame[ROW] = range(2, len(rows) + 1)
        return [RawTable(frame, file=data_path.name, sheet=str(wanted), problems=problems,
                         meta={"package": descriptor.get("name"), "created": descriptor.get("created")},
                         title=resource.get("title"))]


def _descriptor(path: Path) -> dict[str, Any]:
    try:
        descriptor = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError([Problem("datapackage", f"not a data package descriptor: {exc}", file=path.name,
                                  hint="point 'path' at the package's datapackage.json")])
    if not isinstance(descriptor, dict) or not isinstance(descriptor.get("resources"), list):
        raise InputError([Problem("datapackage", "the descriptor has no list of resources", file=path.name,
                                  hint="point 'path' at the package's datapackage.json")])
    return descriptor


def _data_path(path: Path, resource: dict[str, Any]) -> Path:
    """The resource's file, which must lie beside or below the descriptor (no URL, no '..')."""
    rel = resource.get("path")
    rel = rel[0] if isinstance(rel, list) and len(rel) == 1 else rel
    where = PurePosixPath(rel) if isinstance(rel, str) else None
    if where is None or "://" in rel or where.is_absolute() or ".." in where.parts:
        raise InputError([Problem("datapackage", f"resource {resource.get('name')!r}: path {rel!r} is not a "
                                  "file inside the package", file=path.name,
                                  hint="only single local CSV files are read; download remote data first")])
    target = path.parent / where
    if not target.is_file():
        raise InputError([Problem("source-missing", f"resource file {rel!r} not found beside the descriptor",
                                  file=path.name, hint="copy the whole package folder, not only datapackage.json")])
    return target


def _typed(cell: str, kind: str, missing: set[str], unescape: bool, problems: list[Problem],
           where: tuple[str, str, int, str]) -> Any:
    """A cell as its declared type; blank when missing; left as text (and reported) when unreadable."""
    if cell in missing:
        return None
    if kind == "string":
        return cell[1:] if unescape and cell.startswith("'") else cell
    reader = _READERS.get(kind)
    if reader is None:
        return cell
    try:
        return reader(cell)
    except ValueError:
        problems.append(Problem(f"not-{kind}", f"{cell!r} is not a valid {kind}", file=where[0], sheet=where[1],
                                row=where[2], column=where[3], hint="correct the cell, or the field's type"))
        return cell
