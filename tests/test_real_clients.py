"""The packs as real clients see them: Chromium with axe-core, LibreOffice, poppler and python-docx.

Every demo pack is built once for this module (HTML and Word, with a fixed build time so the
output does not depend on the day), then:

* each HTML pack is opened in headless Chromium through Playwright (one browser for all pages):
  a screenshot of its first screen is saved beside the packs, and the page must log no console
  errors, request nothing but its own file, have an h1, show the marking and describe every image;
* axe-core checks each HTML pack: no serious or critical violations. axe-core comes from the PyPI
  package ``axe-playwright-python``, which bundles ``axe.min.js``; we only read that file and inject
  it ourselves, so nothing is fetched at test time;
* the public outputs the same build writes (output/public/: each facility's public summary and
  easy-read page, the estate summary and their index) are opened the same way: axe-core finds no
  serious or critical violation, every image has alt text, and no page shows the marking;
* every Word pack is opened with python-docx (headings, alt text on every picture), and three
  representative ones (ksm, lls, hsc) are turned into PDF by LibreOffice in one headless call,
  started in the background as soon as the packs exist, then read with pdftotext and pdfimages;
* the order of KSM's headings (HTML h2/h3, Word Heading 1/2) must equal the golden file
  tests/golden/ksm_structure.json. Regenerate it only on purpose, after checking the change:

      UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_real_clients.py -k golden

The system tools come from Debian: ``apt-get install chromium libreoffice-writer-nogui
poppler-utils`` (.ci/run installs them). Never ``playwright install``: Playwright drives the
system Chromium through ``executable_path`` (/usr/bin/chromium, or set DATAPACK_CHROMIUM to
another Chromium). A missing tool fails these tests when CI is set, and
skips them, with the reason, otherwise.
"""

from __future__ import annotations

import datetime as dt
import difflib
import io
import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest

from datapack.build import build
from datapack.config import load_config

pytestmark = pytest.mark.slow  # many packs or real clients: `make test-slow`, and CI

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "datapack.yaml"
GOLDEN = Path(__file__).resolve().parent / "golden" / "ksm_structure.json"
BUILT_AT = dt.datetime(2026, 11, 1, 9, 0)
PDF_SLUGS = ("ksm", "lls", "hsc")          # a prison, a secure hospital, a police custody suite
WORD_HEADINGS = ("1. At a glance", "Areas for enquiry", "Appendix B: data, sources and methods")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
APT = "apt-get install -y --no-install-recommends"


