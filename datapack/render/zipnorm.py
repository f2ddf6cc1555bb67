"""One normaliser for every zip datapack writes (Word and Excel files), so the same content gives the same bytes.

A zip records, for each entry, when it was written, by which system, with
which permissions, and in the order the writing library happened to add
it. None of that is content, all of it changes the bytes. :func:`normalise_zip`
rewrites the archive with every entry in a fixed order, dated
:data:`ZIP_DATE`, marked as a Unix regular file readable by all, and
compressed the same way. The parts themselves are copied unchanged; the dates
a reader sees (the document's created and modified properties) are set from
the build time by the renderers.
"""

from __future__ import annotations

import io
import zipfile

#: The date every entry carries: the earliest a zip can hold, as other reproducible-build tools use.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
#: Entries that go first, in this order: the package's content types, then its relationships
#: (Office Open XML readers that read the archive as a stream look for these first).
FIRST = ("[Content_Types].xml", "_rels/.rels")
_FILE_MODE = 0o100644 << 16  # a regular file, rw-r--r--
_DIR_MODE = (0o040755 << 16) | 0x10  # a directory (and the MS-DOS directory bit)
_UNIX = 3


def entry_order(names: list[str]) -> list[str]:
    """``names`` in the order they are written: :data:`FIRST` (those present), then the rest by name."""
    first = [n for n in FIRST if n in names]
    return first + sorted(n for n in set(names) if n not in FIRST)


def normalise_zip(data: bytes) -> bytes:
    """The same archive with entries in a fixed order, fixed dates and permissions, deflated at one level."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        names = src.namelist()
        if len(set(names)) != len(names):  # would silently keep one of two parts
            raise ValueError("zip has duplicate entries: " + ", ".join(sorted({n for n in names if names.count(n) > 1})))
        for name in entry_order(names):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.create_system = _UNIX  # else the writing platform (Windows or not) shows in the bytes
            info.external_attr = _DIR_MODE if name.endswith("/") else _FILE_MODE
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, src.read(name), compresslevel=6)
    return out.getvalue()
