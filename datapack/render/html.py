"""The HTML pack and estate index: one self-contained file each, from Jinja templates.

Autoescaping is on and undefined names are errors (``StrictUndefined``).
CSS is inlined from ``html/style.css`` and charts are inlined as SVG, so the
file makes no external request and can be mailed, printed or archived as is.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any, Iterable

import jinja2
from markupsafe import Markup

from datapack.render.words import READING_MARK, reading_time

#: The copy of ``templates/`` that a built wheel carries inside the package (see setup.py).
PACKAGED_TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
#: ``templates/`` at the top of a checkout, beside the package: where analysts edit them.
CHECKOUT_TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def project_templates() -> Path:
    """The project's own templates folder: the one place every output's templates are found.

    An installed wheel carries them as ``datapack/templates/``; a checkout (an editable install,
    ``make datapack``, or the source on ``PYTHONPATH``) has no such folder and reads the top-level
    ``templates/`` in place. A folder named by ``templates:`` in the configuration comes before it
    (:func:`template_dirs`).
    """
    return PACKAGED_TEMPLATES if PACKAGED_TEMPLATES.is_dir() else CHECKOUT_TEMPLATES


#: The folder :func:`project_templates` found when the package was imported.
PROJECT_TEMPLATES = project_templates()


def default_template_dirs() -> list[Path]:
    """The project's templates folder alone."""
    return [project_templates()]


def template_dirs(override: Path | None = None) -> list[Path]:
    """The folders templates are looked up in, first match wins, file by file.

    ``override`` is an organisation's folder (``templates:`` in the configuration, resolved
    against it): a file there replaces the project's file of the same path, and every other
    file still comes from the project's folder.
    """
    return ([Path(override)] if override is not None else []) + default_template_dirs()


def css_string(value: Any) -> Markup:
    """A value as a quoted CSS string (for ``content:`` in print CSS), safe inside ``<style>``."""
    text = str(value)
    escaped = "".join(ch if ch.isalnum() or ch in " -_.,:;/()" else f"\\{ord(ch):x} " for ch in text)
    return Markup(f'"{escaped}"')


def environment(template_dirs: Iterable[Path] | None = None) -> jinja2.Environment:
    """A Jinja environment over ``template_dirs`` (first match wins), autoescaping, strict."""
    dirs = [Path(d) for d in (template_dirs or default_template_dirs())]
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in dirs]),
        autoescape=True, undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["css_string"] = css_string
    return env


_SVG_ROOT = re.compile(r"<svg\b[^>]*>", re.DOTALL)


def inline_svg(svg: str, chart_id: str, title: str, alt: str) -> Markup:
    """Matplotlib SVG made fit to sit inside HTML, labelled for screen readers.

    The XML prologue goes; the root gets ``role="img"``, an ``aria-label``
    with the alt text and a ``<title>``; its fixed width and height go so CSS
    can size it (the viewBox keeps the proportions).
    """
    # The RDF metadata block means nothing inside HTML; drop it with the prologue.
    body = re.sub(r"\s*<metadata>.*?</metadata>", "", svg[svg.index("<svg"):], count=1, flags=re.DOTALL)
    root = _SVG_ROOT.search(body)
    if root is None:
        raise ValueError(f"chart {chart_id!r}: not an SVG document")
    tag = re.sub(r'\s(width|height)="[^"]*"', "", root.group(0))
    tag = tag.replace("<svg", f'<svg role="img" class="chart" id="chart-{html.escape(chart_id)}" '
                              f'aria-label="{html.escape(alt, quote=True)}"', 1)
    return Markup(f"{tag}<title>{html.escape(title)}</title>{body[root.end():]}")


def chart_views(charts: Iterable[Any]) -> dict[str, dict[str, Any]]:
    """Charts as templates see them: ``charts[id]`` with ``title``, ``alt`` and ``svg`` (markup)."""
    return {c.id: {"id": c.id, "title": c.title, "alt": c.alt, "svg": inline_svg(c.svg, c.id, c.title, c.alt)}
            for c in charts}


def render_html(context: dict[str, Any], charts: Iterable[Any] = (),
                template_dirs: Iterable[Path] | None = None) -> str:
    """A facility's pack as one HTML document (template ``pack.html.j2``).

    Templates see the context's keys; ``charts`` there is the mapping made by
    :func:`chart_views` in place of the list of chart ids.
    """
    namespace = {**context, "charts": chart_views(charts), "reading_time": READING_MARK}
    page = environment(template_dirs).get_template("pack.html.j2").render(namespace)
    return page.replace(READING_MARK, reading_time(count_words(page)))


#: What is not read as text: scripts, styles, the charts' drawings (their alt text is in the captions).
_UNREAD = re.compile(r"<(script|style|svg|head)\b.*?</\1>", re.S | re.I)


def count_words(page: str) -> int:
    """Words of an HTML pack's text before its first appendix heading, tags and drawings left out."""
    body = _UNREAD.sub(" ", page)
    appendix = re.search(r"<h[1-3][^>]*>\s*Appendix", body)
    body = body[:appendix.start()] if appendix else body
    text = html.unescape(re.sub(r"<[^>]+>", " ", body)).replace(READING_MARK, " ")
    return len(text.split())


def render_index_html(context: dict[str, Any], template_dirs: Iterable[Path] | None = None) -> str:
    """The estate index (template ``index.html.j2``) from :func:`datapack.analysis.estate_context`."""
    return environment(template_dirs).get_template("index.html.j2").render(context)