def _missing(what: str, install: str) -> None:
    """Fail under CI (where the tool must be there), skip locally; either way say what to install."""
    message = f"{what} is not available: install it with `{install}`"
    if os.environ.get("CI"):
        pytest.fail(message + " (CI is set, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(message)


def _tool(*names: str, install: str) -> str:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    _missing(" or ".join(names), install)
    raise AssertionError("unreachable")


def _chromium() -> str:
    """Debian's Chromium, or the browser DATAPACK_CHROMIUM names."""
    path = os.environ.get("DATAPACK_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).is_file():
        _missing(f"Chromium ({path})", f"{APT} chromium")
    return path


# ---------------------------------------------------------------- the packs, built once

@dataclass
class Packs:
    """The built packs, and the PDF conversion started in the background."""

    root: Path
    slugs: list[str]
    marking: str
    pdf_dir: Path
    conversion: subprocess.Popen | None = None
    conversion_log: Path | None = None


def _start_conversion(packs: Packs, tmp: Path) -> None:
    """Start LibreOffice on every Word pack now, so it runs while Chromium works."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        return
    inbox = tmp / "docx"
    inbox.mkdir()
    for slug in packs.slugs:
        # one call converts them all; distinct names, since every pack is called datapack.docx
        shutil.copy(packs.root / slug / "datapack.docx", inbox / f"{slug}.docx")
    profile = tmp / "lo-profile"   # private, so parallel runs and a desktop session don't clash
    packs.conversion_log = tmp / "soffice.log"
    with packs.conversion_log.open("wb") as log:
        packs.conversion = subprocess.Popen(
            [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
             "--convert-to", "pdf", "--outdir", str(packs.pdf_dir),
             *(str(inbox / f"{slug}.docx") for slug in packs.slugs)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)


@pytest.fixture(scope="module")
def packs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("real-clients")
    config = load_config(CONFIG)
    result = build(config, output=tmp / "packs", reporter=None, formats=("html", "docx"), built_at=BUILT_AT)
    assert not result.failed, f"packs failed to build: {result.failed}"
    slugs = sorted(p.name for p in result.written.values())
    assert slugs, "the build wrote no pack"
    built = Packs(result.output, slugs, config.project.marking, tmp / "pdf")
    _start_conversion(built, tmp)
    yield built
    if built.conversion is not None and built.conversion.poll() is None:
        built.conversion.kill()
        built.conversion.wait()


def test_every_demo_facility_has_an_html_and_a_word_pack(packs):
    assert len(packs.slugs) == 12, packs.slugs
    assert set(PDF_SLUGS) <= set(packs.slugs)
    for slug in packs.slugs:
        for name in ("datapack.html", "datapack.docx"):
            assert (packs.root / slug / name).stat().st_size > 0, f"{slug}/{name} is empty"


# ---------------------------------------------------------------- Chromium and axe-core

#: What the page itself says about its headings, marking and images.
_FACTS = """(marking) => ({
  h1: Array.from(document.querySelectorAll('h1')).map(h => h.textContent.trim()),
  marking: document.body.innerText.includes(marking),
  described: document.querySelectorAll('svg[role=img], img[alt]').length,
  imgs_without_alt: Array.from(document.querySelectorAll('img'))
      .filter(i => !(i.getAttribute('alt') || '').trim()).map(i => (i.getAttribute('src') || '').slice(0, 60)),
  svgs_without_label: Array.from(document.querySelectorAll('svg[role=img]'))
      .filter(s => !(s.getAttribute('aria-label') || '').trim()).map(s => s.id || s.outerHTML.slice(0, 60)),
})"""


@dataclass
class PageReport:
    """What Chromium saw of one pack."""

    screenshot: Path
    console: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    facts: dict = field(default_factory=dict)
    violations: list[dict] = field(default_factory=list)
    printed: Path | None = None  # the page printed to PDF by Chromium (one pack with areas for enquiry)


def _axe_source() -> str:
    try:
        import axe_playwright_python
    except ImportError:
        _missing("axe-core (PyPI package axe-playwright-python)", "pip install -e '.[test]'")
    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def pages(packs) -> dict[str, PageReport]:
    """Open every HTML pack once in one headless Chromium; record what a reader and axe would meet."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright (PyPI package playwright)", "pip install -e '.[test]'")
    chromium, axe = _chromium(), _axe_source()
    reports: dict[str, PageReport] = {}
    # printed to PDF: the first pack with areas for enquiry (their evidence blocks are what printing must open)
    printed = next((slug for slug in packs.slugs if "<summary>Evidence</summary>" in
                    (packs.root / slug / "datapack.html").read_text(encoding="utf-8")), None)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            # offline: any request that is not the file itself fails at once rather than hanging
            context = browser.new_context(offline=True, viewport={"width": 1280, "height": 900})
            for slug in packs.slugs:
                path = packs.root / slug / "datapack.html"
                report = reports[slug] = PageReport(packs.root / slug / "first-page.png")
                page = context.new_page()
                page.on("console", lambda m, r=report: r.console.append(f"{m.type}: {m.text}")
                        if m.type == "error" else None)
                page.on("pageerror", lambda e, r=report: r.console.append(f"uncaught: {e}"))
                page.on("request", lambda q, r=report: r.requests.append(q.url))
                page.goto(path.as_uri(), wait_until="load")
                page.screenshot(path=str(report.screenshot))
                report.facts = page.evaluate(_FACTS, packs.marking)
                page.evaluate(axe)
                found = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
                report.violations = found["violations"]
                if slug == printed:
                    report.printed = packs.root / slug / "printed-by-chromium.pdf"
                    page.pdf(path=str(report.printed), format="A4")
                page.close()
        finally:
            browser.close()
    return reports


def _other_requests(packs, slug: str, report: PageReport) -> list[str]:
    own = (packs.root / slug / "datapack.html").as_uri()
    # data: URIs are inline content, not network
    return [u for u in report.requests if u != own and not u.startswith("data:")]


def test_each_html_pack_renders_a_first_page_that_is_not_blank(packs, pages):
    from PIL import Image

    for slug, report in pages.items():
        data = report.screenshot.read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n"), f"{slug}: the screenshot is not a PNG"
        image = Image.open(io.BytesIO(data)).convert("L")
        low, high = image.getextrema()
        assert high - low > 64, f"{slug}: the first page looks blank ({report.screenshot})"
        colours = image.getcolors(maxcolors=256)   # None: more than 256 shades, so surely not blank
        assert colours is None or len(colours) > 8, f"{slug}: the first page is nearly blank ({report.screenshot})"


def test_printing_an_html_pack_opens_every_evidence_block(pages):
    import subprocess

    printed = [r for r in pages.values() if r.printed]
    assert len(printed) == 1, "the demo has a pack with areas for enquiry, and one is printed"
    (report,) = printed
    html = report.printed.parent / "datapack.html"
    blocks = html.read_text(encoding="utf-8").count("<summary>Evidence</summary>")
    assert blocks
    text = subprocess.run(["pdftotext", "-layout", str(report.printed), "-"], capture_output=True, text=True,
                          check=True).stdout
    # each evidence block ends "Compared with: ..."; closed blocks would print only their summary
    assert text.count("Compared with:") >= blocks, (text.count("Compared with:"), blocks)


def test_each_html_pack_logs_no_console_errors(pages):
    errors = {slug: r.console for slug, r in pages.items() if r.console}
    assert not errors, "console errors:\n" + "\n".join(f"  {s}: {m}" for s, ms in errors.items() for m in ms)


def test_each_html_pack_requests_nothing_but_its_own_file(packs, pages):
    fetched = {slug: _other_requests(packs, slug, r) for slug, r in pages.items()}
    fetched = {slug: urls for slug, urls in fetched.items() if urls}
    assert not fetched, ("a pack must be self-contained (everything inline), but these were requested:\n"
                         + "\n".join(f"  {s}: {u}" for s, urls in fetched.items() for u in urls[:5]))


def test_each_html_pack_has_a_title_the_marking_and_described_images(packs, pages):
    problems = []
    for slug, report in pages.items():
        facts = report.facts
        if not facts["h1"] or not facts["h1"][0]:
            problems.append(f"{slug}: no h1")
        if not facts["marking"]:
            problems.append(f"{slug}: the marking {packs.marking!r} is not shown")
        if not facts["described"]:
            problems.append(f"{slug}: no svg[role=img] or img[alt]: no chart or picture at all")
        for src in facts["imgs_without_alt"]:
            problems.append(f"{slug}: img without alt text: {src}")
        for svg in facts["svgs_without_label"]:
            problems.append(f"{slug}: svg[role=img] without aria-label: {svg}")
    assert not problems, "\n".join(problems)


def _describe(violation: dict) -> str:
    node = violation["nodes"][0] if violation["nodes"] else {}
    target = " ".join(map(str, node.get("target", [])))
    return (f"{violation['id']} ({violation['impact']}): {violation['help']}; "
            f"{len(violation['nodes'])} element(s), first: {target}")


def test_each_html_pack_has_no_serious_or_critical_accessibility_violations(pages):
    problems = [f"  {slug}: {_describe(v)}" for slug, report in pages.items()
                for v in report.violations if v["impact"] in ("serious", "critical")]
    assert not problems, "axe-core found serious or critical violations:\n" + "\n".join(problems)


@pytest.fixture(scope="module")
def public_pages(packs) -> dict[str, PageReport]:
    """Every public page the build wrote (output/public/*.html), opened in Chromium and checked by axe."""
    from playwright.sync_api import sync_playwright

    folder = packs.root / "public"
    paths = sorted(folder.glob("*.html"))
    assert len(paths) == 12 * 2 + 2, [p.name for p in paths]  # summary and easy read each, the estate's, the index
    chromium, axe = _chromium(), _axe_source()
    reports: dict[str, PageReport] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(offline=True, viewport={"width": 1280, "height": 900})
            for path in paths:
                report = reports[path.name] = PageReport(path.with_suffix(".png"))
                page = context.new_page()
                page.on("console", lambda m, r=report: r.console.append(f"{m.type}: {m.text}")
                        if m.type == "error" else None)
                page.on("request", lambda q, r=report: r.requests.append(q.url))
                page.goto(path.as_uri(), wait_until="load")
                report.facts = page.evaluate(_FACTS, packs.marking)
                page.evaluate(axe)
                report.violations = page.evaluate("axe.run(document, {resultTypes: ['violations']})")["violations"]
                page.close()
        finally:
            browser.close()
    return reports


def test_each_public_page_passes_axe_describes_its_images_and_shows_no_marking(public_pages):
    problems = [f"  {name}: {_describe(v)}" for name, report in public_pages.items()
                for v in report.violations if v["impact"] in ("serious", "critical")]
    for name, report in public_pages.items():
        facts = report.facts
        if not facts["h1"] or not facts["h1"][0]:
            problems.append(f"  {name}: no h1")
        if facts["marking"]:
            problems.append(f"  {name}: shows the team's marking, but it is for publication")
        problems += [f"  {name}: img without alt text: {src}" for src in facts["imgs_without_alt"]]
        problems += [f"  {name}: {line}" for line in report.console]
        problems += [f"  {name}: requested {u}" for u in report.requests
                     if not u.startswith("data:") and not u.endswith(name)]
        if name.endswith("-easy-read.html") and facts["described"] < 10:
            problems.append(f"  {name}: {facts['described']} described icons, fewer than its points")
    assert not problems, "public pages:\n" + "\n".join(problems)


# ---------------------------------------------------------------- Word: python-docx and LibreOffice

def _docx_headings(path: Path, levels: tuple[str, ...] = ("Heading 1", "Heading 2")) -> list[list[str]]:
    import docx

    document = docx.Document(str(path))
    return [[p.style.name, p.text.strip()] for p in document.paragraphs if p.style.name in levels]


def test_each_word_pack_has_the_section_headings_and_alt_text_on_every_picture(packs):
    import docx
    from docx.oxml.ns import qn

    problems = []
    for slug in packs.slugs:
        path = packs.root / slug / "datapack.docx"
        headings = [text for _, text in _docx_headings(path)]
        problems += [f"{slug}: no heading {h!r}" for h in WORD_HEADINGS if h not in headings]
        body = docx.Document(str(path)).element.body
        pictures = body.findall(".//" + qn("wp:docPr"))
        if not pictures:
            problems.append(f"{slug}: no pictures (charts) at all")
        problems += [f"{slug}: picture {p.get('name')!r} has no alt text (wp:docPr descr)"
                     for p in pictures if not (p.get("descr") or "").strip()]
    assert not problems, "\n".join(problems)


@pytest.fixture(scope="module")
def pdfs(packs) -> dict[str, Path]:
    """Every Word pack as PDF, from the LibreOffice run the packs fixture started."""
    if packs.conversion is None:
        _missing("LibreOffice (soffice)", f"{APT} libreoffice-writer-nogui")
    try:
        code = packs.conversion.wait(timeout=600)
    except subprocess.TimeoutExpired:
        packs.conversion.kill()
        pytest.fail(f"LibreOffice took over 10 minutes to convert {len(packs.slugs)} Word packs")
    log = packs.conversion_log.read_text(errors="replace")
    assert code == 0, f"soffice exited {code}:\n{log}"
    found = {slug: packs.pdf_dir / f"{slug}.pdf" for slug in packs.slugs}
    missing = [str(p) for p in found.values() if not p.is_file()]
    assert not missing, f"LibreOffice wrote no PDF for {missing}:\n{log}"
    return found


def test_every_word_pack_opens_in_libreoffice_with_headings_marking_and_charts(packs, pdfs):
    pdftotext = _tool("pdftotext", install=f"{APT} poppler-utils")
    pdfimages = _tool("pdfimages", install=f"{APT} poppler-utils")
    problems = []
    for slug, pdf in pdfs.items():
        text = subprocess.run([pdftotext, str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        problems += [f"{slug}: the PDF does not show {h!r}" for h in (*WORD_HEADINGS, packs.marking) if h not in text]
        listing = subprocess.run([pdfimages, "-list", str(pdf)], capture_output=True, text=True, check=True).stdout
        images = [line for line in listing.splitlines()[2:] if line.split()[2:3] == ["image"]]
        if not images:
            problems.append(f"{slug}: the PDF has no images (charts)")
    assert not problems, "\n".join(problems)


#: Printed length the demo must keep to (issue 10.7): a prison's pack, the largest included, and the
#: smallest unit's (by capacity), measured through LibreOffice with Arial's metrics.
MAX_PAGES, MAX_PAGES_SMALLEST = 20, 8


def _pages(pdf: Path) -> int:
    pdfinfo = _tool("pdfinfo", install=f"{APT} poppler-utils")
    info = subprocess.run([pdfinfo, str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[1] for line in info.splitlines() if line.startswith("Pages:")))


def test_printed_packs_keep_to_the_page_targets(packs, pdfs):
    fc_match = _tool("fc-match", install=f"{APT} fontconfig")
    font = subprocess.run([fc_match, "Arial"], capture_output=True, text=True, check=True).stdout
    if "Liberation Sans" not in font and "Arial" not in font:  # another font sets the text wider or narrower
        _missing(f"a font with Arial's metrics (Arial is set in {font.strip()!r})", f"{APT} fonts-liberation")
    capacity = {slug: json.loads((packs.root / slug / "pack.json").read_text())["facility"]["capacity"]["value"]
                for slug in packs.slugs}
    pages = {slug: _pages(pdf) for slug, pdf in pdfs.items()}
    smallest = min(capacity, key=capacity.get)
    assert max(pages.values()) <= MAX_PAGES, f"packs over {MAX_PAGES} printed pages: {pages}"
    assert pages[smallest] <= MAX_PAGES_SMALLEST, (
        f"the smallest unit ({smallest}, capacity {capacity[smallest]}) prints {pages[smallest]} pages, "
        f"over {MAX_PAGES_SMALLEST}: {pages}")


# ---------------------------------------------------------------- golden structure

class _Headings(HTMLParser):
    """Collects the text of h2 and h3 elements, in document order."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[list[str]] = []
        self._open: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("h2", "h3") and self._open is None:
            self._open, self._text = tag, []

    def handle_endtag(self, tag):
        if tag == self._open:
            self.found.append([tag, " ".join("".join(self._text).split())])
            self._open = None

    def handle_data(self, data):
        if self._open:
            self._text.append(data)


def _structure(packs, slug: str) -> dict[str, list[list[str]]]:
    parser = _Headings()
    parser.feed((packs.root / slug / "datapack.html").read_text(encoding="utf-8"))
    return {"html": parser.found, "docx": _docx_headings(packs.root / slug / "datapack.docx")}


def _golden_text(structure: dict[str, list[list[str]]]) -> str:
    """JSON with one heading a line, so a diff shows exactly which heading moved or changed."""
    parts = []
    for key, rows in structure.items():
        lines = ",\n".join("  " + json.dumps(row, ensure_ascii=False) for row in rows)
        parts.append(f" {json.dumps(key)}: [\n{lines}\n ]")
    text = "{\n" + ",\n".join(parts) + "\n}\n"
    assert json.loads(text) == structure
    return text


def test_ksm_structure_matches_the_golden_file(packs):
    text = _golden_text(_structure(packs, "ksm"))
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(text, encoding="utf-8")
    assert GOLDEN.is_file(), f"{GOLDEN} is missing: create it with UPDATE_GOLDEN=1 pytest {__file__} -k golden"
    expected = GOLDEN.read_text(encoding="utf-8")
    if expected != text:
        diff = "".join(difflib.unified_diff(expected.splitlines(True), text.splitlines(True),
                                            "golden", "built", n=1))
        pytest.fail(f"KSM's headings differ from {GOLDEN.name}; if the change is intended, run "
                    f"UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_real_clients.py -k golden\n{diff}",
                    pytrace=False)
