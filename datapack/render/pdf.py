"""``datapack.pdf``: the Word pack converted by LibreOffice, run headless.

PDF is optional: LibreOffice is a large install that many machines lack, so
when it is missing :func:`convert_to_pdf` raises :class:`PdfUnavailable`
with the install hint, and the caller keeps the HTML and Word packs it has
already written. Each conversion uses its own throwaway LibreOffice profile,
so it neither clashes with a LibreOffice the user has open nor leaves
settings behind. LibreOffice stamps each PDF with the moment of conversion
and an /ID made from it; :func:`fix_pdf_dates` sets both from the Word
pack's own date and content. LibreOffice also writes the embedded fonts in
an order that can change from run to run (it keeps them by memory address);
:func:`canonical_pdf` has qpdf (through pikepdf) number every object in the
order it is reached from the document's root, so the same Word pack gives
the same PDF bytes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

#: Program names looked up on PATH, in order.
EXECUTABLES = ("soffice", "libreoffice")
#: Where the installers put LibreOffice when it is not on PATH (Windows and macOS usually).
INSTALL_PATHS = (
    r"C:\Program Files\LibreOffice\program\soffice.exe",
    r"C:\Program Files (x86)\LibreOffice\program\soffice.exe",
    "/Applications/LibreOffice.app/Contents/MacOS/soffice",
)
INSTALL_HINT = ("Install LibreOffice to make PDF packs: on Debian or Ubuntu "
                "`sudo apt-get install libreoffice-writer-nogui`; on Windows or macOS download it from "
                "https://www.libreoffice.org/download/ . The HTML and Word packs were still written.")


class PdfError(RuntimeError):
    """A PDF pack could not be made."""


class PdfUnavailable(PdfError):
    """LibreOffice is not installed (or not found), so no PDF can be made."""


class PdfConversionFailed(PdfError):
    """LibreOffice ran but gave no PDF (it failed, or took longer than the timeout)."""


def libreoffice_available() -> str | None:
    """The path of the LibreOffice program (``soffice``), or ``None`` when it cannot be found."""
    for name in EXECUTABLES:
        found = shutil.which(name)
        if found:
            return found
    for path in INSTALL_PATHS:
        if Path(path).is_file():
            return path
    return None


def _run(command: list[str], timeout: float) -> subprocess.CompletedProcess:
    """Run ``command``; on timeout end it and any helper it started (soffice forks ``soffice.bin``)."""
    posix = os.name == "posix"
    # In UTC, so the dates LibreOffice writes always take the same form (digits then "Z'"), whatever the zone here.
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=posix, env=os.environ | {"TZ": "UTC"})
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        if posix:
            os.killpg(proc.pid, signal.SIGKILL)  # the group of the process started here, and only it
        else:
            proc.kill()
        proc.communicate()
        raise
    return subprocess.CompletedProcess(command, proc.returncode, out, err)


def convert_to_pdf(docx_bytes: bytes, timeout: float = 180) -> bytes:
    """The PDF of a Word document, made by LibreOffice headless.

    Raises :class:`PdfUnavailable` (with the install hint) when LibreOffice
    is not installed, and :class:`PdfConversionFailed` when it runs but
    makes no PDF within ``timeout`` seconds.
    """
    program = libreoffice_available()
    if program is None:
        raise PdfUnavailable(f"No PDF made: LibreOffice was not found "
                             f"(looked for {' or '.join(EXECUTABLES)} on PATH). {INSTALL_HINT}")
    with tempfile.TemporaryDirectory(prefix="datapack-pdf-") as tmp:
        work = Path(tmp)
        source, outdir, profile = work / "datapack.docx", work / "out", work / "profile"
        source.write_bytes(docx_bytes)
        outdir.mkdir()
        command = [program, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
                   "--nolockcheck", "--nologo", "--nodefault",
                   "--convert-to", "pdf", "--outdir", str(outdir), str(source)]
        try:
            result = _run(command, timeout)
        except subprocess.TimeoutExpired:
            raise PdfConversionFailed(f"No PDF made: LibreOffice took longer than {timeout:g} seconds "
                                      "to convert the Word pack (try a longer timeout).") from None
        except OSError as err:
            raise PdfConversionFailed(f"No PDF made: could not run LibreOffice at {program}: {err}") from err
        target = outdir / "datapack.pdf"
        if not target.is_file():
            detail = (result.stderr or result.stdout).decode(sys.getdefaultencoding(), "replace").strip()
            raise PdfConversionFailed(f"No PDF made: LibreOffice ({program}) exited with code "
                                      f"{result.returncode} and wrote no PDF. {detail[-500:]}".strip())
        pdf = target.read_bytes()
    if not pdf.startswith(b"%PDF"):
        raise PdfConversionFailed("No PDF made: LibreOffice wrote a file that is not a PDF.")
    return canonical_pdf(fix_pdf_dates(pdf, docx_modified(docx_bytes)))


def canonical_pdf(pdf: bytes) -> bytes:
    """``pdf`` written again by qpdf: objects numbered in the order they are reached from the root.

    Two PDFs that hold the same objects, written in different orders, come
    out byte for byte the same. Streams are copied as they are (not decoded
    or compressed again) and the /ID is a hash of the content.
    """
    import pikepdf

    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(pdf)) as document:
        document.save(out, deterministic_id=True, compress_streams=False,
                      stream_decode_level=pikepdf.StreamDecodeLevel.none,
                      object_stream_mode=pikepdf.ObjectStreamMode.preserve)
    return out.getvalue()


def docx_modified(docx_bytes: bytes) -> dt.datetime | None:
    """The ``modified`` core property of a Word document (the build time, for a pack), or None."""
    try:
        with zipfile.ZipFile(io.BytesIO(docx_bytes)) as archive:
            core = archive.read("docProps/core.xml").decode("utf-8")
    except (zipfile.BadZipFile, KeyError):
        return None
    found = re.search(r"<dcterms:modified[^>]*>([^<]+)</dcterms:modified>", core)
    try:
        return dt.datetime.fromisoformat(found.group(1).strip().removesuffix("Z")) if found else None
    except ValueError:
        return None


_PDF_DATE = re.compile(rb"(/(?:CreationDate|ModDate)\s*\(D:)\d{14}")
#: The file's /ID pair, and LibreOffice's own /DocChecksum (a hash taken with the conversion time in it).
_PDF_HASHES = re.compile(rb"(/ID\s*\[\s*<)([0-9A-Fa-f]+)(>\s*<)([0-9A-Fa-f]+)(>)|(/DocChecksum\s*/)([0-9A-Fa-f]+)")


def fix_pdf_dates(pdf: bytes, when: dt.datetime | None) -> bytes:
    """``pdf`` with its creation and modification dates set to ``when`` and its /ID taken from its content.

    Everything is rewritten in place with the same number of bytes, so the
    cross-reference table's offsets stay right. The dates keep the form they
    had (LibreOffice writes them in UTC here, see :func:`_run`); with
    ``when`` None they are left as they were. The /ID (and /DocChecksum) is
    a hash of the file with them left out, so it still tells documents apart.
    """
    if when is not None:
        stamp = when.strftime("%Y%m%d%H%M%S").encode()
        pdf = _PDF_DATE.sub(lambda m: m.group(1) + stamp, pdf)
    digest = hashlib.sha256(_PDF_HASHES.sub(b"", pdf)).hexdigest().upper().encode() * 2

    def same_length(m: re.Match) -> bytes:  # groups 2, 4 and 7 are the hex; the rest is kept as it was
        return b"".join(digest[:len(part)] if i in (2, 4, 7) else part
                        for i, part in enumerate(m.groups(), 1) if part is not None)

    return _PDF_HASHES.sub(same_length, pdf)
