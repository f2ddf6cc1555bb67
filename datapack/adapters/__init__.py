"""Input adapters, one module per kind of export, all registered the same way.

Add a kind by writing a class with ``name``, ``description``, ``extensions``,
``options`` and ``read(path, source)`` and decorating it with
:func:`register`; then import its module in :data:`_BUILTIN`. Two optional
attributes: ``check(source)`` returns configuration problems found before
anything is read, and ``hashes_result = True`` says the source has no file
to fingerprint (a database), so the result's hash in ``meta['sha256']`` is
used instead (see :mod:`datapack.adapters.sql`).
"""

from __future__ import annotations

import importlib
from pathlib import Path

from datapack.adapters.base import Adapter, QuestionInfo, RawTable, ROW

_REGISTRY: dict[str, type] = {}

#: Modules that register the adapters shipped with datapack.
_BUILTIN = (
    "datapack.adapters.csv_text",
    "datapack.adapters.spreadsheet",
    "datapack.adapters.stats_table",
    "datapack.adapters.kobo",
    "datapack.adapters.odk",
    "datapack.adapters.surveymonkey",
    "datapack.adapters.qualtrics",
    "datapack.adapters.msforms",
    "datapack.adapters.datapackage",
    "datapack.adapters.sql",
)


def register(cls: type) -> type:
    """Class decorator: make an adapter available under ``cls.name``."""
    if cls.name in _REGISTRY and _REGISTRY[cls.name] is not cls:
        raise ValueError(f"adapter {cls.name!r} is registered twice")
    _REGISTRY[cls.name] = cls
    return cls


def _load_builtin() -> None:
    for module in _BUILTIN:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise


def known() -> dict[str, type]:
    """All registered adapters by name."""
    _load_builtin()
    return dict(sorted(_REGISTRY.items()))


def get(name: str) -> Adapter:
    """The adapter called ``name``; an unknown name lists the known ones."""
    adapters = known()
    if name not in adapters:
        raise KeyError(f"unknown format {name!r}; known formats: {', '.join(adapters)}")
    return adapters[name]()


def detect(path: Path) -> str | None:
    """The format for ``path`` from its extension, or None when no adapter claims it.

    Only plain formats (csv, xlsx, ods) claim extensions; layouts such as
    published statistics tables or survey exports are named in configuration.
    """
    suffix = path.suffix.lower()
    for name, cls in known().items():
        if suffix in cls.extensions:
            return name
    return None


__all__ = ["Adapter", "QuestionInfo", "RawTable", "ROW", "detect", "get", "known", "register"]
