"""``datapack.pdf``: the Word pack converted by LibreOffice, run headless.

PDF is optional: LibreOffice is a large install that many machines lack, so
when it is missing :func:`convert_to_pdf` raises :class:`PdfUnavailable`
with the install hint, and the caller keeps the HTML and Word packs it has
already written. Each conversion uses its own throwaway LibreOffice profile,
so it neither clashes with a LibreOffice the user has open nor leaves
settings behind.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
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
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=posix)
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
    return pdf
