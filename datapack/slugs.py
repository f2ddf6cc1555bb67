"""Safe names for folders and files, shared by the analysis (facility slugs) and the writer (paths).

A foundation module: it imports nothing from datapack, so the writer can
build paths without reaching up into the analysis.
"""

from __future__ import annotations

import re
import unicodedata


def slug(text: str) -> str:
    """A safe folder name: lower-case ASCII letters, digits and hyphens only (accents folded)."""
    ascii_text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    out = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:80]
    return out or "facility"
