"""The Word pack: the context poured into ``pack.docx``, a docxtpl template analysts can edit in Word.

The template (made by ``templates/make_docx_template.py``) uses the same
context as the HTML pack; ``charts`` there maps a chart id to an inline PNG
that carries its alt text (``descr``) and title, which docxtpl alone leaves
empty. The document is dated by the build time and the saved file is
normalised (:mod:`datapack.render.zipnorm`), so the same context gives the
same bytes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import io
import re
from pathlib import Path
from typing import Any, Iterable

import jinja2
from markupsafe import Markup
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage

from datapack.adapters import guard
from datapack.render.words import READING_MARK, reading_time, short_date
from datapack.render.docx_layout import count_words, fill_contents, fill_reading_time, fit_tables
from datapack.render.html import default_template_dirs
from datapack.render.zipnorm import normalise_zip

TEMPLATE_NAME = "pack.docx"
#: Width of a chart on the page (A4 with 20 mm margins leaves 170 mm; a little less keeps charts and their
#: captions together on a page).
CHART_WIDTH = Mm(150)


class DescribedImage(InlineImage):
    """An inline picture with alt text and a title set on its ``wp:docPr``."""

    def __init__(self, tpl: DocxTemplate, png: bytes, alt: str, title: str, width=CHART_WIDTH):
        super().__init__(tpl, io.BytesIO(png), width=width)
        self.alt, self.title = alt, title

    def _insert_image(self) -> str:
        inline = self.tpl.current_rendering_part.new_pic_inline(self.image_descriptor, self.width, self.height)
        inline.docPr.set("name", f"Chart: {self.title}")
        inline.docPr.set("descr", self.alt)
        inline.docPr.set("title", self.title)
        # Same splice as docxtpl's own InlineImage: close the text run, add the drawing, reopen.
        return ("</w:t></w:r><w:r><w:drawing>%s</w:drawing></w:r><w:r>"
                '<w:t xml:space="preserve">' % inline.xml)

    def __str__(self) -> str:  # docxtpl calls str() or __html__() depending on autoescape
        return self._insert_image()

    def __html__(self) -> str:
        return self._insert_image()


def bookmark_name(html_id: str) -> str:
    """A Word bookmark name for an HTML id: letters, digits and underscores, at most 40 characters."""
    name = "b_" + re.sub(r"[^A-Za-z0-9_]", "_", html_id)
    if len(name) > 40:  # keep it unique when cut: a short hash of the whole id
        name = name[:31] + "_" + hashlib.sha1(html_id.encode()).hexdigest()[:8]
    return name


class _Anchors:
    """Bookmarks and internal links, so a finding in Word links to the chart or table behind it.

    Both splice into the paragraph like docxtpl's images: close the text run,
    add the element, reopen a run.
    """

    def __init__(self) -> None:
        self.next_id = 1
        self.seen: set[str] = set()

    def anchor(self, html_id: str) -> Markup:
        name = bookmark_name(str(html_id))
        if name in self.seen:  # one bookmark per name: a second one would confuse Word
            return Markup("")
        self.seen.add(name)
        n, self.next_id = self.next_id, self.next_id + 1
        return Markup('</w:t></w:r><w:bookmarkStart w:id="%d" w:name="%s"/><w:bookmarkEnd w:id="%d"/>'
                      '<w:r><w:t xml:space="preserve">' % (n, name, n))

    @staticmethod
    def link(html_id: str, text: str) -> Markup:
        return Markup('</w:t></w:r><w:hyperlink w:anchor="%s" w:history="1"><w:r><w:rPr>'
                      '<w:color w:val="0B4F7C"/><w:u w:val="single"/></w:rPr><w:t xml:space="preserve">%s</w:t>'
                      '</w:r></w:hyperlink><w:r><w:t xml:space="preserve">'
                      % (bookmark_name(str(html_id)), html.escape(str(text))))


def find_template(template_dirs: Iterable[Path] | None, name: str = TEMPLATE_NAME) -> Path:
    """The first ``name`` found in ``template_dirs``; the error lists where it looked."""
    dirs = [Path(d) for d in (template_dirs or default_template_dirs())]
    for d in dirs:
        if (d / name).is_file():
            guard.check_archive(d / name)  # a template is an input too: no DTD, no zip bomb
            return d / name
    raise FileNotFoundError(f"{name} not found in: {', '.join(str(d) for d in dirs)} "
                            "(run templates/make_docx_template.py to make it)")


class _Template(DocxTemplate):
    """docxtpl's template, with its rendered body made of python-docx's own element classes.

    docxtpl parses the rendered body with a plain lxml parser and moves it into the document.
    While anything still holds that parse's root (a Dask worker's profiler holds the frames of
    running threads), python-docx reads the body as a plain element, without its ``tables``: so
    the body is parsed again here with python-docx's element classes.
    """

    def map_tree(self, tree):
        from docx.oxml.parser import element_class_lookup
        from lxml import etree

        parser = etree.XMLParser(resolve_entities=False, huge_tree=True)
        parser.set_element_class_lookup(element_class_lookup)
        super().map_tree(etree.fromstring(etree.tostring(tree), parser))


def render_docx(context: dict[str, Any], charts: Iterable[Any] = (),
                template_dirs: Iterable[Path] | None = None) -> bytes:
    """A facility's pack as Word document bytes (template ``pack.docx``)."""
    tpl = _Template(str(find_template(template_dirs)))
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    env.filters["short_date"] = short_date
    images = {c.id: DescribedImage(tpl, c.png, c.alt, c.title) for c in charts}
    titles = {c.id: c.title for c in charts}
    alts = {c.id: c.alt for c in charts}
    anchors = _Anchors()
    namespace = {**context, "charts": {cid: {"image": images[cid], "title": titles[cid], "alt": alts[cid]}
                                       for cid in images},
                 "anchor": anchors.anchor, "doclink": anchors.link, "reading_time": READING_MARK}
    tpl.render(namespace, jinja_env=env, autoescape=True)
    fit_tables(tpl.docx)
    fill_contents(tpl.docx)
    fill_reading_time(tpl.docx, READING_MARK, reading_time(count_words(tpl.docx, READING_MARK)))
    # The template's own dates and editor would otherwise stand in every pack: the build's instead.
    props = tpl.docx.core_properties
    props.created = props.modified = dt.datetime.fromisoformat(context["built_at"]["iso"]).replace(tzinfo=None)
    props.last_modified_by, props.revision = "datapack", 1
    buffer = io.BytesIO()
    tpl.save(buffer)
    return normalise_zip(buffer.getvalue())
