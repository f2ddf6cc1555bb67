"""Renderers: pure functions from a context (and its charts) to the text or bytes of one output.

None of them touches the file system except to read templates; the writer
alone writes to ``output/``. Templates are looked up in ``template_dirs`` in
order, so an organisation's folder placed first overrides the project's.

    render_html(context, charts, template_dirs=None) -> str        # datapack.html
    render_index_html(context, template_dirs=None) -> str          # index.html (estate_context)
    render_docx(context, charts, template_dirs=None) -> bytes      # datapack.docx
    render_json(context) -> str                                    # pack.json
"""

from datapack.render.docx import render_docx
from datapack.render.html import (default_template_dirs, project_templates, render_html, render_index_html,
                                  template_dirs)
from datapack.render.json_out import render_json

__all__ = ["default_template_dirs", "project_templates", "render_docx", "render_html", "render_index_html",
           "render_json", "template_dirs"]
